package rbac

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sigs.k8s.io/yaml"

	"github.com/kubeward/kubeward/internal/rbac/bootstrap"
)

// Size of the generated cluster the benchmarks run on (the figures):
// 10,000 Roles and ClusterRoles, 50,000 bindings, 1,000 namespaces.
const (
	benchNamespaces      = 1000
	benchClusterRoles    = 2000
	benchRolesPerNS      = 8 // 8,000 Roles
	benchCRBs            = 2000
	benchRBsPerNS        = 48 // 48,000 RoleBindings
	benchSAsPerNS        = 20
	benchWorkloadsPerNS  = 5
	benchUsers           = 5000
	benchGroups          = 500
	benchAggregatedRoles = 20
)

var (
	benchVerbs     = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "escalate", "bind", "impersonate", "*"}
	benchGroupsVoc = []string{"", "", "", "apps", "batch", "rbac.authorization.k8s.io", "networking.k8s.io", "example.com", "*"}
	benchResources = []string{"pods", "pods/exec", "pods/log", "deployments", "deployments/scale", "*/scale", "secrets", "configmaps", "services", "jobs", "roles", "rolebindings", "nodes", "nodes/proxy", "persistentvolumes", "serviceaccounts/token", "widgets", "*"}
)

func benchPick(r *rand.Rand, s []string, n int) []string {
	out := make([]string, 0, n)
	for range n {
		out = append(out, s[r.IntN(len(s))])
	}
	return out
}

func benchRules(r *rand.Rand, namespaced bool) []rbacv1.PolicyRule {
	rules := make([]rbacv1.PolicyRule, 3+r.IntN(4))
	for i := range rules {
		if !namespaced && r.IntN(10) == 0 {
			rules[i] = rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: benchPick(r, []string{"/healthz", "/metrics", "/logs/*", "/api*"}, 1+r.IntN(2))}
			continue
		}
		rules[i] = rbacv1.PolicyRule{
			Verbs:     benchPick(r, benchVerbs[:8], 1+r.IntN(3)),
			APIGroups: benchPick(r, benchGroupsVoc[:7], 1+r.IntN(2)),
			Resources: benchPick(r, benchResources[:12], 1+r.IntN(3)),
		}
		if r.IntN(50) == 0 { // rare dangerous extras and wildcards
			rules[i].Verbs = append(rules[i].Verbs, benchPick(r, benchVerbs[8:], 1)...)
			rules[i].Resources = append(rules[i].Resources, benchPick(r, benchResources[12:], 1)...)
		}
		if r.IntN(8) == 0 {
			rules[i].ResourceNames = []string{fmt.Sprintf("obj-%d", r.IntN(100))}
		}
	}
	return rules
}

func benchSubjects(r *rand.Rand, ns string) []rbacv1.Subject {
	subs := make([]rbacv1.Subject, 1+r.IntN(3))
	for i := range subs {
		switch r.IntN(3) {
		case 0:
			subs[i] = rbacv1.Subject{Kind: "User", APIGroup: rbacv1.GroupName, Name: fmt.Sprintf("user-%d", r.IntN(benchUsers))}
		case 1:
			subs[i] = rbacv1.Subject{Kind: "Group", APIGroup: rbacv1.GroupName, Name: fmt.Sprintf("group-%d", r.IntN(benchGroups))}
		default:
			sns := ns
			if sns == "" || r.IntN(4) == 0 {
				sns = fmt.Sprintf("ns-%04d", r.IntN(benchNamespaces))
			}
			subs[i] = rbacv1.Subject{Kind: "ServiceAccount", Namespace: sns, Name: fmt.Sprintf("sa-%d", r.IntN(benchSAsPerNS+2))}
		}
	}
	return subs
}

