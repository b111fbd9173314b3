package rbac

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func rule(verbs, groups, resources []string, names ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources, ResourceNames: names}
}

func urlRule(verbs []string, urls ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, NonResourceURLs: urls}
}

func l(s ...string) []string { return s }

func clusterRole(name string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}
}

func role(ns, name string, rules ...rbacv1.PolicyRule) *rbacv1.Role {
	return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Rules: rules}
}

func user(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: name}
}

func group(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: name}
}

func sa(ns, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: "ServiceAccount", Namespace: ns, Name: name}
}

func crb(name, roleName string, subjects ...rbacv1.Subject) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: roleName}, Subjects: subjects}
}

func rb(ns, name, kind, roleName string, subjects ...rbacv1.Subject) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: kind, Name: roleName}, Subjects: subjects}
}

// res builds a resource request by alice (groups system:authenticated).
func res(verb, group, resource, sub, ns, name string) *Attributes {
	return &Attributes{User: "alice", Groups: []string{GroupAuthenticated}, ResourceRequest: true,
		Verb: verb, APIGroup: group, Resource: resource, Subresource: sub, Namespace: ns, Name: name}
}

func nonRes(verb, path string) *Attributes {
	return &Attributes{User: "alice", Groups: []string{GroupAuthenticated}, Verb: verb, Path: path}
}

// aliceCluster binds rules cluster-wide to alice.
func aliceCluster(rules ...rbacv1.PolicyRule) *Policy {
	return &Policy{
		ClusterRoles:        []*rbacv1.ClusterRole{clusterRole("r", rules...)},
		ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{crb("b", "r", user("alice"))},
	}
}

