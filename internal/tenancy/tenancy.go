// Package tenancy judges the isolation of tenants, namespaces or groups of
// namespaces sharing a label value, following the Kubernetes multi-tenancy
// guidance: network isolation proven with the NetworkPolicy engine
// (internal/netpol), policy bypasses (NodePort/LoadBalancer services,
// host networking and host ports), quotas and limit ranges, the Pod
// Security enforce level, and the RBAC scope of each tenant's subjects with
// the RBAC authorizer (internal/rbac). It is pure: objects in, findings
// and a per-tenant summary out.
package tenancy

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/netpol"
	"github.com/kubeward/kubeward/internal/rbac"
)

// RuleFamily is the family of the rules declared here.
const RuleFamily = "tenancy"

// DocURL is the Kubernetes page the rules follow.
const DocURL = "https://kubernetes.io/docs/concepts/security/multi-tenancy/"

// Rule IDs.
const (
	RuleNoDefaultDenyIngress = "tenancy/no-default-deny-ingress"
	RuleNoDefaultDenyEgress  = "tenancy/no-default-deny-egress"
	RuleDNSBlocked           = "tenancy/dns-blocked"
	RuleOpenToAllNamespaces  = "tenancy/open-to-all-namespaces"
	RulePolicyBypass         = "tenancy/policy-bypass"
	RuleNoComputeQuota       = "tenancy/no-compute-quota"
	RuleNoLimitRange         = "tenancy/no-limit-range"
	RulePodSecurity          = "tenancy/pod-security-not-enforced"
	RuleClusterScope         = "tenancy/tenant-cluster-scope"
	RuleCrossTenant          = "tenancy/cross-tenant-access"
	RuleQuotaModify          = "tenancy/tenant-modifies-quota"
	RuleNoSandbox            = "tenancy/no-sandbox-runtime"
	RuleNoNodeIsolation      = "tenancy/no-node-isolation"
	RuleRetainStorage        = "tenancy/shared-storage-retain"
)

