package rbac

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func labelled(cr *rbacv1.ClusterRole, kv ...string) *rbacv1.ClusterRole {
	cr.Labels = map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		cr.Labels[kv[i]] = kv[i+1]
	}
	return cr
}

func aggregating(cr *rbacv1.ClusterRole, selectors ...metav1.LabelSelector) *rbacv1.ClusterRole {
	cr.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: selectors}
	return cr
}

func sel(kv ...string) metav1.LabelSelector {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return metav1.LabelSelector{MatchLabels: m}
}

func TestAggregation(t *testing.T) {
	get := rule(l("get"), l(""), l("pods"))
	list := rule(l("list"), l(""), l("pods"))
	del := rule(l("delete"), l(""), l("pods"))
	all := rule(l("*"), l("*"), l("*"))
	handWritten := rule(l("get"), l(""), l("secrets"))
	tests := []struct {
		name  string
		roles []*rbacv1.ClusterRole
		want  map[string][]rbacv1.PolicyRule
	}{
		{
			name: "union-by-name-without-duplicates",
			roles: []*rbacv1.ClusterRole{
				aggregating(clusterRole("agg", handWritten), sel("a", "1"), sel("b", "1")),
				labelled(clusterRole("z", get, list), "a", "1"),
				labelled(clusterRole("y", list, del), "a", "1", "b", "1"),
			},
			want: map[string][]rbacv1.PolicyRule{"agg": {list, del, get}},
		},
		{
			name: "no-match-keeps-written-rules",
			roles: []*rbacv1.ClusterRole{
				aggregating(clusterRole("agg", handWritten), sel("nothing", "here")),
				labelled(clusterRole("z", get), "a", "1"),
			},
			want: map[string][]rbacv1.PolicyRule{"agg": {handWritten}},
		},
		{
			name: "empty-selector-takes-everything-including-cluster-admin",
			roles: []*rbacv1.ClusterRole{
				aggregating(clusterRole("agg", handWritten), metav1.LabelSelector{}),
				clusterRole("cluster-admin", all),
				clusterRole("z", get),
			},
			want: map[string][]rbacv1.PolicyRule{"agg": {all, get}},
		},
		{
			name: "chain",
			roles: []*rbacv1.ClusterRole{
				aggregating(clusterRole("a-top"), sel("to", "top")),
				labelled(aggregating(clusterRole("b-mid", handWritten), sel("to", "mid")), "to", "top"),
				labelled(clusterRole("c-leaf", get), "to", "mid"),
				labelled(clusterRole("d-leaf", del), "to", "top"),
			},
			want: map[string][]rbacv1.PolicyRule{"a-top": {get, del}, "b-mid": {get}},
		},
		{
			name: "matched-role-without-rules-keeps-written",
			roles: []*rbacv1.ClusterRole{
				aggregating(clusterRole("agg", handWritten), sel("a", "1")),
				labelled(clusterRole("empty"), "a", "1"),
			},
			want: map[string][]rbacv1.PolicyRule{"agg": {handWritten}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := aggregateClusterRoles(tt.roles, nil)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("aggregated rules (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAggregationInvalidSelector(t *testing.T) {
	bad := metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Bogus"}}}
	src := Source{File: "roles.yaml", Line: 12}
	_, errs := aggregateClusterRoles([]*rbacv1.ClusterRole{aggregating(clusterRole("agg"), sel("x", "y"), bad)},
		map[ObjectKey]Source{{"ClusterRole", "", "agg"}: src})
	if len(errs) != 1 {
		t.Fatalf("errors = %v, want one", errs)
	}
	p := errs[0]
	if p.Source != src || p.Object != (ObjectKey{"ClusterRole", "", "agg"}) || p.Field != "aggregationRule.clusterRoleSelectors[1]" || p.Warning {
		t.Errorf("problem = %+v", p)
	}
	if want := "roles.yaml:12: ClusterRole/agg: aggregationRule.clusterRoleSelectors[1]: "; !strings.HasPrefix(p.Error(), want) {
		t.Errorf("Error() = %q, want prefix %q", p.Error(), want)
	}
}

func TestAggregationAuthorizes(t *testing.T) {
	p := &Policy{
		ClusterRoles: []*rbacv1.ClusterRole{
			aggregating(clusterRole("agg"), sel("x", "y")),
			labelled(clusterRole("part", rule(l("get"), l(""), l("pods"))), "x", "y"),
		},
		ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{crb("b", "agg", user("alice"))},
	}
	req := res("get", "", "pods", "", "ns", "")
	if got := NewIndex(p, Options{Aggregate: true}).Authorize(req).Decision; got != Allow {
		t.Errorf("with aggregation: %v, want allow", got)
	}
	if got := NewIndex(p, Options{}).Authorize(req).Decision; got != NoOpinion {
		t.Errorf("without aggregation: %v, want no-opinion", got)
	}
}
