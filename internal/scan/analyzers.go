package scan

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeward/kubeward/internal/apiversions"
	"github.com/kubeward/kubeward/internal/clusterconfig"
	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/podsecurity"
	"github.com/kubeward/kubeward/internal/rbac"
)

// newAnalyzers returns one analyzer per built-in rule family, in the order
// their findings are reported for an object.
func newAnalyzers(registry *finding.Registry, opts Options) ([]Analyzer, error) {
	ps := &podSecurityAnalyzer{
		lv:        opts.PodSecurity,
		eval:      podsecurity.Default,
		level:     opts.PodSecurity.Level.String(),
		version:   opts.PodSecurity.Version.String(),
		checkRule: map[string]finding.Rule{},
	}
	for _, r := range registry.Rules() {
		if fam, id, _ := strings.Cut(r.ID, "/"); fam == podsecurity.RuleFamily {
			ps.checkRule[id] = r
		}
	}
	minor := 0 // the newest Kubernetes version
	if !opts.PodSecurity.Version.IsLatest() {
		minor = opts.PodSecurity.Version.Minor()
	}
	api, _ := registry.Lookup(apiversions.RuleRemovedVersion)
	return []Analyzer{
		&apiAnalyzer{rule: api},
		ps,
		&rbacAnalyzer{opts: rbac.RiskOptions{KubernetesMinor: minor}},
		newSecretsAnalyzer(registry),
		&configAnalyzer{minor: configMinor(minor)},
		newTenancyAnalyzer(registry, opts.TenantLabel),
	}, nil
}

// apiAnalyzer reports objects in API versions Kubernetes no longer serves.
type apiAnalyzer struct{ rule finding.Rule }

func (a *apiAnalyzer) Family() string { return "api" }

func (a *apiAnalyzer) Object(o *Object, emit Emit) {
	if o.RemovedIn == "" {
		return
	}
	emit(o, finding.Finding{
		Rule:        a.rule.ID,
		Severity:    a.rule.Severity,
		Object:      ref(o),
		File:        o.File,
		Line:        o.FieldLine("apiVersion"),
		Path:        "apiVersion",
		Message:     fmt.Sprintf("%s %s is no longer served since Kubernetes %s (use %s)", o.APIVersion, o.Kind, o.RemovedIn, o.Replacement),
		Remediation: a.rule.Remediation,
	})
}

// ref names the object a finding is about. An object made for kubectl
// create with metadata.generateName and no name is named by its prefix
// (e.g. "migrate-"), the part of the name its author wrote.
func ref(o *Object) finding.ObjectRef {
	name := o.Name
	if name == "" {
		if m, err := meta.Accessor(o.Object.Object); err == nil {
			name = m.GetGenerateName()
		}
	}
	return finding.ObjectRef{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: name}
}

// podSecurityAnalyzer evaluates pods and pod templates against the chosen
// Pod Security level and version.
type podSecurityAnalyzer struct {
	lv        podsecurity.LevelVersion
	eval      *podsecurity.Evaluator
	level     string
	version   string
	checkRule map[string]finding.Rule
}

func (a *podSecurityAnalyzer) Family() string { return podsecurity.RuleFamily }

func (a *podSecurityAnalyzer) Object(o *Object, emit Emit) {
	if !o.hasPod {
		return
	}
	pt := o.pod
	// Evaluate what the API server would store. The object belongs to this
	// scan for the duration of the callback, so defaulting happens in place.
	if pt.prefix == "" {
		podsecurity.ApplyDefaults(pt.spec)
	} else {
		podsecurity.ApplyTemplateDefaults(pt.spec)
	}
	// A passing pod costs no allocation (see AppendViolations).
	vs := a.eval.AppendViolations(nil, a.lv, pt.meta, pt.spec)
	if len(vs) == 0 {
		return
	}
	baseline := a.baselineSeverities(pt)
	r := ref(o)
	for i := range vs {
		v := &vs[i]
		rule, ok := a.checkRule[v.Check]
		if !ok {
			// The registry is built from the same checks; a missing rule is a
			// programming error worth surfacing rather than hiding.
			rule = finding.Rule{ID: podsecurity.RuleFamily + "/" + v.Check, Severity: finding.SeverityHigh}
		}
		msg := v.Message()
		fields := v.Fields
		if len(fields) == 0 {
			fields = []podsecurity.Field{{}}
		}
		for _, f := range fields {
			fd := finding.Finding{
				Rule:        rule.ID,
				Severity:    rule.Severity,
				Object:      r,
				File:        o.File,
				Line:        o.Line,
				Container:   f.Container,
				Message:     msg,
				Remediation: rule.Remediation,
				PodSecurity: &finding.PodSecurityRef{Level: a.level, Version: a.version, Check: v.Check},
			}
			if f.Path != "" {
				fd.Path = pt.prefix + f.Path
				fd.Line = o.FieldLine(fd.Path)
				fd.Remediation = remediation(fd.Path, f.Fix)
				if sev, ok := baseline.severity(f.Path); ok && sev.Rank() > fd.Severity.Rank() {
					fd.Severity = sev
				}
			}
			emit(o, fd)
		}
	}
}