func TestAuthorizeFacts(t *testing.T) {
	podsStar := aliceCluster(rule(l("get"), l(""), l("pods/*")))
	starScale := aliceCluster(rule(l("get", "update"), l("apps"), l("*/scale")))
	star := aliceCluster(rule(l("get"), l(""), l("*")))
	named := aliceCluster(rule(l("*"), l(""), l("configmaps"), "cm1"))
	healthz := aliceCluster(urlRule(l("get"), "/healthz/*"))
	stars := aliceCluster(urlRule(l("get"), "/api**"))
	allURLs := aliceCluster(urlRule(l("get"), "*"))
	caseVerb := aliceCluster(rule(l("GET"), l(""), l("pods")))
	coreGroup := aliceCluster(rule(l("get"), l("core"), l("pods")))
	urlsViaRB := &Policy{
		ClusterRoles: []*rbacv1.ClusterRole{clusterRole("r", urlRule(l("get"), "*"))},
		RoleBindings: []*rbacv1.RoleBinding{rb("ns1", "b", "ClusterRole", "r", user("alice"))},
	}
	nodesViaRB := &Policy{
		ClusterRoles: []*rbacv1.ClusterRole{clusterRole("r", rule(l("get"), l(""), l("nodes", "namespaces")))},
		RoleBindings: []*rbacv1.RoleBinding{rb("ns1", "b", "ClusterRole", "r", user("alice"))},
	}
	roleInNS := &Policy{
		Roles:        []*rbacv1.Role{role("ns1", "r", rule(l("get"), l(""), l("pods"))), role("ns2", "r2", rule(l("*"), l("*"), l("*")))},
		RoleBindings: []*rbacv1.RoleBinding{rb("ns1", "b", "Role", "r", user("alice")), rb("ns1", "b2", "Role", "r2", user("alice"))},
	}
	dangling := &Policy{
		ClusterRoles: []*rbacv1.ClusterRole{clusterRole("r", rule(l("get"), l(""), l("pods")))},
		ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{
			crb("a-missing", "missing", user("alice")),
			crb("b-ok", "r", user("alice")),
		},
	}
	saPolicy := &Policy{
		ClusterRoles: []*rbacv1.ClusterRole{clusterRole("r", rule(l("get"), l(""), l("pods")))},
		ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{
			crb("no-ns", "r", sa("", "nons")),
			crb("with-ns", "r", sa("ns1", "bot")),
		},
		RoleBindings: []*rbacv1.RoleBinding{rb("ns2", "defaulted", "ClusterRole", "r", sa("", "local"))},
	}
	groupPolicy := &Policy{
		ClusterRoles:        []*rbacv1.ClusterRole{clusterRole("r", rule(l("list"), l(""), l("secrets")))},
		ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{crb("b", "r", group("dev"))},
	}
	saUser := func(ns, name string, a *Attributes) *Attributes {
		a.User = ServiceAccountUser(ns, name)
		return a
	}
	withGroups := func(a *Attributes, g ...string) *Attributes { a.Groups = g; return a }
	withVersion := func(a *Attributes, v string) *Attributes { a.APIVersion = v; return a }

	tests := []struct {
		name   string
		policy *Policy
		req    *Attributes
		want   Decision
	}{
		{"pods-star-matches-literal-star", podsStar, res("get", "", "pods", "*", "ns", ""), Allow},
		{"pods-star-not-exec", podsStar, res("get", "", "pods", "exec", "ns", ""), NoOpinion},
		{"pods-star-not-pods", podsStar, res("get", "", "pods", "", "ns", ""), NoOpinion},
		{"star-scale-matches-deployments-scale", starScale, res("update", "apps", "deployments", "scale", "ns", "web"), Allow},
		{"star-scale-not-deployments", starScale, res("update", "apps", "deployments", "", "ns", "web"), NoOpinion},
		{"star-scale-not-status", starScale, res("update", "apps", "deployments", "status", "ns", "web"), NoOpinion},
		{"star-matches-subresources", star, res("get", "", "pods", "log", "ns", "p"), Allow},
		{"resource-names-create-with-name", named, res("create", "", "configmaps", "", "ns", "cm1"), Allow},
		{"resource-names-list-with-name", named, res("list", "", "configmaps", "", "ns", "cm1"), Allow},
		{"resource-names-list-without-name", named, res("list", "", "configmaps", "", "ns", ""), NoOpinion},
		{"resource-names-create-without-name", named, res("create", "", "configmaps", "", "ns", ""), NoOpinion},
		{"resource-names-other-name", named, res("get", "", "configmaps", "", "ns", "cm2"), NoOpinion},
		{"url-trailing-star-not-base", healthz, nonRes("get", "/healthz"), NoOpinion},
		{"url-trailing-star-prefix", healthz, nonRes("get", "/healthz/etcd"), Allow},
		{"url-trailing-star-empty-rest", healthz, nonRes("get", "/healthz/"), Allow},
		{"url-every-trailing-star-stripped", stars, nonRes("get", "/apis"), Allow},
		{"url-every-trailing-star-stripped-exact", stars, nonRes("get", "/api"), Allow},
		{"url-star-matches-all", allURLs, nonRes("get", "/anything/at/all"), Allow},
		{"url-verb-must-match", allURLs, nonRes("post", "/x"), NoOpinion},
		{"url-not-through-rolebinding", urlsViaRB, nonRes("get", "/healthz"), NoOpinion},
		{"rolebinding-grants-nodes-when-namespaced", nodesViaRB, res("get", "", "nodes", "", "ns1", "n1"), Allow},
		{"rolebinding-no-nodes-cluster-wide", nodesViaRB, res("get", "", "nodes", "", "", "n1"), NoOpinion},
		{"rolebinding-grants-own-namespace-object", nodesViaRB, res("get", "", "namespaces", "", "ns1", "ns1"), Allow},
		{"rolebinding-other-namespace", nodesViaRB, res("get", "", "nodes", "", "ns2", "n1"), NoOpinion},
		{"role-in-binding-namespace", roleInNS, res("get", "", "pods", "", "ns1", ""), Allow},
		{"role-from-other-namespace-not-found", roleInNS, res("delete", "", "pods", "", "ns1", ""), NoOpinion},
		{"dangling-role-ref-continues", dangling, res("get", "", "pods", "", "", ""), Allow},
		{"verbs-case-sensitive", caseVerb, res("get", "", "pods", "", "ns", ""), NoOpinion},
		{"verbs-case-sensitive-exact", caseVerb, res("GET", "", "pods", "", "ns", ""), Allow},
		{"apigroup-core-is-not-core", coreGroup, res("get", "", "pods", "", "ns", ""), NoOpinion},
		{"apigroup-core-literal", coreGroup, res("get", "core", "pods", "", "ns", ""), Allow},
		{"version-ignored", star, withVersion(res("get", "", "pods", "", "ns", ""), "v9"), Allow},
		{"sa-without-namespace-in-crb-never-matches", saPolicy, saUser("default", "nons", res("get", "", "pods", "", "default", "")), NoOpinion},
		{"sa-in-crb", saPolicy, saUser("ns1", "bot", res("get", "", "pods", "", "other", "")), Allow},
		{"sa-namespace-defaults-to-rolebinding", saPolicy, saUser("ns2", "local", res("get", "", "pods", "", "ns2", "")), Allow},
		{"sa-defaulted-only-that-namespace", saPolicy, saUser("ns1", "local", res("get", "", "pods", "", "ns2", "")), NoOpinion},
		{"group-matches", groupPolicy, withGroups(res("list", "", "secrets", "", "x", ""), "dev"), Allow},
		{"review-groups-exactly-as-given", groupPolicy, withGroups(res("list", "", "secrets", "", "x", "")), NoOpinion},
		{"masters-not-rbac", groupPolicy, withGroups(res("list", "", "secrets", "", "x", ""), GroupMasters), NoOpinion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := NewIndex(tt.policy, Options{Aggregate: true})
			got := ix.Authorize(tt.req)
			if got.Decision != tt.want {
				t.Errorf("Authorize(%+v) = %v (%s), want %v", *tt.req, got.Decision, got.Reason, tt.want)
			}
			if got.Decision == Allow && got.Grant == nil {
				t.Errorf("allowed without a grant")
			}
		})
	}
}

