// Package audit judges a live cluster's Pod Security: each namespace's
// effective policy (its pod-security.kubernetes.io labels over the API
// server's defaults and exemptions), every pod and every workload template
// evaluated against it with the one Pod Security engine, and the plan: the
// highest level each namespace can enforce today, what blocks the next
// one, and the kubectl label command to apply.
//
// An Auditor is fed objects as they are listed (namespaces first, then
// workloads, then pods, for the best grouping) and keeps per-namespace
// aggregates and findings only, never the objects: its memory grows with
// the number of namespaces, workloads and findings, not with the number
// of pods of a controller. It does no I/O.
package audit

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubeward/kubeward/internal/admission"
	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/podsecurity"
)

// DefaultMaxBlockers is the number of blockers a namespace's plan lists
// when Options.MaxBlockers is 0.
const DefaultMaxBlockers = 50

// Options configures an Auditor.
type Options struct {
	// Config is the API server's Pod Security configuration (defaults and
	// exemptions); nil means Kubernetes' defaults: privileged everywhere,
	// no exemptions.
	Config *admission.PodSecurityConfiguration
	// Pin is the version the plan pins labels to, normally the cluster's
	// v1.N; latest means podsecurity.NewestKnownMinor.
	Pin podsecurity.Version
	// MaxBlockers caps each namespace's listed blockers; 0 means
	// DefaultMaxBlockers.
	MaxBlockers int
	// KnownRule, when set, turns on suppression annotations
	// (finding.SuppressionDomain) on pods, workloads and their templates:
	// it says whether a rule ID exists. A psa/ finding is suppressed by its
	// own rule or by the scanner's pod-security/<check> rule of its check.
	KnownRule func(rule string) bool
	// SuppressionProblem, when set, receives each malformed suppression
	// annotation (unknown rule, empty reason) with the object holding it.
	// Leave it nil when another reader of the same objects reports them.
	SuppressionProblem func(obj finding.ObjectRef, msg string)
}

// Auditor accumulates a cluster's objects. It is not safe for concurrent
// use. Create it with New.
type Auditor struct {
	eval        *podsecurity.Evaluator
	defaults    admission.Policy
	exemptNS    map[string]bool
	exemptRC    map[string]bool
	pin         podsecurity.Version
	maxBlockers int
	rules       map[string]finding.Rule
	known       func(string) bool
	supProblem  func(finding.ObjectRef, string)
	namespaces  map[string]*nsState
	buf         []podsecurity.Violation
}

// New validates opts and returns an Auditor.
func New(opts Options) (*Auditor, error) {
	cfg := opts.Config
	if cfg == nil {
		cfg = admission.DefaultConfig()
	}
	defaults, err := cfg.DefaultPolicy()
	if err != nil {
		return nil, fmt.Errorf("pod security configuration: %w", err)
	}
	a := &Auditor{
		eval:        podsecurity.Default,
		defaults:    defaults,
		exemptNS:    set(cfg.Exemptions.Namespaces),
		exemptRC:    set(cfg.Exemptions.RuntimeClasses),
		pin:         opts.Pin,
		maxBlockers: opts.MaxBlockers,
		rules:       map[string]finding.Rule{},
		known:       opts.KnownRule,
		supProblem:  opts.SuppressionProblem,
		namespaces:  map[string]*nsState{},
	}
	if a.pin.IsLatest() {
		a.pin = podsecurity.MajorMinor(podsecurity.NewestKnownMinor)
	}
	if a.maxBlockers <= 0 {
		a.maxBlockers = DefaultMaxBlockers
	}
	for _, r := range Rules() {
		a.rules[r.ID] = r
	}
	return a, nil
}

func set(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, s := range list {
		m[s] = true
	}
	return m
}

// nsState is what the Auditor keeps of one namespace.
type nsState struct {
	plan       Namespace
	policy     admission.Policy
	labelErrs  field.ErrorList
	hasEnforce bool
	listed     bool
	// lowest levels met so far, indexed by version (0 latest, 1 pinned)
	meets, podsMeet [2]podsecurity.Level
	// fails[version][level-1][0 pods, 1 templates]
	fails [2][2][2]int
	// blockers of level blockLevel (meets[1]+1), keyed
	blockLevel podsecurity.Level
	blockers   map[blockerKey]int // index into plan.Blockers
	// owners maps a ReplicaSet or Job to the Deployment or CronJob that
	// manages it, so that pods are grouped under the workload people edit.
	owners map[string]workloadRef
	// findings about objects, and the groups of pod findings by workload
	findings []finding.Finding
	groups   map[groupKey]*group
}

