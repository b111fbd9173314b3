package scan

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubeward/kubeward/internal/rbac"
)

// TestLive feeds objects as a cluster lists them: the default policy is
// among them (labelled by kube-apiserver) and is not reported; every
// service account is listed, so a binding to a missing one dangles; and
// suppression annotations of live objects apply.
func TestLive(t *testing.T) {
	boot := map[string]string{rbac.BootstrapLabel: "rbac-defaults"}
	typed := func(o runtime.Object, gv, kind string) runtime.Object {
		o.GetObjectKind().SetGroupVersionKind(schema.FromAPIVersionAndKind(gv, kind))
		return o
	}
	objs := []runtime.Object{
		typed(&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "cluster-admin", Labels: boot},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}}}, "rbac.authorization.k8s.io/v1", "ClusterRole"),
		typed(&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "cluster-admin", Labels: boot},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects: []rbacv1.Subject{{Kind: "Group", APIGroup: rbacv1.GroupName, Name: "system:masters"}}}, "rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
		typed(&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "ops"},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "alice"}}}, "rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
		typed(&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "break-glass",
			Annotations: map[string]string{SuppressionKey(rbac.RuleClusterAdminBinding, ""): "reviewed, INC-7"}},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "bob"}}}, "rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
		typed(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "app"}}, "v1", "Namespace"),
		typed(&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "ghost", Namespace: "app"},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "ghost", Namespace: "app"}}}, "rbac.authorization.k8s.io/v1", "RoleBinding"),
	}
	s := newTestScanner(t, "restricted", Options{Families: []string{"rbac"}})
	for _, o := range objs {
		s.Live(o)
	}
	s.Finish()
	rep := s.Report()
	if rep.Summary.Objects != len(objs) || len(rep.Errors) != 0 || len(rep.Warnings) != 0 {
		t.Fatalf("summary %+v, errors %v, warnings %v", rep.Summary, rep.Errors, rep.Warnings)
	}
	type got struct {
		rule, object string
		suppressed   bool
	}
	var gots []got
	for _, f := range rep.Findings {
		if f.File != "" || f.Line != 0 {
			t.Errorf("%s on %s: live findings have no file, got %s:%d", f.Rule, f.Object, f.File, f.Line)
		}
		gots = append(gots, got{f.Rule, f.Object.String(), f.Suppressed})
	}
	for _, want := range []got{
		{rbac.RuleClusterAdminBinding, "ClusterRoleBinding/ops", false},
		{rbac.RuleClusterAdminBinding, "ClusterRoleBinding/break-glass", true},
		{rbac.RuleDanglingSubject, "RoleBinding/app/ghost", false},
	} {
		if !slices.Contains(gots, want) {
			t.Errorf("missing finding %+v; got %+v", want, gots)
		}
	}
	for _, g := range gots {
		if g.object == "ClusterRoleBinding/cluster-admin" || g.object == "ClusterRole/cluster-admin" {
			t.Errorf("finding on the default policy: %+v", g)
		}
	}
}

// TestLiveBadSuppression: a live object's malformed suppression is a
// warning naming the object, not an input error (exit 2).
func TestLiveBadSuppression(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "app",
		Annotations: map[string]string{SuppressionDomain + "/rbac.no-such-rule": "x"}}}
	pod.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Pod"))
	s := newTestScanner(t, "restricted", Options{Families: []string{"rbac"}})
	s.Live(pod)
	s.Finish()
	rep := s.Report()
	if len(rep.Errors) != 0 || len(rep.Warnings) != 1 || rep.Warnings[0].Message != `Pod app/web: suppression annotation "ignore-check.kubeward.io/rbac.no-such-rule" names unknown rule "rbac/no-such-rule" (see 'kubeward rules')` {
		t.Fatalf("errors %v, warnings %v", rep.Errors, rep.Warnings)
	}
}
