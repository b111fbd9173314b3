package admission

import (
	"context"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeward/kubeward/internal/podsecurity"
)

// ignoredPodSubresources are the pod subresources that cannot change the pod
// spec. Every other subresource (ephemeralcontainers, resize, and any future
// one) is evaluated, so an unknown subresource fails safe.
var ignoredPodSubresources = map[string]bool{
	"exec":        true,
	"attach":      true,
	"binding":     true,
	"eviction":    true,
	"log":         true,
	"portforward": true,
	"proxy":       true,
	"status":      true,
}

// exemptBeforeLookup returns the response for a request from an exempt
// namespace or user, nil otherwise. Both are decided before the namespace
// lookup, so they work even when the lookup fails.
func (a *Admission) exemptBeforeLookup(req *Request) *Response {
	if a.exemptNamespace(req.Namespace) {
		a.rec.RecordExemption(req)
		return exemptNamespaceResponse
	}
	if a.exemptUser(req.Username) {
		a.rec.RecordExemption(req)
		return exemptUserResponse
	}
	return nil
}

// validatePod decides a pod request; enforce applies.
func (a *Admission) validatePod(ctx context.Context, req *Request) *Response {
	if ignoredPodSubresources[req.SubResource] {
		return allowedResponse
	}
	if resp := a.exemptBeforeLookup(req); resp != nil {
		return resp
	}
	ns, err := a.getNamespace(ctx, req.Namespace)
	if err != nil {
		if a.nsIgnore {
			// Fail open, because the operator chose it
			// (--namespace-error-policy=Ignore): the pod is admitted
			// unchecked, and says so to the audit log and the client.
			a.rec.RecordError(false, req)
			return &Response{Allowed: true,
				AuditAnnotations: map[string]string{AnnotationError: fmt.Sprintf("failed to lookup namespace %q: %v", req.Namespace, err)},
				Warnings:         []string{fmt.Sprintf("pod security not checked: failed to lookup namespace %q", req.Namespace)},
			}
		}
		// Fail closed: a pod whose namespace policy is unknown is denied.
		a.rec.RecordError(true, req)
		return errorResponse(err, internalError(fmt.Errorf("failed to lookup namespace %q", req.Namespace)))
	}
	policy, policyErrs := PolicyFromLabels(ns.Labels, a.defaultPolicy)
	if len(policyErrs) == 0 && policy.FullyPrivileged() {
		a.rec.RecordEvaluation(DecisionAllow, policy.Enforce, ModeEnforce, req)
		return allowedPrivilegedResponse
	}
	if req.ObjectErr != nil {
		a.rec.RecordError(true, req)
		return errorResponse(req.ObjectErr, badRequest("failed to decode object"))
	}
	pod, ok := req.Object.(*corev1.Pod)
	if !ok || pod == nil {
		a.rec.RecordError(true, req)
		return errorResponse(nil, badRequest("failed to decode pod"))
	}
	if req.Operation == "UPDATE" {
		if req.OldObjectErr != nil {
			a.rec.RecordError(true, req)
			return errorResponse(req.OldObjectErr, badRequest("failed to decode old object"))
		}
		old, ok := req.OldObject.(*corev1.Pod)
		if !ok || old == nil {
			a.rec.RecordError(true, req)
			return errorResponse(nil, badRequest("failed to decode old pod"))
		}
		if !isSignificantPodUpdate(pod, old) {
			return allowedResponse
		}
	}
	var policyErr error
	if len(policyErrs) > 0 {
		policyErr = policyErrs.ToAggregate()
	}
	name := pod.Name
	if name == "" {
		name = req.Name
	}
	return a.evaluate(req, policy, policyErr, subject{kind: "Pod", name: name, meta: &pod.ObjectMeta}, &pod.ObjectMeta, &pod.Spec, true)
}