type workloadRef struct{ kind, name string }

type blockerKey struct {
	workload         workloadRef
	check, container string
	path             string
}

type groupKey struct {
	workload   workloadRef
	rule, path string
	container  string
	check      string
}

type group struct {
	index, pods int
	workload    workloadRef
}

func (a *Auditor) ns(name string) *nsState {
	s, ok := a.namespaces[name]
	if ok {
		return s
	}
	s = &nsState{
		policy:   a.defaults,
		meets:    [2]podsecurity.Level{podsecurity.LevelRestricted, podsecurity.LevelRestricted},
		podsMeet: [2]podsecurity.Level{podsecurity.LevelRestricted, podsecurity.LevelRestricted},
	}
	s.blockLevel = podsecurity.LevelRestricted + 1 // nothing blocked yet
	s.plan = Namespace{Name: name, Labels: map[string]string{}, Exempt: a.exemptNS[name], Blockers: []Blocker{}}
	a.namespaces[name] = s
	return s
}

// Namespace records a namespace and its labels. Objects of a namespace
// never given (deleted during the listing) are judged with the cluster's
// defaults.
func (a *Auditor) Namespace(ns *corev1.Namespace) {
	s := a.ns(ns.Name)
	s.listed = true
	for k, v := range ns.Labels {
		if strings.HasPrefix(k, admission.LabelPrefix) {
			s.plan.Labels[k] = v
		}
	}
	s.policy, s.labelErrs = admission.PolicyFromLabels(ns.Labels, a.defaults)
	_, s.hasEnforce = ns.Labels[admission.EnforceLevelLabel]
	for _, e := range s.labelErrs {
		s.plan.LabelErrors = append(s.plan.LabelErrors, e.Error())
	}
}

// subject is a pod or a workload's pod template.
type subject struct {
	ref      finding.ObjectRef
	meta     *metav1.ObjectMeta
	spec     *corev1.PodSpec
	prefix   string // object path of the template ("" for a pod)
	pod      bool
	workload workloadRef       // what blockers and pod findings are grouped under
	owner    map[string]string // annotations of the workload holding the template
	sup      finding.Suppressions
}

// Object evaluates a pod or a workload and reports whether it was one of
// those kinds. A ReplicaSet managed by a Deployment and a Job managed by a
// CronJob are not evaluated (their owner's template is) but remembered,
// so that their pods are grouped under the owner: give workloads before
// pods. obj is read, never modified or kept.
func (a *Auditor) Object(obj runtime.Object) bool {
	var sub subject
	switch o := obj.(type) {
	case *corev1.Pod:
		sub = subject{meta: &o.ObjectMeta, spec: &o.Spec, pod: true}
		sub.ref = finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: o.Namespace, Name: o.Name}
		sub.workload = workloadRef{"Pod", o.Name}
		if c := metav1.GetControllerOf(o); c != nil {
			sub.workload = a.ns(o.Namespace).owner(workloadRef{c.Kind, c.Name})
		}
	case *appsv1.ReplicaSet:
		if c := metav1.GetControllerOf(o); c != nil && c.Kind == "Deployment" {
			a.ns(o.Namespace).setOwner(workloadRef{"ReplicaSet", o.Name}, workloadRef{c.Kind, c.Name})
			return true
		}
		sub = template(o, "apps/v1", "ReplicaSet", &o.Spec.Template, "spec.template.")
	case *batchv1.Job:
		if c := metav1.GetControllerOf(o); c != nil && c.Kind == "CronJob" {
			a.ns(o.Namespace).setOwner(workloadRef{"Job", o.Name}, workloadRef{c.Kind, c.Name})
			return true
		}
		sub = template(o, "batch/v1", "Job", &o.Spec.Template, "spec.template.")
	case *appsv1.Deployment:
		sub = template(o, "apps/v1", "Deployment", &o.Spec.Template, "spec.template.")
	case *appsv1.StatefulSet:
		sub = template(o, "apps/v1", "StatefulSet", &o.Spec.Template, "spec.template.")
	case *appsv1.DaemonSet:
		sub = template(o, "apps/v1", "DaemonSet", &o.Spec.Template, "spec.template.")
	case *batchv1.CronJob:
		sub = template(o, "batch/v1", "CronJob", &o.Spec.JobTemplate.Spec.Template, "spec.jobTemplate.spec.template.")
	case *corev1.ReplicationController:
		if o.Spec.Template == nil {
			return true // nothing to create pods from
		}
		sub = template(o, "v1", "ReplicationController", o.Spec.Template, "spec.template.")
	case *corev1.PodTemplate:
		sub = template(o, "v1", "PodTemplate", &o.Template, "template.")
	default:
		return false
	}
	a.readSuppressions(&sub)
	a.evaluate(a.ns(sub.ref.Namespace), &sub)
	return true
}

