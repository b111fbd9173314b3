package rbac

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubeward/kubeward/internal/finding"
)

// capability is a dangerous permission a rule can grant.
type capability int

const (
	capSecretsRead capability = iota
	capWorkloadCreate
	capPVCreate
	capNodesProxy
	capEscalate
	capBind
	capImpersonate
	capCSRApproval
	capSignerApprove
	capCSRCreate
	capTokenRequest
	capWebhookConfig
	capPodExec
	// capQuotaCreate: create on a resource whose objects a ResourceQuota
	// can count (see quotaCountable).
	capQuotaCreate
	numCaps
)

// probe is a request shape: any of verbs on any of resources (group,
// resource, subresource) grants the capability. Resource names are ignored
// here: a rule limited to names still grants the capability for those
// names (rules that lower the severity of such grants look at them, see
// namedOnly).
type probe struct {
	verbs     []string
	resources [][3]string
	// clusterScoped capabilities only count through ClusterRoleBindings:
	// requests for cluster-scoped resources carry no namespace, so a
	// RoleBinding never applies to them.
	clusterScoped bool
	what          string
}

var probes = [numCaps]probe{
	capSecretsRead:    {verbs: []string{"get", "list", "watch"}, resources: [][3]string{{"", "secrets", ""}}, what: "read Secrets"},
	capWorkloadCreate: {verbs: []string{"create"}, resources: [][3]string{{"", "pods", ""}, {"", "replicationcontrollers", ""}, {"apps", "deployments", ""}, {"apps", "replicasets", ""}, {"apps", "statefulsets", ""}, {"apps", "daemonsets", ""}, {"batch", "jobs", ""}, {"batch", "cronjobs", ""}}, what: "create workloads"},
	capPVCreate:       {verbs: []string{"create"}, resources: [][3]string{{"", "persistentvolumes", ""}}, clusterScoped: true, what: "create PersistentVolumes"},
	capNodesProxy:     {verbs: []string{"get", "create", "update", "patch", "delete"}, resources: [][3]string{{"", "nodes", "proxy"}}, clusterScoped: true, what: "use nodes/proxy"},
	capEscalate:       {verbs: []string{"escalate"}, resources: [][3]string{{"rbac.authorization.k8s.io", "roles", ""}, {"rbac.authorization.k8s.io", "clusterroles", ""}}, what: "escalate roles"},
	capBind:           {verbs: []string{"bind"}, resources: [][3]string{{"rbac.authorization.k8s.io", "roles", ""}, {"rbac.authorization.k8s.io", "clusterroles", ""}}, what: "bind roles"},
	capImpersonate:    {verbs: []string{"impersonate"}, resources: [][3]string{{"", "users", ""}, {"", "groups", ""}, {"", "serviceaccounts", ""}, {"authentication.k8s.io", "uids", ""}, {"authentication.k8s.io", "userextras", "*any*"}}, what: "impersonate"},
	capCSRApproval:    {verbs: []string{"update", "patch"}, resources: [][3]string{{"certificates.k8s.io", "certificatesigningrequests", "approval"}}, clusterScoped: true, what: "update certificatesigningrequests/approval"},
	capSignerApprove:  {verbs: []string{"approve"}, resources: [][3]string{{"certificates.k8s.io", "signers", ""}}, clusterScoped: true, what: "approve for signers"},
	capCSRCreate:      {verbs: []string{"create"}, resources: [][3]string{{"certificates.k8s.io", "certificatesigningrequests", ""}}, clusterScoped: true, what: "create certificatesigningrequests"},
	capTokenRequest:   {verbs: []string{"create"}, resources: [][3]string{{"", "serviceaccounts", "token"}}, what: "create service account tokens"},
	capWebhookConfig:  {verbs: []string{"create", "update", "patch", "delete", "deletecollection"}, resources: [][3]string{{"admissionregistration.k8s.io", "validatingwebhookconfigurations", ""}, {"admissionregistration.k8s.io", "mutatingwebhookconfigurations", ""}}, clusterScoped: true, what: "write admission webhook configurations"},
	capPodExec:        {verbs: []string{"create"}, resources: [][3]string{{"", "pods", "exec"}, {"", "pods", "attach"}, {"", "pods", "portforward"}}, what: "exec into, attach to or port-forward Pods"},
}

