package admission

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubeward/kubeward/internal/podsecurity"
)

// validateNamespace validates a namespace's Pod Security labels on create and
// update and, when an update tightens the enforce policy, returns warnings for
// the existing pods that violate it. Namespace requests are not counted in metrics.
func (a *Admission) validateNamespace(ctx context.Context, req *Request) *Response {
	if req.SubResource != "" {
		return allowedResponse
	}
	if req.ObjectErr != nil {
		return errorResponse(req.ObjectErr, badRequest("failed to decode object"))
	}
	ns, ok := req.Object.(*corev1.Namespace)
	if !ok || ns == nil {
		return errorResponse(nil, badRequest("failed to decode namespace"))
	}
	newPolicy, newErrs := PolicyFromLabels(ns.Labels, a.defaultPolicy)

	switch req.Operation {
	case "CREATE":
		if len(newErrs) > 0 {
			return invalidResponse(req, newErrs)
		}
		if a.exemptNamespace(req.Namespace) {
			if w := a.exemptNamespaceWarning(ns.Name, &newPolicy, ns.Labels); w != "" {
				return &Response{Allowed: true, Warnings: []string{w}}
			}
		}
		return allowedResponse

	case "UPDATE":
		// Kubernetes' messages for these two carry a double space.
		if req.OldObjectErr != nil {
			return errorResponse(req.OldObjectErr, badRequest("failed to decode  old object"))
		}
		old, ok := req.OldObject.(*corev1.Namespace)
		if !ok || old == nil {
			return errorResponse(nil, badRequest("failed to decode  old namespace"))
		}
		oldPolicy, oldErrs := PolicyFromLabels(old.Labels, a.defaultPolicy)
		// Invalid labels are rejected only when they changed, so that other
		// updates to a namespace with bad labels still go through.
		if len(newErrs) > 0 && (len(oldErrs) == 0 || !sameLabelErrors(newErrs, oldErrs)) {
			return invalidResponse(req, newErrs)
		}
		// No dry-run when enforce is unchanged, privileged, or relaxed at the same version.
		if newPolicy.Enforce == oldPolicy.Enforce ||
			newPolicy.Enforce.Level == podsecurity.LevelPrivileged ||
			(newPolicy.Enforce.Version == oldPolicy.Enforce.Version && newPolicy.Enforce.Level <= oldPolicy.Enforce.Level) {
			return allowedResponse
		}
		if a.exemptNamespace(req.Namespace) {
			if w := a.exemptNamespaceWarning(ns.Name, &newPolicy, ns.Labels); w != "" {
				return &Response{Allowed: true, Warnings: []string{w}}
			}
			return allowedResponse
		}
		return &Response{Allowed: true, Warnings: a.dryRunNamespace(ctx, ns.Name, newPolicy.Enforce)}
	}
	return allowedResponse
}

// exemptNamespaceWarning warns that an exempt namespace's non-default policy
// labels have no effect; empty when there is nothing to say.
func (a *Admission) exemptNamespaceWarning(name string, p *Policy, labels map[string]string) string {
	if p.FullyPrivileged() || p.Equivalent(&a.defaultPolicy) {
		return ""
	}
	var b strings.Builder
	for _, m := range []struct {
		mode                string
		lv                  podsecurity.LevelVersion
		levelLabel, vsLabel string
	}{
		{"enforce", p.Enforce, EnforceLevelLabel, EnforceVersionLabel},
		{"audit", p.Audit, AuditLevelLabel, AuditVersionLabel},
		{"warn", p.Warn, WarnLevelLabel, WarnVersionLabel},
	} {
		_, hasLevel := labels[m.levelLabel]
		_, hasVersion := labels[m.vsLabel]
		if m.lv.Level == podsecurity.LevelPrivileged || !(hasLevel || hasVersion) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(m.mode)
		b.WriteByte('=')
		b.WriteString(lvString(m.lv))
	}
	return fmt.Sprintf("namespace %q is exempt from Pod Security, and the policy (%s) will be ignored", name, b.String())
}

// warningGroup counts the objects sharing one violation message.
type warningGroup struct {
	first string // lexically first object name
	count int
}

// warningAggregator groups violation messages, remembering first-seen order.
type warningAggregator struct {
	order  []string
	groups map[string]*warningGroup
}

func (w *warningAggregator) add(msg, name string) {
	if w.groups == nil {
		w.groups = map[string]*warningGroup{}
	}
	g, ok := w.groups[msg]
	if !ok {
		g = &warningGroup{first: name}
		w.groups[msg] = g
		w.order = append(w.order, msg)
	} else if name < g.first {
		g.first = name
	}
	g.count++
}

// lines returns "<first> (and N other <noun>s): <msg>" lines, sorted.
func (w *warningAggregator) lines(noun string) []string {
	out := make([]string, 0, len(w.order))
	for _, msg := range w.order {
		g := w.groups[msg]
		switch g.count {
		case 1:
			out = append(out, g.first+": "+msg)
		case 2:
			out = append(out, fmt.Sprintf("%s (and 1 other %s): %s", g.first, noun, msg))
		default:
			out = append(out, fmt.Sprintf("%s (and %d other %ss): %s", g.first, g.count-1, noun, msg))
		}
	}
	sort.Strings(out)
	return out
}