// readSuppressions collects the suppression annotations of the pod, or of
// the workload and its template.
func (a *Auditor) readSuppressions(sub *subject) {
	if a.known == nil {
		return
	}
	problem := func(_, msg string) {
		if a.supProblem != nil {
			a.supProblem(sub.ref, msg)
		}
	}
	sub.sup.Read(sub.owner, a.known, problem)
	sub.sup.Read(sub.meta.Annotations, a.known, problem)
}

func template(o metav1.Object, apiVersion, kind string, t *corev1.PodTemplateSpec, prefix string) subject {
	return subject{
		ref:      finding.ObjectRef{APIVersion: apiVersion, Kind: kind, Namespace: o.GetNamespace(), Name: o.GetName()},
		meta:     &t.ObjectMeta,
		spec:     &t.Spec,
		prefix:   prefix,
		workload: workloadRef{kind, o.GetName()},
		owner:    o.GetAnnotations(),
	}
}

func (s *nsState) setOwner(w, owner workloadRef) {
	if s.owners == nil {
		s.owners = map[string]workloadRef{}
	}
	s.owners[w.kind+"/"+w.name] = owner
}

// owner returns the workload people edit for a pod's controller.
func (s *nsState) owner(c workloadRef) workloadRef {
	if o, ok := s.owners[c.kind+"/"+c.name]; ok {
		return o
	}
	return c
}

func (a *Auditor) evaluate(s *nsState, sub *subject) {
	if sub.pod {
		s.plan.Pods++
	} else {
		s.plan.Templates++
	}
	if s.plan.Exempt {
		return
	}
	if rc := sub.spec.RuntimeClassName; rc != nil && a.exemptRC[*rc] {
		s.plan.ExemptRuntimeClass++
		return
	}
	kind := 1
	if sub.pod {
		kind = 0
	}
	for vi, v := range [2]podsecurity.Version{podsecurity.LatestVersion(), a.pin} {
		l := a.eval.HighestLevel(v, sub.meta, sub.spec)
		s.meets[vi] = min(s.meets[vi], l)
		if sub.pod {
			s.podsMeet[vi] = min(s.podsMeet[vi], l)
		}
		for lv := podsecurity.LevelBaseline; lv <= podsecurity.LevelRestricted; lv++ {
			if l < lv {
				s.fails[vi][lv-1][kind]++
			}
		}
		if vi == 1 && l < podsecurity.LevelRestricted {
			a.block(s, sub, l+1)
		}
	}
	a.judge(s, sub)
}

// block records what keeps sub from level next at the pinned version,
// when next is the level the namespace is blocked at (the lowest seen).
func (a *Auditor) block(s *nsState, sub *subject, next podsecurity.Level) {
	if next > s.blockLevel {
		return
	}
	if next < s.blockLevel {
		s.blockLevel = next
		s.plan.Blockers = s.plan.Blockers[:0]
		s.plan.MoreBlockers = 0
		clear(s.blockers)
	}
	if s.blockers == nil {
		s.blockers = map[blockerKey]int{}
	}
	a.buf = a.eval.AppendViolations(a.buf[:0], podsecurity.LevelVersion{Level: next, Version: a.pin}, sub.meta, sub.spec)
	for i := range a.buf {
		v := &a.buf[i]
		fields := v.Fields
		if len(fields) == 0 {
			fields = []podsecurity.Field{{}}
		}
		for _, f := range fields {
			k := blockerKey{sub.workload, v.Check, f.Container, f.Path}
			at, ok := s.blockers[k]
			if !ok {
				if len(s.plan.Blockers) >= a.maxBlockers {
					s.plan.MoreBlockers++
					continue
				}
				at = len(s.plan.Blockers)
				s.blockers[k] = at
				fix := v.Message()
				if f.Path != "" {
					fix = podsecurity.Remediation(sub.prefix+f.Path, f.Fix)
				}
				s.plan.Blockers = append(s.plan.Blockers, Blocker{
					Kind: sub.workload.kind, Name: sub.workload.name, Check: v.Check,
					Container: f.Container, Path: f.Path, Fix: fix,
				})
			}
			b := &s.plan.Blockers[at]
			if sub.pod {
				b.Pods++
			} else {
				b.Template = true
			}
		}
	}
}

