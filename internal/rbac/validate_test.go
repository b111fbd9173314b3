package rbac

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
		{"generate-name", &Policy{
			Roles:               []*rbacv1.Role{{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", GenerateName: "r-"}}},
			ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{{ObjectMeta: metav1.ObjectMeta{GenerateName: "b-"}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "c"}}},
		}, nil},
		{"namespace", &Policy{
			Roles:        []*rbacv1.Role{role("", "r")},
			RoleBindings: []*rbacv1.RoleBinding{rb("", "b", "Role", "r")},
		}, []string{
			"Role/r: metadata.namespace: required for a namespaced kind",
			"RoleBinding/b: metadata.namespace: required for a namespaced kind",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range Validate(tt.p) {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Validate:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestValidateProblem: a problem carries the object's source, its key and
// the field path from the object's root, so that callers can locate it.
func TestValidateProblem(t *testing.T) {
	p := &Policy{}
	p.Add(crb("b", "c", sa("", "bot")), Source{File: "rbac.yaml", Line: 4})
	got := Validate(p)
	want := []*Problem{{
		Source: Source{File: "rbac.yaml", Line: 4}, Object: ObjectKey{"ClusterRoleBinding", "", "b"},
		Field: "subjects[0].namespace", Message: "required for a ServiceAccount in a ClusterRoleBinding",
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Validate (-want +got):\n%s", diff)
	}
	if s := got[0].Error(); s != "rbac.yaml:4: ClusterRoleBinding/b: subjects[0].namespace: required for a ServiceAccount in a ClusterRoleBinding" {
		t.Errorf("Error() = %q", s)
	}
	if s := got[0].Detail(); s != "ClusterRoleBinding/b: subjects[0].namespace: required for a ServiceAccount in a ClusterRoleBinding" {
		t.Errorf("Detail() = %q", s)
	}
}
