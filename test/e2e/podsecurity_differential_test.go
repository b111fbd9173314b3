//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kubeward/kubeward/test/e2e/controlplane"
)

var (
	psaSeed       = flag.Uint64("psa.seed", 1, "seed of the random pods and workloads of TestPodSecurityDifferential")
	psaRandomPods = flag.Int("psa.random-pods", 300, "number of random pods in TestPodSecurityDifferential")
	psaRandomWLs  = flag.Int("psa.random-workloads", 60, "number of random workloads in TestPodSecurityDifferential")
	psaDump       = flag.String("psa.dump", "", "write TestPodSecurityDifferential's outcomes (JSON lines: step, builtin, kubeward) to files with this prefix")
)

// psaOutcome is what a client and an auditor observe of one request: the
// decision, the error (status code, reason, message and details), the
// warnings and the Pod Security audit annotations (unprefixed).
type psaOutcome struct {
	Allowed     bool
	Code        int32
	Reason      metav1.StatusReason
	Message     string
	Details     *metav1.StatusDetails
	Warnings    []string
	Annotations map[string]string
}

// psaStep is one request of the differential scenario. run makes exactly one
// request with ctx (which records its warnings and audit ID) through e's
// clients; it may make unrecorded preparatory requests with
// context.Background(). Untracked steps (waits, setup) are not compared.
type psaStep struct {
	name      string
	untracked bool
	run       func(ctx context.Context, e *psaEnv) error
}

// psaEnv is one side of the differential.
type psaEnv struct {
	name   string
	cp     *controlplane.ControlPlane
	admin  kubernetes.Interface // observing
	exempt kubernetes.Interface // observing, user psaExemptUser
	// prefixes of the audit annotation keys that carry Pod Security's
	// annotations on this side.
	prefixes []string
	// deniedPrefix matches what the API server prepends to a webhook's
	// denial message ("admission webhook "x" denied the request: "); nil for
	// the built-in plugin.
	deniedPrefix *regexp.Regexp
}

// TestPodSecurityDifferential runs one scenario (namespaces with valid and
// invalid labels, hand-written and seeded random pods and workloads,
// exemptions by user, namespace and runtime class, namespace label changes
// that dry-run existing pods, pod updates and ephemeral containers) against
// two real API servers: one with Kubernetes' built-in PodSecurity admission
// plugin, one with it disabled and kubeward's webhook registered, both given
// the same PodSecurityConfiguration. Every request must produce the same
// decision, status, message (after the API server's webhook prefix),
// warnings and Pod Security audit annotations.
func TestPodSecurityDifferential(t *testing.T) {
	for _, tc := range []struct {
		config                string
		randomPods, randomWLs int
	}{
		{"podsecurity-config.yaml", *psaRandomPods, *psaRandomWLs},
		{"podsecurity-config-v1beta1.yaml", *psaRandomPods / 3, *psaRandomWLs / 3},
	} {
		t.Run(strings.TrimSuffix(tc.config, ".yaml"), func(t *testing.T) {
			psaDifferential(t, psaTestdata(t, tc.config), tc.randomPods, tc.randomWLs)
		})
	}
}

