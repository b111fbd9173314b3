package rbac

import (
	"fmt"
	"math/rand/v2"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// naiveAuthorize is the API server's algorithm without any index: walk every
// ClusterRoleBinding, then every RoleBinding of the request's namespace, and
// look the role up by name each time. TestIndexMatchesNaive checks the
// index against it.
func naiveAuthorize(p *Policy, aggregated map[string][]rbacv1.PolicyRule, a *Attributes) bool {
	if contains(a.Groups, GroupMasters) {
		return true
	}
	clusterRules := func(name string) []rbacv1.PolicyRule {
		for _, cr := range p.ClusterRoles {
			if cr.Name == name {
				if r, ok := aggregated[name]; ok {
					return r
				}
				return cr.Rules
			}
		}
		return nil
	}
	applies := func(subjects []rbacv1.Subject, ns string) bool {
		for i := range subjects {
			if subjectMatches(&subjects[i], ns, a.User, a.Groups) {
				return true
			}
		}
		return false
	}
	allows := func(rules []rbacv1.PolicyRule) bool {
		for i := range rules {
			if RuleAllows(a, &rules[i]) {
				return true
			}
		}
		return false
	}
	for _, b := range p.ClusterRoleBindings {
		if b.RoleRef.Kind == "ClusterRole" && applies(b.Subjects, "") && allows(clusterRules(b.RoleRef.Name)) {
			return true
		}
	}
	if a.Namespace == "" {
		return false
	}
	for _, b := range p.RoleBindings {
		if b.Namespace != a.Namespace || !applies(b.Subjects, b.Namespace) {
			continue
		}
		var rules []rbacv1.PolicyRule
		switch b.RoleRef.Kind {
		case "ClusterRole":
			rules = clusterRules(b.RoleRef.Name)
		case "Role":
			for _, r := range p.Roles {
				if r.Namespace == b.Namespace && r.Name == b.RoleRef.Name {
					rules = r.Rules
				}
			}
		}
		if allows(rules) {
			return true
		}
	}
	return false
}

func TestIndexMatchesNaive(t *testing.T) {
	pick := func(r *rand.Rand, s ...string) string { return s[r.IntN(len(s))] }
	some := func(r *rand.Rand, s ...string) []string {
		out := []string{}
		for range 1 + r.IntN(2) {
			out = append(out, s[r.IntN(len(s))])
		}
		return out
	}
	namespaces := []string{"a", "b", "c"}
	subject := func(r *rand.Rand) rbacv1.Subject {
		switch r.IntN(3) {
		case 0:
			return rbacv1.Subject{Kind: "User", Name: pick(r, "u1", "u2", "system:serviceaccount:a:s1")}
		case 1:
			return rbacv1.Subject{Kind: "Group", Name: pick(r, "g1", "g2", GroupAuthenticated)}
		}
		return rbacv1.Subject{Kind: "ServiceAccount", Namespace: pick(r, "", "a", "b"), Name: pick(r, "s1", "s2")}
	}
	randRule := func(r *rand.Rand) rbacv1.PolicyRule {
		if r.IntN(6) == 0 {
			return rbacv1.PolicyRule{Verbs: some(r, "get", "*"), NonResourceURLs: some(r, "/x", "/x/*", "*")}
		}
		rule := rbacv1.PolicyRule{Verbs: some(r, "get", "list", "create", "*"), APIGroups: some(r, "", "apps", "*"), Resources: some(r, "pods", "pods/exec", "*/scale", "secrets", "*")}
		if r.IntN(4) == 0 {
			rule.ResourceNames = some(r, "n1", "n2")
		}
		return rule
	}
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 99))
		p := &Policy{}
		for i := range 6 {
			cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cr%d", i), Labels: map[string]string{"l": pick(r, "x", "y")}}}
			for range r.IntN(3) {
				cr.Rules = append(cr.Rules, randRule(r))
			}
			if r.IntN(4) == 0 {
				cr.Labels = nil
				cr.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"l": pick(r, "x", "y")}}}}
			}
			p.Add(cr, Source{})
		}
		for i := range 6 {
			ro := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: pick(r, namespaces...), Name: fmt.Sprintf("r%d", i)}}
			for range r.IntN(3) {
				rule := randRule(r)
				rule.NonResourceURLs = nil
				if len(rule.Verbs) > 0 && len(rule.Resources) > 0 {
					ro.Rules = append(ro.Rules, rule)
				}
			}
			p.Add(ro, Source{})
		}
		for i := range 8 {
			var subs []rbacv1.Subject
			for range 1 + r.IntN(2) {
				subs = append(subs, subject(r))
			}
			ref := rbacv1.RoleRef{Kind: "ClusterRole", Name: fmt.Sprintf("cr%d", r.IntN(7))}
			if i%2 == 0 {
				p.Add(&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("crb%d", i)}, RoleRef: ref, Subjects: subs}, Source{})
				continue
			}
			if r.IntN(2) == 0 {
				ref = rbacv1.RoleRef{Kind: "Role", Name: fmt.Sprintf("r%d", r.IntN(7))}
			}
			p.Add(&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: pick(r, namespaces...), Name: fmt.Sprintf("rb%d", i)}, RoleRef: ref, Subjects: subs}, Source{})
		}
		ix := NewIndex(p, Options{Aggregate: true})
		aggregated, _ := aggregateClusterRoles(p.ClusterRoles, nil)
		chain := Chain{{"rbac", ix}}
		for range 200 {
			a := &Attributes{User: pick(r, "u1", "u2", "system:serviceaccount:a:s1", "system:serviceaccount:b:s2", "x"), Groups: some(r, "g1", "g2", GroupAuthenticated, "other")}
			if r.IntN(100) == 0 {
				a.Groups = append(a.Groups, GroupMasters)
			}
			a.Verb = pick(r, "get", "list", "create", "delete")
			if r.IntN(6) == 0 {
				a.Path = pick(r, "/x", "/x/y", "/y")
			} else {
				a.ResourceRequest = true
				a.APIGroup, a.Resource, a.Subresource = pick(r, "", "apps"), pick(r, "pods", "secrets", "deployments"), pick(r, "", "", "exec", "scale")
				a.Namespace, a.Name = pick(r, "", "a", "b", "c"), pick(r, "", "n1", "n3")
			}
			want := naiveAuthorize(p, aggregated, a)
			got := chain.Authorize(a)
			if (got.Decision == Allow) != want {
				t.Fatalf("seed %d: %+v: index says %v (%s), naive walk says %v", seed, *a, got.Decision, got.Reason, want)
			}
			// who-can agrees: some holder names the user, its SA or a group.
			if !contains(a.Groups, GroupMasters) {
				listed := false
				for _, h := range ix.WhoCan(a, false) {
					listed = listed || subjectMatches(&h.Subject, h.Grant.Binding.Namespace, a.User, a.Groups)
				}
				if listed != want {
					t.Fatalf("seed %d: %+v: who-can lists=%v, naive walk says %v", seed, *a, listed, want)
				}
			}
		}
	}
}
