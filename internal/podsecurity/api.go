// Package podsecurity evaluates pods against the Kubernetes Pod Security
// Standards (privileged, baseline, restricted) at every policy version from
// v1.0 to latest, exactly as Kubernetes' own PodSecurity admission does, and
// says for every violation which field is at fault and how to fix it.
//
// The package does no I/O. An Evaluator is immutable and safe for concurrent use.
//
// NOTE: this file is the API contract other packages build against. The
// implementation is being written; Evaluate currently reports nothing.
package podsecurity

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Violation is one failed check, in Kubernetes' terms: Reason and Detail are
// exactly the ForbiddenReason and ForbiddenDetail Kubernetes reports.
type Violation struct {
	// Check is Kubernetes' check ID, e.g. "runAsNonRoot".
	Check  string
	Reason string
	Detail string
	// Fields lists each offending field with the change that fixes it.
	Fields []Field
}

// Message returns "<reason> (<detail>)", or the reason alone when there is no detail.
func (v *Violation) Message() string {
	if v.Detail == "" {
		return v.Reason
	}
	return v.Reason + " (" + v.Detail + ")"
}

// Field is one offending field of a pod.
type Field struct {
	// Path is relative to the pod object and starts with "spec." or
	// "metadata.", e.g. spec.containers[0].securityContext.privileged or
	// metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"].
	// Callers evaluating a pod template prefix it with the template's path.
	Path string
	// Container is the container's name when the field belongs to one.
	Container string
	// Fix is the change that resolves this field's part of the violation.
	Fix Fix
}

// FixOp is what to do with a field.
type FixOp string

// The fix operations.
const (
	FixSet    FixOp = "set"    // set Path to Value
	FixRemove FixOp = "remove" // remove the item at Path (Value may name it)
)

// Fix is a concrete change to a field.
type Fix struct {
	Op FixOp
	// Value is the value to set, in YAML flow form (true, 1000, "RuntimeDefault",
	// ["ALL"]); for FixRemove it is empty or names what is removed.
	Value string
}

// AggregateMessage joins violations the way Kubernetes does in its
// "violates PodSecurity" messages: "reason1 (detail1), reason2 (detail2)".
func AggregateMessage(vs []Violation) string {
	var b strings.Builder
	for i := range vs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(vs[i].Message())
	}
	return b.String()
}

// Evaluator evaluates pods. The zero value is not usable; use Default or NewEvaluator.
type Evaluator struct{}

// NewEvaluator builds an evaluator with every check, validating the check
// set and precomputing per-version tables.
func NewEvaluator() (*Evaluator, error) { return &Evaluator{}, nil }

// Default is the shared evaluator with every built-in check.
var Default = func() *Evaluator {
	e, err := NewEvaluator()
	if err != nil {
		panic(err)
	}
	return e
}()

// Evaluate returns the checks the pod fails at lv, in check ID order; nil when
// it meets lv. meta and spec are read, never modified. A compliant pod costs
// no allocation.
func (e *Evaluator) Evaluate(lv LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) []Violation {
	return e.AppendViolations(nil, lv, meta, spec)
}

// AppendViolations is Evaluate appending to dst.
func (e *Evaluator) AppendViolations(dst []Violation, lv LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) []Violation {
	return dst
}

// HighestLevel returns the most restrictive level the pod meets at version v.
func (e *Evaluator) HighestLevel(v Version, meta *metav1.ObjectMeta, spec *corev1.PodSpec) Level {
	return LevelRestricted
}
