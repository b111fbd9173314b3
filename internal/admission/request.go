// Package admission decides Pod Security Admission for one request, as
// Kubernetes' built-in PodSecurity admission does (namespace labels, modes,
// exemptions, update exemptions, namespace dry-run), plus kubeward's narrow,
// auditable exemptions. It knows nothing about HTTP: internal/webhook turns
// AdmissionReviews into Requests and Responses back into AdmissionReviews.
//
// This file is the contract between admission and webhook. docs/admission.md
// describes the decisions; the differential tests prove them equal to
// Kubernetes' (k8s.io/pod-security-admission) on random and fixture requests.
package admission

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Request is the part of an AdmissionRequest the decision reads. The webhook
// decodes Object and OldObject into typed objects (*corev1.Pod,
// *corev1.Namespace, *appsv1.Deployment, ..., *corev1.PodTemplate) for the
// resources it handles; they are nil when absent (e.g. OldObject on create).
type Request struct {
	UID      string
	Kind     schema.GroupVersionKind
	Resource schema.GroupVersionResource
	// SubResource is the requested subresource (AdmissionRequest's
	// requestSubResource, which Kubernetes' webhook reads), e.g. "ephemeralcontainers".
	SubResource string
	Name        string
	Namespace   string
	Operation   string // CREATE, UPDATE, DELETE, CONNECT
	Username    string
	Groups      []string
	DryRun      bool
	Object      runtime.Object
	OldObject   runtime.Object
	// ObjectErr and OldObjectErr, when set, say why Object or OldObject could
	// not be decoded; the decision reports them where Kubernetes would
	// (after exemptions and the namespace lookup), not up front.
	ObjectErr    error
	OldObjectErr error
}

// Response is the decision. AuditAnnotations keys are unprefixed, as
// Kubernetes' webhook returns them (enforce-policy, audit-violations, exempt, error).
// A Response returned by Validate may be shared between requests: callers
// must not modify it (copy Warnings and AuditAnnotations before changing them).
type Response struct {
	Allowed          bool
	Result           *metav1.Status // set when denied or on error
	Warnings         []string
	AuditAnnotations map[string]string
}

// Validator decides a request. Implementations are safe for concurrent use.
type Validator interface {
	Validate(ctx context.Context, req *Request) *Response
}
