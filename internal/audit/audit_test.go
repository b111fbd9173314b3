package audit

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubeward/kubeward/internal/admission"
	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/podsecurity"
)

// Pod specs at each level.
func restrictedSpec() corev1.PodSpec {
	t, f := true, false
	return corev1.PodSpec{
		SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: &t, SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
		Containers: []corev1.Container{{Name: "app", Image: "app:1", SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: &f, Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}},
	}
}

func baselineSpec() corev1.PodSpec {
	return corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app:1"}}}
}

func privilegedSpec() corev1.PodSpec {
	t := true
	return corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app:1", SecurityContext: &corev1.SecurityContext{Privileged: &t}}}}
}

func ns(name string, labels map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

func controlled(kind, name string) []metav1.OwnerReference {
	t := true
	return []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: kind, Name: name, UID: types.UID("uid-" + name), Controller: &t}}
}

func pod(namespace, name string, spec corev1.PodSpec, owner []metav1.OwnerReference) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, OwnerReferences: owner}, Spec: spec}
}

func deployment(namespace, name string, spec corev1.PodSpec) *appsv1.Deployment {
	zero := int32(0)
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: appsv1.DeploymentSpec{Replicas: &zero, Template: corev1.PodTemplateSpec{Spec: spec}}}
}

func cronJob(namespace, name string, spec corev1.PodSpec) *batchv1.CronJob {
	cj := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	cj.Spec.JobTemplate.Spec.Template.Spec = spec
	return cj
}

func run(t *testing.T, opts Options, nss []*corev1.Namespace, objs ...runtime.Object) ([]Namespace, []finding.Finding) {
	t.Helper()
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nss {
		a.Namespace(n)
	}
	for _, o := range objs {
		if !a.Object(o) {
			t.Fatalf("%T not evaluated", o)
		}
	}
	return a.Finish()
}

func rulesOf(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule+" "+f.Object.String())
	}
	return out
}