func psaDifferential(t *testing.T, config string, randomPods, randomWLs int) {
	steps := psaScenario(*psaSeed, randomPods, randomWLs)
	t.Logf("seed %d: %d steps", *psaSeed, len(steps))
	var builtin, kubeward []psaOutcome
	t.Run("builtin", func(t *testing.T) {
		cp := controlplane.Start(t, controlplane.Options{
			APIServerFlags:  []string{"--disable-admission-plugins=ServiceAccount"},
			AdmissionConfig: psaAdmissionConfig(config),
			AuditPolicy:     controlplane.MetadataAuditPolicy,
		})
		e := newPSAEnv(t, "builtin", cp)
		e.prefixes = []string{"pod-security.kubernetes.io/"}
		builtin = psaRunSteps(t, e, steps)
	})
	t.Run("kubeward", func(t *testing.T) {
		cp := controlplane.Start(t, controlplane.Options{
			APIServerFlags: []string{"--disable-admission-plugins=PodSecurity,ServiceAccount"},
			AuditPolicy:    controlplane.MetadataAuditPolicy,
		})
		e := newPSAEnv(t, "kubeward", cp)
		names := startKubeward(t, cp, kwOptions{ConfigFile: config})
		e.prefixes = []string{names.Enforcing + "/", names.Advisory + "/"}
		e.deniedPrefix = regexp.MustCompile(`^admission webhook "[^"]+" denied the request: `)
		kubeward = psaRunSteps(t, e, steps)
	})
	if t.Failed() {
		return
	}

	var dump *json.Encoder
	if *psaDump != "" {
		f, err := os.Create(*psaDump + "." + filepath.Base(config) + ".jsonl")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		dump = json.NewEncoder(f)
	}
	var tracked, denied, warned, annotated, mismatched int
	reasons := map[metav1.StatusReason]int{}
	i := 0
	for _, s := range steps {
		if s.untracked {
			continue
		}
		b, k := builtin[i], kubeward[i]
		i++
		tracked++
		if dump != nil {
			if err := dump.Encode(map[string]any{"step": s.name, "builtin": b, "kubeward": k}); err != nil {
				t.Fatal(err)
			}
		}
		if !b.Allowed {
			denied++
			reasons[b.Reason]++
		}
		if len(b.Warnings) > 0 {
			warned++
		}
		if len(b.Annotations) > 0 {
			annotated++
		}
		if diff := cmp.Diff(b, k); diff != "" {
			mismatched++
			if mismatched <= 25 {
				t.Errorf("step %s: built-in (-) and kubeward (+) differ:\n%s", s.name, diff)
			}
		}
	}
	t.Logf("compared %d requests (%d denied %v, %d with warnings, %d with Pod Security audit annotations); %d differ", tracked, denied, reasons, warned, annotated, mismatched)
	if denied == 0 || warned == 0 || annotated == 0 {
		t.Errorf("scenario exercised too little: %d denied, %d warned, %d annotated", denied, warned, annotated)
	}
}

func newPSAEnv(t *testing.T, name string, cp *controlplane.ControlPlane) *psaEnv {
	t.Helper()
	psaCreateRuntimeClasses(t, cp.Client, psaExemptRuntimeClass, "e2e-other-rc")
	admin, err := kubernetes.NewForConfig(controlplane.ObservingConfig(cp.Config))
	if err != nil {
		t.Fatal(err)
	}
	exempt, err := kubernetes.NewForConfig(controlplane.ObservingConfig(cp.User(t, psaExemptUser, "system:masters")))
	if err != nil {
		t.Fatal(err)
	}
	return &psaEnv{name: name, cp: cp, admin: admin, exempt: exempt}
}

// psaRunSteps runs steps in order and returns the outcomes of the tracked
// ones. Audit events are collected after the last step.
func psaRunSteps(t *testing.T, e *psaEnv, steps []psaStep) []psaOutcome {
	t.Helper()
	start := time.Now()
	var outcomes []psaOutcome
	var ids []string
	for _, s := range steps {
		ctx, obs := controlplane.Observe(context.Background())
		err := s.run(ctx, e)
		if s.untracked {
			if err != nil {
				t.Fatalf("%s: step %s: %v", e.name, s.name, err)
			}
			continue
		}
		o := psaOutcome{Allowed: err == nil, Warnings: obs.Warnings()}
		if err != nil {
			var se apierrors.APIStatus
			if !errors.As(err, &se) {
				t.Fatalf("%s: step %s: not an API error: %v", e.name, s.name, err)
			}
			st := se.Status()
			o.Code, o.Reason, o.Message, o.Details = st.Code, st.Reason, st.Message, st.Details
			if e.deniedPrefix != nil {
				o.Message = e.deniedPrefix.ReplaceAllString(o.Message, "")
			}
		}
		ids = append(ids, obs.LastAuditID())
		if len(obs.AuditIDs()) != 1 {
			t.Fatalf("%s: step %s made %d recorded requests, want 1", e.name, s.name, len(obs.AuditIDs()))
		}
		outcomes = append(outcomes, o)
	}
	ran := time.Since(start)
	for i, id := range ids {
		ev := e.cp.AuditEvent(t, id)
		for _, p := range e.prefixes {
			for k, v := range ev.AnnotationsWithPrefix(p) {
				if outcomes[i].Annotations == nil {
					outcomes[i].Annotations = map[string]string{}
				}
				outcomes[i].Annotations[k] = v
			}
		}
	}
	t.Logf("%s: %d requests in %s, audit events read in %s", e.name, len(outcomes), ran.Round(time.Millisecond), (time.Since(start) - ran).Round(time.Millisecond))
	return outcomes
}

