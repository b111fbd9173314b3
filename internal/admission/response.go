package admission

import (
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubeward/kubeward/internal/podsecurity"
)

// Shared responses; Validate's callers must not modify them.
var (
	allowedResponse           = &Response{Allowed: true}
	allowedPrivilegedResponse = &Response{Allowed: true, AuditAnnotations: map[string]string{
		AnnotationEnforcePolicy: "privileged:latest",
	}}
	exemptUserResponse = &Response{Allowed: true, AuditAnnotations: map[string]string{
		AnnotationExempt: "user",
	}}
	exemptNamespaceResponse = &Response{Allowed: true, AuditAnnotations: map[string]string{
		AnnotationExempt: "namespace",
	}}
	exemptRuntimeClassResponse = &Response{Allowed: true, AuditAnnotations: map[string]string{
		AnnotationExempt: "runtimeClass",
	}}
)

// enforcedResponses are the shared responses for an allowed pod with nothing
// to report but the enforce policy, indexed like lvStrings.
var enforcedResponses = func() (t [len(lvStrings)][len(lvStrings[0])]*Response) {
	for l := range t {
		for m := range t[l] {
			t[l][m] = &Response{Allowed: true, AuditAnnotations: map[string]string{AnnotationEnforcePolicy: lvStrings[l][m]}}
		}
	}
	return t
}()

// sharedEnforcedResponse returns the shared response for an allowed pod
// checked against lv, or nil for an uncommon version.
func sharedEnforcedResponse(lv podsecurity.LevelVersion) *Response {
	m := 0
	if !lv.Version.IsLatest() {
		m = lv.Version.Minor() + 1
	}
	if int(lv.Level) < len(enforcedResponses) && m < len(enforcedResponses[0]) {
		return enforcedResponses[lv.Level][m]
	}
	return nil
}

// forbiddenResponse denies a request for policy violations with Kubernetes'
// Forbidden status: `pods "x" is forbidden: <msg>`.
func forbiddenResponse(req *Request, msg string) *Response {
	st := apierrors.NewForbidden(req.Resource.GroupResource(), req.Name, errString(msg)).ErrStatus
	return &Response{Result: &st}
}

// invalidResponse denies a namespace request with invalid labels, with
// Kubernetes' Invalid status.
func invalidResponse(req *Request, errs field.ErrorList) *Response {
	st := apierrors.NewInvalid(req.Kind.GroupKind(), req.Name, errs).ErrStatus
	return &Response{Result: &st}
}

// errorResponse denies a request that could not be evaluated; the error
// annotation carries the status message and the underlying error.
func errorResponse(err error, st *metav1.Status) *Response {
	detail := st.Message
	if err != nil {
		detail = fmt.Sprintf("%s: %v", st.Message, err)
	}
	return &Response{Result: st, AuditAnnotations: map[string]string{AnnotationError: detail}}
}

func badRequest(msg string) *metav1.Status {
	st := apierrors.NewBadRequest(msg).ErrStatus
	return &st
}

func internalError(err error) *metav1.Status {
	st := apierrors.NewInternalError(err).ErrStatus
	return &st
}

// errString is an error with a fixed message.
type errString string

func (e errString) Error() string { return string(e) }
