//go:build e2e

package e2e

import (
	"fmt"
	"math/rand/v2"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The vocabulary random RBAC sets and reviews are drawn from. It mixes the
// cases where implementations diverge: wildcards, "*/scale" and "pods/*",
// case, the "core" group name, resourceNames, cluster-scoped resources and
// the Namespace object through RoleBindings, trailing-* URLs.
var (
	genNamespaces   = []string{"ns-a", "ns-b", "ns-c"}
	genUsers        = []string{"u1", "u2", "u3", "system:serviceaccount:ns-a:sa1"}
	genGroups       = []string{"g1", "g2", "g3"}
	genSAs          = [][2]string{{"ns-a", "sa1"}, {"ns-b", "sa2"}, {"ns-c", "sa1"}}
	genVerbs        = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "escalate", "bind", "impersonate", "*", "GET"}
	genAPIGroups    = []string{"", "", "apps", "batch", "rbac.authorization.k8s.io", "core", "*"}
	genResources    = []string{"pods", "pods/exec", "pods/*", "pods/log", "*/scale", "deployments", "deployments/scale", "secrets", "configmaps", "nodes", "namespaces", "jobs", "roles", "*", "users"}
	genNames        = []string{"n1", "n2", "ns-a"}
	genURLs         = []string{"/healthz", "/healthz/*", "/api*", "/api/**", "*", "/metrics", "/logs/"}
	genPaths        = []string{"/healthz", "/healthz/etcd", "/healthz/", "/api", "/apis", "/api/v1", "/metrics", "/version", "/livez", "/logs/x", "/logs"}
	genSubresources = []string{"", "", "", "exec", "scale", "*", "log", "status"}
	genAggLabels    = []string{"agg-x", "agg-y", "agg-z"}
)

const genLabel = "kubeward-e2e"

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func pickSome(r *rand.Rand, s []string, max int) []string {
	n := 1 + r.IntN(max)
	out := make([]string, 0, n)
	for range n {
		v := pick(r, s)
		dup := false
		for _, x := range out {
			dup = dup || x == v
		}
		if !dup {
			out = append(out, v)
		}
	}
	return out
}

func genRule(r *rand.Rand, namespaced bool) rbacv1.PolicyRule {
	if !namespaced && r.IntN(6) == 0 {
		return rbacv1.PolicyRule{Verbs: pickSome(r, []string{"get", "post", "*", "GET"}, 2), NonResourceURLs: pickSome(r, genURLs, 2)}
	}
	rule := rbacv1.PolicyRule{
		Verbs:     pickSome(r, genVerbs, 3),
		APIGroups: pickSome(r, genAPIGroups, 2),
		Resources: pickSome(r, genResources, 3),
	}
	if r.IntN(4) == 0 {
		rule.ResourceNames = pickSome(r, genNames, 2)
	}
	return rule
}

func genRules(r *rand.Rand, namespaced bool) []rbacv1.PolicyRule {
	n := r.IntN(4) // sometimes none
	out := make([]rbacv1.PolicyRule, n)
	for i := range out {
		out[i] = genRule(r, namespaced)
	}
	return out
}

func genSubjects(r *rand.Rand, clusterBinding bool) []rbacv1.Subject {
	n := 1 + r.IntN(3)
	var out []rbacv1.Subject
	for range n {
		switch r.IntN(4) {
		case 0, 1:
			out = append(out, rbacv1.Subject{Kind: "User", APIGroup: rbacv1.GroupName, Name: pick(r, genUsers)})
		case 2:
			out = append(out, rbacv1.Subject{Kind: "Group", APIGroup: rbacv1.GroupName, Name: pick(r, append(genGroups, "system:authenticated", "system:serviceaccounts:ns-b"))})
		default:
			s := pick(r, genSAs)
			sub := rbacv1.Subject{Kind: "ServiceAccount", Namespace: s[0], Name: s[1]}
			if !clusterBinding && r.IntN(2) == 0 {
				sub.Namespace = "" // defaults to the binding's namespace
			}
			out = append(out, sub)
		}
	}
	return out
}

// rbacSet is one generated policy, in creation order.
type rbacSet struct {
	ClusterRoles        []*rbacv1.ClusterRole
	Roles               []*rbacv1.Role
	ClusterRoleBindings []*rbacv1.ClusterRoleBinding
	RoleBindings        []*rbacv1.RoleBinding
}

func genMeta(name, ns string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{genLabel: "rbac"}}
}

