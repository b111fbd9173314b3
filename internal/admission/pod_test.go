package admission

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

type failingNamespaces struct{ err error }

func (f failingNamespaces) Get(context.Context, string) (*corev1.Namespace, error) {
	return nil, f.err
}

// TestNamespaceErrorPolicy: when a namespace cannot be read, pods are denied
// (Kubernetes' behaviour, the default) or, with NamespaceErrorIgnore,
// admitted unchecked with an error annotation and a warning; workloads are
// admitted with an error annotation under both policies; exempt users are
// decided before the lookup under both.
func TestNamespaceErrorPolicy(t *testing.T) {
	lookupErr := errors.New("connection refused")
	pod := podCreate(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{privileged("app", "app:1")}}})
	deployment := &Request{Name: "web", Namespace: "shop", Operation: "CREATE",
		Kind:     schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"},
		Resource: schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"},
		Object:   &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"}}}
	workloadAdmitted := &Response{Allowed: true, AuditAnnotations: map[string]string{
		AnnotationError: `failed to lookup namespace "shop": connection refused`}}

	for _, tc := range []struct {
		policy        NamespaceErrorPolicy
		wantPod       *Response
		wantPodEvents []string
	}{
		{
			// Fail: the response the differential tests prove equal to
			// Kubernetes' (internal error 500).
			policy: "",
			wantPod: &Response{Result: &metav1.Status{Status: metav1.StatusFailure, Code: http.StatusInternalServerError,
				Reason: metav1.StatusReasonInternalError, Message: `Internal error occurred: failed to lookup namespace "shop"`,
				Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Message: `failed to lookup namespace "shop"`}}}},
				AuditAnnotations: map[string]string{AnnotationError: `Internal error occurred: failed to lookup namespace "shop": connection refused`}},
			wantPodEvents: []string{`error true create pod ""`},
		},
		{
			policy: NamespaceErrorIgnore,
			wantPod: &Response{Allowed: true,
				AuditAnnotations: map[string]string{AnnotationError: `failed to lookup namespace "shop": connection refused`},
				Warnings:         []string{`pod security not checked: failed to lookup namespace "shop"`}},
			wantPodEvents: []string{`error false create pod ""`},
		},
	} {
		name := string(tc.policy)
		if name == "" {
			name = "default Fail"
		}
		t.Run(name, func(t *testing.T) {
			rec := &events{}
			cfg := DefaultConfig()
			cfg.Exemptions.Usernames = []string{"admin"}
			a, err := New(Options{Config: cfg, Namespaces: failingNamespaces{lookupErr}, Pods: ourPods{&world{}}, Recorder: rec, NamespaceErrorPolicy: tc.policy})
			if err != nil {
				t.Fatal(err)
			}
			got := a.Validate(context.Background(), pod)
			if d := cmp.Diff(tc.wantPod, got); d != "" {
				t.Errorf("pod (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.wantPodEvents, rec.list); d != "" {
				t.Errorf("pod metric events (-want +got):\n%s", d)
			}
			if d := cmp.Diff(workloadAdmitted, a.Validate(context.Background(), deployment)); d != "" {
				t.Errorf("deployment (-want +got):\n%s", d)
			}
			exempt := *pod
			exempt.Username = "admin"
			if got := a.Validate(context.Background(), &exempt); !got.Allowed || got.AuditAnnotations[AnnotationExempt] != "user" {
				t.Errorf("exempt user: %+v, want allowed as exempt before the lookup", got)
			}
		})
	}
}

func TestNamespaceErrorPolicyInvalid(t *testing.T) {
	_, err := New(Options{Namespaces: failingNamespaces{}, Pods: ourPods{&world{}}, NamespaceErrorPolicy: "Open"})
	if err == nil || !strings.Contains(err.Error(), `namespace error policy "Open": want "Fail" or "Ignore"`) {
		t.Fatalf("New = %v, want an error naming the policy", err)
	}
}