// Rules returns the metadata of every tenancy/ rule.
func Rules() []finding.Rule {
	r := func(id, title string, sev finding.Severity, desc, fix string) finding.Rule {
		return finding.Rule{ID: id, Title: title, Severity: sev, Description: desc, Remediation: fix, DocURL: DocURL}
	}
	return []finding.Rule{
		r(RuleNoDefaultDenyIngress, "Tenant namespace without default-deny ingress", finding.SeverityMedium,
			"A tenant namespace has no NetworkPolicy that selects every pod ({} podSelector) for Ingress, so a pod created without its own policy accepts connections from every tenant. The tenancy/ rules judge an input only when two or more namespaces it defines hold NetworkPolicies of their own, or when namespaces carry --tenant-label.",
			"Add a NetworkPolicy with podSelector: {} and policyTypes: [Ingress] to the namespace, then allow what each workload needs."),
		r(RuleNoDefaultDenyEgress, "Tenant namespace without default-deny egress", finding.SeverityLow,
			"A tenant namespace has no NetworkPolicy that selects every pod ({} podSelector) for Egress, so its pods can open connections to every other tenant and outside the cluster.",
			"Add a NetworkPolicy with podSelector: {} and policyTypes: [Egress] that allows DNS (UDP and TCP 53 to kube-system's kube-dns pods), then allow what each workload needs."),
		r(RuleDNSBlocked, "Egress isolation blocks cluster DNS", finding.SeverityLow,
			"Workloads of a tenant are isolated for egress and no egress rule lets them reach the cluster DNS (pods labelled k8s-app=kube-dns in kube-system, UDP 53): name resolution fails.",
			"Add an egress rule to namespace kube-system's pods labelled k8s-app: kube-dns on UDP and TCP port 53."),
		r(RuleOpenToAllNamespaces, "NetworkPolicy opens a tenant to every namespace", finding.SeverityMedium,
			"An ingress rule has a peer with namespaceSelector: {} (and no narrower podSelector), which admits the pods of every namespace, every other tenant's included. It is often written to mean \"this namespace\".",
			"Select the namespaces meant, e.g. namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: NAME}}, or use a podSelector alone for the policy's own namespace."),
		r(RulePolicyBypass, "Traffic that NetworkPolicies do not govern", finding.SeverityMedium,
			"A NodePort or LoadBalancer Service opens a tenant's pods on every node's address, and a pod with hostNetwork or a hostPort is reached through the node's network, where NetworkPolicies are not reliably applied.",
			"Expose tenant workloads through a shared ingress controller with ClusterIP Services; do not use hostNetwork or hostPort in tenant pods."),
		r(RuleNoComputeQuota, "Tenant namespace without a compute ResourceQuota", finding.SeverityMedium,
			"A tenant namespace has no ResourceQuota limiting CPU and memory (cpu, memory, requests.* or limits.*), so one tenant can starve the others. Object counts are checked by rbac/no-object-quota.",
			"Add a ResourceQuota with requests.cpu, requests.memory, limits.cpu and limits.memory, and object counts (pods, services, secrets, configmaps, persistentvolumeclaims)."),
		r(RuleNoLimitRange, "Compute quota without LimitRange defaults", finding.SeverityLow,
			"A ResourceQuota of the namespace limits compute resources, so every pod must state requests or limits, and no LimitRange gives containers defaults: pods without them are rejected.",
			"Add a LimitRange of type Container with default and defaultRequest for cpu and memory."),
		r(RulePodSecurity, "Tenant namespace without Pod Security enforcement", finding.SeverityMedium,
			"A tenant namespace has no pod-security.kubernetes.io/enforce label of baseline or restricted, so its pods may run privileged or share the node's namespaces, escaping tenant isolation.",
			"Label the namespace pod-security.kubernetes.io/enforce: restricted (or baseline at least)."),
		r(RuleClusterScope, "Tenant subject with cluster-scoped permissions", finding.SeverityHigh,
			"A subject bound in a tenant namespace (or one of its service accounts) may act on cluster-scoped resources (namespaces, nodes, persistent volumes, cluster roles and bindings, webhooks), which reach beyond its tenant (Multi-Tenancy Benchmarks CPI-1).",
			"Bind tenant subjects with RoleBindings to namespaced roles only; remove the ClusterRoleBinding that grants them cluster-scoped access."),
		r(RuleCrossTenant, "Tenant subject with access to another tenant", finding.SeverityHigh,
			"A subject of one tenant may read pods or secrets, or create pods, in another tenant's namespace.",
			"Bind each tenant's subjects in its own namespaces only; do not grant tenant subjects cluster-wide namespaced access."),
		r(RuleQuotaModify, "Tenant subject can change its own quota", finding.SeverityHigh,
			"A subject of a tenant may update, patch or delete the ResourceQuota or LimitRange objects of its own namespace, lifting the limits meant to protect other tenants (Multi-Tenancy Benchmarks TI-1).",
			"Give tenant administrators the admin or edit roles, which do not allow writing resourcequotas or limitranges, and no custom role that does."),
		r(RuleNoSandbox, "Tenant workload without the platform's sandboxed runtime", finding.SeverityLow,
			"The input defines RuntimeClasses (the platform offers a sandboxed runtime such as gVisor or Kata Containers) and a tenant workload sets no runtimeClassName, so it shares the node's kernel with other tenants.",
			"Set spec.runtimeClassName of tenant pods to the platform's sandboxed RuntimeClass."),
		r(RuleNoNodeIsolation, "Tenant workload not placed on its tenant's nodes", finding.SeverityLow,
			"Nodes of the input carry a tenant taint (a taint whose key contains \"tenant\", or is --tenant-label) and a tenant workload has neither a toleration for it nor a nodeSelector or node affinity, so it runs on the shared nodes beside other tenants.",
			"Give tenant pods a toleration for their tenant's taint and a nodeSelector or node affinity for their tenant's nodes."),
		r(RuleRetainStorage, "Shared StorageClass retains volumes", finding.SeverityLow,
			"A StorageClass with reclaimPolicy: Retain keeps a volume and its data after its claim is deleted; on a platform shared by tenants the volume may later be bound by, or handed to, another tenant.",
			"Use reclaimPolicy: Delete for StorageClasses tenants share, or give each tenant its own StorageClass."),
	}
}