// validateWorkload decides a pod controller request: audit and warn only,
// never denied.
func (a *Admission) validateWorkload(ctx context.Context, req *Request) *Response {
	if req.SubResource != "" {
		return allowedResponse
	}
	if resp := a.exemptBeforeLookup(req); resp != nil {
		return resp
	}
	ns, err := a.getNamespace(ctx, req.Namespace)
	if err != nil {
		// Fail open: workloads are never denied, their pods will be checked.
		a.rec.RecordError(true, req)
		return &Response{Allowed: true, AuditAnnotations: map[string]string{
			AnnotationError: fmt.Sprintf("failed to lookup namespace %q: %v", req.Namespace, err),
		}}
	}
	policy, policyErrs := PolicyFromLabels(ns.Labels, a.defaultPolicy)
	if len(policyErrs) == 0 && policy.Warn.Level == podsecurity.LevelPrivileged && policy.Audit.Level == podsecurity.LevelPrivileged {
		return allowedResponse
	}
	if req.ObjectErr != nil {
		a.rec.RecordError(true, req)
		return &Response{Allowed: true, AuditAnnotations: map[string]string{
			AnnotationError: fmt.Sprintf("failed to decode object: %v", req.ObjectErr),
		}}
	}
	subj, meta, spec, err := podTemplateOf(req.Object)
	if err != nil {
		a.rec.RecordError(true, req)
		return &Response{Allowed: true, AuditAnnotations: map[string]string{
			AnnotationError: fmt.Sprintf("failed to extract pod template: %v", err),
		}}
	}
	if spec == nil {
		return allowedResponse // e.g. a ReplicationController without a template
	}
	var policyErr error
	if len(policyErrs) > 0 {
		policyErr = policyErrs.ToAggregate()
	}
	return a.evaluate(req, policy, policyErr, subj, meta, spec, false)
}

// subject identifies the object evaluated, for narrow exemptions.
type subject struct {
	kind string // Pod, Deployment, ...
	name string
	meta metav1.Object
}

// podTemplateOf returns the object's identity and the pod metadata and spec to
// evaluate; nil spec without error for an object without a pod template.
func podTemplateOf(obj runtime.Object) (subject, *metav1.ObjectMeta, *corev1.PodSpec, error) {
	tmpl := func(kind string, m *metav1.ObjectMeta, t *corev1.PodTemplateSpec) (subject, *metav1.ObjectMeta, *corev1.PodSpec, error) {
		s := subject{kind: kind, name: m.Name, meta: m}
		if t == nil {
			return s, nil, nil, nil
		}
		return s, &t.ObjectMeta, &t.Spec, nil
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		return subject{kind: "Pod", name: o.Name, meta: &o.ObjectMeta}, &o.ObjectMeta, &o.Spec, nil
	case *corev1.PodTemplate:
		return tmpl("PodTemplate", &o.ObjectMeta, &o.Template)
	case *corev1.ReplicationController:
		return tmpl("ReplicationController", &o.ObjectMeta, o.Spec.Template)
	case *appsv1.ReplicaSet:
		return tmpl("ReplicaSet", &o.ObjectMeta, &o.Spec.Template)
	case *appsv1.Deployment:
		return tmpl("Deployment", &o.ObjectMeta, &o.Spec.Template)
	case *appsv1.DaemonSet:
		return tmpl("DaemonSet", &o.ObjectMeta, &o.Spec.Template)
	case *appsv1.StatefulSet:
		return tmpl("StatefulSet", &o.ObjectMeta, &o.Spec.Template)
	case *batchv1.Job:
		return tmpl("Job", &o.ObjectMeta, &o.Spec.Template)
	case *batchv1.CronJob:
		return tmpl("CronJob", &o.ObjectMeta, &o.Spec.JobTemplate.Spec.Template)
	case nil:
		return subject{}, nil, nil, fmt.Errorf("no object")
	default:
		return subject{}, nil, nil, fmt.Errorf("unexpected object type: %s", obj.GetObjectKind().GroupVersionKind().String())
	}
}

// cachedEval is one level-version's violations, after narrow exemptions.
type cachedEval struct {
	lv podsecurity.LevelVersion
	vs []podsecurity.Violation
}