// baselineFields maps the fields a pod violates at baseline to the
// severity of the baseline check they violate.
type baselineFields map[string]finding.Severity

// severity returns the baseline severity of path, or of a field it
// contains or is contained in (a restricted check may name
// spec.volumes[0] where the baseline one names spec.volumes[0].hostPath).
func (b baselineFields) severity(path string) (finding.Severity, bool) {
	if b == nil {
		return "", false
	}
	if s, ok := b[path]; ok {
		return s, true
	}
	for p, s := range b {
		if strings.HasPrefix(p, path+".") || strings.HasPrefix(path, p+".") || strings.HasPrefix(p, path+"[") || strings.HasPrefix(path, p+"[") {
			return s, true
		}
	}
	return "", false
}

// baselineSeverities makes severity follow the risk, not the level: at
// restricted, a hostPath volume is reported by restrictedVolumes and an
// added SYS_ADMIN by capabilities_restricted, checks that replace their
// baseline counterparts and carry a lower severity. A field that baseline
// also forbids keeps the baseline check's severity, so the same manifest
// gets the same severity at either level. Only restricted runs with
// violations pay for the second evaluation.
func (a *podSecurityAnalyzer) baselineSeverities(pt podTemplate) baselineFields {
	if a.lv.Level != podsecurity.LevelRestricted {
		return nil
	}
	vs := a.eval.AppendViolations(nil, podsecurity.LevelVersion{Level: podsecurity.LevelBaseline, Version: a.lv.Version}, pt.meta, pt.spec)
	if len(vs) == 0 {
		return nil
	}
	b := baselineFields{}
	for i := range vs {
		v := &vs[i]
		sev := a.checkRule[v.Check].Severity
		for _, f := range v.Fields {
			if f.Path != "" && sev.Rank() > b[f.Path].Rank() {
				b[f.Path] = sev
			}
		}
	}
	return b
}

// remediation renders a fix as the sentence users read.
func remediation(path string, fix podsecurity.Fix) string {
	return podsecurity.Remediation(path, fix)
}

// rbacAnalyzer runs the RBAC good-practice risks over the RBAC objects,
// service accounts, namespaces, quotas and workloads of each bundle,
// together with Kubernetes' default policy (a real cluster always has it;
// risks are never reported on the default objects themselves). The
// Kubernetes version judged is the one of --pod-security (latest by
// default): some permissions mean more in older versions (get on
// pods/exec allowed exec before v1.35).
type rbacAnalyzer struct {
	opts    rbac.RiskOptions
	bundles []*rbac.Policy
	// docs keeps the RBAC objects (not workloads) by document, so that a
	// problem found at Finish can point at its field's line.
	docs map[rbac.Source]*manifest.Object
	// live is set by the first live object (see Object.Live): the cluster's
	// own default policy is among the objects, and its aggregation
	// controller has already aggregated the ClusterRoles.
	live bool
}

type rbacKept struct {
	obj runtime.Object
	src rbac.Source
}

func (a *rbacAnalyzer) Family() string { return "rbac" }

func (a *rbacAnalyzer) Object(*Object, Emit) {}

