package rbac

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/rbac/bootstrap"
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
	wantDup := []*Problem{{
		Source: Source{File: "b.yaml", Line: 9}, Object: ObjectKey{"RoleBinding", "ns", "b"}, Warning: true,
		Message: "defined twice, at a.yaml:1 and b.yaml:9; the latter is used",
	}}
	if diff := cmp.Diff(wantDup, p.Duplicates); diff != "" {
		t.Errorf("duplicates (-want +got):\n%s", diff)
	}
	if !p.Add(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "d"}}, Source{}) || len(p.Workloads) != 1 {
		t.Error("deployment not taken as a workload")
	}
	if p.Add(&corev1.ConfigMap{}, Source{}) {
		t.Error("a ConfigMap is not used by the engine")
	}
	if got := NewIndex(p, Options{}).Problems(); len(got) != 1 || !got[0].Warning {
		t.Errorf("index problems = %v", got)
	}
}

// TestPolicyAddDuplicatesKeepOrder: replacing a duplicate keeps the
// object's position, for every kind, and a later Add of a third copy still
// finds it; slices filled by hand are searched.
func TestPolicyAddDuplicatesKeepOrder(t *testing.T) {
	p := &Policy{}
	for i := range 5 {
		p.Add(role("ns", fmt.Sprint("r", i)), Source{File: "a.yaml", Line: i + 1})
		p.Add(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: fmt.Sprint("d", i)}}, Source{File: "a.yaml", Line: i + 1})
	}
	r2 := role("ns", "r2", rule(l("get"), l(""), l("pods")))
	p.Add(r2, Source{File: "b.yaml", Line: 1})
	r2b := role("ns", "r2", rule(l("list"), l(""), l("pods")))
	p.Add(r2b, Source{File: "c.yaml", Line: 1})
	p.Add(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "d3"}, Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{ServiceAccountName: "x"}}}}, Source{File: "b.yaml", Line: 2})
	if len(p.Roles) != 5 || p.Roles[2] != r2b || len(p.Workloads) != 5 || p.Workloads[3].Spec.ServiceAccountName != "x" || len(p.Duplicates) != 3 {
		t.Errorf("roles %d (r2 at 2: %v), workloads %d (d3 sa %q), duplicates %d", len(p.Roles), p.Roles[2] == r2b, len(p.Workloads), p.Workloads[3].Spec.ServiceAccountName, len(p.Duplicates))
	}

	// Filled by hand, with sources but no positions.
	h := &Policy{ClusterRoles: []*rbacv1.ClusterRole{clusterRole("a"), clusterRole("b")}, Sources: map[ObjectKey]Source{{"ClusterRole", "", "b"}: {File: "x.yaml"}}}
	nb := clusterRole("b", rule(l("get"), l(""), l("pods")))
	h.Add(nb, Source{File: "y.yaml"})
	if len(h.ClusterRoles) != 2 || h.ClusterRoles[1] != nb {
		t.Errorf("hand-filled policy: %+v", h.ClusterRoles)
	}
}

