//go:build e2e

package e2e

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/test/e2e/controlplane"
)

// TestNetpolCluster applies the tenancy example to a real API server (which
// defaults policyTypes, protocols and the namespace name label itself) and
// checks that `kubeward netpol --kubeconfig` reads the same connectivity
// from the cluster as from the manifests.
func TestNetpolCluster(t *testing.T) {
	cp := controlplane.Start(t, controlplane.Options{})
	dir := "../../docs/examples/tenancy"
	var r manifest.Reader
	var objs []*manifest.Object
	if err := r.Read([]string{dir}, func(o *manifest.Object) error { objs = append(objs, o); return nil }, func(e *manifest.Error) { t.Fatalf("reading %s: %v", dir, e) }); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, o := range objs {
		if err := create(ctx, cp.Client, o); err != nil {
			t.Fatalf("creating %s %s/%s: %v", o.Kind, o.Namespace, o.Name, err)
		}
	}
	code, fromFiles, errs := runKubeward("netpol", dir)
	if code != 0 {
		t.Fatalf("netpol %s: exit %d: %s", dir, code, errs)
	}
	kubeconfig := cp.Kubeconfig(t, "kubeward-netpol", "system:masters")
	code, fromCluster, errs := runKubeward("netpol", "--kubeconfig", kubeconfig)
	if code != 0 {
		t.Fatalf("netpol --kubeconfig: exit %d: %s", code, errs)
	}
	if d := cmp.Diff(fromFiles, fromCluster); d != "" {
		t.Errorf("connectivity from the cluster differs from the manifests' (-files +cluster):\n%s", d)
	}
	code, out, _ := runKubeward("netpol", "eval", "--kubeconfig", kubeconfig, "--src", "shop/web", "--dst", "shop/db", "-p", "5432/TCP")
	if code != 0 {
		t.Errorf("eval shop/web → shop/db 5432: exit %d:\n%s", code, out)
	}
}

func create(ctx context.Context, c kubernetes.Interface, o *manifest.Object) error {
	opts := metav1.CreateOptions{}
	var err error
	switch x := o.Object.(type) {
	case *corev1.Namespace:
		_, err = c.CoreV1().Namespaces().Create(ctx, x, opts)
	case *corev1.Service:
		_, err = c.CoreV1().Services(x.Namespace).Create(ctx, x, opts)
	case *appsv1.Deployment:
		_, err = c.AppsV1().Deployments(x.Namespace).Create(ctx, x, opts)
	case *appsv1.StatefulSet:
		_, err = c.AppsV1().StatefulSets(x.Namespace).Create(ctx, x, opts)
	case *appsv1.DaemonSet:
		_, err = c.AppsV1().DaemonSets(x.Namespace).Create(ctx, x, opts)
	case *networkingv1.NetworkPolicy:
		_, err = c.NetworkingV1().NetworkPolicies(x.Namespace).Create(ctx, x, opts)
	}
	return err
}