// judge reports sub's violations of its namespace's enforce level, or else
// of its audit and warn levels.
func (a *Auditor) judge(s *nsState, sub *subject) {
	p := &s.policy
	rule, lv, modes := "", p.Enforce, ""
	switch {
	case !a.eval.Allowed(p.Enforce, sub.meta, sub.spec):
		rule = RuleTemplateViolatesEnforce
		if sub.pod {
			rule = RulePodViolatesEnforce
		}
		modes = "enforce=" + p.Enforce.String()
	default:
		auditFails := !a.eval.Allowed(p.Audit, sub.meta, sub.spec)
		warnFails := !a.eval.Allowed(p.Warn, sub.meta, sub.spec)
		switch {
		case auditFails && warnFails:
			lv = p.Audit
			if p.Warn.Level > p.Audit.Level {
				lv = p.Warn
			}
			modes = "audit=" + p.Audit.String() + ", warn=" + p.Warn.String()
		case auditFails:
			lv, modes = p.Audit, "audit="+p.Audit.String()
		case warnFails:
			lv, modes = p.Warn, "warn="+p.Warn.String()
		default:
			return
		}
		rule = RuleViolatesAuditOrWarn
	}
	r := a.rules[rule]
	a.buf = a.eval.AppendViolations(a.buf[:0], lv, sub.meta, sub.spec)
	for i := range a.buf {
		v := &a.buf[i]
		fields := v.Fields
		if len(fields) == 0 {
			fields = []podsecurity.Field{{}}
		}
		for _, f := range fields {
			if sub.pod && sub.workload.kind != "Pod" {
				k := groupKey{sub.workload, rule, f.Path, f.Container, v.Check}
				if g, ok := s.groups[k]; ok {
					g.pods++
					continue
				}
				if s.groups == nil {
					s.groups = map[groupKey]*group{}
				}
				s.groups[k] = &group{index: len(s.findings), pods: 1, workload: sub.workload}
			}
			fd := finding.Finding{
				Rule:        rule,
				Severity:    r.Severity,
				Object:      sub.ref,
				Container:   f.Container,
				Message:     "violates " + modes + ": " + v.Message(),
				Remediation: r.Remediation,
				PodSecurity: &finding.PodSecurityRef{Level: lv.Level.String(), Version: lv.Version.String(), Check: v.Check},
			}
			if f.Path != "" {
				fd.Path = sub.prefix + f.Path
				fd.Remediation = podsecurity.Remediation(fd.Path, f.Fix)
			}
			sub.sup.Apply(&fd)
			s.findings = append(s.findings, fd)
		}
	}
}

// Finish completes the plans and returns them, sorted by namespace name,
// with the findings (namespaces in the same order; each namespace's own
// findings first, then its objects' in the order they were given). Call it
// once, after the last object.
func (a *Auditor) Finish() ([]Namespace, []finding.Finding) {
	names := slices.Sorted(maps.Keys(a.namespaces))
	plans := make([]Namespace, 0, len(names))
	var out []finding.Finding
	for _, name := range names {
		s := a.namespaces[name]
		a.finishPlan(s)
		out = append(out, a.namespaceFindings(s)...)
		for _, g := range s.groups {
			if g.pods > 1 {
				fd := &s.findings[g.index]
				fd.Message += fmt.Sprintf(" (and %s of %s %s)", plural(g.pods-1, "other pod"), g.workload.kind, g.workload.name)
			}
		}
		out = append(out, s.findings...)
		s.findings, s.groups = nil, nil
		plans = append(plans, s.plan)
	}
	return plans, out
}