// Input is what Evaluate judges.
type Input struct {
	Network     *netpol.Network
	Quotas      []Located[*corev1.ResourceQuota]
	LimitRanges []Located[*corev1.LimitRange]
	// RBAC is the authorizer over the input's RBAC objects (with
	// Kubernetes' default policy); nil skips the RBAC checks.
	RBAC *rbac.Index
	// RuntimeClasses, Nodes and StorageClasses are the input's, for the
	// checks beyond the namespace.
	RuntimeClasses []Located[*nodev1.RuntimeClass]
	Nodes          []Located[*corev1.Node]
	StorageClasses []Located[*storagev1.StorageClass]
	// TenantLabel, when set, makes tenants the namespaces carrying this
	// label, grouped by its value; else every defined namespace but
	// Kubernetes' own is a tenant of its own.
	TenantLabel string
	// Rules gives rule metadata (severity, remediation) by ID.
	Rules map[string]finding.Rule
}

// Located is an object with its source.
type Located[T any] struct {
	Object T
	Source netpol.Source
}

// Namespace is one row of the tenancy summary (the JSON section's
// "namespaces" items).
type Namespace struct {
	Namespace string `json:"namespace"`
	Tenant    string `json:"tenant"`
	Workloads int    `json:"workloads"`
	// DefaultDenyIngress/Egress: a policy selecting every pod isolates it.
	DefaultDenyIngress bool `json:"defaultDenyIngress"`
	DefaultDenyEgress  bool `json:"defaultDenyEgress"`
	// DNS: every workload can reach cluster DNS on UDP 53.
	DNS bool `json:"dns"`
	// ReachableFrom and Reaches list the workloads of other tenants that
	// can open connections to this namespace's workloads, and that its
	// workloads can reach (from the engine).
	ReachableFrom []string `json:"reachableFrom"`
	Reaches       []string `json:"reaches"`
	// FromOutside and ToOutside: some address outside the cluster can
	// reach a workload of the namespace, or be reached by one.
	FromOutside bool `json:"fromOutside"`
	ToOutside   bool `json:"toOutside"`
	// OpenToAllNamespaces lists policies with namespaceSelector: {} peers.
	OpenToAllNamespaces []string `json:"openToAllNamespaces"`
	// Bypass lists Services and workloads that NetworkPolicies do not govern.
	Bypass []string `json:"bypass"`
	// ComputeQuota and ObjectQuota: a ResourceQuota limits compute
	// resources, object counts.
	ComputeQuota bool `json:"computeQuota"`
	ObjectQuota  bool `json:"objectQuota"`
	LimitRange   bool `json:"limitRange"`
	// PodSecurity is the enforce label's level, "" when absent.
	PodSecurity string `json:"podSecurity"`
	// Findings counts the tenancy/ findings about the namespace.
	Findings int `json:"findings"`
}

// Section is the "tenancy" member of the JSON report.
type Section struct {
	// Tenants says how tenants were found: "namespace" or "label:KEY".
	Tenants    string      `json:"tenants"`
	Namespaces []Namespace `json:"namespaces"`
}

// systemNamespaces are Kubernetes' own; never tenants.
var systemNamespaces = []string{"kube-system", "kube-public", "kube-node-lease"}