// benchPolicy generates the benchmark cluster (deterministic) plus the
// default policy. It is built once per test binary.
var benchPolicy = sync.OnceValue(func() *Policy {
	r := rand.New(rand.NewPCG(1, 2))
	p := &Policy{}
	boot, err := bootstrap.Objects()
	if err != nil {
		panic(err)
	}
	for _, o := range boot {
		p.Add(o, Source{Default: true})
	}
	src := Source{File: "generated.yaml", Line: 1}
	var crNames []string
	for i := range benchClusterRoles {
		cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cr-%d", i), Labels: map[string]string{fmt.Sprintf("agg-%d", r.IntN(10)): "true"}}, Rules: benchRules(r, false)}
		if i < benchAggregatedRoles {
			cr.Labels = nil
			cr.Rules = nil
			cr.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{fmt.Sprintf("agg-%d", i%10): "true"}}}}
		}
		p.Add(cr, src)
		crNames = append(crNames, cr.Name)
	}
	crNames = append(crNames, "view", "edit", "admin")
	for i := range benchCRBs {
		p.Add(&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("crb-%d", i)},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: crNames[r.IntN(len(crNames))]},
			Subjects: benchSubjects(r, "")}, src)
	}
	f := false
	for n := range benchNamespaces {
		ns := fmt.Sprintf("ns-%04d", n)
		p.Add(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, src)
		if n%2 == 0 {
			p.Add(&corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "counts"}, Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{"pods": resource.MustParse("100")}}}, src)
		}
		for i := range benchRolesPerNS {
			p.Add(&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("role-%d", i)}, Rules: benchRules(r, true)}, src)
		}
		for i := range benchRBsPerNS {
			ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: fmt.Sprintf("role-%d", r.IntN(benchRolesPerNS+1))}
			if r.IntN(3) == 0 {
				ref.Kind, ref.Name = "ClusterRole", crNames[r.IntN(len(crNames))]
			}
			p.Add(&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("rb-%d", i)}, RoleRef: ref, Subjects: benchSubjects(r, ns)}, src)
		}
		for i := range benchSAsPerNS {
			sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("sa-%d", i)}}
			if i%3 == 0 {
				sa.AutomountServiceAccountToken = &f
			}
			p.Add(sa, src)
		}
		for i := range benchWorkloadsPerNS {
			p.Add(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("app-%d", i)},
				Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{ServiceAccountName: fmt.Sprintf("sa-%d", r.IntN(benchSAsPerNS))}}}}, src)
		}
	}
	return p
})

var benchIndex = sync.OnceValue(func() *Index { return NewIndex(benchPolicy(), Options{Aggregate: true}) })

// peakHeap samples live heap bytes every millisecond until stop is called,
// and returns the peak seen (runtime/metrics: no stop-the-world).
func peakHeap() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	read := func() {
		metrics.Read(sample)
		if v := sample[0].Value.Uint64(); v > peak.Load() {
			peak.Store(v)
		}
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			read()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		read()
		return peak.Load()
	}
}

func reportPeak(b *testing.B, stop func() uint64) {
	b.ReportMetric(float64(stop())/(1<<20), "peak-heap-MiB")
}

// cpuTime returns the CPU time (user+system) the process has used: unlike
// wall time it does not grow when other processes compete for the cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per op since start (all threads, GC included).
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

func benchSizes(b *testing.B) {
	p := benchPolicy()
	b.Logf("cluster: %d Roles + %d ClusterRoles, %d RoleBindings + %d ClusterRoleBindings, %d namespaces (default policy included)",
		len(p.Roles), len(p.ClusterRoles), len(p.RoleBindings), len(p.ClusterRoleBindings), len(p.Namespaces))
}

func BenchmarkIndex(b *testing.B) {
	p := benchPolicy()
	benchSizes(b)
	runtime.GC()
	stop := peakHeap()
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		NewIndex(p, Options{Aggregate: true})
	}
	reportCPU(b, cpu)
	reportPeak(b, stop)
}

func benchRequests(n int) []*Attributes {
	r := rand.New(rand.NewPCG(3, 4))
	out := make([]*Attributes, n)
	for i := range out {
		user := fmt.Sprintf("user-%d", r.IntN(benchUsers))
		groups := []string{fmt.Sprintf("group-%d", r.IntN(benchGroups)), fmt.Sprintf("group-%d", r.IntN(benchGroups)), GroupAuthenticated}
		if r.IntN(3) == 0 {
			ns := fmt.Sprintf("ns-%04d", r.IntN(benchNamespaces))
			user = ServiceAccountUser(ns, fmt.Sprintf("sa-%d", r.IntN(benchSAsPerNS)))
			groups = Identity(user, nil)
		}
		out[i] = &Attributes{User: user, Groups: groups, ResourceRequest: true,
			Verb: benchVerbs[r.IntN(8)], APIGroup: benchGroupsVoc[r.IntN(6)], Resource: benchResources[r.IntN(12)],
			Namespace: fmt.Sprintf("ns-%04d", r.IntN(benchNamespaces))}
	}
	return out
}