// Namespaces of the scenario and their labels at creation.
var psaNamespaces = []struct {
	name   string
	labels map[string]string
}{
	{"d-defaults", nil},
	{"d-privileged", map[string]string{psaEnforce: "privileged"}},
	{"d-baseline", map[string]string{psaEnforce: "baseline", psaWarn: "restricted", psaAudit: "restricted"}},
	{"d-restricted", map[string]string{psaEnforce: "restricted"}},
	{"d-restricted-all", map[string]string{psaEnforce: "restricted", psaWarn: "restricted", psaAudit: "restricted"}},
	{"d-versions", map[string]string{psaEnforce: "baseline", psaEnforceVersion: "v1.0", psaWarn: "restricted", psaWarnVersion: "v1.22", psaAudit: "restricted", psaAuditVersion: "v1.25"}},
	{"d-old-restricted", map[string]string{psaEnforce: "restricted", psaEnforceVersion: "v1.23", psaAudit: "baseline", psaAuditVersion: "v1.8"}},
	{"d-future", map[string]string{psaEnforce: "restricted", psaEnforceVersion: "v1.99"}},
	{"d-warn-only", map[string]string{psaWarn: "baseline"}},
	{"d-audit-only", map[string]string{psaEnforce: "privileged", psaAudit: "baseline", psaWarn: "privileged"}},
	{"d-dryrun", map[string]string{psaEnforce: "privileged"}},
	{"d-update", map[string]string{psaEnforce: "privileged"}},
	{psaExemptNamespace, map[string]string{psaEnforce: "restricted", psaWarn: "baseline"}},
	// Invalid labels are refused at creation; these namespaces get them
	// through the status subresource afterwards (neither the plugin nor the
	// webhook sees namespaces/status), as a cluster that enabled Pod Security
	// after labelling would have them.
	{"d-bad-enforce", map[string]string{psaEnforce: "privileged"}},
	{"d-bad-version", map[string]string{psaEnforce: "privileged"}},
	{"d-bad-modes", map[string]string{psaEnforce: "privileged"}},
}

var psaBadLabels = map[string]map[string]string{
	"d-bad-enforce": {psaEnforce: "bogus", psaWarn: "baseline"},
	"d-bad-version": {psaEnforce: "baseline", psaEnforceVersion: "v1.bogus", psaAudit: "restricted"},
	"d-bad-modes":   {psaEnforce: "baseline", psaWarn: "everything", psaAudit: "nothing", psaAuditVersion: "latest"},
}

