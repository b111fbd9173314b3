package controlplane

import (
	"context"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RegisterValidatingWebhook creates cfg (deleting it in t.Cleanup) and waits
// until effective reports true: the API server loads webhook configurations
// asynchronously, so a test must prove the webhook is called before relying on
// it. effective is typically a dry-run create that the webhook must reject or
// warn about; it is called every 100 ms for up to 30 s, and an error from it
// fails the test.
func (cp *ControlPlane) RegisterValidatingWebhook(t testing.TB, cfg *admissionregistrationv1.ValidatingWebhookConfiguration, effective func(ctx context.Context) (bool, error)) {
	t.Helper()
	ctx := context.Background()
	created, err := cp.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, cfg, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating ValidatingWebhookConfiguration %s: %v", cfg.Name, err)
	}
	t.Cleanup(func() {
		err := cp.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(context.Background(), created.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Logf("deleting ValidatingWebhookConfiguration %s: %v", created.Name, err)
		}
	})
	start := time.Now()
	WaitFor(t, "webhook configuration "+cfg.Name+" to take effect", 100*time.Millisecond, 30*time.Second, effective)
	t.Logf("webhook configuration %s effective after %s", cfg.Name, time.Since(start).Round(time.Millisecond))
}

// URLWebhook returns a v1 ValidatingWebhook named name that calls url with
// caBundle, for rules, with admissionReviewVersions v1, sideEffects None (so
// dry-run requests are sent too) and a 5 s timeout.
func URLWebhook(name, url string, caBundle []byte, policy admissionregistrationv1.FailurePolicyType, rules ...admissionregistrationv1.RuleWithOperations) admissionregistrationv1.ValidatingWebhook {
	sideEffects := admissionregistrationv1.SideEffectClassNone
	timeout := int32(5)
	return admissionregistrationv1.ValidatingWebhook{
		Name: name,
		ClientConfig: admissionregistrationv1.WebhookClientConfig{
			URL:      &url,
			CABundle: caBundle,
		},
		Rules:                   rules,
		FailurePolicy:           &policy,
		SideEffects:             &sideEffects,
		TimeoutSeconds:          &timeout,
		AdmissionReviewVersions: []string{"v1"},
	}
}

// Rule returns a rule for CREATE and UPDATE of resources in group at version.
func Rule(group, version string, resources ...string) admissionregistrationv1.RuleWithOperations {
	return admissionregistrationv1.RuleWithOperations{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
		Rule: admissionregistrationv1.Rule{
			APIGroups:   []string{group},
			APIVersions: []string{version},
			Resources:   resources,
		},
	}
}
