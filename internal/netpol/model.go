package netpol

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// Source locates an object: a file and the line its document starts on,
// or nothing for an object read from a cluster.
type Source struct {
	File string
	Line int
}

func (s Source) String() string {
	if s.File == "" {
		return "cluster"
	}
	return fmt.Sprintf("%s:%d", s.File, s.Line)
}

// NamespaceLabel is the label the API server gives every namespace, its
// name as value.
const NamespaceLabel = "kubernetes.io/metadata.name"

// ContainerPort is a port a workload's containers declare.
type ContainerPort struct {
	Name     string
	Protocol Protocol
	Port     uint32
	// HostPort is the node port it is bound to, 0 when none.
	HostPort uint32
}

// Workload is a connectivity peer inside the cluster: the pods of one top
// owner (a Deployment, StatefulSet, DaemonSet, CronJob, ...) or a Pod
// without one.
type Workload struct {
	Namespace, Name, Kind string
	// Labels are its pods' labels (its pod template's).
	Labels map[string]string
	Ports  []ContainerPort
	// HostNetwork pods use the node's network; NetworkPolicies do not
	// govern them reliably (the API leaves it undefined).
	HostNetwork bool
	// Spec is its pod spec (the template's), for checks beyond
	// connectivity; nil never.
	Spec   *corev1.PodSpec
	Source Source
}

// String names the workload as netpol-analyzer does: ns/name[Kind].
func (w *Workload) String() string { return w.Namespace + "/" + w.Name + "[" + w.Kind + "]" }

// Namespace is a namespace of the input.
type Namespace struct {
	Name string
	// Labels include kubernetes.io/metadata.name.
	Labels map[string]string
	// Defined is false for a namespace objects use but the input lacks.
	Defined bool
	Object  *corev1.Namespace // nil when not Defined
	Source  Source
}

// Service is a Service of the input.
type Service struct {
	Namespace, Name string
	Type            corev1.ServiceType
	Selector        map[string]string
	Source          Source
}

// Policy is a NetworkPolicy of the input.
type Policy struct {
	Namespace, Name string
	// Ingress and Egress are the policy's effective policyTypes.
	Ingress, Egress bool
	Object          *networkingv1.NetworkPolicy
	Source          Source

	sel     labels.Selector
	in, out []rule
}

// String names the policy ns/name.
func (p *Policy) String() string { return p.Namespace + "/" + p.Name }

type rule struct {
	index int
	// any: no peers given, so every pod and every address.
	any   bool
	peers []peer
	// ports nil: every port of every protocol.
	ports []portSpec
}

type peer struct {
	// pod, ns are nil when absent.
	pod, ns labels.Selector
	// isIP peers select ip, addresses outside the cluster.
	isIP bool
	ip   Ranges
	// key identifies the selectors, for caching matches.
	key string
}

type portSpec struct {
	proto  Protocol
	all    bool
	lo, hi uint32
	name   string
}

// Builder collects objects. The zero value is ready to use.
type Builder struct {
	objs []entry
	errs []error
}

type entry struct {
	obj runtime.Object
	src Source
}

// Error is a problem with one input object.
type Error struct {
	Source Source
	Object string
	Err    error
	// Warning marks what Kubernetes tolerates (an object defined twice,
	// the last definition used): reported, not fatal.
	Warning bool
}