func (a *Auditor) finishPlan(s *nsState) {
	p := &s.plan
	p.Policy = Policy{Enforce: s.policy.Enforce.String(), Audit: s.policy.Audit.String(), Warn: s.policy.Warn.String()}
	p.PinnedVersion = a.pin.String()
	if p.Exempt {
		// Nothing was evaluated: an exempt namespace admits everything.
		p.Meets = Levels{"privileged", "privileged"}
		p.PodsMeet = p.Meets
		s.meets = [2]podsecurity.Level{}
	} else {
		p.Meets = Levels{s.meets[0].String(), s.meets[1].String()}
		p.PodsMeet = Levels{s.podsMeet[0].String(), s.podsMeet[1].String()}
	}
	p.Violations = make([]LevelCount, 0, 4)
	for vi, v := range []string{"latest", p.PinnedVersion} {
		for li, l := range []string{"baseline", "restricted"} {
			p.Violations = append(p.Violations, LevelCount{Level: l, Version: v, Pods: s.fails[vi][li][0], Templates: s.fails[vi][li][1]})
		}
	}
	level := s.meets[1]
	p.Recommended = Recommendation{Level: level.String(), Version: p.PinnedVersion}
	if !p.Exempt && level > podsecurity.LevelPrivileged && (level != s.policy.Enforce.Level || !s.hasEnforce ||
		s.plan.Labels[admission.EnforceVersionLabel] != p.PinnedVersion) && level >= s.policy.Enforce.Level {
		p.Recommended.Command = fmt.Sprintf("kubectl label ns %s %s=%s %s=%s --overwrite",
			p.Name, admission.EnforceLevelLabel, level, admission.EnforceVersionLabel, p.PinnedVersion)
	}
	if level < podsecurity.LevelRestricted && !p.Exempt {
		p.Blocking = (level + 1).String()
		if s.blockLevel != level+1 {
			// Unreachable: the lowest level seen is the one blocked.
			p.Blockers = p.Blockers[:0]
		}
	} else {
		p.Blockers = p.Blockers[:0]
		p.MoreBlockers = 0
	}
	sort.SliceStable(p.Blockers, func(i, j int) bool {
		bi, bj := &p.Blockers[i], &p.Blockers[j]
		if bi.Kind != bj.Kind {
			return bi.Kind < bj.Kind
		}
		return bi.Name < bj.Name
	})
	s.blockers = nil
}

func (a *Auditor) namespaceFindings(s *nsState) []finding.Finding {
	p := &s.plan
	ref := finding.ObjectRef{APIVersion: "v1", Kind: "Namespace", Name: p.Name}
	var out []finding.Finding
	add := func(rule, msg, fix string) {
		r := a.rules[rule]
		if fix == "" {
			fix = r.Remediation
		}
		out = append(out, finding.Finding{Rule: rule, Severity: r.Severity, Object: ref, Message: msg, Remediation: fix})
	}
	if p.Exempt {
		add(RuleExemptNamespace, fmt.Sprintf("namespace %q is exempt from Pod Security in the admission configuration: every pod is admitted whatever its labels say", p.Name), "")
		return out
	}
	for _, e := range s.labelErrs {
		add(RuleInvalidLabel, e.Error(), "")
	}
	fix := ""
	if p.Recommended.Command != "" {
		fix = p.Recommended.Command
	}
	if blockers := p.Blocking; fix == "" && blockers != "" && len(p.Blockers) > 0 {
		fix = fmt.Sprintf("fix what the namespace's plan lists as blocking %s (%s), then label the namespace", blockers, plural(len(p.Blockers)+p.MoreBlockers, "field"))
	}
	switch {
	case !s.hasEnforce && s.policy.Enforce.Level == podsecurity.LevelPrivileged:
		add(RuleNoEnforceLabel, fmt.Sprintf("namespace %q has no %s label and the cluster default is %s; its pods and workloads meet %s at %s",
			p.Name, admission.EnforceLevelLabel, s.policy.Enforce, p.Recommended.Level, p.PinnedVersion), fix)
	case s.meets[1] > s.policy.Enforce.Level && p.Recommended.Command != "":
		add(RuleEnforceCanBeRaised, fmt.Sprintf("namespace %q enforces %s but every pod and workload already meets %s at %s",
			p.Name, s.policy.Enforce, p.Recommended.Level, p.PinnedVersion), fix)
	}
	return out
}

// plural renders "1 pod", "2 pods".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