// psaScenario builds the step list; the same seed gives the same requests.
func psaScenario(seed uint64, randomPods, randomWorkloads int) []psaStep {
	var steps []psaStep
	add := func(name string, run func(context.Context, *psaEnv) error) {
		steps = append(steps, psaStep{name: name, run: run})
	}
	wait := func(name string, run func(context.Context, *psaEnv) error) {
		steps = append(steps, psaStep{name: name, untracked: true, run: run})
	}
	var nsNames []string

	// Namespaces: creation (valid and invalid labels, exempt namespace).
	for _, ns := range psaNamespaces {
		nsNames = append(nsNames, ns.name)
		add("create namespace "+ns.name, func(ctx context.Context, e *psaEnv) error {
			_, err := e.admin.CoreV1().Namespaces().Create(ctx, psaNamespace(ns.name, ns.labels), metav1.CreateOptions{})
			return err
		})
	}
	for i, labels := range []map[string]string{
		{psaEnforce: "bogus"},
		{psaEnforce: "baseline", psaEnforceVersion: "latest2"},
		{psaWarn: "restricted", psaAudit: "nope"},
		{psaEnforceVersion: "v1.x", psaWarnVersion: "v2.0"},
	} {
		name := fmt.Sprintf("d-invalid-%d", i)
		add("create namespace "+name, func(ctx context.Context, e *psaEnv) error {
			_, err := e.admin.CoreV1().Namespaces().Create(ctx, psaNamespace(name, labels), metav1.CreateOptions{})
			return err
		})
	}
	for _, name := range []string{"d-bad-enforce", "d-bad-version", "d-bad-modes"} {
		add("status-update labels of namespace "+name, func(ctx context.Context, e *psaEnv) error {
			ns, err := e.admin.CoreV1().Namespaces().Get(context.Background(), name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			ns.Labels = psaBadLabels[name]
			_, err = e.admin.CoreV1().Namespaces().UpdateStatus(ctx, ns, metav1.UpdateOptions{})
			return err
		})
	}
	wait("namespace caches see the invalid labels", func(_ context.Context, e *psaEnv) error {
		// Each of them enforces at least baseline now (privileged before).
		for _, ns := range []string{"d-bad-enforce", "d-bad-version", "d-bad-modes"} {
			err := psaPoll("enforcement in "+ns, func() (bool, error) {
				_, err := e.cp.Client.CoreV1().Pods(ns).Create(context.Background(), psaPod("probe", psaPrivileged), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
				return apierrors.IsForbidden(err), nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})

	// Hand-written pods in every namespace, created for real (the namespace
	// dry-runs and pod updates below use them).
	handPods := []*corev1.Pod{
		psaPod("compliant", psaRestricted),
		psaPod("plain"),
		psaPod("priv", psaPrivileged),
		psaPod("hostnet", func(p *corev1.Pod) { p.Spec.HostNetwork = true }),
		psaPod("rc-exempt", psaPrivileged, func(p *corev1.Pod) { p.Spec.RuntimeClassName = ptr.To(psaExemptRuntimeClass) }),
		psaPod("rc-other", psaPrivileged, func(p *corev1.Pod) { p.Spec.RuntimeClassName = ptr.To("e2e-other-rc") }),
		psaPod("seccomp-unconfined", psaRestricted, func(p *corev1.Pod) {
			p.Spec.SecurityContext.SeccompProfile.Type = corev1.SeccompProfileTypeUnconfined
		}),
		psaPod("windows", func(p *corev1.Pod) { p.Spec.OS = &corev1.PodOS{Name: corev1.Windows} }),
	}
	for _, ns := range nsNames {
		for _, p := range handPods {
			add("create pod "+ns+"/"+p.Name, func(ctx context.Context, e *psaEnv) error {
				_, err := e.admin.CoreV1().Pods(ns).Create(ctx, p.DeepCopy(), metav1.CreateOptions{})
				return err
			})
		}
	}
	// Pods of two controllers in d-dryrun: Kubernetes checks one pod per
	// controller first and aggregates identical warnings.
	for i, owner := range []string{"rs-a", "rs-a", "rs-a", "rs-b", "rs-b"} {
		p := psaPod(fmt.Sprintf("%s-%d", owner, i))
		if owner == "rs-a" {
			psaPrivileged(p)
		}
		p.OwnerReferences = []metav1.OwnerReference{{
			APIVersion: "apps/v1", Kind: "ReplicaSet", Name: owner, UID: types.UID("e2e-uid-" + owner),
			Controller: ptr.To(true),
		}}
		add("create owned pod d-dryrun/"+p.Name, func(ctx context.Context, e *psaEnv) error {
			_, err := e.admin.CoreV1().Pods("d-dryrun").Create(ctx, p.DeepCopy(), metav1.CreateOptions{})
			return err
		})
	}
	// Exempt user: pods and a workload.
	for _, ns := range []string{"d-restricted", "d-baseline", "d-bad-enforce"} {
		add("exempt user creates pod "+ns+"/by-exempt-user", func(ctx context.Context, e *psaEnv) error {
			_, err := e.exempt.CoreV1().Pods(ns).Create(ctx, psaPod("by-exempt-user", psaPrivileged), metav1.CreateOptions{})
			return err
		})
		add("exempt user creates deployment "+ns+"/by-exempt-user", func(ctx context.Context, e *psaEnv) error {
			_, err := e.exempt.AppsV1().Deployments(ns).Create(ctx, psaDeployment("by-exempt-user", psaPod("", psaPrivileged)), metav1.CreateOptions{})
			return err
		})
	}

	// Every workload kind, with a violating and a runtime-class-exempt template.
	for _, ns := range []string{"d-defaults", "d-baseline", "d-restricted", "d-warn-only", "d-bad-modes", psaExemptNamespace} {
		for _, kind := range psaWorkloadKinds {
			for _, tmpl := range []*corev1.Pod{
				psaPod("", psaPrivileged),
				psaPod("", psaPrivileged, func(p *corev1.Pod) { p.Spec.RuntimeClassName = ptr.To(psaExemptRuntimeClass) }),
			} {
				name := strings.ToLower(kind) + "-" + ptr.Deref(tmpl.Spec.RuntimeClassName, "plain")
				add("create "+kind+" "+ns+"/"+name, func(ctx context.Context, e *psaEnv) error {
					return psaCreateWorkload(ctx, e.admin, kind, ns, name, tmpl, false)
				})
			}
		}
	}

	// Seeded random pods and workloads, dry-run (admission and audit as for a
	// real create, nothing stored).
	g := newPSAGen(seed)
	rcs := []string{psaExemptRuntimeClass, "e2e-other-rc"}
	for i := range randomPods {
		ns := psaPick(g, nsNames...)
		p := g.pod(fmt.Sprintf("rand-%03d", i), rcs)
		useExempt := g.chance(20)
		add(fmt.Sprintf("create random pod %s/%s", ns, p.Name), func(ctx context.Context, e *psaEnv) error {
			c := e.admin
			if useExempt {
				c = e.exempt
			}
			_, err := c.CoreV1().Pods(ns).Create(ctx, p.DeepCopy(), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			return err
		})
	}
	for i := range randomWorkloads {
		ns := psaPick(g, nsNames...)
		kind := psaPick(g, psaWorkloadKinds...)
		tmpl := g.pod("", rcs)
		name := fmt.Sprintf("rand-%03d", i)
		add(fmt.Sprintf("create random %s %s/%s", kind, ns, name), func(ctx context.Context, e *psaEnv) error {
			return psaCreateWorkload(ctx, e.admin, kind, ns, name, tmpl, true)
		})
	}

	// Namespace label changes, dry-run: existing pods are evaluated against a
	// tightened enforce level; invalid values are refused.
	wait("pod caches catch up", func(_ context.Context, e *psaEnv) error {
		// Kubernetes' plugin lists pods from an informer: once a pod created
		// after all the others is visible to a namespace dry-run, so are they.
		c := e.cp.Client.CoreV1()
		ctx := context.Background()
		if _, err := c.Namespaces().Create(ctx, psaNamespace("d-sentinel", map[string]string{psaEnforce: "privileged"}), metav1.CreateOptions{}); err != nil {
			return err
		}
		if _, err := c.Pods("d-sentinel").Create(ctx, psaPod("sentinel", psaPrivileged), metav1.CreateOptions{}); err != nil {
			return err
		}
		return psaPoll("the sentinel pod in namespace dry-runs", func() (bool, error) {
			cs := kubernetes.NewForConfigOrDie(controlplane.ObservingConfig(e.cp.Config))
			rctx, obs := controlplane.Observe(ctx)
			ns := psaNamespace("d-sentinel", map[string]string{psaEnforce: "baseline"})
			cur, err := c.Namespaces().Get(ctx, "d-sentinel", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			ns.ResourceVersion = cur.ResourceVersion
			if _, err := cs.CoreV1().Namespaces().Update(rctx, ns, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
				return false, err
			}
			return slices.Contains(obs.Warnings(), "sentinel: privileged"), nil
		})
	})
	for _, ch := range []struct {
		ns     string
		labels map[string]string
	}{
		{"d-dryrun", map[string]string{psaEnforce: "baseline"}},
		{"d-dryrun", map[string]string{psaEnforce: "restricted"}},
		{"d-dryrun", map[string]string{psaEnforce: "restricted", psaEnforceVersion: "v1.0"}},
		{"d-dryrun", map[string]string{psaEnforce: "restricted", psaEnforceVersion: "v1.24"}},
		{"d-dryrun", map[string]string{psaEnforce: "privileged", psaWarn: "restricted"}},
		{"d-dryrun", map[string]string{psaEnforce: "bogus"}},
		{"d-dryrun", map[string]string{psaEnforce: "baseline", psaEnforceVersion: "v1.bogus"}},
		{"d-dryrun", map[string]string{psaAudit: "bogus"}},
		{"d-dryrun", map[string]string{psaWarn: "restricted", psaWarnVersion: "v1.3"}},
		{"d-dryrun", nil},
		{"d-privileged", map[string]string{psaEnforce: "baseline"}},
		{"d-baseline", map[string]string{psaEnforce: "restricted", psaWarn: "restricted", psaAudit: "restricted"}},
		{"d-baseline", map[string]string{psaEnforce: "privileged"}},
		{"d-restricted", map[string]string{psaEnforce: "baseline"}},
		{"d-defaults", map[string]string{psaEnforce: "restricted"}},
		{"d-audit-only", map[string]string{psaEnforce: "restricted", psaEnforceVersion: "v1.99"}},
		{psaExemptNamespace, map[string]string{psaEnforce: "baseline", psaWarn: "restricted", psaAudit: "baseline"}},
		{"d-bad-enforce", map[string]string{psaEnforce: "bogus", psaWarn: "baseline", "team": "a"}},
		{"d-bad-enforce", map[string]string{psaEnforce: "bogus", psaWarn: "restricted"}},
		{"d-bad-enforce", map[string]string{psaEnforce: "restricted"}},
		{"d-bad-version", map[string]string{psaEnforce: "baseline", psaEnforceVersion: "v1.bogus", psaAudit: "restricted", "team": "b"}},
		{"d-bad-modes", map[string]string{psaEnforce: "restricted"}},
	} {
		add(fmt.Sprintf("dry-run relabel namespace %s to %v", ch.ns, ch.labels), func(ctx context.Context, e *psaEnv) error {
			ns, err := e.admin.CoreV1().Namespaces().Get(context.Background(), ch.ns, metav1.GetOptions{})
			if err != nil {
				return err
			}
			ns.Labels = map[string]string{corev1.LabelMetadataName: ch.ns}
			for k, v := range ch.labels {
				ns.Labels[k] = v
			}
			_, err = e.admin.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}})
			return err
		})
	}

	// Pod updates after the namespace's enforce level tightened: insignificant
	// changes are admitted, significant ones and ephemeral containers are
	// evaluated.
	add("relabel namespace d-update to restricted", func(ctx context.Context, e *psaEnv) error {
		ns, err := e.admin.CoreV1().Namespaces().Get(context.Background(), "d-update", metav1.GetOptions{})
		if err != nil {
			return err
		}
		ns.Labels[psaEnforce] = "restricted"
		ns.Labels[psaWarn] = "restricted"
		_, err = e.admin.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{})
		return err
	})
	wait("d-update's enforce level reaches admission", func(_ context.Context, e *psaEnv) error {
		return psaPoll("restricted enforced in d-update", func() (bool, error) {
			_, err := e.cp.Client.CoreV1().Pods("d-update").Create(context.Background(), psaPod("probe"), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			return apierrors.IsForbidden(err), nil
		})
	})
	podUpdate := func(name, pod string, change func(*corev1.Pod)) {
		add("update pod d-update/"+pod+": "+name, func(ctx context.Context, e *psaEnv) error {
			p, err := e.admin.CoreV1().Pods("d-update").Get(context.Background(), pod, metav1.GetOptions{})
			if err != nil {
				return err
			}
			change(p)
			_, err = e.admin.CoreV1().Pods("d-update").Update(ctx, p, metav1.UpdateOptions{})
			return err
		})
	}
	podUpdate("labels", "plain", func(p *corev1.Pod) { p.Labels = map[string]string{"touched": "yes"} })
	podUpdate("annotations", "priv", func(p *corev1.Pod) { p.Annotations = map[string]string{"touched": "yes"} })
	podUpdate("activeDeadlineSeconds", "hostnet", func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To(int64(3600)) })
	podUpdate("tolerations", "plain", func(p *corev1.Pod) {
		p.Spec.Tolerations = append(p.Spec.Tolerations, corev1.Toleration{Key: "k", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})
	})
	podUpdate("image", "plain", func(p *corev1.Pod) { p.Spec.Containers[0].Image = "registry.example/app:2" })
	podUpdate("image of a compliant pod", "compliant", func(p *corev1.Pod) { p.Spec.Containers[0].Image = "registry.example/app:2" })
	podUpdate("image of an exempt runtime class pod", "rc-exempt", func(p *corev1.Pod) { p.Spec.Containers[0].Image = "registry.example/app:2" })
	for _, ec := range []struct {
		pod, name string
		sc        *corev1.SecurityContext
	}{
		{"compliant", "debug-bare", nil},
		{"compliant", "debug-ok", &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}},
		{"plain", "debug-ok", &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}},
		{"rc-exempt", "debug-priv", &corev1.SecurityContext{Privileged: ptr.To(true)}},
	} {
		add("add ephemeral container "+ec.name+" to d-update/"+ec.pod, func(ctx context.Context, e *psaEnv) error {
			p, err := e.admin.CoreV1().Pods("d-update").Get(context.Background(), ec.pod, metav1.GetOptions{})
			if err != nil {
				return err
			}
			p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
				Name: ec.name, Image: "registry.example/debug:1", TerminationMessagePolicy: corev1.TerminationMessageReadFile, SecurityContext: ec.sc,
			}})
			_, err = e.admin.CoreV1().Pods("d-update").UpdateEphemeralContainers(ctx, ec.pod, p, metav1.UpdateOptions{})
			return err
		})
	}
	add("exempt user adds a privileged ephemeral container to d-update/compliant", func(ctx context.Context, e *psaEnv) error {
		p, err := e.admin.CoreV1().Pods("d-update").Get(context.Background(), "compliant", metav1.GetOptions{})
		if err != nil {
			return err
		}
		p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
			Name: "debug-user", Image: "registry.example/debug:1", TerminationMessagePolicy: corev1.TerminationMessageReadFile,
			SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)},
		}})
		_, err = e.exempt.CoreV1().Pods("d-update").UpdateEphemeralContainers(ctx, "compliant", p, metav1.UpdateOptions{})
		return err
	})
	// Workload updates are evaluated (warn and audit) whatever changed.
	add("update deployment d-restricted/deployment-plain labels", func(ctx context.Context, e *psaEnv) error {
		d, err := e.admin.AppsV1().Deployments("d-restricted").Get(context.Background(), "deployment-plain", metav1.GetOptions{})
		if err != nil {
			return err
		}
		d.Labels = map[string]string{"touched": "yes"}
		_, err = e.admin.AppsV1().Deployments("d-restricted").Update(ctx, d, metav1.UpdateOptions{})
		return err
	})
	return steps
}