// podExecCreateOnlyMinor is the first Kubernetes minor version (v1.35) in
// which exec, attach and port-forward over WebSocket need create on the
// subresource, not only get: the AuthorizePodWebsocketUpgradeCreatePermission
// feature gate, beta and on by default since v1.35 (kubernetes/kubernetes
// pull request 134577; KEP-4006). Before, the WebSocket upgrade (an HTTP
// GET) was authorized as get alone, so get on pods/exec allowed exec.
const podExecCreateOnlyMinor = 35

// probesFor returns the probe table for Kubernetes v1.minor (0: the newest).
func probesFor(minor int) *[numCaps]probe {
	t := probes
	if minor > 0 && minor < podExecCreateOnlyMinor {
		pe := t[capPodExec]
		pe.verbs = []string{"create", "get"}
		t[capPodExec] = pe
	}
	return &t
}

// ruleHas reports whether rule grants probe p, ignoring resource names.
func ruleHas(rule *rbacv1.PolicyRule, p *probe) bool {
	if len(rule.Resources) == 0 {
		return false
	}
	for _, v := range p.verbs {
		if !verbMatches(rule.Verbs, v) {
			continue
		}
		for _, r := range p.resources {
			if !apiGroupMatches(rule.APIGroups, r[0]) {
				continue
			}
			if r[2] == "*any*" { // any subresource of r[1]
				for _, rr := range rule.Resources {
					if rr == "*" || strings.HasPrefix(rr, r[1]+"/") || strings.HasPrefix(rr, "*/") {
						return true
					}
				}
				continue
			}
			if resourceMatches(rule.Resources, r[1], r[2]) {
				return true
			}
		}
	}
	return false
}

// probeTargets names the probe's resources the rules idx of r grant, e.g.
// "pods, deployments.apps" or "users, groups".
func probeTargets(r *Role, idx []int, p *probe) string {
	var out []string
	for _, res := range p.resources {
		one := probe{verbs: p.verbs, resources: [][3]string{res}}
		for _, i := range idx {
			if ruleHas(&r.Rules[i], &one) {
				name := res[1]
				if res[0] != "" {
					name += "." + res[0]
				}
				if res[2] != "" && res[2] != "*any*" {
					name += "/" + res[2]
				}
				out = append(out, name)
				break
			}
		}
	}
	return strings.Join(out, ", ")
}

// roleCaps is, per capability, the indexes of the role's rules granting it.
type roleCaps [numCaps][]int

func capsOf(r *Role, probes *[numCaps]probe) *roleCaps {
	var c roleCaps
	for i := range r.Rules {
		rule := &r.Rules[i]
		for cp := capability(0); cp < capQuotaCreate; cp++ {
			if ruleHas(rule, &probes[cp]) {
				c[cp] = append(c[cp], i)
			}
		}
		if createsCountable(rule) {
			c[capQuotaCreate] = append(c[capQuotaCreate], i)
		}
	}
	return &c
}

