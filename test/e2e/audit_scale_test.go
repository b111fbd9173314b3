//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/kubeward/kubeward/test/e2e/controlplane"
)

// BenchmarkAuditScale measures `kubeward audit` against a real API server
// holding 500 namespaces of 40 pods each (20,000 pods; per namespace a
// Deployment scaled to zero, its ReplicaSet and the ReplicaSet's pods, half
// baseline and half restricted; a third of the namespaces labelled). It is
// not part of CI (go test runs no benchmarks without -bench):
//
//	hack/e2e.sh -run '^$' -bench BenchmarkAuditScale -benchtime 1x -v
//
// The audit runs as the built binary in its own process; wall time and its
// maximum resident set size (getrusage of the child, ru_maxrss) are
// reported as s/audit-RUN and maxRSS-MB-RUN, for every family (all) and
// for --rules psa.
//
// KUBEWARD_SCALE_PODS=N sets the pods per namespace (default 40), to see
// how memory follows the number of pods.
func BenchmarkAuditScale(b *testing.B) {
	const namespaces = 500
	podsPerNS := 40
	if n, err := strconv.Atoi(os.Getenv("KUBEWARD_SCALE_PODS")); err == nil && n > 0 {
		podsPerNS = n
	}
	cp := controlplane.Start(b, controlplane.Options{APIServerFlags: []string{"--max-requests-inflight=800", "--max-mutating-requests-inflight=400"}})
	cfg := rest.CopyConfig(cp.Config)
	cfg.QPS, cfg.Burst = 2000, 4000
	c := kubernetes.NewForConfigOrDie(cfg)

	start := time.Now()
	jobs := make(chan int)
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := createScaleNamespace(c, i, podsPerNS); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := 0; i < namespaces; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	b.Logf("created %d namespaces, %d pods in %s", namespaces, namespaces*podsPerNS, time.Since(start).Round(time.Second))

	bin := filepath.Join(b.TempDir(), "kubeward")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/kubeward")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		b.Fatal(err)
	}
	kc := cp.Kubeconfig(b, "scale-auditor", "system:masters")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Every family (psa and rbac), then psa alone: the rbac family keeps
		// each pod's service account reference for its cross-object rules.
		for _, run := range []struct {
			name string
			args []string
		}{{"all", nil}, {"psa", []string{"--rules", "psa"}}} {
			out, err := os.Create(filepath.Join(b.TempDir(), "audit.json"))
			if err != nil {
				b.Fatal(err)
			}
			cmd := exec.Command(bin, append([]string{"audit", "--kubeconfig", kc, "-o", "json", "--exit-zero"}, run.args...)...)
			cmd.Stdout, cmd.Stderr = out, os.Stderr
			t0 := time.Now()
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
			wall := time.Since(t0)
			out.Close()
			ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			st, _ := os.Stat(out.Name())
			b.ReportMetric(wall.Seconds(), "s/audit-"+run.name)
			b.ReportMetric(float64(ru.Maxrss)/1024, "maxRSS-MB-"+run.name)
			b.Logf("audit (%s): %s wall, max RSS %.1f MB, report %d bytes", run.name, wall.Round(time.Millisecond), float64(ru.Maxrss)/1024, st.Size())
		}
	}
}

func createScaleNamespace(c kubernetes.Interface, i, pods int) error {
	ctx := context.Background()
	name := fmt.Sprintf("scale-%03d", i)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := c.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return err
	}
	baseline := psaPod("t").Spec
	restricted := psaPod("t", psaRestricted).Spec
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: name}, Spec: appsv1.DeploymentSpec{
		Replicas: ptr.To[int32](0),
		Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}}, Spec: baseline},
	}}
	d, err := c.AppsV1().Deployments(name).Create(ctx, dep, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: name,
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", UID: d.UID, Controller: ptr.To(true)}}},
		Spec: appsv1.ReplicaSetSpec{Selector: dep.Spec.Selector, Template: dep.Spec.Template}}
	r, err := c.AppsV1().ReplicaSets(name).Create(ctx, rs, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	for p := 0; p < pods; p++ {
		spec := baseline
		if p%2 == 1 {
			spec = restricted
		}
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("web-1-%03d", p), Namespace: name, Labels: map[string]string{"app": "web"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-1", UID: types.UID(r.UID), Controller: ptr.To(true)}}},
			Spec: spec}
		if _, err := c.CoreV1().Pods(name).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	if i%3 == 0 {
		ns, err := c.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		ns.Labels = map[string]string{psaLabel + "enforce": "baseline", psaLabel + "warn": "restricted"}
		if _, err := c.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{}); err != nil {
			return err
		}
	}
	return nil
}