func BenchmarkCanI(b *testing.B) {
	ix := benchIndex()
	benchSizes(b)
	reqs := benchRequests(4096)
	allowed := 0
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if ix.Authorize(reqs[i%len(reqs)]).Decision == Allow {
			allowed++
		}
		i++
	}
	b.ReportMetric(float64(allowed)/float64(i), "allowed/op")
}

func BenchmarkWhoCan(b *testing.B) {
	ix := benchIndex()
	benchSizes(b)
	for _, bc := range []struct {
		name string
		a    *Attributes
		all  bool
	}{
		{"namespace", &Attributes{ResourceRequest: true, Verb: "get", Resource: "secrets", Namespace: "ns-0042"}, false},
		{"cluster", &Attributes{ResourceRequest: true, Verb: "create", Resource: "pods"}, false},
		{"all-namespaces", &Attributes{ResourceRequest: true, Verb: "get", Resource: "secrets"}, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			runtime.GC()
			stop := peakHeap()
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				n = len(ix.WhoCan(bc.a, bc.all))
			}
			reportPeak(b, stop)
			b.ReportMetric(float64(n), "subjects")
		})
	}
}

// BenchmarkRisks measures every rbac/ rule over all subjects of the
// generated cluster; "index" includes building the index (what one
// `kubeward rbac risks` run does after reading its input).
func BenchmarkRisks(b *testing.B) {
	p := benchPolicy()
	benchSizes(b)
	b.Run("risks", func(b *testing.B) {
		ix := benchIndex()
		runtime.GC()
		stop := peakHeap()
		n := 0
		b.ReportAllocs()
		cpu := cpuTime()
		for b.Loop() {
			n = len(ix.Risks(RiskOptions{}))
		}
		reportCPU(b, cpu)
		reportPeak(b, stop)
		b.ReportMetric(float64(n), "findings")
	})
	b.Run("index+risks", func(b *testing.B) {
		runtime.GC()
		stop := peakHeap()
		n := 0
		b.ReportAllocs()
		cpu := cpuTime()
		for b.Loop() {
			n = len(NewIndex(p, Options{Aggregate: true}).Risks(RiskOptions{}))
		}
		reportCPU(b, cpu)
		reportPeak(b, stop)
		b.ReportMetric(float64(n), "findings")
	})
}

var benchYAML = flag.String("bench-yaml", "", "write the benchmark cluster (without the default policy) as multi-document YAML to this file, for timing the CLI")

// TestWriteBenchYAML writes the benchmark cluster when -bench-yaml is set:
//
//	go test ./internal/rbac -run TestWriteBenchYAML -bench-yaml /tmp/cluster.yaml
//	time kubeward rbac risks -f /tmp/cluster.yaml --format json >/dev/null
func TestWriteBenchYAML(t *testing.T) {
	if *benchYAML == "" {
		t.Skip("-bench-yaml not set")
	}
	f, err := os.Create(*benchYAML)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	p := benchPolicy()
	write := func(apiVersion, kind string, key ObjectKey, obj any) {
		if p.Sources[key].Default {
			return
		}
		b, err := yaml.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(w, "---\napiVersion: %s\nkind: %s\n", apiVersion, kind)
		w.Write(b)
	}
	for _, o := range p.Namespaces {
		write("v1", "Namespace", ObjectKey{"Namespace", "", o.Name}, o)
	}
	for _, o := range p.ResourceQuotas {
		write("v1", "ResourceQuota", ObjectKey{"ResourceQuota", o.Namespace, o.Name}, o)
	}
	for _, o := range p.ServiceAccounts {
		write("v1", "ServiceAccount", ObjectKey{"ServiceAccount", o.Namespace, o.Name}, o)
	}
	for _, o := range p.ClusterRoles {
		write("rbac.authorization.k8s.io/v1", "ClusterRole", ObjectKey{"ClusterRole", "", o.Name}, o)
	}
	for _, o := range p.Roles {
		write("rbac.authorization.k8s.io/v1", "Role", ObjectKey{"Role", o.Namespace, o.Name}, o)
	}
	for _, o := range p.ClusterRoleBindings {
		write("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", ObjectKey{"ClusterRoleBinding", "", o.Name}, o)
	}
	for _, o := range p.RoleBindings {
		write("rbac.authorization.k8s.io/v1", "RoleBinding", ObjectKey{"RoleBinding", o.Namespace, o.Name}, o)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}