func (a *rbacAnalyzer) Keep(o *Object) any {
	src := rbacSource(o)
	a.live = a.live || o.Live
	switch o.Object.Object.(type) {
	case *rbacv1.Role, *rbacv1.ClusterRole, *rbacv1.RoleBinding, *rbacv1.ClusterRoleBinding:
		if a.docs == nil {
			a.docs = map[rbac.Source]*manifest.Object{}
		}
		o.Object.Retain() // held until Finish
		a.docs[src] = o.Object
	case *corev1.ServiceAccount, *corev1.Namespace, *corev1.ResourceQuota,
		*corev1.Pod, *corev1.ReplicationController, *appsv1.Deployment, *appsv1.ReplicaSet,
		*appsv1.StatefulSet, *appsv1.DaemonSet, *batchv1.Job, *batchv1.CronJob:
	default:
		return nil
	}
	return rbacKept{o.Object.Object, src}
}

func (a *rbacAnalyzer) Add(kept any, bundle int) {
	for len(a.bundles) <= bundle {
		a.bundles = append(a.bundles, bundlePolicy(a.live))
	}
	k := kept.(rbacKept)
	a.bundles[bundle].Add(k.obj, k.src)
}

func (a *rbacAnalyzer) Finish(emit Emit, problem func(Problem)) {
	for i, p := range a.bundles {
		a.bundles[i] = nil
		ix := bundleIndex(p, a.live)
		for _, pr := range ix.Problems() {
			line := pr.Source.Line
			if o := a.docs[pr.Source]; o != nil && pr.Field != "" {
				line = o.FieldLine(pr.Field)
			}
			problem(Problem{File: pr.Source.File, Line: line, Message: pr.Detail(), Warning: pr.Warning})
		}
		for _, f := range ix.Risks(a.opts) {
			emit(nil, f)
		}
	}
	a.docs = nil
}

// rbacSource is where an object the RBAC authorizer holds comes from: its
// file and line, or the cluster (a default object when it is one of
// Kubernetes' bootstrap policy).
func rbacSource(o *Object) rbac.Source {
	if o.Live {
		return rbac.Source{Cluster: true, Default: rbac.IsBootstrap(o.Object.Object)}
	}
	return rbac.Source{File: o.File, Line: o.Line}
}

// bundlePolicy returns the RBAC policy a bundle's objects are added to by
// every analyzer that asks the authorizer (rbac/, secrets/, tenancy/):
// for files, Kubernetes' default policy, which every cluster has; for a
// live cluster, nothing yet, since the cluster lists its own default
// policy (its aggregation controller has already aggregated the
// ClusterRoles, see bundleIndex) and every service account.
//
// Kubernetes' default policy is decoded once per process, which takes
// about 15 ms: NewScanner starts that in the background when a family
// that needs it runs (see defaultPolicyUser), and Finish reports the
// error, which only a broken build can cause (the policy is compiled in),
// so here an error gives an empty policy.
func bundlePolicy(live bool) *rbac.Policy {
	if live {
		return &rbac.Policy{ServiceAccountsListed: true}
	}
	p, err := rbac.NewPolicyWithDefaults()
	if err != nil {
		return &rbac.Policy{}
	}
	return p
}

// defaultPolicyUser marks the analyzers that judge bundles together with
// Kubernetes' default RBAC policy (see bundlePolicy).
type defaultPolicyUser interface{ usesDefaultPolicy() }

func (*rbacAnalyzer) usesDefaultPolicy()    {}
func (*secretsAnalyzer) usesDefaultPolicy() {}
func (*tenancyAnalyzer) usesDefaultPolicy() {}

// bundleIndex indexes a bundle's policy; aggregation rules are applied for
// files only (see bundlePolicy).
func bundleIndex(p *rbac.Policy, live bool) *rbac.Index {
	return rbac.NewIndex(p, rbac.Options{Aggregate: !live})
}

// configMinor is the Kubernetes minor version whose defaults config/ rules
// judge: the --pod-security version's, the newest when that is latest.
func configMinor(minor int) int {
	if minor == 0 || minor > clusterconfig.Latest {
		return clusterconfig.Latest
	}
	if minor < clusterconfig.Oldest {
		return clusterconfig.Oldest
	}
	return minor
}