// TestLabels: each namespace's effective policy and label problems, as
// Kubernetes resolves them (invalid enforce → restricted, invalid
// audit/warn → privileged, invalid version → latest, warn follows enforce).
func TestLabels(t *testing.T) {
	const p = admission.LabelPrefix
	baselineDefault, err := admission.ParseConfig([]byte("apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults: {enforce: baseline, enforce-version: v1.30}\nexemptions: {namespaces: [kube-system]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		config *admission.PodSecurityConfiguration
		labels map[string]string
		policy Policy
		errs   int
		rules  []string
	}{
		{"none", nil, nil, Policy{"privileged:latest", "privileged:latest", "privileged:latest"}, 0, []string{RuleNoEnforceLabel}},
		{"enforce", nil, map[string]string{p + "enforce": "baseline"}, Policy{"baseline:latest", "privileged:latest", "baseline:latest"}, 0, nil},
		{"enforce and version", nil, map[string]string{p + "enforce": "baseline", p + "enforce-version": "v1.30"}, Policy{"baseline:v1.30", "privileged:latest", "baseline:v1.30"}, 0, nil},
		{"warn kept", nil, map[string]string{p + "enforce": "baseline", p + "warn": "restricted"}, Policy{"baseline:latest", "privileged:latest", "restricted:latest"}, 0,
			[]string{RuleViolatesAuditOrWarn, RuleViolatesAuditOrWarn, RuleViolatesAuditOrWarn, RuleViolatesAuditOrWarn}},
		{"version only", nil, map[string]string{p + "enforce-version": "v1.29"}, Policy{"privileged:v1.29", "privileged:latest", "privileged:latest"}, 0, []string{RuleNoEnforceLabel}},
		{"invalid enforce", nil, map[string]string{p + "enforce": "Baseline"}, Policy{"restricted:latest", "privileged:latest", "privileged:latest"}, 1,
			[]string{RuleInvalidLabel, RulePodViolatesEnforce, RulePodViolatesEnforce, RulePodViolatesEnforce, RulePodViolatesEnforce}},
		{"invalid version", nil, map[string]string{p + "enforce": "baseline", p + "enforce-version": "1.30"}, Policy{"baseline:latest", "privileged:latest", "baseline:latest"}, 1, []string{RuleInvalidLabel}},
		{"invalid audit", nil, map[string]string{p + "enforce": "baseline", p + "audit": "strict"}, Policy{"baseline:latest", "privileged:latest", "baseline:latest"}, 1, []string{RuleInvalidLabel}},
		{"future version", nil, map[string]string{p + "enforce": "baseline", p + "enforce-version": "v1.99"}, Policy{"baseline:v1.99", "privileged:latest", "baseline:v1.99"}, 0, nil},
		{"privileged label", nil, map[string]string{p + "enforce": "privileged"}, Policy{"privileged:latest", "privileged:latest", "privileged:latest"}, 0, []string{RuleEnforceCanBeRaised}},
		{"cluster default", baselineDefault, nil, Policy{"baseline:v1.30", "privileged:latest", "privileged:latest"}, 0, nil},
		{"other labels", nil, map[string]string{"team": "a", p + "enforce": "baseline"}, Policy{"baseline:latest", "privileged:latest", "baseline:latest"}, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plans, fs := run(t, Options{Config: tc.config}, []*corev1.Namespace{ns("app", tc.labels)},
				pod("app", "web", baselineSpec(), nil))
			if diff := cmp.Diff(tc.policy, plans[0].Policy); diff != "" {
				t.Errorf("policy (-want +got):\n%s", diff)
			}
			if len(plans[0].LabelErrors) != tc.errs {
				t.Errorf("label errors %q, want %d", plans[0].LabelErrors, tc.errs)
			}
			var got []string
			for _, f := range fs {
				got = append(got, f.Rule)
			}
			if diff := cmp.Diff(tc.rules, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			for k := range plans[0].Labels {
				if !strings.HasPrefix(k, admission.LabelPrefix) {
					t.Errorf("label %q is not a Pod Security label", k)
				}
			}
		})
	}
	t.Run("exempt", func(t *testing.T) {
		plans, fs := run(t, Options{Config: baselineDefault}, []*corev1.Namespace{ns("kube-system", nil)},
			pod("kube-system", "proxy", privilegedSpec(), nil))
		if !plans[0].Exempt || plans[0].Pods != 1 || plans[0].Recommended.Command != "" || len(plans[0].Blockers) != 0 {
			t.Errorf("plan %+v", plans[0])
		}
		if got := rulesOf(fs); !slices.Equal(got, []string{RuleExemptNamespace + " Namespace/kube-system"}) {
			t.Errorf("findings %q", got)
		}
	})
}

// TestPlan: the levels every pod and template meets, the blockers of the
// next level grouped by the workload people edit, pod findings grouped by
// workload, and the command.
func TestPlan(t *testing.T) {
	const p = admission.LabelPrefix
	nss := []*corev1.Namespace{
		ns("shop", nil),
		ns("web", map[string]string{p + "enforce": "restricted"}),
		ns("clean", map[string]string{p + "enforce": "baseline", p + "enforce-version": "v1.35"}),
		ns("warned", map[string]string{p + "enforce": "baseline", p + "warn": "restricted", p + "audit": "restricted"}),
	}
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "web-1", OwnerReferences: controlled("Deployment", "web")}}
	objs := []runtime.Object{
		// shop: a Deployment scaled to zero meeting baseline, a CronJob
		// that is privileged, a running pod meeting restricted.
		deployment("shop", "api", baselineSpec()),
		cronJob("shop", "nightly", privilegedSpec()),
		pod("shop", "debug", restrictedSpec(), nil),
		// web: enforce restricted, three running pods of a Deployment's
		// ReplicaSet created before the label.
		deployment("web", "web", baselineSpec()),
		rs,
		pod("web", "web-1-a", baselineSpec(), controlled("ReplicaSet", "web-1")),
		pod("web", "web-1-b", baselineSpec(), controlled("ReplicaSet", "web-1")),
		pod("web", "web-1-c", baselineSpec(), controlled("ReplicaSet", "web-1")),
		// clean: everything restricted.
		pod("clean", "a", restrictedSpec(), nil),
		// warned: baseline pod, restricted warn/audit.
		pod("warned", "b", baselineSpec(), nil),
	}
	plans, fs := run(t, Options{Pin: podsecurity.MajorMinor(37)}, nss, objs...)
	byName := map[string]Namespace{}
	for _, pl := range plans {
		byName[pl.Name] = pl
	}
	if got := []string{plans[0].Name, plans[1].Name, plans[2].Name, plans[3].Name}; !slices.Equal(got, []string{"clean", "shop", "warned", "web"}) {
		t.Fatalf("order %q", got)
	}

	shop := byName["shop"]
	if shop.Meets != (Levels{"privileged", "privileged"}) || shop.PodsMeet != (Levels{"restricted", "restricted"}) {
		t.Errorf("shop meets %+v, pods %+v", shop.Meets, shop.PodsMeet)
	}
	if shop.Blocking != "baseline" || len(shop.Blockers) != 1 || shop.Blockers[0] != (Blocker{Kind: "CronJob", Name: "nightly", Check: "privileged", Container: "app",
		Path: "spec.containers[0].securityContext.privileged", Fix: "set spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged: false", Template: true}) {
		t.Errorf("shop blockers %s %+v", shop.Blocking, shop.Blockers)
	}
	if shop.Recommended.Command != "" || shop.Pods != 1 || shop.Templates != 2 {
		t.Errorf("shop %+v", shop)
	}
	wantViolations := []LevelCount{{"baseline", "latest", 0, 1}, {"restricted", "latest", 0, 2}, {"baseline", "v1.37", 0, 1}, {"restricted", "v1.37", 0, 2}}
	if diff := cmp.Diff(wantViolations, shop.Violations); diff != "" {
		t.Errorf("shop violations (-want +got):\n%s", diff)
	}

	web := byName["web"]
	if web.Meets.Pinned != "baseline" || web.Blocking != "restricted" || web.Recommended.Command != "" {
		t.Errorf("web %+v", web)
	}
	for _, b := range web.Blockers {
		if b.Kind != "Deployment" || b.Name != "web" || !b.Template || b.Pods != 3 {
			t.Errorf("web blocker %+v: want the Deployment's template and its 3 pods", b)
		}
	}
	if web.Templates != 1 {
		t.Errorf("web templates %d: the Deployment's ReplicaSet is evaluated through it", web.Templates)
	}

	clean := byName["clean"]
	if clean.Meets.Pinned != "restricted" || clean.Blocking != "" ||
		clean.Recommended.Command != "kubectl label ns clean pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/enforce-version=v1.37 --overwrite" {
		t.Errorf("clean %+v", clean)
	}

	var podFindings, templateFindings, warnFindings int
	for _, f := range fs {
		switch f.Rule {
		case RulePodViolatesEnforce:
			podFindings++
			if f.Object.Name != "web-1-a" || !strings.HasSuffix(f.Message, "(and 2 other pods of Deployment web)") || f.PodSecurity.Level != "restricted" {
				t.Errorf("pod finding %+v", f)
			}
		case RuleTemplateViolatesEnforce:
			templateFindings++
			if f.Object.String() != "Deployment/web/web" || !strings.HasPrefix(f.Path, "spec.template.spec.") {
				t.Errorf("template finding %+v", f)
			}
		case RuleViolatesAuditOrWarn:
			warnFindings++
			if f.Object.String() != "Pod/warned/b" || !strings.HasPrefix(f.Message, "violates audit=restricted:latest, warn=restricted:latest: ") {
				t.Errorf("warn finding %+v", f)
			}
		}
		if f.File != "" {
			t.Errorf("finding with a file: %+v", f)
		}
	}
	// restricted fails 4 fields of baselineSpec: allowPrivilegeEscalation,
	// capabilities, runAsNonRoot, seccompProfile — once per field, not per pod.
	if podFindings != 4 || templateFindings != 4 || warnFindings != 4 {
		t.Errorf("pod %d, template %d, warn %d findings; want 4 each: %q", podFindings, templateFindings, warnFindings, rulesOf(fs))
	}
}

