package rbac

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPolicyAdd(t *testing.T) {
	p := &Policy{}
	def := clusterRole("view", rule(l("get"), l(""), l("pods")))
	mine := clusterRole("view", rule(l("list"), l(""), l("pods")))
	p.Add(def, Source{Default: true})
	p.Add(mine, Source{File: "a.yaml", Line: 3})
	p.Add(clusterRole("view"), Source{Default: true}) // a default never replaces the user's
	if len(p.ClusterRoles) != 1 || p.ClusterRoles[0] != mine || len(p.Duplicates) != 0 {
		t.Fatalf("user object must replace the default silently: %+v %v", p.ClusterRoles, p.Duplicates)
	}
	b1 := rb("ns", "b", "Role", "r", user("a"))
	b2 := rb("ns", "b", "Role", "r", user("b"))
	p.Add(b1, Source{File: "a.yaml", Line: 1})
	p.Add(b2, Source{File: "b.yaml", Line: 9})
	if len(p.RoleBindings) != 1 || p.RoleBindings[0] != b2 {
		t.Errorf("later binding must win: %+v", p.RoleBindings)
	}
	if len(p.Duplicates) != 1 || !strings.Contains(p.Duplicates[0].Error(), "RoleBinding/ns/b is defined twice, at a.yaml:1 and b.yaml:9") {
		t.Errorf("duplicates = %v", p.Duplicates)
	}
	if !p.Add(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "d"}}, Source{}) || len(p.Workloads) != 1 {
		t.Error("deployment not taken as a workload")
	}
	if p.Add(&corev1.ConfigMap{}, Source{}) {
		t.Error("a ConfigMap is not used by the engine")
	}
	if got := NewIndex(p, Options{}).Problems(); len(got) != 1 {
		t.Errorf("index problems = %v", got)
	}
}