// Active reports whether the input describes tenants worth judging:
// with tenantLabel, a namespace carrying it; without, two or more defined
// tenant namespaces holding NetworkPolicies of their own. An input whose
// policies sit in one namespace is an application or an add-on (its
// namespace and its operator's), not a tenant platform, and judging it
// would only be noise.
func Active(n *netpol.Network, tenantLabel string) bool {
	ts := tenants(n, tenantLabel)
	if tenantLabel != "" {
		return len(ts) > 0
	}
	withPolicies := map[string]bool{}
	for _, p := range n.Policies {
		if _, ok := ts[p.Namespace]; ok {
			withPolicies[p.Namespace] = true
		}
	}
	return len(withPolicies) >= 2
}

// Precheck tells, from a bundle's objects as they come and before its
// network is built, when Active cannot hold: no Namespace object carries
// the tenant label or, without one, fewer than two Namespace objects have
// NetworkPolicies in them. Building the network of a large bundle is the
// costly part of judging it, and most bundles (applications, add-ons) have
// no tenants. When MayBeActive is true, Active decides.
type Precheck struct {
	// TenantLabel is the label Active is given.
	TenantLabel string
	defined     map[string]bool
	labelled    bool
	policies    map[string]bool
}

// Add looks at one object of the bundle; other kinds than Namespace and
// NetworkPolicy are ignored.
func (p *Precheck) Add(obj runtime.Object) {
	switch o := obj.(type) {
	case *corev1.Namespace:
		if slices.Contains(systemNamespaces, o.Name) {
			return
		}
		if p.defined == nil {
			p.defined = map[string]bool{}
		}
		p.defined[o.Name] = true
		// The network gives every namespace the label naming it.
		if _, ok := o.Labels[p.TenantLabel]; ok || p.TenantLabel == netpol.NamespaceLabel {
			p.labelled = true
		}
	case *networkingv1.NetworkPolicy:
		if p.policies == nil {
			p.policies = map[string]bool{}
		}
		p.policies[o.Namespace] = true
	}
}

// MayBeActive is false when Active is false for any network built from
// the objects added; true when it may be true.
func (p *Precheck) MayBeActive() bool {
	if p.TenantLabel != "" {
		return p.labelled
	}
	n := 0
	for ns := range p.policies {
		if p.defined[ns] {
			n++
		}
	}
	return n >= 2
}

// tenants maps tenant namespaces to their tenant.
func tenants(n *netpol.Network, tenantLabel string) map[string]string {
	out := map[string]string{}
	for _, ns := range n.Namespaces {
		if !ns.Defined || slices.Contains(systemNamespaces, ns.Name) {
			continue
		}
		if tenantLabel == "" {
			out[ns.Name] = ns.Name
		} else if v, ok := ns.Labels[tenantLabel]; ok {
			out[ns.Name] = v
		}
	}
	return out
}

var computeKeys = []corev1.ResourceName{"cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"}
var objectKeys = []string{"pods", "services", "secrets", "configmaps", "persistentvolumeclaims"}