// namedOnly reports whether every rule idx of r is limited by
// resourceNames, and returns the names, in order, without repeats.
func namedOnly(r *Role, idx []int) (bool, []string) {
	var names []string
	for _, i := range idx {
		if len(r.Rules[i].ResourceNames) == 0 {
			return false, nil
		}
		for _, n := range r.Rules[i].ResourceNames {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return len(idx) > 0, names
}

// namedSeverity is the severity of rbac/secrets-read and rbac/token-request
// findings whose every granting rule is limited by resourceNames.
const namedSeverity = finding.SeverityLow

// riskRuleOf maps capabilities reported per binding to their rule.
var riskRuleOf = []struct {
	cap  capability
	rule string
}{
	{capSecretsRead, RuleSecretsRead},
	{capWorkloadCreate, RuleWorkloadCreate},
	{capPVCreate, RulePVCreate},
	{capNodesProxy, RuleNodesProxy},
	{capEscalate, RuleEscalate},
	{capBind, RuleBind},
	{capImpersonate, RuleImpersonate},
	{capTokenRequest, RuleTokenRequest},
	{capWebhookConfig, RuleWebhookConfig},
	{capPodExec, RulePodExec},
}

// RiskOptions tune Risks. The zero value judges the policy for the newest
// Kubernetes version kubeward knows.
type RiskOptions struct {
	// KnownClusterRoles names ClusterRoles that exist although they are not
	// in the policy (the default policy's, when it was not loaded), so that
	// bindings to them are not reported as dangling.
	KnownClusterRoles map[string]bool
	// KubernetesMinor is N of the Kubernetes version v1.N the policy is
	// judged for, with that version's default feature gates; 0 means the
	// newest (the version of internal/rbac/bootstrap). It decides, for
	// rbac/pod-exec, whether get on pods/exec still allows exec (before
	// v1.35) or only create does (v1.35 and later).
	KubernetesMinor int
}

// FormatSubject renders a subject as Kind:namespace:name (the namespace
// empty for users and groups), the form of finding.Finding.Subjects.
func FormatSubject(s rbacv1.Subject) string {
	return s.Kind + ":" + s.Namespace + ":" + s.Name
}

// Risks evaluates every rbac/ rule over the policy and returns the findings,
// ordered by object (kind, namespace, name) then rule. Objects of the
// default policy (Source.Default) are not reported, but the permissions of
// default roles are: a user's binding to the default "edit" role lets its
// subjects read Secrets.
//
// A finding's Severity is its rule's, except where the rule's description
// says a finding is lowered (rbac/secrets-read and rbac/token-request
// limited by resourceNames, rbac/sa-token-automount for tokens whose
// permissions come only from default roles bound to their groups): rules
// may lower the severity of one finding, never raise it. Every finding has a location when its object or the
// object that caused it has one.
func (ix *Index) Risks(opts RiskOptions) []finding.Finding {
	probes := probesFor(opts.KubernetesMinor)
	rules := map[string]finding.Rule{}
	for _, r := range Rules() {
		rules[r.ID] = r
	}
	var out []finding.Finding
	caps := map[*Role]*roleCaps{}
	capsFor := func(r *Role) *roleCaps {
		c, ok := caps[r]
		if !ok {
			c = capsOf(r, probes)
			caps[r] = c
		}
		return c
	}
	emit := func(ruleID string, sev finding.Severity, obj finding.ObjectRef, src Source, msg string, subjects, grants []string) {
		rule := rules[ruleID]
		if sev == "" || sev.Rank() > rule.Severity.Rank() {
			sev = rule.Severity
		}
		out = append(out, finding.Finding{
			Rule: ruleID, Severity: sev, Object: obj, File: src.File, Line: src.Line,
			Message: msg, Remediation: rule.Remediation, Subjects: subjects, Grants: grants,
		})
	}
	saKnown, saNamespaces := ix.serviceAccountSets()
	for bi := range ix.bindings {
		b := &ix.bindings[bi]
		if b.Source.Default {
			continue
		}
		obj := finding.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: b.Key.Kind, Namespace: b.Key.Namespace, Name: b.Key.Name}
		subjects := make([]string, 0, len(b.Subjects))
		names := make([]string, 0, len(b.Subjects))
		for _, s := range b.Subjects {
			if s.Kind == rbacv1.ServiceAccountKind && s.Namespace == "" {
				s.Namespace = b.Key.Namespace
			}
			subjects = append(subjects, FormatSubject(s))
			if s.Namespace != "" {
				names = append(names, s.Kind+" "+s.Namespace+"/"+s.Name)
			} else {
				names = append(names, s.Kind+" "+s.Name)
			}
		}
		who := strings.Join(names, ", ")
		if who == "" {
			who = "no subject"
		}
		scope := "cluster-wide"
		if b.Key.Kind == "RoleBinding" {
			scope = "in namespace " + b.Key.Namespace
		}
		// Subject-level rules.
		for _, s := range b.Subjects {
			switch {
			case s.Kind == rbacv1.GroupKind && s.Name == GroupMasters:
				emit(RuleSystemMasters, "", obj, b.Source, fmt.Sprintf("%s %s names the group system:masters, whose members bypass authorization", b.Key.Kind, b.Key.Name), subjects, nil)
			case (s.Kind == rbacv1.GroupKind && s.Name == GroupUnauthenticated) || (s.Kind == rbacv1.UserKind && s.Name == UserAnonymous):
				emit(RuleUnauthenticatedBinding, "", obj, b.Source, fmt.Sprintf("%s %s grants %s %s to %s %s, that is to anyone without credentials", b.Key.Kind, b.Key.Name, b.RoleRef.Kind, b.RoleRef.Name, s.Kind, s.Name), subjects, nil)
			case s.Kind == rbacv1.ServiceAccountKind:
				ns := s.Namespace
				if ns == "" {
					ns = b.Key.Namespace
				}
				// The service account controller creates "default" in
				// every namespace, so a binding to it never dangles.
				if ns != "" && s.Name != "default" && (ix.policy.ServiceAccountsListed || saNamespaces[ns]) && !saKnown[ns+"/"+s.Name] {
					emit(RuleDanglingSubject, "", obj, b.Source, fmt.Sprintf("%s %s names ServiceAccount %s/%s, which does not exist", b.Key.Kind, b.Key.Name, ns, s.Name), subjects, nil)
				}
			}
		}
		// cluster-admin allows everything: one finding says it all, and the
		// permission findings below are not repeated for it.
		clusterAdmin := b.RoleRef.Kind == "ClusterRole" && b.RoleRef.Name == "cluster-admin"
		if clusterAdmin {
			emit(RuleClusterAdminBinding, "", obj, b.Source, fmt.Sprintf("%s %s grants cluster-admin %s to %s", b.Key.Kind, b.Key.Name, scope, who), subjects, []string{b.Key.String() + " → ClusterRole/cluster-admin"})
		}
		if b.Role == nil {
			if !(b.RoleRef.Kind == "ClusterRole" && opts.KnownClusterRoles[b.RoleRef.Name]) {
				emit(RuleDanglingRoleRef, "", obj, b.Source, fmt.Sprintf("%s %s refers to %s %s, which does not exist", b.Key.Kind, b.Key.Name, b.RoleRef.Kind, b.RoleRef.Name), subjects, nil)
			}
			continue
		}
		if len(b.Subjects) == 0 || clusterAdmin {
			continue
		}
		c := capsFor(b.Role)
		grants := func(idx []int) []string {
			g := make([]string, 0, len(idx))
			for i, ri := range idx {
				if slices.Contains(idx[:i], ri) {
					continue
				}
				g = append(g, fmt.Sprintf("%s → %s → rules[%d]", b.Key, b.Role.Key, ri))
			}
			return g
		}
		for _, rr := range riskRuleOf {
			idx := c[rr.cap]
			if len(idx) == 0 || (probes[rr.cap].clusterScoped && b.Key.Kind == "RoleBinding") {
				continue
			}
			what := probes[rr.cap].what
			if targets := probeTargets(b.Role, idx, &probes[rr.cap]); len(probes[rr.cap].resources) > 1 && targets != "" {
				what += " (" + targets + ")"
			}
			msg := fmt.Sprintf("%s can %s %s through %s %s", who, what, scope, b.Role.Key.Kind, b.Role.Key.Name)
			var sev finding.Severity
			switch rr.cap {
			case capWorkloadCreate:
				where := "every namespace"
				if b.Key.Kind == "RoleBinding" {
					where = "the namespace"
				}
				msg += ", and so mount any Secret and run as any ServiceAccount of " + where
			case capSecretsRead, capTokenRequest:
				if named, names := namedOnly(b.Role, idx); named {
					sev = namedSeverity
					msg += ", limited by resourceNames to " + strings.Join(names, ", ") + " (low severity: no others)"
				}
			case capPodExec:
				if opts.KubernetesMinor > 0 && opts.KubernetesMinor < podExecCreateOnlyMinor {
					msg += fmt.Sprintf(" (before Kubernetes v1.%d, get is enough: exec over WebSocket is authorized as get)", podExecCreateOnlyMinor)
				}
			}
			emit(rr.rule, sev, obj, b.Source, msg, subjects, grants(idx))
		}
		if b.Key.Kind == "ClusterRoleBinding" && len(c[capCSRApproval]) > 0 && len(c[capSignerApprove]) > 0 {
			idx := append(append([]int{}, c[capCSRApproval]...), c[capSignerApprove]...)
			extra := ""
			if len(c[capCSRCreate]) > 0 {
				idx = append(idx, c[capCSRCreate]...)
				extra = ", and can create them, so can issue itself client certificates"
			}
			emit(RuleCSRApprove, "", obj, b.Source, fmt.Sprintf("%s can approve certificate signing requests through %s %s%s", who, b.Role.Key.Kind, b.Role.Key.Name, extra), subjects, grants(idx))
		}
		if b.Key.Kind == "ClusterRoleBinding" && onlyNamespaced(b.Role.Rules) {
			emit(RuleCouldBeNamespaced, "", obj, b.Source, fmt.Sprintf("ClusterRoleBinding %s grants %s %s, whose rules only name namespaced resources, in every namespace", b.Key.Name, b.Role.Key.Kind, b.Role.Key.Name), subjects, nil)
		}
	}
	// Wildcards are a property of the role; report each used role once.
	for _, r := range ix.sortedRoles() {
		if r.Source.Default {
			continue
		}
		var idx []int
		for i := range r.Rules {
			if hasWildcard(&r.Rules[i]) {
				idx = append(idx, i)
			}
		}
		if len(idx) == 0 {
			continue
		}
		g := make([]string, len(idx))
		for i, ri := range idx {
			g[i] = fmt.Sprintf("%s → rules[%d]", r.Key, ri)
		}
		apiVersion := "rbac.authorization.k8s.io/v1"
		emit(RuleWildcard, "", finding.ObjectRef{APIVersion: apiVersion, Kind: r.Key.Kind, Namespace: r.Key.Namespace, Name: r.Key.Name}, r.Source,
			fmt.Sprintf("%s %s uses * in verbs, resources or apiGroups (%s)", r.Key.Kind, r.Key.Name, plural(len(idx), "rule")), ix.boundSubjects(r), g)
	}
	ix.csrApproveAcrossBindings(emit, capsFor)
	ix.automountRisks(emit)
	ix.quotaRisks(emit, capsFor)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := &out[i].Object, &out[j].Object
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return out[i].Rule < out[j].Rule
	})
	return out
}