// genRBACSet draws a policy: ClusterRoles (some aggregating others by
// label, rarely with an empty selector), Roles, and bindings to them and to
// roles that do not exist.
func genRBACSet(r *rand.Rand, round int) *rbacSet {
	s := &rbacSet{}
	var crNames []string
	everything := false
	for i := range 14 {
		cr := &rbacv1.ClusterRole{ObjectMeta: genMeta(fmt.Sprintf("r%d-cr%d", round, i), "")}
		cr.Rules = genRules(r, false)
		// Aggregated roles only carry labels above the one they select and
		// at most one role selects everything ({}), so there are chains but
		// no cycles: with a cycle the rules the controller settles on depend
		// on the order it happens to process roles in (see docs/rbac.md).
		label := r.IntN(len(genAggLabels) + 1)
		switch r.IntN(8) {
		case 0, 1:
			sel := r.IntN(len(genAggLabels))
			cr.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{
				{MatchLabels: map[string]string{genAggLabels[sel]: "true"}},
			}}
			if label <= sel {
				label = len(genAggLabels)
			}
		case 2:
			if !everything && r.IntN(3) == 0 {
				everything = true
				label = len(genAggLabels)
				cr.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{}}}
			} else {
				cr.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{
					{MatchLabels: map[string]string{"nothing": "matches"}},
				}}
			}
		}
		if label < len(genAggLabels) {
			cr.Labels[genAggLabels[label]] = "true"
		}
		s.ClusterRoles = append(s.ClusterRoles, cr)
		crNames = append(crNames, cr.Name)
	}
	crNames = append(crNames, "view", "edit", "admin", "system:basic-user", fmt.Sprintf("r%d-missing", round))
	roleNames := map[string][]string{}
	for i := range 12 {
		ns := pick(r, genNamespaces)
		ro := &rbacv1.Role{ObjectMeta: genMeta(fmt.Sprintf("r%d-role%d", round, i), ns), Rules: genRules(r, true)}
		s.Roles = append(s.Roles, ro)
		roleNames[ns] = append(roleNames[ns], ro.Name)
	}
	for i := range 10 {
		s.ClusterRoleBindings = append(s.ClusterRoleBindings, &rbacv1.ClusterRoleBinding{
			ObjectMeta: genMeta(fmt.Sprintf("r%d-crb%d", round, i), ""),
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: pick(r, crNames)},
			Subjects:   genSubjects(r, true),
		})
	}
	for i := range 24 {
		ns := pick(r, genNamespaces)
		ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: pick(r, crNames)}
		if r.IntN(2) == 0 {
			ref.Kind = "Role"
			if names := roleNames[ns]; len(names) > 0 && r.IntN(5) > 0 {
				ref.Name = pick(r, names)
			} else {
				ref.Name = fmt.Sprintf("r%d-role%d", round, r.IntN(14)) // maybe in another namespace, maybe none
			}
		}
		s.RoleBindings = append(s.RoleBindings, &rbacv1.RoleBinding{
			ObjectMeta: genMeta(fmt.Sprintf("r%d-rb%d", round, i), ns),
			RoleRef:    ref,
			Subjects:   genSubjects(r, false),
		})
	}
	return s
}

// genReview draws one SubjectAccessReview.
func genReview(r *rand.Rand) *authorizationv1.SubjectAccessReview {
	spec := authorizationv1.SubjectAccessReviewSpec{User: pick(r, append(genUsers, "system:serviceaccount:ns-b:sa2", "system:serviceaccount:ns-c:sa1", "nobody"))}
	if r.IntN(2) == 0 {
		spec.Groups = pickSome(r, append(genGroups, "system:authenticated", "system:serviceaccounts:ns-b", "system:unauthenticated"), 3)
	}
	if r.IntN(60) == 0 {
		spec.Groups = append(spec.Groups, "system:masters")
	}
	if r.IntN(7) == 0 {
		spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Verb: pick(r, []string{"get", "post", "GET"}), Path: pick(r, genPaths)}
	} else {
		ra := &authorizationv1.ResourceAttributes{
			Verb:        pick(r, genVerbs[:len(genVerbs)-2]),
			Group:       pick(r, []string{"", "", "apps", "batch", "rbac.authorization.k8s.io", "core"}),
			Resource:    pick(r, []string{"pods", "deployments", "secrets", "configmaps", "nodes", "namespaces", "jobs", "roles", "users"}),
			Subresource: pick(r, genSubresources),
			Namespace:   pick(r, append(genNamespaces, "", "other")),
			Version:     pick(r, []string{"", "v1", "v9"}),
		}
		if r.IntN(20) == 0 {
			ra.Verb = "GET"
		}
		if r.IntN(2) == 0 {
			ra.Name = pick(r, genNames)
		}
		spec.ResourceAttributes = ra
	}
	return &authorizationv1.SubjectAccessReview{Spec: spec}
}
