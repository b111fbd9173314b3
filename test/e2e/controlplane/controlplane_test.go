//go:build e2e

package controlplane

import (
	"context"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestHarness checks the harness itself against a real control plane: audit
// events are found by the audit ID the client saw, and kube-controller-manager
// runs the requested controller.
func TestHarness(t *testing.T) {
	cp := Start(t, Options{
		AuditPolicy:       MetadataAuditPolicy,
		ControllerManager: true,
		Controllers:       []string{"clusterrole-aggregation"},
	})
	ctx := context.Background()

	t.Run("audit event by audit ID", func(t *testing.T) {
		cs := kubernetes.NewForConfigOrDie(ObservingConfig(cp.Config))
		rctx, obs := Observe(ctx)
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "harness-audit"}}
		if _, err := cs.CoreV1().Namespaces().Create(rctx, ns, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		ev := cp.AuditEvent(t, obs.LastAuditID())
		if ev.Verb != "create" || ev.ObjectRef == nil || ev.ObjectRef.Resource != "namespaces" || ev.ObjectRef.Name != "harness-audit" {
			t.Errorf("audit event = %+v, want create of namespace harness-audit", ev)
		}
		if ev.User.Username != "admin" {
			t.Errorf("audit user = %q, want admin", ev.User.Username)
		}
	})

	t.Run("clusterrole aggregation", func(t *testing.T) {
		agg := &rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: "harness-aggregate"},
			AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{
				{MatchLabels: map[string]string{"harness/aggregate": "true"}},
			}},
		}
		part := &rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: "harness-part", Labels: map[string]string{"harness/aggregate": "true"}},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}}},
		}
		for _, r := range []*rbacv1.ClusterRole{agg, part} {
			if _, err := cp.Client.RbacV1().ClusterRoles().Create(ctx, r, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		WaitFor(t, "aggregated rules", 100*time.Millisecond, 30*time.Second, func(ctx context.Context) (bool, error) {
			got, err := cp.Client.RbacV1().ClusterRoles().Get(ctx, agg.Name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			return len(got.Rules) == 1 && slices.Equal(got.Rules[0].Resources, []string{"configmaps"}), nil
		})
	})
}