func TestAuthorizeReason(t *testing.T) {
	p := &Policy{
		ClusterRoles: []*rbacv1.ClusterRole{clusterRole("r", rule(l("get"), l(""), l("pods")))},
		ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{
			crb("a-missing", "missing", user("alice")),
		},
		RoleBindings: []*rbacv1.RoleBinding{
			rb("ns1", "ok", "ClusterRole", "r", sa("", "bot")),
			rb("ns1", "gone", "Role", "nope", user("alice")),
		},
	}
	ix := NewIndex(p, Options{})
	got := ix.Authorize(res("get", "", "pods", "", "ns1", ""))
	if want := `RBAC: [clusterrole.rbac.authorization.k8s.io "missing" not found, role.rbac.authorization.k8s.io "nope" not found]`; got.Reason != want {
		t.Errorf("reason = %q, want %q", got.Reason, want)
	}
	a := res("get", "", "pods", "", "ns1", "")
	a.User = ServiceAccountUser("ns1", "bot")
	got = ix.Authorize(a)
	if want := `RBAC: allowed by RoleBinding "ok/ns1" of ClusterRole "r" to ServiceAccount "bot/ns1"`; got.Reason != want {
		t.Errorf("reason = %q, want %q", got.Reason, want)
	}
	if want := "RoleBinding/ns1/ok → ClusterRole/r → rules[0]"; got.Grant.String() != want {
		t.Errorf("grant = %q, want %q", got.Grant, want)
	}
}

func TestIdentity(t *testing.T) {
	tests := []struct {
		name   string
		user   string
		groups []string
		want   []string
	}{
		{"user", "alice", nil, l(GroupAuthenticated)},
		{"user-with-groups", "alice", l("dev"), l("dev", GroupAuthenticated)},
		{"user-with-authenticated", "alice", l(GroupAuthenticated, "dev"), l(GroupAuthenticated, "dev")},
		{"user-with-unauthenticated", "alice", l(GroupUnauthenticated), l(GroupUnauthenticated)},
		{"anonymous", UserAnonymous, nil, l(GroupUnauthenticated)},
		{"service-account", "system:serviceaccount:ns1:bot", nil, l(GroupServiceAccounts, "system:serviceaccounts:ns1", GroupAuthenticated)},
		{"service-account-with-groups", "system:serviceaccount:ns1:bot", l("x"), l("x", GroupAuthenticated)},
		{"not-a-service-account", "system:serviceaccount:ns1:a:b", nil, l(GroupAuthenticated)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Identity(tt.user, tt.groups)
			if !equalStrings(got, tt.want) {
				t.Errorf("Identity(%q, %q) = %q, want %q", tt.user, tt.groups, got, tt.want)
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
