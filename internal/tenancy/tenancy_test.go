package tenancy

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/netpol"
	"github.com/kubeward/kubeward/internal/rbac"
)

func rulesByID() map[string]finding.Rule {
	m := map[string]finding.Rule{}
	for _, r := range Rules() {
		m[r.ID] = r
	}
	return m
}

func ns(name string, ls map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: ls}}
}

func pod(namespace, name string, ls map[string]string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: ls}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}}
}

// defaultDeny isolates every pod of namespace for both directions,
// allowing DNS when dns is set.
func defaultDeny(namespace string, dns bool) *networkingv1.NetworkPolicy {
	p := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "default-deny"},
		Spec:       networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}},
	}
	if dns {
		udp := corev1.ProtocolUDP
		p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{
			To:    []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{netpol.NamespaceLabel: "kube-system"}}}},
			Ports: []networkingv1.NetworkPolicyPort{{Protocol: &udp}},
		}}
	}
	return p
}

type fixture struct {
	net    []runtime.Object
	quotas []*corev1.ResourceQuota
	lrs    []*corev1.LimitRange
	rbac   []runtime.Object
	label  string
}

func (f fixture) run(t *testing.T) ([]finding.Finding, *Section) {
	t.Helper()
	var b netpol.Builder
	for i, o := range f.net {
		b.Add(o, netpol.Source{File: "in.yaml", Line: i + 1})
	}
	n, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	in := Input{Network: n, TenantLabel: f.label, Rules: rulesByID()}
	for _, q := range f.quotas {
		in.Quotas = append(in.Quotas, Located[*corev1.ResourceQuota]{Object: q})
	}
	for _, l := range f.lrs {
		in.LimitRanges = append(in.LimitRanges, Located[*corev1.LimitRange]{Object: l})
	}
	if f.rbac != nil {
		p, err := rbac.NewPolicyWithDefaults()
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range f.rbac {
			p.Add(o, rbac.Source{File: "rbac.yaml", Line: 1})
		}
		in.RBAC = rbac.NewIndex(p, rbac.Options{Aggregate: true})
	}
	return Evaluate(in)
}

func ruleSet(fs []finding.Finding) map[string][]string {
	out := map[string][]string{}
	for _, f := range fs {
		key := f.Object.Namespace
		if f.Object.Kind == "Namespace" {
			key = f.Object.Name
		}
		out[f.Rule] = append(out[f.Rule], key)
	}
	return out
}

func TestQuietOnApplications(t *testing.T) {
	// Two namespaces but no NetworkPolicy: an application, not judged.
	fs, sec := fixture{net: []runtime.Object{ns("a", nil), ns("b", nil), pod("a", "p", nil)}}.run(t)
	if fs != nil || sec != nil {
		t.Errorf("judged an application: %v", fs)
	}
	// One namespace with a policy: still not a tenant platform.
	fs, sec = fixture{net: []runtime.Object{ns("a", nil), defaultDeny("a", true)}}.run(t)
	if fs != nil || sec != nil {
		t.Errorf("judged one namespace: %v", fs)
	}
}

