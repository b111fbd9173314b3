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
	capCreate
	numCaps
)

// probe is a request shape: any of verbs on any of resources (group,
// resource, subresource) grants the capability. Resource names are ignored:
// a rule limited to names still grants the capability for those names.
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
	capPodExec:        {verbs: []string{"create", "get"}, resources: [][3]string{{"", "pods", "exec"}, {"", "pods", "attach"}, {"", "pods", "portforward"}}, what: "exec into, attach to or port-forward Pods"},
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

func capsOf(r *Role) *roleCaps {
	var c roleCaps
	for i := range r.Rules {
		rule := &r.Rules[i]
		for cp := capability(0); cp < capCreate; cp++ {
			if ruleHas(rule, &probes[cp]) {
				c[cp] = append(c[cp], i)
			}
		}
		if len(rule.Resources) > 0 && verbMatches(rule.Verbs, "create") {
			c[capCreate] = append(c[capCreate], i)
		}
	}
	return &c
}

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

// RiskOptions tune Risks.
type RiskOptions struct {
	// KnownClusterRoles names ClusterRoles that exist although they are not
	// in the policy (the default policy's, when it was not loaded), so that
	// bindings to them are not reported as dangling.
	KnownClusterRoles map[string]bool
}

// FormatSubject renders a subject as Kind:namespace:name (the namespace
// empty for users and groups), the form of finding.Finding.Subjects.
func FormatSubject(s rbacv1.Subject) string {
	return s.Kind + ":" + s.Namespace + ":" + s.Name
}