// TestPolicyAddGenerateName: objects made for kubectl create have
// generateName and no name; each is a distinct object (never a duplicate),
// valid, kept under a name no manifest can spell, and the caller's object is
// not modified.
func TestPolicyAddGenerateName(t *testing.T) {
	p := &Policy{}
	mk := func() *rbacv1.RoleBinding {
		b := rb("ns", "", "ClusterRole", "view", user("alice"))
		b.GenerateName = "viewers-"
		return b
	}
	b1, b2 := mk(), mk()
	p.Add(b1, Source{File: "a.yaml", Line: 1})
	p.Add(b2, Source{File: "a.yaml", Line: 9})
	p.Add(&batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", GenerateName: "migrate-"}}, Source{File: "job.yaml", Line: 1})
	if b1.Name != "" || b2.Name != "" {
		t.Fatal("Add renamed the caller's object")
	}
	var names []string
	for _, b := range p.RoleBindings {
		names = append(names, b.Name+" "+b.GenerateName)
	}
	if diff := cmp.Diff([]string{"viewers-<generated> viewers-", "viewers-<generated-2> viewers-"}, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if len(p.Workloads) != 1 || p.Workloads[0].Key.Name != "migrate-<generated>" {
		t.Errorf("workloads = %+v", p.Workloads)
	}
	if src := p.Sources[ObjectKey{"RoleBinding", "ns", "viewers-<generated-2>"}]; src.Line != 9 {
		t.Errorf("source of the second binding = %v", src)
	}
	if got := NewIndex(p, Options{}).Problems(); len(got) != 0 {
		t.Errorf("problems = %v", got)
	}
}

// TestDefaultedNamespace: callers give namespaced objects without a
// namespace the namespace kubectl would (here "default"); a RoleBinding's
// reference to a Role of that namespace then resolves.
func TestDefaultedNamespace(t *testing.T) {
	p := &Policy{}
	r := role("", "reader", rule(l("get"), l(""), l("pods")))
	b := rb("", "read", "Role", "reader", user("alice"))
	for _, o := range []interface{ SetNamespace(string) }{r, b} {
		o.SetNamespace("default") // as the scan layer does for -n/--namespace
	}
	p.Add(r, Source{File: "a.yaml", Line: 1})
	p.Add(b, Source{File: "a.yaml", Line: 8})
	ix := NewIndex(p, Options{})
	if got := ix.Problems(); len(got) != 0 {
		t.Fatalf("problems = %v", got)
	}
	if bs := ix.Bindings(); len(bs) != 1 || bs[0].Role == nil || bs[0].Role.Key != (ObjectKey{"Role", "default", "reader"}) {
		t.Fatalf("binding not resolved: %+v", bs)
	}
	if d := ix.Authorize(res("get", "", "pods", "", "default", "x")).Decision; d != Allow {
		t.Errorf("alice get pods in default: %v", d)
	}
}

// TestClone: a clone shares the objects but not the slices, sources or
// positions; adding to one does not change the other.
func TestClone(t *testing.T) {
	p := &Policy{}
	p.Add(clusterRole("view"), Source{Default: true})
	p.Add(role("ns", "r"), Source{File: "a.yaml", Line: 1})
	c := p.Clone()
	mine := clusterRole("view", rule(l("get"), l(""), l("pods")))
	c.Add(mine, Source{File: "b.yaml", Line: 1})
	c.Add(role("ns", "r"), Source{File: "b.yaml", Line: 5})
	c.Add(role("ns", "other"), Source{File: "b.yaml", Line: 9})
	if len(p.ClusterRoles) != 1 || p.ClusterRoles[0] == mine || len(p.Roles) != 1 || len(p.Duplicates) != 0 || !p.Sources[ObjectKey{"ClusterRole", "", "view"}].Default {
		t.Errorf("original changed: %+v %+v %v %v", p.ClusterRoles, p.Roles, p.Duplicates, p.Sources)
	}
	if len(c.ClusterRoles) != 1 || c.ClusterRoles[0] != mine || len(c.Roles) != 2 || len(c.Duplicates) != 1 {
		t.Errorf("clone: %+v %+v %v", c.ClusterRoles, c.Roles, c.Duplicates)
	}
}

func TestNewPolicyWithDefaults(t *testing.T) {
	a, err := NewPolicyWithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewPolicyWithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	objs, err := bootstrap.Objects()
	if err != nil {
		t.Fatal(err)
	}
	n := len(a.Roles) + len(a.ClusterRoles) + len(a.RoleBindings) + len(a.ClusterRoleBindings)
	if n != len(objs) || len(a.Sources) != len(objs) {
		t.Fatalf("%d objects, %d sources, want %d", n, len(a.Sources), len(objs))
	}
	for k, s := range a.Sources {
		if !s.Default {
			t.Fatalf("%s: source %v, want default", k, s)
		}
	}
	if &a.ClusterRoles[0] == &b.ClusterRoles[0] || a.ClusterRoles[0] != b.ClusterRoles[0] {
		t.Error("policies must share the objects, not the slices")
	}
	a.Add(rb("shop", "edit", "ClusterRole", "edit", user("alice")), Source{File: "a.yaml", Line: 1})
	if len(b.RoleBindings) != len(a.RoleBindings)-1 {
		t.Error("adding to one policy changed the other")
	}
	if got := NewIndex(a, Options{Aggregate: true}).Problems(); len(got) != 0 {
		t.Errorf("problems = %v", got)
	}
}

// BenchmarkPolicyAddDuplicates adds n objects of which half repeat an
// earlier key: the cost per object must not grow with n.
func BenchmarkPolicyAddDuplicates(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		objs := make([]*rbacv1.RoleBinding, n)
		for i := range objs {
			name := i
			if i%2 == 1 {
				name = i - 1 // every second object repeats the one before
			}
			objs[i] = rb(fmt.Sprint("ns", name%100), fmt.Sprint("b", name), "ClusterRole", "view", user("alice"))
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				p := &Policy{}
				for i, o := range objs {
					p.Add(o, Source{File: "a.yaml", Line: i + 1})
				}
				if len(p.RoleBindings) != n/2 || len(p.Duplicates) != n/2 {
					b.Fatalf("%d bindings, %d duplicates", len(p.RoleBindings), len(p.Duplicates))
				}
			}
			// CPU time, unlike wall time, does not grow when other
			// processes compete for the cores.
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/float64(n), "cpu-ns/object")
		})
	}
}

// BenchmarkPolicyPerBundle compares the two ways to give each bundle of
// input the default policy: decoding it again and adding its objects, or
// NewPolicyWithDefaults (a clone of a policy built once).
func BenchmarkPolicyPerBundle(b *testing.B) {
	b.Run("decode+add", func(b *testing.B) {
		b.ReportAllocs()
		cpu := cpuTime()
		defer func() { b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e3, "cpu-µs/op") }()
		for b.Loop() {
			objs, err := bootstrap.Decode(bootstrap.YAML())
			if err != nil {
				b.Fatal(err)
			}
			p := &Policy{}
			for _, o := range objs {
				p.Add(o, Source{Default: true})
			}
		}
	})
	b.Run("add-decoded", func(b *testing.B) {
		objs, err := bootstrap.Objects()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		cpu := cpuTime()
		for b.Loop() {
			p := &Policy{}
			for _, o := range objs {
				p.Add(o, Source{Default: true})
			}
		}
		b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e3, "cpu-µs/op")
	})
	b.Run("NewPolicyWithDefaults", func(b *testing.B) {
		b.ReportAllocs()
		cpu := cpuTime()
		for b.Loop() {
			if _, err := NewPolicyWithDefaults(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e3, "cpu-µs/op")
	})
}