func TestIsolation(t *testing.T) {
	restricted := map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}
	quota := func(namespace string) *corev1.ResourceQuota {
		return &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "q"}, Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{
			"requests.cpu": resource.MustParse("1"), "pods": resource.MustParse("10"),
		}}}
	}
	lr := &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Namespace: "good", Name: "l"}, Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
		Type: corev1.LimitTypeContainer, DefaultRequest: corev1.ResourceList{"cpu": resource.MustParse("100m")},
	}}}}
	open := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "open", Name: "all-ns"},
		Spec: networkingv1.NetworkPolicySpec{Ingress: []networkingv1.NetworkPolicyIngressRule{{
			From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}},
		}}},
	}
	hostNet := pod("open", "agent", nil)
	hostNet.Spec.HostNetwork = true
	f := fixture{
		net: []runtime.Object{
			ns("good", restricted), ns("open", nil), ns("nodns", restricted),
			pod("good", "web", nil), pod("open", "api", nil), hostNet, pod("nodns", "job", nil),
			defaultDeny("good", true), open, defaultDeny("nodns", false),
			&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "open", Name: "np"}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort}},
		},
		quotas: []*corev1.ResourceQuota{quota("good"), quota("nodns")},
		lrs:    []*corev1.LimitRange{lr},
	}
	fs, sec := f.run(t)
	want := map[string][]string{
		RuleDNSBlocked:          {"nodns"},
		RuleNoLimitRange:        {"nodns"},
		RuleOpenToAllNamespaces: {"open"},
		RulePolicyBypass:        {"open", "open"},
		RuleNoDefaultDenyEgress: {"open"},
		RuleNoComputeQuota:      {"open"},
		RulePodSecurity:         {"open"},
	}
	if d := cmp.Diff(want, ruleSet(fs)); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
	rows := map[string]Namespace{}
	for _, r := range sec.Namespaces {
		rows[r.Namespace] = r
	}
	g, o := rows["good"], rows["open"]
	if !g.DefaultDenyIngress || !g.DefaultDenyEgress || !g.DNS || !g.ComputeQuota || !g.ObjectQuota || !g.LimitRange || g.PodSecurity != "restricted" || g.Findings != 0 {
		t.Errorf("good: %+v", g)
	}
	if len(g.ReachableFrom) != 0 || len(g.Reaches) != 0 {
		t.Errorf("good is isolated, got from %v to %v", g.ReachableFrom, g.Reaches)
	}
	// open/api accepts every namespace's pods, but good and nodns may not
	// send: only open's own agent (same tenant) does. No other tenant can
	// reach it; it reaches nobody isolated.
	if diff := cmp.Diff([]string{}, o.ReachableFrom); diff != "" {
		t.Errorf("open reachable from: %s", diff)
	}
	// all-ns selects every pod for ingress (so open counts as isolated,
	// its opening reported by open-to-all-namespaces) and admits pods
	// only, no address outside.
	if !o.DefaultDenyIngress || o.FromOutside || !o.ToOutside || len(o.Bypass) != 2 {
		t.Errorf("open: %+v", o)
	}
	var text strings.Builder
	if err := sec.WriteText(&text, false); err != nil || !strings.Contains(text.String(), "good       good    1          yes") {
		t.Errorf("text: %v\n%s", err, text.String())
	}
}

func TestRBACScope(t *testing.T) {
	rb := func(namespace, name, role, kind string, subj rbacv1.Subject) *rbacv1.RoleBinding {
		return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: role}, Subjects: []rbacv1.Subject{subj}}
	}
	alice := rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"}
	bob := rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "bob"}
	carol := rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "carol"}
	quotaWriter := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: "b", Name: "quota-writer"}, Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"resourcequotas"}, Verbs: []string{"update"}}}}
	f := fixture{
		net: []runtime.Object{ns("a", nil), ns("b", nil), defaultDeny("a", true), defaultDeny("b", true)},
		rbac: []runtime.Object{
			rb("a", "alice-admin", "admin", "ClusterRole", alice), // fine: admin in its own namespace
			&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "alice-view"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"}, Subjects: []rbacv1.Subject{alice}},
			rb("b", "bob-edit", "edit", "ClusterRole", bob),
			quotaWriter, rb("b", "bob-quota", "quota-writer", "Role", bob),
			rb("b", "carol", "edit", "ClusterRole", carol),
			&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "carol-admin"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"}, Subjects: []rbacv1.Subject{carol}},
		},
	}
	fs, _ := f.run(t)
	got := map[string][]string{}
	for _, x := range fs {
		if strings.HasPrefix(x.Rule, RuleFamily+"/tenant-") || x.Rule == RuleCrossTenant {
			got[x.Rule] = append(got[x.Rule], x.Message)
		}
	}
	want := map[string][]string{
		RuleCrossTenant: {
			"User::alice (tenant a) may list pods in b",
			"User::carol (tenant b) may get secrets in a, list pods in a, create pods in a",
		},
		RuleClusterScope: {"User::carol (tenant b) may create namespaces, list nodes, list persistentvolumes, create clusterrolebindings.rbac.authorization.k8s.io, update validatingwebhookconfigurations.admissionregistration.k8s.io"},
		RuleQuotaModify:  {"User::bob (tenant b) may update resourcequotas in b", "User::carol (tenant b) may update resourcequotas in b, delete resourcequotas in b, update limitranges in b"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("RBAC findings (-want +got):\n%s", d)
	}
}