// Risks evaluates every rbac/ rule over the policy and returns the findings,
// ordered by object (kind, namespace, name) then rule. Objects of the default policy (Source.Default)
// are not reported, but the permissions of default roles are: a user's
// binding to the default "edit" role lets its subjects read Secrets.
func (ix *Index) Risks(opts RiskOptions) []finding.Finding {
	rules := map[string]finding.Rule{}
	for _, r := range Rules() {
		rules[r.ID] = r
	}
	var out []finding.Finding
	caps := map[*Role]*roleCaps{}
	capsFor := func(r *Role) *roleCaps {
		c, ok := caps[r]
		if !ok {
			c = capsOf(r)
			caps[r] = c
		}
		return c
	}
	emit := func(ruleID string, obj finding.ObjectRef, src Source, msg string, subjects, grants []string) {
		rule := rules[ruleID]
		out = append(out, finding.Finding{
			Rule: ruleID, Severity: rule.Severity, Object: obj, File: src.File, Line: src.Line,
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
				emit(RuleSystemMasters, obj, b.Source, fmt.Sprintf("%s %s names the group system:masters, whose members bypass authorization", b.Key.Kind, b.Key.Name), subjects, nil)
			case (s.Kind == rbacv1.GroupKind && s.Name == GroupUnauthenticated) || (s.Kind == rbacv1.UserKind && s.Name == UserAnonymous):
				emit(RuleUnauthenticatedBinding, obj, b.Source, fmt.Sprintf("%s %s grants %s %s to %s %s, that is to anyone without credentials", b.Key.Kind, b.Key.Name, b.RoleRef.Kind, b.RoleRef.Name, s.Kind, s.Name), subjects, nil)
			case s.Kind == rbacv1.ServiceAccountKind:
				ns := s.Namespace
				if ns == "" {
					ns = b.Key.Namespace
				}
				if ns != "" && (ix.policy.ServiceAccountsListed || saNamespaces[ns]) && !saKnown[ns+"/"+s.Name] {
					emit(RuleDanglingSubject, obj, b.Source, fmt.Sprintf("%s %s names ServiceAccount %s/%s, which does not exist", b.Key.Kind, b.Key.Name, ns, s.Name), subjects, nil)
				}
			}
		}
		// cluster-admin allows everything: one finding says it all, and the
		// permission findings below are not repeated for it.
		clusterAdmin := b.RoleRef.Kind == "ClusterRole" && b.RoleRef.Name == "cluster-admin"
		if clusterAdmin {
			emit(RuleClusterAdminBinding, obj, b.Source, fmt.Sprintf("%s %s grants cluster-admin %s to %s", b.Key.Kind, b.Key.Name, scope, who), subjects, []string{b.Key.String() + " → ClusterRole/cluster-admin"})
		}
		if b.Role == nil {
			if !(b.RoleRef.Kind == "ClusterRole" && opts.KnownClusterRoles[b.RoleRef.Name]) {
				emit(RuleDanglingRoleRef, obj, b.Source, fmt.Sprintf("%s %s refers to %s %s, which does not exist", b.Key.Kind, b.Key.Name, b.RoleRef.Kind, b.RoleRef.Name), subjects, nil)
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
			if rr.cap == capWorkloadCreate {
				where := "every namespace"
				if b.Key.Kind == "RoleBinding" {
					where = "the namespace"
				}
				msg += ", and so mount any Secret and run as any ServiceAccount of " + where
			}
			emit(rr.rule, obj, b.Source, msg, subjects, grants(idx))
		}
		if b.Key.Kind == "ClusterRoleBinding" && len(c[capCSRApproval]) > 0 && len(c[capSignerApprove]) > 0 {
			idx := append(append([]int{}, c[capCSRApproval]...), c[capSignerApprove]...)
			extra := ""
			if len(c[capCSRCreate]) > 0 {
				idx = append(idx, c[capCSRCreate]...)
				extra = ", and can create them, so can issue itself client certificates"
			}
			emit(RuleCSRApprove, obj, b.Source, fmt.Sprintf("%s can approve certificate signing requests through %s %s%s", who, b.Role.Key.Kind, b.Role.Key.Name, extra), subjects, grants(idx))
		}
		if b.Key.Kind == "ClusterRoleBinding" && onlyNamespaced(b.Role.Rules) {
			emit(RuleCouldBeNamespaced, obj, b.Source, fmt.Sprintf("ClusterRoleBinding %s grants %s %s, whose rules only name namespaced resources, in every namespace", b.Key.Name, b.Role.Key.Kind, b.Role.Key.Name), subjects, nil)
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
		emit(RuleWildcard, finding.ObjectRef{APIVersion: apiVersion, Kind: r.Key.Kind, Namespace: r.Key.Namespace, Name: r.Key.Name}, r.Source,
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

type emitFunc func(ruleID string, obj finding.ObjectRef, src Source, msg string, subjects, grants []string)

// saPermissions returns, for service accounts that non-default bindings give
// at least one rule (directly, or through system:serviceaccounts groups),
// one grant path; keys are NS/NAME, or NS/* and */* for the groups.
func (ix *Index) saPermissions() map[string]string {
	out := map[string]string{}
	for i := range ix.bindings {
		b := &ix.bindings[i]
		if b.Source.Default || b.Role == nil || len(b.Role.Rules) == 0 {
			continue
		}
		path := b.Key.String() + " → " + b.Role.Key.String()
		for _, s := range b.Subjects {
			var key string
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
				key = "*/*"
			case s.Kind == rbacv1.GroupKind && strings.HasPrefix(s.Name, serviceAccountsPrefix):
				key = strings.TrimPrefix(s.Name, serviceAccountsPrefix) + "/*"
			case s.Kind == rbacv1.UserKind:
				ns, n, ok := ParseServiceAccount(s.Name)
				if !ok {
					continue
				}
				key = ns + "/" + n
			default:
				continue
			}
			if _, ok := out[key]; !ok {
				out[key] = path
			}
		}
	}
	return out
}

func lookupSA(perms map[string]string, ns, name string) (string, bool) {
	for _, k := range []string{ns + "/" + name, ns + "/*", "*/*"} {
		if p, ok := perms[k]; ok {
			return p, true
		}
	}
	return "", false
}

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
			name = "default"
		}
		key := w.Key.Namespace + "/" + name
		used[key] = true
		path, ok := lookupSA(perms, w.Key.Namespace, name)
		if !ok {
			continue
		}
		mount := true
		if w.Spec.AutomountServiceAccountToken != nil {
			mount = *w.Spec.AutomountServiceAccountToken
		} else if sa := sas[key]; sa != nil && sa.AutomountServiceAccountToken != nil {
			mount = *sa.AutomountServiceAccountToken
		}
		if !mount {
			continue
		}
		src := ix.policy.Sources[w.Key]
		emit(RuleSATokenAutomount, finding.ObjectRef{APIVersion: w.APIVersion, Kind: w.Key.Kind, Namespace: w.Key.Namespace, Name: w.Key.Name}, src,
			fmt.Sprintf("%s %s mounts the token of ServiceAccount %s, which holds API permissions", w.Key.Kind, w.Key.Name, key),
			[]string{"ServiceAccount:" + w.Key.Namespace + ":" + name}, []string{path})
	}
	for _, sa := range ix.policy.ServiceAccounts {
		key := sa.Namespace + "/" + sa.Name
		if used[key] || (sa.AutomountServiceAccountToken != nil && !*sa.AutomountServiceAccountToken) {
			continue
		}
		path, ok := lookupSA(perms, sa.Namespace, sa.Name)
		if !ok {
			continue
		}
		k := ObjectKey{"ServiceAccount", sa.Namespace, sa.Name}
		emit(RuleSATokenAutomount, finding.ObjectRef{APIVersion: "v1", Kind: "ServiceAccount", Namespace: sa.Namespace, Name: sa.Name}, ix.policy.Sources[k],
			fmt.Sprintf("ServiceAccount %s holds API permissions and does not set automountServiceAccountToken: false, so every Pod running as it gets its token", key),
			[]string{"ServiceAccount:" + sa.Namespace + ":" + sa.Name}, []string{path})
	}
}

// countQuotaKeys are ResourceQuota keys that limit object counts.
var countQuotaKeys = map[corev1.ResourceName]bool{
	"pods": true, "services": true, "secrets": true, "configmaps": true, "persistentvolumeclaims": true,
	"replicationcontrollers": true, "resourcequotas": true, "services.loadbalancers": true, "services.nodeports": true,
}

func (ix *Index) quotaRisks(emit emitFunc, capsFor func(*Role) *roleCaps) {
	quota := map[string]bool{}
	for _, q := range ix.policy.ResourceQuotas {
		for k := range q.Spec.Hard {
			if countQuotaKeys[k] || strings.HasPrefix(string(k), "count/") {
				quota[q.Namespace] = true
			}
		}
	}
	creators := map[string][]string{} // namespace → grant paths
	var clusterCreators []string
	for i := range ix.bindings {
		b := &ix.bindings[i]
		if b.Source.Default || b.Role == nil || len(b.Subjects) == 0 {
			continue
		}
		idx := capsFor(b.Role)[capCreate]
		if len(idx) == 0 {
			continue
		}
		path := fmt.Sprintf("%s → %s → rules[%d]", b.Key, b.Role.Key, idx[0])
		if b.Key.Kind == "ClusterRoleBinding" {
			clusterCreators = append(clusterCreators, path)
		} else {
			creators[b.Key.Namespace] = append(creators[b.Key.Namespace], path)
		}
	}
	if len(clusterCreators) > 0 {
		for ns := range ix.knownNamespaces() {
			creators[ns] = append(creators[ns], clusterCreators...)
		}
	}
	names := make([]string, 0, len(creators))
	for ns := range creators {
		if !quota[ns] {
			names = append(names, ns)
		}
	}
	sort.Strings(names)
	for _, ns := range names {
		k := ObjectKey{"Namespace", "", ns}
		emit(RuleNoObjectQuota, finding.ObjectRef{APIVersion: "v1", Kind: "Namespace", Name: ns}, ix.policy.Sources[k],
			fmt.Sprintf("subjects can create objects in namespace %s (%s) but no ResourceQuota there limits object counts", ns, plural(len(creators[ns]), "grant")),
			nil, creators[ns])
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
		emit(RuleCSRApprove, obj, anchor.Source, fmt.Sprintf("%s can approve certificate signing requests by combining ClusterRoleBindings %s (approval) and %s (signers)%s",
			who, g.approval[0].b.Key.Name, g.signer[0].b.Key.Name, extra), []string{key}, grants)
	}
}