func hasWildcard(r *rbacv1.PolicyRule) bool {
	return contains(r.Verbs, "*") || contains(r.Resources, "*") || contains(r.APIGroups, "*")
}

// namespacedResources are the built-in namespaced resources; rules naming
// anything else (cluster-scoped or unknown, e.g. custom resources) are not
// known to be namespaced.
var namespacedResources = map[string]bool{
	"pods": true, "services": true, "configmaps": true, "secrets": true, "serviceaccounts": true,
	"endpoints": true, "events": true, "persistentvolumeclaims": true, "replicationcontrollers": true,
	"resourcequotas": true, "limitranges": true, "podtemplates": true, "bindings": true,
	"deployments": true, "replicasets": true, "statefulsets": true, "daemonsets": true, "controllerrevisions": true,
	"jobs": true, "cronjobs": true, "roles": true, "rolebindings": true, "networkpolicies": true,
	"ingresses": true, "poddisruptionbudgets": true, "horizontalpodautoscalers": true, "leases": true,
	"endpointslices": true, "localsubjectaccessreviews": true, "csistoragecapacities": true,
	"resourceclaims": true, "resourceclaimtemplates": true,
}

func onlyNamespaced(rules []rbacv1.PolicyRule) bool {
	if len(rules) == 0 {
		return false
	}
	for _, r := range rules {
		if len(r.NonResourceURLs) > 0 || len(r.Resources) == 0 {
			return false
		}
		for _, res := range r.Resources {
			base, _, _ := strings.Cut(res, "/")
			if !namespacedResources[base] {
				return false
			}
		}
	}
	return true
}