func TestBeyondNamespace(t *testing.T) {
	gvisor := "gvisor"
	sandboxed := pod("a", "sandboxed", nil)
	sandboxed.Spec.RuntimeClassName = &gvisor
	sandboxed.Spec.NodeSelector = map[string]string{"tenant": "a"}
	sandboxed.Spec.Tolerations = []corev1.Toleration{{Key: "example.com/tenant", Operator: corev1.TolerationOpEqual, Value: "a"}}
	retain := corev1.PersistentVolumeReclaimRetain
	f := fixture{net: []runtime.Object{ns("a", nil), ns("b", nil), defaultDeny("a", true), defaultDeny("b", true), sandboxed, pod("b", "plain", nil)}}
	var b netpol.Builder
	for _, o := range f.net {
		b.Add(o, netpol.Source{})
	}
	n, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	fs, _ := Evaluate(Input{
		Network: n, Rules: rulesByID(),
		RuntimeClasses: []Located[*nodev1.RuntimeClass]{{Object: &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "gvisor"}, Handler: "runsc"}}},
		Nodes:          []Located[*corev1.Node]{{Object: &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}, Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: "example.com/tenant", Value: "a", Effect: corev1.TaintEffectNoSchedule}}}}}},
		StorageClasses: []Located[*storagev1.StorageClass]{{Object: &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "keep"}, ReclaimPolicy: &retain}}},
	})
	got := map[string][]string{}
	for _, x := range fs {
		switch x.Rule {
		case RuleNoSandbox, RuleNoNodeIsolation, RuleRetainStorage:
			got[x.Rule] = append(got[x.Rule], x.Object.Namespace+"/"+x.Object.Name)
		}
	}
	want := map[string][]string{
		RuleNoSandbox:       {"b/plain"},
		RuleNoNodeIsolation: {"b/plain"},
		RuleRetainStorage:   {"/keep"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// TestPrecheckNeverHidesActive builds random bundles of namespaces (some
// system, some labelled, some defined twice with other labels), policies
// (some the API server rejects) and pods, and checks that whenever
// Precheck says the bundle cannot be active, Active on the built network
// agrees; and that Precheck lets through bundles that are active.
func TestPrecheckNeverHidesActive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	names := []string{"a", "b", "c", "kube-system", "default"}
	labels := []string{"", "tenant", netpol.NamespaceLabel}
	var active, activeUnlabelled, skipped int
	for range 10000 {
		var objs []runtime.Object
		for range rng.IntN(10) {
			name := names[rng.IntN(len(names))]
			switch rng.IntN(4) {
			case 0:
				objs = append(objs, ns(name, nil))
			case 1:
				objs = append(objs, ns(name, map[string]string{"tenant": "t-" + name}))
			case 2:
				p := defaultDeny(name, rng.IntN(2) == 0)
				if rng.IntN(4) == 0 {
					p.Spec.PodSelector.MatchLabels = map[string]string{"bad key!": "x"}
				}
				objs = append(objs, p)
			default:
				objs = append(objs, pod(name, "p", map[string]string{"app": "x"}))
			}
		}
		label := labels[rng.IntN(len(labels))]
		pre := Precheck{TenantLabel: label}
		var b netpol.Builder
		for i, o := range objs {
			pre.Add(o)
			b.Add(o, netpol.Source{File: "t.yaml", Line: i + 1})
		}
		n, _ := b.Build()
		got := Active(n, label)
		if got && label == "" {
			activeUnlabelled++
		} else if got {
			active++
		}
		if !pre.MayBeActive() {
			skipped++
			if got {
				t.Fatalf("label %q, objects %s: Precheck says inactive, Active says active", label, describe(objs))
			}
		}
	}
	if active < 100 || activeUnlabelled < 50 || skipped < 100 {
		t.Fatalf("weak test: %d active bundles with a tenant label, %d without, %d skipped by Precheck (of 10000)", active, activeUnlabelled, skipped)
	}
}

func describe(objs []runtime.Object) string {
	var parts []string
	for _, o := range objs {
		m := o.(metav1.Object)
		parts = append(parts, fmt.Sprintf("%T %s/%s %v", o, m.GetNamespace(), m.GetName(), m.GetLabels()))
	}
	return strings.Join(parts, "; ")
}
