package controlplane

import (
	"context"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RegisterValidatingAdmissionPolicy creates policy and binding (deleting
// them in t.Cleanup), waits until the API server has type-checked the
// policy (status.observedGeneration catches up; this needs
// kube-controller-manager running validatingadmissionpolicy-status-controller) and returns the checked
// policy, whose status.typeChecking lists the expressions' type errors.
// It then waits until effective reports true (polled every 100 ms for up to
// 30 s): the API server loads policies asynchronously, so a test proves the
// policy is enforced, typically with a dry-run create it must deny, before
// relying on it. An error from effective fails the test.
func (cp *ControlPlane) RegisterValidatingAdmissionPolicy(t testing.TB, policy *admissionregistrationv1.ValidatingAdmissionPolicy, binding *admissionregistrationv1.ValidatingAdmissionPolicyBinding, effective func(ctx context.Context) (bool, error)) *admissionregistrationv1.ValidatingAdmissionPolicy {
	t.Helper()
	ctx := context.Background()
	api := cp.Client.AdmissionregistrationV1()
	created, err := api.ValidatingAdmissionPolicies().Create(ctx, policy, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating ValidatingAdmissionPolicy %s: %v", policy.Name, err)
	}
	t.Cleanup(func() {
		if err := api.ValidatingAdmissionPolicies().Delete(context.Background(), created.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Logf("deleting ValidatingAdmissionPolicy %s: %v", created.Name, err)
		}
	})
	b, err := api.ValidatingAdmissionPolicyBindings().Create(ctx, binding, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating ValidatingAdmissionPolicyBinding %s: %v", binding.Name, err)
	}
	t.Cleanup(func() {
		if err := api.ValidatingAdmissionPolicyBindings().Delete(context.Background(), b.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Logf("deleting ValidatingAdmissionPolicyBinding %s: %v", b.Name, err)
		}
	})
	checked := created
	WaitFor(t, "ValidatingAdmissionPolicy "+policy.Name+" to be type-checked", 100*time.Millisecond, 30*time.Second, func(ctx context.Context) (bool, error) {
		got, err := api.ValidatingAdmissionPolicies().Get(ctx, created.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		checked = got
		return got.Status.ObservedGeneration >= got.Generation, nil
	})
	start := time.Now()
	WaitFor(t, "ValidatingAdmissionPolicy "+policy.Name+" to take effect", 100*time.Millisecond, 30*time.Second, effective)
	t.Logf("ValidatingAdmissionPolicy %s effective after %s", policy.Name, time.Since(start).Round(time.Millisecond))
	return checked
}