// evaluate checks the pod metadata and spec against the namespace policy in
// each mode; the enforce mode only when enforce is set.
func (a *Admission) evaluate(req *Request, policy Policy, policyErr error, subj subject, meta *metav1.ObjectMeta, spec *corev1.PodSpec, enforce bool) *Response {
	if a.exemptRuntimeClass(spec.RuntimeClassName) {
		a.rec.RecordExemption(req)
		return exemptRuntimeClassResponse
	}
	var errAnnotation string
	if policyErr != nil {
		errAnnotation = "Failed to parse policy: " + policyErr.Error()
		a.rec.RecordError(false, req)
	}

	var nm narrowMatch
	if a.narrow != nil {
		nm = a.matchNarrow(req.Namespace, subj)
	}
	var (
		cache [3]cachedEval
		n     int
	)
	evalAt := func(lv podsecurity.LevelVersion) []podsecurity.Violation {
		for i := 0; i < n; i++ {
			if cache[i].lv == lv {
				return cache[i].vs
			}
		}
		vs := a.eval.EvaluateReasons(lv, meta, spec)
		if len(vs) > 0 && len(nm.active) > 0 {
			vs = a.applyNarrow(&nm, lv, meta, spec, vs)
		}
		cache[n] = cachedEval{lv, vs}
		n++
		return vs
	}

	var (
		denied  *Response
		auditAn string
		warning string
	)
	if enforce {
		if vs := evalAt(policy.Enforce); len(vs) > 0 {
			denied = forbiddenResponse(req, violatesMessage("violates PodSecurity ", policy.Enforce, vs))
			a.rec.RecordEvaluation(DecisionDeny, policy.Enforce, ModeEnforce, req)
		} else {
			a.rec.RecordEvaluation(DecisionAllow, policy.Enforce, ModeEnforce, req)
		}
	}
	if vs := evalAt(policy.Audit); len(vs) > 0 {
		auditAn = violatesMessage("would violate PodSecurity ", policy.Audit, vs)
		a.rec.RecordEvaluation(DecisionDeny, policy.Audit, ModeAudit, req)
	}
	// No warnings on a request that is denied anyway.
	if denied == nil {
		if vs := evalAt(policy.Warn); len(vs) > 0 {
			warning = violatesMessage("would violate PodSecurity ", policy.Warn, vs)
			a.rec.RecordEvaluation(DecisionDeny, policy.Warn, ModeWarn, req)
		}
	}
	if nm.matched {
		for _, name := range nm.usedNames() {
			a.rec.RecordNarrowExemption(name, req)
		}
	}

	// The common outcome, allowed with nothing to report, is a shared response.
	if denied == nil && errAnnotation == "" && auditAn == "" && warning == "" && !nm.matched {
		if !enforce {
			return allowedResponse
		}
		if r := sharedEnforcedResponse(policy.Enforce); r != nil {
			return r
		}
	}
	annotations := make(map[string]string, 3)
	if errAnnotation != "" {
		annotations[AnnotationError] = errAnnotation
	}
	if enforce {
		annotations[AnnotationEnforcePolicy] = lvString(policy.Enforce)
	}
	if auditAn != "" {
		annotations[AnnotationAuditViolations] = auditAn
	}
	if nm.matched {
		nm.annotate(annotations)
	}
	resp := denied
	if resp == nil {
		resp = &Response{Allowed: true}
		if warning != "" {
			resp.Warnings = []string{warning}
		}
	}
	resp.AuditAnnotations = annotations
	return resp
}

// violatesMessage returns `<prefix>"<lv>": reason1 (detail1), reason2`.
func violatesMessage(prefix string, lv podsecurity.LevelVersion, vs []podsecurity.Violation) string {
	var b strings.Builder
	lvs := lvString(lv)
	size := len(prefix) + len(lvs) + 4
	for i := range vs {
		size += len(vs[i].Reason) + len(vs[i].Detail) + 5
	}
	b.Grow(size)
	b.WriteString(prefix)
	b.WriteByte('"')
	b.WriteString(lvs)
	b.WriteString(`": `)
	writeViolations(&b, vs, true)
	return b.String()
}

// unknownReason stands in for an empty reason, as in Kubernetes.
const unknownReason = "unknown forbidden reason"

// writeViolations writes "reason1 (detail1), reason2", or with details
// unset "reason1, reason2".
func writeViolations(b *strings.Builder, vs []podsecurity.Violation, details bool) {
	for i := range vs {
		if i > 0 {
			b.WriteString(", ")
		}
		if vs[i].Reason == "" {
			b.WriteString(unknownReason)
		} else {
			b.WriteString(vs[i].Reason)
		}
		if details && vs[i].Detail != "" {
			b.WriteString(" (")
			b.WriteString(vs[i].Detail)
			b.WriteByte(')')
		}
	}
}

// reasonsMessage returns "reason1, reason2".
func reasonsMessage(vs []podsecurity.Violation) string {
	var b strings.Builder
	writeViolations(&b, vs, false)
	return b.String()
}

// isSignificantPodUpdate reports whether a pod update can change the
// evaluation, as Kubernetes decides: a different number of containers or init
// containers, a changed image, or an added or changed ephemeral container.
// Other pod spec fields are immutable, and metadata changes are not evaluated.
func isSignificantPodUpdate(pod, old *corev1.Pod) bool {
	if len(pod.Spec.Containers) != len(old.Spec.Containers) ||
		len(pod.Spec.InitContainers) != len(old.Spec.InitContainers) {
		return true
	}
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Image != old.Spec.Containers[i].Image {
			return true
		}
	}
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Image != old.Spec.InitContainers[i].Image {
			return true
		}
	}
	for i := range pod.Spec.EphemeralContainers {
		c := &pod.Spec.EphemeralContainers[i]
		found := false
		for j := range old.Spec.EphemeralContainers {
			if oc := &old.Spec.EphemeralContainers[j]; oc.Name == c.Name {
				if oc.Image != c.Image {
					return true
				}
				found = true
				break
			}
		}
		if !found {
			return true
		}
	}
	return false
}
