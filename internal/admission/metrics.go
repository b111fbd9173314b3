package admission

import (
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubeward/kubeward/internal/podsecurity"
)

// Decision is the outcome of one policy evaluation, as a metric label value.
type Decision string

// The decisions.
const (
	DecisionAllow Decision = "allow"
	DecisionDeny  Decision = "deny"
)

// Mode is a Pod Security admission mode, as a metric label value.
type Mode string

// The modes.
const (
	ModeEnforce Mode = "enforce"
	ModeAudit   Mode = "audit"
	ModeWarn    Mode = "warn"
)

// Recorder receives the events behind Kubernetes' Pod Security metrics
// (pod_security_evaluations_total, pod_security_exemptions_total,
// pod_security_errors_total). Validate calls it exactly where Kubernetes'
// admission does; EvaluationLabels, OperationLabel and ResourceLabel give
// Kubernetes' label values. Implementations must be safe for concurrent use
// and must not retain or modify req.
type Recorder interface {
	// RecordEvaluation records one evaluated mode: enforce allow/deny for
	// every evaluated pod, audit and warn only when they deny.
	RecordEvaluation(d Decision, policy podsecurity.LevelVersion, m Mode, req *Request)
	// RecordExemption records a request exempted by user, namespace or runtime class.
	RecordExemption(req *Request)
	// RecordError records an error; fatal errors prevented the evaluation.
	RecordError(fatal bool, req *Request)
	// RecordNarrowExemption records a kubeward narrow exemption, by name,
	// that removed or narrowed a violation (kubeward only).
	RecordNarrowExemption(name string, req *Request)
}

// NopRecorder records nothing.
type NopRecorder struct{}

// RecordEvaluation implements Recorder.
func (NopRecorder) RecordEvaluation(Decision, podsecurity.LevelVersion, Mode, *Request) {}

// RecordExemption implements Recorder.
func (NopRecorder) RecordExemption(*Request) {}

// RecordError implements Recorder.
func (NopRecorder) RecordError(bool, *Request) {}

// RecordNarrowExemption implements Recorder.
func (NopRecorder) RecordNarrowExemption(string, *Request) {}

// EvaluationLabels returns Kubernetes' label values for
// pod_security_evaluations_total, in its label order: decision, policy_level,
// policy_version, mode, request_operation, resource, subresource. The policy
// version is "latest" for latest or privileged policies and "future" for
// versions newer than podsecurity.NewestKnownMinor.
func EvaluationLabels(d Decision, lv podsecurity.LevelVersion, m Mode, req *Request) [7]string {
	return [7]string{string(d), lv.Level.String(), versionLabel(lv), string(m),
		OperationLabel(req.Operation), ResourceLabel(req.Resource), req.SubResource}
}

// OperationLabel returns the request_operation label value: the operation in lower case.
func OperationLabel(op string) string {
	switch op {
	case "CREATE":
		return "create"
	case "UPDATE":
		return "update"
	}
	return strings.ToLower(op)
}

// ResourceLabel returns the resource label value: "pod", "namespace", or
// "controller" for every other resource.
func ResourceLabel(r schema.GroupVersionResource) string {
	if r.Group == "" {
		switch r.Resource {
		case "pods":
			return "pod"
		case "namespaces":
			return "namespace"
		}
	}
	return "controller"
}
