package rbac

import (
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

func TestValidate(t *testing.T) {
	noGroupUser := rbacv1.Subject{Kind: "User", Name: "alice"} // defaulted by the API server
	tests := []struct {
		name string
		p    *Policy
		want []string
	}{
		{"valid", &Policy{
			Roles:               []*rbacv1.Role{role("ns", "r", rule(l("get"), l(""), l("pods")))},
			ClusterRoles:        []*rbacv1.ClusterRole{clusterRole("c", urlRule(l("get"), "/x"))},
			RoleBindings:        []*rbacv1.RoleBinding{rb("ns", "b", "Role", "r", noGroupUser, sa("", "bot"))},
			ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{crb("b", "c", group("g"), sa("ns", "bot"))},
		}, nil},
		{"rules", &Policy{
			Roles: []*rbacv1.Role{role("ns", "r", urlRule(l("get"), "/x"), rule(nil, l(""), l("pods")))},
			ClusterRoles: []*rbacv1.ClusterRole{clusterRole("c",
				rbacv1.PolicyRule{Verbs: l("get"), NonResourceURLs: l("/x"), Resources: l("pods")},
				rbacv1.PolicyRule{Verbs: l("get")})},
		}, []string{
			"Role/ns/r: rules[0].nonResourceURLs: namespaced rules cannot apply to non-resource URLs",
			"Role/ns/r: rules[1].verbs: verbs must contain at least one value",
			"ClusterRole/c: rules[0].nonResourceURLs: rules cannot apply to both regular resources and non-resource URLs",
			"ClusterRole/c: rules[1].apiGroups: resource rules must supply at least one api group",
			"ClusterRole/c: rules[1].resources: resource rules must supply at least one resource",
		}},
		{"bindings", &Policy{
			RoleBindings: []*rbacv1.RoleBinding{rb("ns", "b", "Thing", "", rbacv1.Subject{Kind: "Robot", Name: "x"}, rbacv1.Subject{Kind: "User", APIGroup: "v1", Name: "u"})},
			ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{{
				RoleRef:  rbacv1.RoleRef{APIGroup: "rbac", Kind: "Role", Name: "r"},
				Subjects: []rbacv1.Subject{sa("", "bot"), {Kind: "ServiceAccount", APIGroup: "x", Namespace: "n", Name: "s"}, {Kind: "Group"}},
			}},
		}, []string{
			"RoleBinding/ns/b: roleRef.kind: unsupported value \"Thing\" (want Role or ClusterRole)",
			"RoleBinding/ns/b: roleRef.name: required",
			"RoleBinding/ns/b: subjects[0].kind: unsupported value \"Robot\" (want ServiceAccount, User or Group)",
			"RoleBinding/ns/b: subjects[1].apiGroup: unsupported value \"v1\" (want rbac.authorization.k8s.io)",
			"ClusterRoleBinding/: metadata.name: required",
			"ClusterRoleBinding/: roleRef.apiGroup: unsupported value \"rbac\" (want rbac.authorization.k8s.io)",
			"ClusterRoleBinding/: roleRef.kind: unsupported value \"Role\" (want ClusterRole)",
			"ClusterRoleBinding/: subjects[0].namespace: required for a ServiceAccount in a ClusterRoleBinding",
			"ClusterRoleBinding/: subjects[1].apiGroup: unsupported value \"x\" (want \"\" for a ServiceAccount)",
			"ClusterRoleBinding/: subjects[2].name: required",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range Validate(tt.p) {
				got = append(got, strings.TrimPrefix(e.Error(), "unknown source: "))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Validate:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