// TestBlockersBounded: blockers are kept for the lowest level only and
// capped; pods of one workload share their entries.
func TestBlockersBounded(t *testing.T) {
	var objs []runtime.Object
	for i := 0; i < 30; i++ {
		objs = append(objs, pod("big", "bare-"+string(rune('a'+i%26))+string(rune('a'+i/26)), baselineSpec(), nil))
	}
	objs = append(objs, pod("big", "root", privilegedSpec(), nil))
	plans, _ := run(t, Options{MaxBlockers: 5}, []*corev1.Namespace{ns("big", nil)}, objs...)
	p := plans[0]
	if p.Blocking != "baseline" || len(p.Blockers) != 1 || p.Blockers[0].Name != "root" || p.MoreBlockers != 0 {
		t.Errorf("blockers %s %+v more %d", p.Blocking, p.Blockers, p.MoreBlockers)
	}
	plans, _ = run(t, Options{MaxBlockers: 5}, []*corev1.Namespace{ns("big", nil)}, objs[:30]...)
	p = plans[0]
	if p.Blocking != "restricted" || len(p.Blockers) != 5 || p.MoreBlockers != 30*4-5 {
		t.Errorf("blockers %s %d more %d", p.Blocking, len(p.Blockers), p.MoreBlockers)
	}
}
