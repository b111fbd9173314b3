//go:build e2e

package e2e

import (
	"context"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeward/kubeward/internal/rbac"
)

// factObjects grants each fact's user one rule, cluster-wide unless said otherwise.
func factObjects() []runtime.Object {
	meta := genMeta // labelled, so the differential test's clean-up removes them
	var objs []runtime.Object
	grant := func(user string, rules ...rbacv1.PolicyRule) {
		objs = append(objs,
			&rbacv1.ClusterRole{ObjectMeta: meta("fact-"+user, ""), Rules: rules},
			&rbacv1.ClusterRoleBinding{ObjectMeta: meta("fact-"+user, ""),
				RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "fact-" + user},
				Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: user}}})
	}
	res := func(verbs, groups, resources []string, names ...string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources, ResourceNames: names}
	}
	l := func(s ...string) []string { return s }
	grant("pods-star", res(l("get"), l(""), l("pods/*")))
	grant("star-scale", res(l("update"), l("apps"), l("*/scale")))
	grant("named", res(l("*"), l(""), l("configmaps"), "cm1"))
	grant("healthz", rbacv1.PolicyRule{Verbs: l("get"), NonResourceURLs: l("/healthz/*")})
	grant("stars", rbacv1.PolicyRule{Verbs: l("get"), NonResourceURLs: l("/zz**")})
	grant("upper", res(l("GET"), l(""), l("pods")))
	grant("core", res(l("get"), l("core"), l("pods")))
	// A RoleBinding in "facts" to a ClusterRole naming cluster-scoped resources.
	objs = append(objs,
		&rbacv1.ClusterRole{ObjectMeta: meta("fact-scoped", ""), Rules: []rbacv1.PolicyRule{res(l("get"), l(""), l("nodes", "namespaces"))}},
		&rbacv1.RoleBinding{ObjectMeta: meta("fact-scoped", "facts"),
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "fact-scoped"},
			Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "scoped"}}})
	// Aggregation: selectors matching nothing keep written rules; {} takes
	// everything, cluster-admin included.
	keep := &rbacv1.ClusterRole{ObjectMeta: meta("fact-agg-keep", ""), Rules: []rbacv1.PolicyRule{res(l("get"), l(""), l("secrets"))},
		AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"fact": "no-such-label"}}}}}
	all := &rbacv1.ClusterRole{ObjectMeta: meta("fact-agg-all", ""),
		AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{}}}}
	replace := &rbacv1.ClusterRole{ObjectMeta: meta("fact-agg-replace", ""), Rules: []rbacv1.PolicyRule{res(l("get"), l(""), l("configmaps"))},
		AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"fact": "part"}}}}}
	part := &rbacv1.ClusterRole{ObjectMeta: meta("fact-part", ""), Rules: []rbacv1.PolicyRule{res(l("list"), l(""), l("configmaps"))}}
	part.Labels["fact"] = "part"
	objs = append(objs, keep, all, replace, part)
	for _, n := range []string{"fact-agg-keep", "fact-agg-all", "fact-agg-replace"} {
		objs = append(objs, &rbacv1.ClusterRoleBinding{ObjectMeta: meta(n, ""),
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: n},
			Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: n}}})
	}
	return objs
}

func resReview(user, verb, group, resource, sub, ns, name string) *authorizationv1.SubjectAccessReview {
	return &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: user,
		ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: verb, Group: group, Resource: resource, Subresource: sub, Namespace: ns, Name: name, Version: "v1"}}}
}

func urlReview(user, verb, path string) *authorizationv1.SubjectAccessReview {
	return &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: user,
		NonResourceAttributes: &authorizationv1.NonResourceAttributes{Verb: verb, Path: path}}}
}

// testRBACFacts checks the edge cases docs/rbac.md lists on the server and on kubeward.
func testRBACFacts(t *testing.T, c kubernetes.Interface) {
	objs := factObjects()
	createObjects(t, c, objs)
	facts := []struct {
		name   string
		review *authorizationv1.SubjectAccessReview
		want   bool
	}{
		{"pods-star-literal", resReview("pods-star", "get", "", "pods", "*", "x", ""), true},
		{"pods-star-not-exec", resReview("pods-star", "get", "", "pods", "exec", "x", ""), false},
		{"pods-star-not-pods", resReview("pods-star", "get", "", "pods", "", "x", ""), false},
		{"star-scale-deployments", resReview("star-scale", "update", "apps", "deployments", "scale", "x", "d"), true},
		{"resource-names-create-named", resReview("named", "create", "", "configmaps", "", "x", "cm1"), true},
		{"resource-names-list-named", resReview("named", "list", "", "configmaps", "", "x", "cm1"), true},
		{"resource-names-list-unnamed", resReview("named", "list", "", "configmaps", "", "x", ""), false},
		{"url-star-not-base", urlReview("healthz", "get", "/healthz"), false},
		{"url-star-prefix", urlReview("healthz", "get", "/healthz/etcd"), true},
		{"url-stars-stripped", urlReview("stars", "get", "/zzz"), true},
		{"url-stars-stripped-base", urlReview("stars", "get", "/zz"), true},
		{"rolebinding-nodes-namespaced", resReview("scoped", "get", "", "nodes", "", "facts", "n1"), true},
		{"rolebinding-nodes-cluster", resReview("scoped", "get", "", "nodes", "", "", "n1"), false},
		{"rolebinding-own-namespace", resReview("scoped", "get", "", "namespaces", "", "facts", "facts"), true},
		{"verbs-case-sensitive", resReview("upper", "get", "", "pods", "", "x", ""), false},
		{"verbs-case-exact", resReview("upper", "GET", "", "pods", "", "x", ""), true},
		{"core-is-not-core", resReview("core", "get", "", "pods", "", "x", ""), false},
		{"core-literal", resReview("core", "get", "core", "pods", "", "x", ""), true},
		{"aggregation-no-match-keeps", resReview("fact-agg-keep", "get", "", "secrets", "", "x", ""), true},
		{"aggregation-union-replaces-written", resReview("fact-agg-replace", "get", "", "configmaps", "", "x", ""), false},
		{"aggregation-union", resReview("fact-agg-replace", "list", "", "configmaps", "", "x", ""), true},
		{"version-ignored", func() *authorizationv1.SubjectAccessReview {
			r := resReview("pods-star", "get", "", "pods", "*", "x", "")
			r.Spec.ResourceAttributes.Version = "v9beta7"
			return r
		}(), true},
		{"aggregation-empty-selector-cluster-admin", resReview("fact-agg-all", "delete", "anything", "everything", "", "x", ""), true},
	}
	sentObjs, sentinels := sentinelObjects(99)
	createObjects(t, c, sentObjs)
	waitSettled(t, c, sentinels)
	chain, ix := kubewardChain(t, append(objs, sentObjs...))
	checkAggregation(t, c, ix)
	for _, f := range facts {
		t.Run(f.name, func(t *testing.T) {
			got, err := serverReview(context.Background(), c, f.review)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status.Allowed != f.want {
				t.Errorf("server: allowed=%v (%q), want %v", got.Status.Allowed, got.Status.Reason, f.want)
			}
			if mine := rbac.Review(chain, f.review); mine.Status.Allowed != f.want {
				t.Errorf("kubeward: allowed=%v (%q), want %v", mine.Status.Allowed, mine.Status.Reason, f.want)
			}
		})
	}
}