// Evaluate judges every tenant namespace and returns the findings and the
// summary (nil when the input is not Active).
func Evaluate(in Input) ([]finding.Finding, *Section) {
	n := in.Network
	if !Active(n, in.TenantLabel) {
		return nil, nil
	}
	tenantOf := tenants(n, in.TenantLabel)
	sec := &Section{Tenants: "namespace"}
	if in.TenantLabel != "" {
		sec.Tenants = "label:" + in.TenantLabel
	}
	var fs []finding.Finding
	rows := map[string]*Namespace{}
	var names []string
	for ns, t := range tenantOf {
		rows[ns] = &Namespace{Namespace: ns, Tenant: t, ReachableFrom: []string{}, Reaches: []string{}, OpenToAllNamespaces: []string{}, Bypass: []string{}}
		names = append(names, ns)
	}
	sort.Strings(names)
	nsObj := map[string]*netpol.Namespace{}
	for _, ns := range n.Namespaces {
		nsObj[ns.Name] = ns
	}
	emit := func(ns, id string, ref finding.ObjectRef, src netpol.Source, msg string) {
		r := in.Rules[id]
		fs = append(fs, finding.Finding{Rule: id, Severity: r.Severity, Object: ref, File: src.File, Line: src.Line, Message: msg, Remediation: r.Remediation})
		if row := rows[ns]; row != nil {
			row.Findings++
		}
	}
	nsRef := func(ns string) finding.ObjectRef {
		return finding.ObjectRef{APIVersion: "v1", Kind: "Namespace", Name: ns}
	}
	// Connectivity across tenants, from the engine.
	tenantOfWorkload := func(i int) (string, bool) {
		t, ok := tenantOf[n.Workloads[i].Namespace]
		return t, ok
	}
	from, to := map[string]map[string]bool{}, map[string]map[string]bool{}
	add := func(m map[string]map[string]bool, k, v string) {
		if m[k] == nil {
			m[k] = map[string]bool{}
		}
		m[k][v] = true
	}
	n.EachPair(func(p netpol.Pair) {
		s, d := n.Workloads[p.Src], n.Workloads[p.Dst]
		ts, sok := tenantOfWorkload(int(p.Src))
		td, dok := tenantOfWorkload(int(p.Dst))
		if sok && dok && ts == td {
			return
		}
		if dok {
			add(from, d.Namespace, s.String())
		}
		if sok {
			add(to, s.Namespace, d.String())
		}
	})
	for i, w := range n.Workloads {
		row := rows[w.Namespace]
		if row == nil {
			continue
		}
		row.Workloads++
		if len(n.Ingress(i)) > 0 {
			row.FromOutside = true
		}
		if len(n.Egress(i)) > 0 {
			row.ToOutside = true
		}
		if w.HostNetwork {
			row.Bypass = append(row.Bypass, w.String()+" hostNetwork")
			emit(w.Namespace, RulePolicyBypass, workloadRef(w), w.Source, fmt.Sprintf("%s uses the node's network (hostNetwork: true): NetworkPolicies do not isolate it", w))
		} else if hp := hostPorts(w); hp != "" {
			row.Bypass = append(row.Bypass, w.String()+" hostPort "+hp)
			emit(w.Namespace, RulePolicyBypass, workloadRef(w), w.Source, fmt.Sprintf("%s binds host port %s: it is reached through the node's address", w, hp))
		}
	}
	for _, s := range n.Services {
		row := rows[s.Namespace]
		if row == nil || (s.Type != corev1.ServiceTypeNodePort && s.Type != corev1.ServiceTypeLoadBalancer) {
			continue
		}
		row.Bypass = append(row.Bypass, "Service "+s.Name+" "+string(s.Type))
		emit(s.Namespace, RulePolicyBypass, finding.ObjectRef{APIVersion: "v1", Kind: "Service", Namespace: s.Namespace, Name: s.Name}, s.Source,
			fmt.Sprintf("Service %s/%s of type %s opens its pods on every node's address", s.Namespace, s.Name, s.Type))
	}
	for _, p := range n.Policies {
		row := rows[p.Namespace]
		if row == nil {
			continue
		}
		if p.SelectsAll() && p.Ingress {
			row.DefaultDenyIngress = true
		}
		if p.SelectsAll() && p.Egress {
			row.DefaultDenyEgress = true
		}
		if r := p.SelectsEveryNamespace(); r >= 0 {
			row.OpenToAllNamespaces = append(row.OpenToAllNamespaces, p.String())
			emit(p.Namespace, RuleOpenToAllNamespaces, finding.ObjectRef{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: p.Namespace, Name: p.Name}, p.Source,
				fmt.Sprintf("spec.ingress[%d] admits the pods of every namespace (namespaceSelector: {})", r))
		}
	}
	dnsLabels := map[string]string{"k8s-app": "kube-dns"}
	for _, name := range names {
		row := rows[name]
		ns := nsObj[name]
		row.DNS = true
		var blocked []string
		for i, w := range n.Workloads {
			if w.Namespace != name || w.HostNetwork {
				continue
			}
			if !n.EgressToPod(i, "kube-system", dnsLabels).Allows(netpol.UDP, 53) {
				row.DNS = false
				blocked = append(blocked, w.String())
			}
		}
		if len(blocked) > 0 {
			emit(name, RuleDNSBlocked, nsRef(name), ns.Source, "cannot reach cluster DNS (kube-system k8s-app=kube-dns, UDP 53): "+strings.Join(blocked, ", "))
		}
		if !row.DefaultDenyIngress {
			emit(name, RuleNoDefaultDenyIngress, nsRef(name), ns.Source, fmt.Sprintf("no NetworkPolicy with podSelector: {} isolates namespace %s for ingress", name))
		}
		if !row.DefaultDenyEgress {
			emit(name, RuleNoDefaultDenyEgress, nsRef(name), ns.Source, fmt.Sprintf("no NetworkPolicy with podSelector: {} isolates namespace %s for egress", name))
		}
		row.ReachableFrom = sortedKeys(from[name])
		row.Reaches = sortedKeys(to[name])
		// Quotas and limit ranges.
		compute := false
		for _, q := range in.Quotas {
			if q.Object.Namespace != name {
				continue
			}
			for k := range q.Object.Spec.Hard {
				if slices.Contains(computeKeys, k) {
					compute = true
					row.ComputeQuota = true
				}
				if slices.Contains(objectKeys, string(k)) || strings.HasPrefix(string(k), "count/") {
					row.ObjectQuota = true
				}
			}
		}
		for _, lr := range in.LimitRanges {
			if lr.Object.Namespace != name {
				continue
			}
			for _, it := range lr.Object.Spec.Limits {
				if it.Type == corev1.LimitTypeContainer && (len(it.Default) > 0 || len(it.DefaultRequest) > 0) {
					row.LimitRange = true
				}
			}
		}
		if !compute {
			emit(name, RuleNoComputeQuota, nsRef(name), ns.Source, fmt.Sprintf("no ResourceQuota limits cpu and memory in namespace %s", name))
		} else if !row.LimitRange {
			emit(name, RuleNoLimitRange, nsRef(name), ns.Source, fmt.Sprintf("a ResourceQuota limits compute in namespace %s but no LimitRange gives containers default requests and limits", name))
		}
		row.PodSecurity = ns.Labels["pod-security.kubernetes.io/enforce"]
		if row.PodSecurity != "baseline" && row.PodSecurity != "restricted" {
			msg := "namespace " + name + " has no pod-security.kubernetes.io/enforce label"
			if row.PodSecurity != "" {
				msg = "namespace " + name + " enforces Pod Security level " + row.PodSecurity
			}
			emit(name, RulePodSecurity, nsRef(name), ns.Source, msg)
		}
	}
	if in.RBAC != nil {
		fs = append(fs, rbacChecks(in, tenantOf, rows, nsRef)...)
	}
	beyondNamespace(in, rows, emit)
	for _, name := range names {
		sec.Namespaces = append(sec.Namespaces, *rows[name])
	}
	return fs, sec
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func workloadRef(w *netpol.Workload) finding.ObjectRef {
	api := "apps/v1"
	switch w.Kind {
	case "Pod", "ReplicationController":
		api = "v1"
	case "Job", "CronJob":
		api = "batch/v1"
	}
	return finding.ObjectRef{APIVersion: api, Kind: w.Kind, Namespace: w.Namespace, Name: w.Name}
}

func hostPorts(w *netpol.Workload) string {
	var ps []string
	for _, p := range w.Ports {
		if p.HostPort != 0 {
			ps = append(ps, fmt.Sprintf("%d/%s", p.HostPort, p.Protocol))
		}
	}
	return strings.Join(ps, ",")
}

// WriteText prints the summary table for people.
func (s *Section) WriteText(w io.Writer, _ bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\nTenancy (tenants: %s)\n", s.Tenants)
	fmt.Fprintln(tw, "NAMESPACE\tTENANT\tWORKLOADS\tDENY-IN\tDENY-OUT\tDNS\tFROM-TENANTS\tTO-TENANTS\tOUTSIDE\tBYPASS\tQUOTA\tLIMITS\tPSA\tFINDINGS")
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	for _, r := range s.Namespaces {
		outside := "-"
		switch {
		case r.FromOutside && r.ToOutside:
			outside = "in+out"
		case r.FromOutside:
			outside = "in"
		case r.ToOutside:
			outside = "out"
		}
		quota := "none"
		switch {
		case r.ComputeQuota && r.ObjectQuota:
			quota = "compute+count"
		case r.ComputeQuota:
			quota = "compute"
		case r.ObjectQuota:
			quota = "count"
		}
		psa := r.PodSecurity
		if psa == "" {
			psa = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%d\t%d\t%s\t%d\t%s\t%s\t%s\t%d\n", r.Namespace, r.Tenant, r.Workloads,
			yn(r.DefaultDenyIngress), yn(r.DefaultDenyEgress), yn(r.DNS), len(r.ReachableFrom), len(r.Reaches), outside,
			len(r.Bypass), quota, yn(r.LimitRange), psa, r.Findings)
	}
	return tw.Flush()
}

// beyondNamespace checks isolation below the namespace: sandboxed
// runtimes, tenant nodes and retained storage.
func beyondNamespace(in Input, rows map[string]*Namespace, emit func(ns, id string, ref finding.ObjectRef, src netpol.Source, msg string)) {
	n := in.Network
	var runtimes []string
	for _, rc := range in.RuntimeClasses {
		runtimes = append(runtimes, rc.Object.Name)
	}
	taints := map[string]bool{}
	for _, nd := range in.Nodes {
		for _, t := range nd.Object.Spec.Taints {
			if strings.Contains(strings.ToLower(t.Key), "tenant") || (in.TenantLabel != "" && t.Key == in.TenantLabel) {
				taints[t.Key] = true
			}
		}
	}
	for _, w := range n.Workloads {
		if rows[w.Namespace] == nil || w.Spec == nil {
			continue
		}
		if len(runtimes) > 0 && (w.Spec.RuntimeClassName == nil || !slices.Contains(runtimes, *w.Spec.RuntimeClassName)) {
			emit(w.Namespace, RuleNoSandbox, workloadRef(w), w.Source, fmt.Sprintf("%s sets no runtimeClassName of the platform's (%s)", w, strings.Join(runtimes, ", ")))
		}
		if len(taints) > 0 && !placed(w.Spec, taints) {
			emit(w.Namespace, RuleNoNodeIsolation, workloadRef(w), w.Source, fmt.Sprintf("%s tolerates no tenant taint (%s) and selects no nodes: it runs on shared nodes", w, strings.Join(sortedKeys(taints), ", ")))
		}
	}
	first := ""
	for ns := range rows {
		if first == "" || ns < first {
			first = ns
		}
	}
	for _, sc := range in.StorageClasses {
		if sc.Object.ReclaimPolicy != nil && *sc.Object.ReclaimPolicy == corev1.PersistentVolumeReclaimRetain {
			emit("", RuleRetainStorage, finding.ObjectRef{APIVersion: "storage.k8s.io/v1", Kind: "StorageClass", Name: sc.Object.Name}, sc.Source,
				fmt.Sprintf("StorageClass %s retains released volumes (reclaimPolicy: Retain) on a platform shared by tenants", sc.Object.Name))
		}
	}
}

// placed reports whether a pod spec tolerates one of the tenant taints
// and chooses its nodes (nodeSelector or required node affinity).
func placed(spec *corev1.PodSpec, taints map[string]bool) bool {
	tolerates := false
	for _, t := range spec.Tolerations {
		if taints[t.Key] || (t.Key == "" && t.Operator == corev1.TolerationOpExists) {
			tolerates = true
		}
	}
	selects := len(spec.NodeSelector) > 0 ||
		(spec.Affinity != nil && spec.Affinity.NodeAffinity != nil && spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil)
	return tolerates && selects
}