// psaPoll calls cond every 50 ms until it returns true or an error, for up
// to 15 s.
func psaPoll(what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// psaWorkloadKinds are the resources Pod Security evaluates by pod template.
var psaWorkloadKinds = []string{"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicationController", "PodTemplate"}

// psaCreateWorkload creates a workload of kind wrapping tmpl's spec.
func psaCreateWorkload(ctx context.Context, cs kubernetes.Interface, kind, ns, name string, tmpl *corev1.Pod, dryRun bool) error {
	opts := metav1.CreateOptions{}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	labels := map[string]string{"app": name}
	spec := *tmpl.Spec.DeepCopy()
	pt := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}
	sel := &metav1.LabelSelector{MatchLabels: labels}
	meta := metav1.ObjectMeta{Name: name}
	var err error
	switch kind {
	case "Deployment":
		_, err = cs.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{Selector: sel, Template: pt}}, opts)
	case "ReplicaSet":
		_, err = cs.AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{ObjectMeta: meta, Spec: appsv1.ReplicaSetSpec{Selector: sel, Template: pt}}, opts)
	case "StatefulSet":
		_, err = cs.AppsV1().StatefulSets(ns).Create(ctx, &appsv1.StatefulSet{ObjectMeta: meta, Spec: appsv1.StatefulSetSpec{Selector: sel, Template: pt, ServiceName: name}}, opts)
	case "DaemonSet":
		_, err = cs.AppsV1().DaemonSets(ns).Create(ctx, &appsv1.DaemonSet{ObjectMeta: meta, Spec: appsv1.DaemonSetSpec{Selector: sel, Template: pt}}, opts)
	case "Job":
		pt.Spec.RestartPolicy = corev1.RestartPolicyNever
		_, err = cs.BatchV1().Jobs(ns).Create(ctx, &batchv1.Job{ObjectMeta: meta, Spec: batchv1.JobSpec{Template: pt}}, opts)
	case "CronJob":
		pt.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
		_, err = cs.BatchV1().CronJobs(ns).Create(ctx, &batchv1.CronJob{ObjectMeta: meta, Spec: batchv1.CronJobSpec{
			Schedule:    "*/5 * * * *",
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: pt}},
		}}, opts)
	case "ReplicationController":
		_, err = cs.CoreV1().ReplicationControllers(ns).Create(ctx, &corev1.ReplicationController{ObjectMeta: meta, Spec: corev1.ReplicationControllerSpec{Selector: labels, Template: &pt}}, opts)
	case "PodTemplate":
		_, err = cs.CoreV1().PodTemplates(ns).Create(ctx, &corev1.PodTemplate{ObjectMeta: meta, Template: pt}, opts)
	default:
		return fmt.Errorf("unknown workload kind %s", kind)
	}
	return err
}