func (ix *Index) sortedRoles() []*Role {
	out := make([]*Role, 0, len(ix.clusterRoles)+len(ix.roles))
	for _, r := range ix.clusterRoles {
		out = append(out, r)
	}
	for _, r := range ix.roles {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Key, out[j].Key
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	return out
}

// boundSubjects lists the subjects of non-default bindings to r, computed
// lazily (only roles with wildcards ask).
func (ix *Index) boundSubjects(r *Role) []string {
	var out []string
	seen := map[string]bool{}
	for i := range ix.bindings {
		b := &ix.bindings[i]
		if b.Role != r {
			continue
		}
		for _, s := range b.Subjects {
			if s.Kind == rbacv1.ServiceAccountKind && s.Namespace == "" {
				s.Namespace = b.Key.Namespace
			}
			if k := FormatSubject(s); !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

func (ix *Index) serviceAccountSets() (known map[string]bool, namespaces map[string]bool) {
	known, namespaces = map[string]bool{}, map[string]bool{}
	for _, sa := range ix.policy.ServiceAccounts {
		known[sa.Namespace+"/"+sa.Name] = true
		namespaces[sa.Namespace] = true
	}
	return known, namespaces
}

// emitFunc records a finding of rule ruleID; sev "" means the rule's
// severity, and a severity above the rule's is ignored.
type emitFunc func(ruleID string, sev finding.Severity, obj finding.ObjectRef, src Source, msg string, subjects, grants []string)

// saGrant is how a service account gets permissions from a non-default
// binding: the first binding → role path, and whether that grant is strong
// (the account named by the binding, or its groups bound to a role that is
// not part of the default policy) or weak (only its groups, bound to default
// roles).
type saGrant struct {
	path   string
	strong bool
}

// saPermissions returns, for service accounts that non-default bindings give
// at least one rule (directly, or through the system:serviceaccounts
// groups), their grant, strong ones first; keys are NS/NAME, or NS/* and
// */* for the groups.
func (ix *Index) saPermissions() map[string]saGrant {
	out := map[string]saGrant{}
	for i := range ix.bindings {
		b := &ix.bindings[i]
		if b.Source.Default || b.Role == nil || len(b.Role.Rules) == 0 {
			continue
		}
		path := b.Key.String() + " → " + b.Role.Key.String()
		for _, s := range b.Subjects {
			var key string
			direct := true
			switch {
			case s.Kind == rbacv1.ServiceAccountKind:
				ns := s.Namespace
				if ns == "" {
					ns = b.Key.Namespace
				}
				if ns == "" {
					continue
				}
				key = ns + "/" + s.Name
			case s.Kind == rbacv1.GroupKind && s.Name == GroupServiceAccounts:
				key, direct = "*/*", false
			case s.Kind == rbacv1.GroupKind && strings.HasPrefix(s.Name, serviceAccountsPrefix):
				key, direct = strings.TrimPrefix(s.Name, serviceAccountsPrefix)+"/*", false
			case s.Kind == rbacv1.UserKind:
				ns, n, ok := ParseServiceAccount(s.Name)
				if !ok {
					continue
				}
				key = ns + "/" + n
			default:
				continue
			}
			g := saGrant{path: path, strong: direct || !b.Role.Source.Default}
			if old, ok := out[key]; !ok || (g.strong && !old.strong) {
				out[key] = g
			}
		}
	}
	return out
}

// lookupSA returns the grant of service account ns/name: a strong one if
// any, else a weak one; ok is false when it holds only the default
// permissions.
func lookupSA(perms map[string]saGrant, ns, name string) (g saGrant, ok bool) {
	for _, k := range []string{ns + "/" + name, ns + "/*", "*/*"} {
		if p, found := perms[k]; found && (!ok || (p.strong && !g.strong)) {
			g, ok = p, true
		}
	}
	return g, ok
}

// tokenWorth describes, as a relative clause about the token of a service
// account, what it holds, and gives the severity of a finding about
// mounting it ("" for the rule's own).
func tokenWorth(g saGrant) (clause string, sev finding.Severity, grants []string) {
	if g.strong {
		return "which holds API permissions", "", []string{g.path}
	}
	return "which holds API permissions only through a binding of its groups to a default role (low severity)", finding.SeverityLow, []string{g.path}
}

// automountRisks reports tokens mounted into Pods whose service account
// holds more than the default discovery permissions: at the rule's severity
// when they are its own (see saGrant), low when they come only from its
// groups' bindings to default roles. A token that holds only what every
// authenticated identity holds is not reported: reporting every Pod that
// does not opt out would turn each manifest into a finding, and the
// pod-security rules already judge what a Pod may do. Workloads are
// reported; a ServiceAccount in the input that no workload runs as is
// reported itself.
func (ix *Index) automountRisks(emit emitFunc) {
	perms := ix.saPermissions()
	if len(perms) == 0 {
		return
	}
	sas := map[string]*corev1.ServiceAccount{}
	for _, sa := range ix.policy.ServiceAccounts {
		sas[sa.Namespace+"/"+sa.Name] = sa
	}
	used := map[string]bool{}
	for _, w := range ix.policy.Workloads {
		name := w.Spec.ServiceAccountName
		if name == "" {
			name = w.Spec.DeprecatedServiceAccount
		}
		if name == "" {
			name = "default"
		}
		key := w.Key.Namespace + "/" + name
		used[key] = true
		mount := true
		if w.Spec.AutomountServiceAccountToken != nil {
			mount = *w.Spec.AutomountServiceAccountToken
		} else if sa := sas[key]; sa != nil && sa.AutomountServiceAccountToken != nil {
			mount = *sa.AutomountServiceAccountToken
		}
		if !mount {
			continue
		}
		g, ok := lookupSA(perms, w.Key.Namespace, name)
		if !ok {
			continue
		}
		what, sev, grants := tokenWorth(g)
		emit(RuleSATokenAutomount, sev, finding.ObjectRef{APIVersion: w.APIVersion, Kind: w.Key.Kind, Namespace: w.Key.Namespace, Name: w.Key.Name}, ix.policy.Sources[w.Key],
			fmt.Sprintf("%s %s mounts the token of ServiceAccount %s, %s", w.Key.Kind, w.Key.Name, key, what),
			[]string{"ServiceAccount:" + w.Key.Namespace + ":" + name}, grants)
	}
	for _, sa := range ix.policy.ServiceAccounts {
		key := sa.Namespace + "/" + sa.Name
		if used[key] || (sa.AutomountServiceAccountToken != nil && !*sa.AutomountServiceAccountToken) {
			continue
		}
		g, ok := lookupSA(perms, sa.Namespace, sa.Name)
		if !ok {
			continue
		}
		what, sev, grants := tokenWorth(g)
		k := ObjectKey{"ServiceAccount", sa.Namespace, sa.Name}
		emit(RuleSATokenAutomount, sev, finding.ObjectRef{APIVersion: "v1", Kind: "ServiceAccount", Namespace: sa.Namespace, Name: sa.Name}, ix.policy.Sources[k],
			fmt.Sprintf("ServiceAccount %s does not set automountServiceAccountToken: false, so every Pod running as it gets its token, %s", key, what),
			[]string{"ServiceAccount:" + sa.Namespace + ":" + sa.Name}, grants)
	}
}

// countQuotaKeys are ResourceQuota keys that limit object counts.
var countQuotaKeys = map[corev1.ResourceName]bool{
	"pods": true, "services": true, "secrets": true, "configmaps": true, "persistentvolumeclaims": true,
	"replicationcontrollers": true, "resourcequotas": true, "services.loadbalancers": true, "services.nodeports": true,
}

// quotaRisks reports namespaces where subjects can create objects a
// ResourceQuota could count (see quotaCountable) and none counts any. A
// namespace defined in the input anchors its finding; otherwise the first
// binding that grants creation there does (a RoleBinding of the namespace
// before ClusterRoleBindings), so that every finding has a location.
func (ix *Index) quotaRisks(emit emitFunc, capsFor func(*Role) *roleCaps) {
	quota := map[string]bool{}
	for _, q := range ix.policy.ResourceQuotas {
		for k := range q.Spec.Hard {
			if countQuotaKeys[k] || strings.HasPrefix(string(k), "count/") {
				quota[q.Namespace] = true
			}
		}
	}
	type creators struct {
		paths  []string
		anchor Source
	}
	per := map[string]*creators{}
	var clusterPaths []string
	var clusterAnchor Source
	for i := range ix.bindings {
		b := &ix.bindings[i]
		if b.Source.Default || b.Role == nil || len(b.Subjects) == 0 {
			continue
		}
		idx := capsFor(b.Role)[capQuotaCreate]
		if len(idx) == 0 {
			continue
		}
		path := fmt.Sprintf("%s → %s → rules[%d]", b.Key, b.Role.Key, idx[0])
		if b.Key.Kind == "ClusterRoleBinding" {
			if len(clusterPaths) == 0 {
				clusterAnchor = b.Source
			}
			clusterPaths = append(clusterPaths, path)
			continue
		}
		c := per[b.Key.Namespace]
		if c == nil {
			c = &creators{anchor: b.Source}
			per[b.Key.Namespace] = c
		}
		c.paths = append(c.paths, path)
	}
	if len(clusterPaths) > 0 {
		for ns := range ix.knownNamespaces() {
			c := per[ns]
			if c == nil {
				c = &creators{anchor: clusterAnchor}
				per[ns] = c
			}
			c.paths = append(c.paths, clusterPaths...)
		}
	}
	names := make([]string, 0, len(per))
	for ns := range per {
		if !quota[ns] {
			names = append(names, ns)
		}
	}
	sort.Strings(names)
	for _, ns := range names {
		c := per[ns]
		src, defined := ix.policy.Sources[ObjectKey{"Namespace", "", ns}]
		if !defined {
			src = c.anchor
		}
		emit(RuleNoObjectQuota, "", finding.ObjectRef{APIVersion: "v1", Kind: "Namespace", Name: ns}, src,
			fmt.Sprintf("subjects can create objects in namespace %s (%s) but no ResourceQuota there limits object counts", ns, plural(len(c.paths), "grant")),
			nil, c.paths)
	}
}

// knownNamespaces is every namespace the input (the default policy aside) mentions.
func (ix *Index) knownNamespaces() map[string]bool {
	out := map[string]bool{}
	p := ix.policy
	for _, n := range p.Namespaces {
		out[n.Name] = true
	}
	for _, r := range p.Roles {
		if !p.Sources[ObjectKey{"Role", r.Namespace, r.Name}].Default {
			out[r.Namespace] = true
		}
	}
	for _, b := range p.RoleBindings {
		if !p.Sources[ObjectKey{"RoleBinding", b.Namespace, b.Name}].Default {
			out[b.Namespace] = true
		}
	}
	for _, s := range p.ServiceAccounts {
		out[s.Namespace] = true
	}
	for _, w := range p.Workloads {
		out[w.Key.Namespace] = true
	}
	delete(out, "")
	return out
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// csrApproveAcrossBindings reports subjects that can approve certificate
// signing requests only by combining ClusterRoleBindings: update on
// certificatesigningrequests/approval through one, approve on signers
// through another (the per-binding check in Risks reports a binding that
// grants both). Subjects are compared as the bindings name them; group
// membership is not known offline. A combination made only of default
// bindings is Kubernetes' own and not reported; otherwise the finding is
// anchored on the first non-default binding that contributes.
func (ix *Index) csrApproveAcrossBindings(emit emitFunc, capsFor func(*Role) *roleCaps) {
	type grant struct {
		b   *Binding
		idx []int
	}
	type subjectGrants struct {
		subject                  rbacv1.Subject
		approval, signer, create []grant
		whole                    bool // one binding grants both, or cluster-admin
	}
	per := map[string]*subjectGrants{}
	var order []string
	for bi := range ix.bindings {
		b := &ix.bindings[bi]
		if b.Key.Kind != "ClusterRoleBinding" || b.Role == nil {
			continue
		}
		c := capsFor(b.Role)
		admin := b.RoleRef.Kind == "ClusterRole" && b.RoleRef.Name == "cluster-admin"
		if !admin && len(c[capCSRApproval]) == 0 && len(c[capSignerApprove]) == 0 {
			continue
		}
		for _, s := range b.Subjects {
			key := FormatSubject(s)
			g := per[key]
			if g == nil {
				g = &subjectGrants{subject: s}
				per[key] = g
				order = append(order, key)
			}
			if admin || (len(c[capCSRApproval]) > 0 && len(c[capSignerApprove]) > 0) {
				g.whole = true
				continue
			}
			if idx := c[capCSRApproval]; len(idx) > 0 {
				g.approval = append(g.approval, grant{b, idx})
			}
			if idx := c[capSignerApprove]; len(idx) > 0 {
				g.signer = append(g.signer, grant{b, idx})
			}
			if idx := c[capCSRCreate]; len(idx) > 0 {
				g.create = append(g.create, grant{b, idx})
			}
		}
	}
	for _, key := range order {
		g := per[key]
		if g.whole || len(g.approval) == 0 || len(g.signer) == 0 {
			continue
		}
		var anchor *Binding
		var grants []string
		for _, list := range [][]grant{g.approval, g.signer, g.create} {
			for _, gr := range list {
				if anchor == nil && !gr.b.Source.Default {
					anchor = gr.b
				}
				for _, ri := range gr.idx {
					grants = append(grants, fmt.Sprintf("%s → %s → rules[%d]", gr.b.Key, gr.b.Role.Key, ri))
				}
			}
		}
		if anchor == nil {
			continue
		}
		grants = slices.Compact(grants)
		who := g.subject.Kind + " " + g.subject.Name
		if g.subject.Namespace != "" {
			who = g.subject.Kind + " " + g.subject.Namespace + "/" + g.subject.Name
		}
		extra := ""
		if len(g.create) > 0 {
			extra = ", and can create them, so can issue itself client certificates"
		}
		obj := finding.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: anchor.Key.Kind, Name: anchor.Key.Name}
		emit(RuleCSRApprove, "", obj, anchor.Source, fmt.Sprintf("%s can approve certificate signing requests by combining ClusterRoleBindings %s (approval) and %s (signers)%s",
			who, g.approval[0].b.Key.Name, g.signer[0].b.Key.Name, extra), []string{key}, grants)
	}
}