func (e *Error) Error() string {
	if e.Source.File == "" {
		return fmt.Sprintf("%s: %v", e.Object, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.Source, e.Object, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Add adds an object. Kinds the engine does not use are ignored; a
// namespaced object without a namespace must have been given one already
// (see kinds.SetDefaultNamespace).
func (b *Builder) Add(obj runtime.Object, src Source) {
	switch obj.(type) {
	case *corev1.Pod, *corev1.ReplicationController, *appsv1.Deployment, *appsv1.ReplicaSet,
		*appsv1.StatefulSet, *appsv1.DaemonSet, *batchv1.Job, *batchv1.CronJob,
		*corev1.Namespace, *corev1.Service, *networkingv1.NetworkPolicy:
		b.objs = append(b.objs, entry{obj, src})
	}
}

type objKey struct{ kind, ns, name string }

// Build makes the network from the objects added. Objects the API server
// would reject (an invalid selector, CIDR or port) are reported, each as
// an *Error, and left out; the network holds everything else. An object
// given twice (same kind, namespace and name) is kept once, the last one,
// as kubectl apply would leave it, and reported.
func (b *Builder) Build() (*Network, error) {
	n := &Network{nsIndex: map[string]*Namespace{}}
	objs, errs := b.latest()
	// Controller owners, for grouping pods to their top owner.
	owner := map[objKey]objKey{}
	present := map[objKey]bool{}
	for _, e := range objs {
		m, _ := metaOf(e.obj)
		k := objKey{kindOf(e.obj), m.GetNamespace(), m.GetName()}
		present[k] = true
		if c := metav1.GetControllerOf(m); c != nil {
			owner[k] = objKey{c.Kind, m.GetNamespace(), c.Name}
		}
	}
	top := func(k objKey) objKey {
		for range 8 { // owner chains are short; a cycle must not hang
			o, ok := owner[k]
			if !ok {
				return k
			}
			k = o
			if !present[k] {
				return k
			}
		}
		return k
	}
	wl := map[objKey]*Workload{}
	var order []objKey
	for _, e := range objs {
		switch o := e.obj.(type) {
		case *corev1.Namespace:
			ls := copyLabels(o.Labels)
			ls[NamespaceLabel] = o.Name
			ns := &Namespace{Name: o.Name, Labels: ls, Defined: true, Object: o, Source: e.src}
			n.nsIndex[o.Name] = ns
		case *corev1.Service:
			n.Services = append(n.Services, Service{Namespace: o.Namespace, Name: o.Name, Type: o.Spec.Type, Selector: o.Spec.Selector, Source: e.src})
		case *networkingv1.NetworkPolicy:
			p, perr := compilePolicy(o, e.src)
			if perr != nil {
				errs = append(errs, perr)
				continue
			}
			n.Policies = append(n.Policies, p)
		default:
			m, _ := metaOf(e.obj)
			k := objKey{kindOf(e.obj), m.GetNamespace(), m.GetName()}
			t := top(k)
			meta, spec := templateOf(e.obj)
			if spec == nil {
				continue
			}
			w, ok := wl[t]
			if !ok {
				w = &Workload{Namespace: t.ns, Name: t.name, Kind: t.kind}
				wl[t] = w
				order = append(order, t)
			}
			// The top owner's template wins over its pods' and its
			// intermediate owners'; otherwise the first member seen.
			if w.Spec == nil || k == t {
				w.Labels = meta.Labels
				w.Spec = spec
				w.Source = e.src
				w.HostNetwork = spec.HostNetwork
				w.Ports = portsOf(spec)
			}
		}
	}
	for _, k := range order {
		n.Workloads = append(n.Workloads, wl[k])
	}
	sort.SliceStable(n.Workloads, func(i, j int) bool { return n.Workloads[i].String() < n.Workloads[j].String() })
	sort.SliceStable(n.Policies, func(i, j int) bool { return n.Policies[i].String() < n.Policies[j].String() })
	use := func(ns string) {
		if ns == "" || n.nsIndex[ns] != nil {
			return
		}
		n.nsIndex[ns] = &Namespace{Name: ns, Labels: map[string]string{NamespaceLabel: ns}}
	}
	for _, w := range n.Workloads {
		use(w.Namespace)
	}
	for _, p := range n.Policies {
		use(p.Namespace)
	}
	for _, s := range n.Services {
		use(s.Namespace)
	}
	for _, ns := range n.nsIndex {
		n.Namespaces = append(n.Namespaces, ns)
	}
	sort.Slice(n.Namespaces, func(i, j int) bool { return n.Namespaces[i].Name < n.Namespaces[j].Name })
	n.prepare()
	return n, errors.Join(errs...)
}

// Validate reports what Build would, without building the network: the
// objects given twice and the NetworkPolicies the API server would reject.
// A caller that needs only the errors (the network turns out not to be
// wanted) saves most of Build's work.
func (b *Builder) Validate() error {
	objs, errs := b.latest()
	for _, e := range objs {
		if o, ok := e.obj.(*networkingv1.NetworkPolicy); ok {
			if _, perr := compilePolicy(o, e.src); perr != nil {
				errs = append(errs, perr)
			}
		}
	}
	return errors.Join(errs...)
}

// latest returns the objects added, each (kind, namespace, name) once, the
// last one given, in the order added, and a warning for each object given
// again.
func (b *Builder) latest() (objs []entry, errs []error) {
	last := map[objKey]int{}
	for i, e := range b.objs {
		m, err := metaOf(e.obj)
		if err != nil {
			continue
		}
		k := objKey{kindOf(e.obj), m.GetNamespace(), m.GetName()}
		if j, ok := last[k]; ok {
			errs = append(errs, &Error{Source: e.src, Object: k.kind + " " + k.ns + "/" + k.name, Err: fmt.Errorf("defined again (first at %s); the last definition is used", b.objs[j].src), Warning: true})
		}
		last[k] = i
	}
	objs = make([]entry, 0, len(last))
	for i, e := range b.objs {
		m, err := metaOf(e.obj)
		if err != nil {
			continue
		}
		if last[objKey{kindOf(e.obj), m.GetNamespace(), m.GetName()}] == i {
			objs = append(objs, e)
		}
	}
	return objs, errs
}

func copyLabels(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

func metaOf(o runtime.Object) (metav1.Object, error) {
	m, ok := o.(metav1.Object)
	if !ok {
		return nil, errors.New("no metadata")
	}
	return m, nil
}

func kindOf(o runtime.Object) string {
	switch o.(type) {
	case *corev1.Pod:
		return "Pod"
	case *corev1.ReplicationController:
		return "ReplicationController"
	case *appsv1.Deployment:
		return "Deployment"
	case *appsv1.ReplicaSet:
		return "ReplicaSet"
	case *appsv1.StatefulSet:
		return "StatefulSet"
	case *appsv1.DaemonSet:
		return "DaemonSet"
	case *batchv1.Job:
		return "Job"
	case *batchv1.CronJob:
		return "CronJob"
	case *corev1.Namespace:
		return "Namespace"
	case *corev1.Service:
		return "Service"
	case *networkingv1.NetworkPolicy:
		return "NetworkPolicy"
	}
	return o.GetObjectKind().GroupVersionKind().Kind
}

// templateOf returns the pod metadata and spec of a pod or workload.
func templateOf(o runtime.Object) (*metav1.ObjectMeta, *corev1.PodSpec) {
	switch o := o.(type) {
	case *corev1.Pod:
		return &o.ObjectMeta, &o.Spec
	case *corev1.ReplicationController:
		if o.Spec.Template == nil {
			return nil, nil
		}
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *appsv1.Deployment:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *appsv1.ReplicaSet:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *appsv1.StatefulSet:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *appsv1.DaemonSet:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *batchv1.Job:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *batchv1.CronJob:
		return &o.Spec.JobTemplate.Spec.Template.ObjectMeta, &o.Spec.JobTemplate.Spec.Template.Spec
	}
	return nil, nil
}

func portsOf(spec *corev1.PodSpec) []ContainerPort {
	var out []ContainerPort
	add := func(cs []corev1.Container) {
		for _, c := range cs {
			for _, p := range c.Ports {
				proto, ok := ParseProtocol(string(p.Protocol))
				if p.Protocol == "" {
					proto, ok = TCP, true
				}
				if !ok || p.ContainerPort <= 0 || p.ContainerPort > MaxPort {
					continue
				}
				hp := uint32(0)
				if p.HostPort > 0 && p.HostPort <= MaxPort {
					hp = uint32(p.HostPort)
				}
				out = append(out, ContainerPort{Name: p.Name, Protocol: proto, Port: uint32(p.ContainerPort), HostPort: hp})
			}
		}
	}
	add(spec.InitContainers)
	add(spec.Containers)
	return out
}

// compilePolicy checks a policy as the API server's validation would and
// compiles its selectors, blocks and ports.
func compilePolicy(o *networkingv1.NetworkPolicy, src Source) (*Policy, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	p := &Policy{Namespace: o.Namespace, Name: o.Name, Object: o, Source: src}
	sel, err := metav1.LabelSelectorAsSelector(&o.Spec.PodSelector)
	if err != nil {
		bad("spec.podSelector: %v", err)
	}
	p.sel = sel
	if len(o.Spec.PolicyTypes) == 0 {
		p.Ingress = true
		p.Egress = len(o.Spec.Egress) > 0
	}
	for i, t := range o.Spec.PolicyTypes {
		switch t {
		case networkingv1.PolicyTypeIngress:
			p.Ingress = true
		case networkingv1.PolicyTypeEgress:
			p.Egress = true
		default:
			bad("spec.policyTypes[%d]: unsupported value %q (want Ingress or Egress)", i, t)
		}
	}
	if p.Ingress {
		for i, r := range o.Spec.Ingress {
			cr := compileRule(i, r.From, r.Ports, fmt.Sprintf("spec.ingress[%d]", i), "from", bad)
			p.in = append(p.in, cr)
		}
	}
	if p.Egress {
		for i, r := range o.Spec.Egress {
			cr := compileRule(i, r.To, r.Ports, fmt.Sprintf("spec.egress[%d]", i), "to", bad)
			p.out = append(p.out, cr)
		}
	}
	if len(errs) > 0 {
		return nil, &Error{Source: src, Object: "NetworkPolicy " + o.Namespace + "/" + o.Name, Err: errors.Join(errs...)}
	}
	return p, nil
}

func compileRule(index int, peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort, path, peerField string, bad func(string, ...any)) rule {
	r := rule{index: index, any: len(peers) == 0}
	for j, pe := range peers {
		pp := fmt.Sprintf("%s.%s[%d]", path, peerField, j)
		var cp peer
		if pe.IPBlock != nil {
			if pe.PodSelector != nil || pe.NamespaceSelector != nil {
				bad("%s: ipBlock cannot be combined with podSelector or namespaceSelector", pp)
				continue
			}
			ip, err := ipBlockRanges(pe.IPBlock)
			if err != nil {
				bad("%s.ipBlock: %v", pp, err)
				continue
			}
			cp = peer{isIP: true, ip: ip}
		} else {
			if pe.PodSelector == nil && pe.NamespaceSelector == nil {
				bad("%s: must give podSelector, namespaceSelector or ipBlock", pp)
				continue
			}
			if pe.PodSelector != nil {
				s, err := metav1.LabelSelectorAsSelector(pe.PodSelector)
				if err != nil {
					bad("%s.podSelector: %v", pp, err)
					continue
				}
				cp.pod = s
				cp.key = "pod:" + s.String()
			}
			if pe.NamespaceSelector != nil {
				s, err := metav1.LabelSelectorAsSelector(pe.NamespaceSelector)
				if err != nil {
					bad("%s.namespaceSelector: %v", pp, err)
					continue
				}
				cp.ns = s
				cp.key += "\x00ns:" + s.String()
			}
		}
		r.peers = append(r.peers, cp)
	}
	for j, po := range ports {
		pp := fmt.Sprintf("%s.ports[%d]", path, j)
		ps := portSpec{proto: TCP}
		if po.Protocol != nil {
			proto, ok := ParseProtocol(string(*po.Protocol))
			if !ok || string(*po.Protocol) != proto.String() {
				bad("%s.protocol: unsupported value %q (want TCP, UDP or SCTP)", pp, *po.Protocol)
				continue
			}
			ps.proto = proto
		}
		switch {
		case po.Port == nil:
			ps.all = true
			if po.EndPort != nil {
				bad("%s.endPort: may not be given without port", pp)
				continue
			}
		case po.Port.Type == 1: // intstr.String
			ps.name = po.Port.StrVal
			if ps.name == "" {
				bad("%s.port: empty port name", pp)
				continue
			}
			if po.EndPort != nil {
				bad("%s.endPort: may not be given with a named port", pp)
				continue
			}
		default:
			v := po.Port.IntVal
			if v < 1 || v > MaxPort {
				bad("%s.port: %d is not a port (1-65535)", pp, v)
				continue
			}
			ps.lo, ps.hi = uint32(v), uint32(v)
			if po.EndPort != nil {
				e := *po.EndPort
				if e < v || e > MaxPort {
					bad("%s.endPort: %d must be between port (%d) and 65535", pp, e, v)
					continue
				}
				ps.hi = uint32(e)
			}
		}
		r.ports = append(r.ports, ps)
	}
	if len(ports) > 0 && len(r.ports) == 0 {
		// Every port was invalid: the error is reported; keep the rule
		// from meaning "every port".
		r.ports = []portSpec{}
	}
	return r
}

// ipBlockRanges returns the IPv4 addresses of cidr minus except. IPv6
// blocks select no IPv4 address: they are accepted and select nothing.
func ipBlockRanges(b *networkingv1.IPBlock) (Ranges, error) {
	pfx, err := netip.ParsePrefix(b.CIDR)
	if err != nil {
		return nil, fmt.Errorf("cidr %q: %v", b.CIDR, err)
	}
	set := prefixRanges(pfx)
	for i, e := range b.Except {
		ep, err := netip.ParsePrefix(e)
		if err != nil {
			return nil, fmt.Errorf("except[%d] %q: %v", i, e, err)
		}
		if ep.Addr().Is4() != pfx.Addr().Is4() || ep.Bits() < pfx.Bits() || !pfx.Contains(ep.Addr()) {
			return nil, fmt.Errorf("except[%d] %q: must be strictly within cidr %q", i, e, b.CIDR)
		}
		set = set.Subtract(prefixRanges(ep))
	}
	return set, nil
}

func prefixRanges(p netip.Prefix) Ranges {
	if !p.Addr().Is4() {
		return nil
	}
	p = p.Masked()
	a := p.Addr().As4()
	lo := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	hi := lo | uint32(uint64(1)<<(32-p.Bits())-1)
	return Ranges{{lo, hi}}
}
