// Package podsecurity evaluates pods against the Kubernetes Pod Security
// Standards (privileged, baseline, restricted) at every policy version from
// v1.0 to latest, exactly as Kubernetes' own PodSecurity admission does, and
// says for every violation which field is at fault and how to fix it.
//
// The package does no I/O. An Evaluator is immutable and safe for concurrent use.
//
// Each check lives in its own file, check_<id>.go, as versioned data; the
// evaluator expands them once into a table per level and version. Checks run
// in a mode that only answers pass or fail until one fails, so a compliant pod
// costs no allocation; from there on they also build their messages and
// fields, into one pooled buffer that becomes the result.
// The tests prove the results equal to k8s.io/pod-security-admission's on its
// fixtures and on random pods.
package podsecurity

import (
	"fmt"
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
type Evaluator struct {
	tables [2][NewestKnownMinor + 1][]tableEntry
}

// NewEvaluator builds an evaluator with every check, validating the check
// set (unique IDs, strictly increasing versions, valid overrides) and
// precomputing per-version tables.
func NewEvaluator() (*Evaluator, error) {
	if err := validateChecks(allChecks); err != nil {
		return nil, fmt.Errorf("invalid pod security checks: %w", err)
	}
	return &Evaluator{tables: buildTables(allChecks)}, nil
}

// Default is the shared evaluator with every built-in check.
var Default = func() *Evaluator {
	e, err := NewEvaluator()
	if err != nil {
		panic(err)
	}
	return e
}()

// Evaluate returns the checks the pod fails at lv, nil when it meets lv, in
// Kubernetes' order: baseline checks sorted by ID, then restricted checks
// sorted by ID. Versions newer than NewestKnownMinor behave like it; the
// privileged level allows everything. meta may be nil (no annotations); a nil
// spec is an empty pod. meta and spec are read, never modified, and no
// defaulting is applied (see ApplyDefaults). A compliant pod costs no
// allocation; a failing one costs three (the violations, their fields and
// one string holding every detail and path), whatever it violates. The
// result belongs to the caller and stays valid after later evaluations.
func (e *Evaluator) Evaluate(lv LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) []Violation {
	return e.appendViolations(nil, lv, meta, spec, true)
}

// AppendViolations is Evaluate appending to dst.
func (e *Evaluator) AppendViolations(dst []Violation, lv LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) []Violation {
	return e.appendViolations(dst, lv, meta, spec, true)
}

// EvaluateReasons is Evaluate without the Fields: the same checks, reasons
// and details (all admission needs for its messages), without working out
// each offending field and its fix. A failing pod costs two allocations.
func (e *Evaluator) EvaluateReasons(lv LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) []Violation {
	return e.appendViolations(nil, lv, meta, spec, false)
}

// Allowed reports whether the pod meets lv, without building any violation.
func (e *Evaluator) Allowed(lv LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	return e.meets(lv, meta, spec)
}

// HighestLevel returns the most restrictive level the pod meets at version v:
// restricted, baseline, or privileged when it meets neither. It allocates nothing.
func (e *Evaluator) HighestLevel(v Version, meta *metav1.ObjectMeta, spec *corev1.PodSpec) Level {
	if e.meets(LevelVersion{LevelRestricted, v}, meta, spec) {
		return LevelRestricted
	}
	if e.meets(LevelVersion{LevelBaseline, v}, meta, spec) {
		return LevelBaseline
	}
	return LevelPrivileged
}