// dryRunNamespace evaluates the namespace's existing pods (and, in the full
// dry-run, its workloads) against a new enforce level and returns warnings.
// The Kubernetes dry-run checks at most maxPods pods (one per controller
// first) within podBudget or half the request's remaining time.
func (a *Admission) dryRunNamespace(ctx context.Context, namespace string, enforce podsecurity.LevelVersion) []string {
	if !a.fullDry {
		timeout := a.podBudget
		if deadline, ok := ctx.Deadline(); ok {
			if half := time.Until(deadline) / 2; half < timeout {
				timeout = half
			}
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	pods, err := a.pods.ListPods(ctx, namespace)
	if err != nil {
		return []string{"failed to list pods while checking new PodSecurity enforce level"}
	}
	pods = a.prioritizePods(pods)
	total := len(pods)
	if !a.fullDry && len(pods) > a.maxPods {
		pods = pods[:a.maxPods]
	}
	checked := len(pods)
	var agg warningAggregator
	for i, pod := range pods {
		subj := subject{kind: "Pod", name: pod.Name, meta: &pod.ObjectMeta}
		if vs := a.violations(namespace, subj, enforce, &pod.ObjectMeta, &pod.Spec); len(vs) > 0 {
			agg.add(reasonsMessage(vs), pod.Name)
		}
		if ctx.Err() != nil {
			checked = i + 1
			break
		}
	}
	var warnings []string
	if checked < total {
		warnings = append(warnings, fmt.Sprintf("new PodSecurity enforce level only checked against the first %d of %d existing pods", checked, total))
	}
	if len(agg.order) > 0 {
		warnings = append(warnings, fmt.Sprintf("existing pods in namespace %q violate the new PodSecurity enforce level %q", namespace, lvString(enforce)))
	}
	warnings = append(warnings, agg.lines("pod")...)
	if a.fullDry {
		warnings = append(warnings, a.dryRunWorkloads(ctx, namespace, enforce)...)
	}
	return warnings
}

// dryRunWorkloads evaluates the pod templates of the namespace's workloads
// (kubeward's full dry-run).
func (a *Admission) dryRunWorkloads(ctx context.Context, namespace string, enforce podsecurity.LevelVersion) []string {
	if ctx.Err() != nil {
		return []string{"workloads not checked against the new PodSecurity enforce level: " + ctx.Err().Error()}
	}
	objs, err := a.workloads.ListWorkloads(ctx, namespace)
	if err != nil {
		return []string{"failed to list workloads while checking new PodSecurity enforce level"}
	}
	var agg warningAggregator
	checked := 0
	for _, obj := range objs {
		subj, meta, spec, err := podTemplateOf(obj)
		if err != nil || spec == nil || a.exemptRuntimeClass(spec.RuntimeClassName) {
			checked++
			continue
		}
		if vs := a.violations(namespace, subj, enforce, meta, spec); len(vs) > 0 {
			agg.add(reasonsMessage(vs), subj.kind+" "+subj.name)
		}
		checked++
		if ctx.Err() != nil {
			break
		}
	}
	var warnings []string
	if checked < len(objs) {
		warnings = append(warnings, fmt.Sprintf("new PodSecurity enforce level only checked against the first %d of %d existing workloads", checked, len(objs)))
	}
	if len(agg.order) > 0 {
		warnings = append(warnings, fmt.Sprintf("existing workloads in namespace %q violate the new PodSecurity enforce level %q", namespace, lvString(enforce)))
	}
	return append(warnings, agg.lines("workload")...)
}

// violations evaluates one pod(-template) at lv, with narrow exemptions applied.
func (a *Admission) violations(namespace string, subj subject, lv podsecurity.LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) []podsecurity.Violation {
	vs := a.eval.EvaluateReasons(lv, meta, spec)
	if len(vs) > 0 && a.narrow != nil {
		if nm := a.matchNarrow(namespace, subj); len(nm.active) > 0 {
			vs = a.applyNarrow(&nm, lv, meta, spec, vs)
		}
	}
	return vs
}

// prioritizePods drops pods with an exempt runtime class and orders the rest
// so that the first pod of each controller comes before the others, as
// Kubernetes does. The input slice is not modified.
func (a *Admission) prioritizePods(pods []*corev1.Pod) []*corev1.Pod {
	out := make([]*corev1.Pod, 0, len(pods))
	var dups []*corev1.Pod
	seen := map[types.UID]bool{}
	for _, pod := range pods {
		if a.exemptRuntimeClass(pod.Spec.RuntimeClassName) {
			continue
		}
		ref := controllerOf(&pod.ObjectMeta)
		if ref == nil {
			out = append(out, pod)
			continue
		}
		if seen[ref.UID] {
			dups = append(dups, pod)
			continue
		}
		seen[ref.UID] = true
		out = append(out, pod)
	}
	return append(out, dups...)
}
