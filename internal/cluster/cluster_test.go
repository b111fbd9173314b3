package cluster

import (
	"context"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestNamespaces(t *testing.T) {
	client := fake.NewClientset(
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "other"}},
	)
	n := NewNamespaces(client)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Before the cache runs, lookups go to the API server.
	if n.Synced() {
		t.Fatal("synced before start")
	}
	ns, err := n.Get(ctx, "shop")
	if err != nil || ns.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
		t.Fatalf("uncached get: %v %v", ns, err)
	}
	if _, err := n.Get(ctx, "missing"); !apierrors.IsNotFound(err) {
		t.Fatalf("missing namespace: %v", err)
	}

	n.Start(ctx)
	if err := n.WaitForSync(ctx); err != nil {
		t.Fatal(err)
	}
	if !n.Synced() {
		t.Fatal("not synced after WaitForSync")
	}
	if ns, err := n.Get(ctx, "other"); err != nil || ns.Name != "other" {
		t.Fatalf("cached get: %v %v", ns, err)
	}
}

func TestListers(t *testing.T) {
	client := fake.NewClientset(
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p1", Namespace: "shop"}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p2", Namespace: "elsewhere"}},
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "d", Namespace: "shop"}},
		&corev1.PodTemplate{ObjectMeta: metav1.ObjectMeta{Name: "t", Namespace: "shop"}},
	)
	pods, err := Pods{Client: client}.ListPods(context.Background(), "shop")
	if err != nil || len(pods) != 1 || pods[0].Name != "p1" {
		t.Fatalf("pods: %v %v", pods, err)
	}
	ws, err := Workloads{Client: client}.ListWorkloads(context.Background(), "shop")
	if err != nil || len(ws) != 2 {
		t.Fatalf("workloads: %v %v", ws, err)
	}
}

func TestStaticNamespaces(t *testing.T) {
	s := StaticNamespaces{"a": &corev1.Namespace{}}
	if _, err := s.Get(context.Background(), "a"); err != nil {
		t.Error(err)
	}
	if _, err := s.Get(context.Background(), "b"); !apierrors.IsNotFound(err) {
		t.Errorf("got %v", err)
	}
}
