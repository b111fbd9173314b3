//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/kubeward/kubeward/test/e2e/controlplane"
)

// TestWebhook runs kubeward's webhook against a real kube-apiserver whose
// built-in PodSecurity plugin is off, and checks through client-go what
// users and auditors see: denials, warnings, audit annotations and
// exemptions.
func TestWebhook(t *testing.T) {
	cp := controlplane.Start(t, controlplane.Options{
		APIServerFlags: []string{"--disable-admission-plugins=PodSecurity,ServiceAccount"},
		AuditPolicy:    controlplane.MetadataAuditPolicy,
	})
	psaCreateRuntimeClasses(t, cp.Client, psaExemptRuntimeClass, "e2e-other-rc")
	exemptions, err := filepath.Abs(filepath.Join("testdata", "kubeward-exemptions.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	names := startKubeward(t, cp, kwOptions{ConfigFile: psaConfigFile(t), ExemptionsFile: exemptions})

	admin := newKWClient(t, cp, controlplane.ObservingConfig(cp.Config))
	for _, ns := range []*corev1.Namespace{
		psaNamespace("wh-restricted", map[string]string{psaEnforce: "restricted"}),
		psaNamespace("wh-warn", map[string]string{psaEnforce: "baseline", psaWarn: "restricted", psaAudit: "restricted"}),
		psaNamespace("wh-dryrun", map[string]string{psaEnforce: "privileged"}),
		psaNamespace("wh-update", map[string]string{psaEnforce: "privileged"}),
		psaNamespace(psaExemptNamespace, map[string]string{psaEnforce: "restricted"}),
		psaNamespace("e2e-narrow", map[string]string{psaEnforce: "baseline"}),
	} {
		admin.createNamespace(t, ns)
	}
	enforcing := names.Enforcing + "/"
	advisory := names.Advisory + "/"
	deniedBy := `admission webhook "` + names.Enforcing + `" denied the request: `

	t.Run("enforce denies a violating pod", func(t *testing.T) {
		r := admin.createPod(t, "wh-restricted", psaPod("deny"))
		want := deniedBy + `pods "deny" is forbidden: violates PodSecurity "restricted:latest": ` + psaRestrictedViolations
		if r.err == nil || r.err.Error() != want {
			t.Fatalf("error = %v\nwant %s", r.err, want)
		}
		if !apierrors.IsForbidden(r.err) {
			t.Errorf("error reason = %v, want Forbidden", apierrors.ReasonForError(r.err))
		}
		ev := cp.AuditEvent(t, r.auditID)
		if diff := cmp.Diff(map[string]string{"enforce-policy": "restricted:latest", "audit-violations": `would violate PodSecurity "restricted:latest": ` + psaRestrictedViolations}, ev.AnnotationsWithPrefix(enforcing)); diff != "" {
			t.Errorf("audit annotations (-want +got):\n%s", diff)
		}
		if ev.ResponseStatus == nil || ev.ResponseStatus.Code != 403 {
			t.Errorf("audit response status = %+v, want code 403", ev.ResponseStatus)
		}
	})

	t.Run("compliant pod is admitted", func(t *testing.T) {
		r := admin.createPod(t, "wh-restricted", psaPod("ok", psaRestricted))
		if r.err != nil {
			t.Fatal(r.err)
		}
		if len(r.warnings) != 0 {
			t.Errorf("warnings = %q, want none", r.warnings)
		}
		ev := cp.AuditEvent(t, r.auditID)
		if diff := cmp.Diff(map[string]string{"enforce-policy": "restricted:latest"}, ev.AnnotationsWithPrefix(enforcing)); diff != "" {
			t.Errorf("audit annotations (-want +got):\n%s", diff)
		}
	})

	t.Run("warnings reach the client and audit annotations the log", func(t *testing.T) {
		r := admin.createPod(t, "wh-warn", psaPod("warned"))
		if r.err != nil {
			t.Fatal(r.err)
		}
		violation := `would violate PodSecurity "restricted:latest": ` + psaRestrictedViolations
		if diff := cmp.Diff([]string{violation}, r.warnings); diff != "" {
			t.Errorf("warnings (-want +got):\n%s", diff)
		}
		ev := cp.AuditEvent(t, r.auditID)
		want := map[string]string{"enforce-policy": "baseline:latest", "audit-violations": violation}
		if diff := cmp.Diff(want, ev.AnnotationsWithPrefix(enforcing)); diff != "" {
			t.Errorf("audit annotations (-want +got):\n%s", diff)
		}
	})

	t.Run("violating deployment is admitted with warnings", func(t *testing.T) {
		ctx, obs := controlplane.Observe(context.Background())
		_, err := admin.cs.AppsV1().Deployments("wh-warn").Create(ctx, psaDeployment("web", psaPod("", psaPrivileged)), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("deployment denied: %v", err)
		}
		warnings := obs.Warnings()
		if len(warnings) != 1 || !strings.HasPrefix(warnings[0], `would violate PodSecurity "restricted:latest": privileged (container "c" must not set securityContext.privileged=true)`) {
			t.Errorf("warnings = %q, want one restricted violation starting with privileged", warnings)
		}
		ev := cp.AuditEvent(t, obs.LastAuditID())
		if got := ev.AnnotationsWithPrefix(advisory)["audit-violations"]; !strings.HasPrefix(got, `would violate PodSecurity "restricted:latest": privileged`) {
			t.Errorf("advisory audit-violations = %q", got)
		}
	})

	t.Run("exemptions", func(t *testing.T) {
		exemptUser := newKWClient(t, cp, controlplane.ObservingConfig(cp.User(t, psaExemptUser, "system:masters")))
		for _, tc := range []struct {
			name   string
			client *kwClient
			ns     string
			pod    *corev1.Pod
			exempt string
		}{
			{"username", exemptUser, "wh-restricted", psaPod("by-user", psaPrivileged), "user"},
			{"namespace", admin, psaExemptNamespace, psaPod("by-namespace", psaPrivileged), "namespace"},
			{"runtimeClass", admin, "wh-restricted", psaPod("by-rc", psaPrivileged, func(p *corev1.Pod) {
				p.Spec.RuntimeClassName = ptr.To(psaExemptRuntimeClass)
			}), "runtimeClass"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := tc.client.createPod(t, tc.ns, tc.pod)
				if r.err != nil {
					t.Fatalf("exempt pod denied: %v", r.err)
				}
				ev := cp.AuditEvent(t, r.auditID)
				if diff := cmp.Diff(map[string]string{"exempt": tc.exempt}, ev.AnnotationsWithPrefix(enforcing)); diff != "" {
					t.Errorf("audit annotations (-want +got):\n%s", diff)
				}
			})
		}
		t.Run("other runtimeClass is not exempt", func(t *testing.T) {
			r := admin.createPod(t, "wh-restricted", psaPod("other-rc", psaPrivileged, func(p *corev1.Pod) {
				p.Spec.RuntimeClassName = ptr.To("e2e-other-rc")
			}))
			if !apierrors.IsForbidden(r.err) {
				t.Errorf("error = %v, want forbidden", r.err)
			}
		})
	})

	t.Run("namespace label change dry-runs existing pods", func(t *testing.T) {
		for _, p := range []*corev1.Pod{psaPod("p1", psaPrivileged), psaPod("p2"), psaPod("p3", psaPrivileged)} {
			if r := admin.createPod(t, "wh-dryrun", p); r.err != nil {
				t.Fatal(r.err)
			}
		}
		ns, err := admin.cs.CoreV1().Namespaces().Get(context.Background(), "wh-dryrun", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ns.Labels[psaEnforce] = "baseline"
		ctx, obs := controlplane.Observe(context.Background())
		if _, err := admin.cs.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
			t.Fatal(err)
		}
		want := []string{
			`existing pods in namespace "wh-dryrun" violate the new PodSecurity enforce level "baseline:latest"`,
			`p1 (and 1 other pod): privileged`,
		}
		if diff := cmp.Diff(want, obs.Warnings()); diff != "" {
			t.Errorf("warnings (-want +got):\n%s", diff)
		}

		ns.Labels[psaEnforce] = "strict"
		_, err = admin.cs.CoreV1().Namespaces().Update(context.Background(), ns, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}})
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), `metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict"`) {
			t.Errorf("invalid label: error = %v, want Invalid naming the label", err)
		}
	})

	t.Run("insignificant updates are exempt", func(t *testing.T) {
		ctx := context.Background()
		if r := admin.createPod(t, "wh-update", psaPod("u1")); r.err != nil {
			t.Fatal(r.err)
		}
		ns, err := admin.cs.CoreV1().Namespaces().Get(ctx, "wh-update", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ns.Labels[psaEnforce] = "restricted"
		if _, err := admin.cs.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		kwWaitEnforced(t, admin.cs, "wh-update")

		pod, err := admin.cs.CoreV1().Pods("wh-update").Get(ctx, "u1", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pod.Labels = map[string]string{"touched": "true"}
		pod, err = admin.cs.CoreV1().Pods("wh-update").Update(ctx, pod, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("label-only update of a now-violating pod denied: %v", err)
		}
		pod.Spec.Containers[0].Image = "registry.example/app:2"
		_, err = admin.cs.CoreV1().Pods("wh-update").Update(ctx, pod, metav1.UpdateOptions{})
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `pods "u1" is forbidden: violates PodSecurity "restricted:latest"`) {
			t.Errorf("image update: error = %v, want forbidden by restricted:latest", err)
		}
	})

	t.Run("ephemeral containers", func(t *testing.T) {
		ctx := context.Background()
		if r := admin.createPod(t, "wh-restricted", psaPod("eph", psaRestricted)); r.err != nil {
			t.Fatal(r.err)
		}
		pod, err := admin.cs.CoreV1().Pods("wh-restricted").Get(ctx, "eph", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		bad := pod.DeepCopy()
		bad.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
			Name: "debug", Image: "registry.example/debug:1", TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		}}}
		_, err = admin.cs.CoreV1().Pods("wh-restricted").UpdateEphemeralContainers(ctx, "eph", bad, metav1.UpdateOptions{})
		wantErr := deniedBy + `pods "eph" is forbidden: violates PodSecurity "restricted:latest": ` +
			`allowPrivilegeEscalation != false (container "debug" must set securityContext.allowPrivilegeEscalation=false), ` +
			`unrestricted capabilities (container "debug" must set securityContext.capabilities.drop=["ALL"])`
		if err == nil || err.Error() != wantErr {
			t.Errorf("violating ephemeral container: error = %v\nwant %s", err, wantErr)
		}
		good := pod.DeepCopy()
		good.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
			Name: "debug", Image: "registry.example/debug:1", TerminationMessagePolicy: corev1.TerminationMessageReadFile,
			SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: ptr.To(false),
				Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			},
		}}}
		if _, err := admin.cs.CoreV1().Pods("wh-restricted").UpdateEphemeralContainers(ctx, "eph", good, metav1.UpdateOptions{}); err != nil {
			t.Errorf("compliant ephemeral container denied: %v", err)
		}
	})

	t.Run("kubeward's own namespace is not intercepted", func(t *testing.T) {
		if len(names.Excluded) == 0 {
			t.Skip("the webhook configuration excludes no namespace (deploy/ has none)")
		}
		ns := names.Excluded[0]
		admin.createNamespace(t, psaNamespace(ns, map[string]string{psaEnforce: "restricted"}))
		if r := admin.createPod(t, ns, psaPod("self", psaPrivileged)); r.err != nil {
			t.Errorf("pod in excluded namespace %s: %v, want admitted without calling the webhook", ns, r.err)
		}
	})

	t.Run("concurrent requests get their own decisions", func(t *testing.T) {
		kwConcurrent(t, cp.Client, "wh-restricted")
	})

	t.Run("narrow exemption", func(t *testing.T) {
		r := admin.createPod(t, "e2e-narrow", psaPod("narrow-agent", psaPrivileged))
		if r.err != nil {
			t.Fatalf("narrowly exempt pod denied: %v", r.err)
		}
		ev := cp.AuditEvent(t, r.auditID)
		if got := ev.AnnotationsWithPrefix(enforcing)["kubeward-exemptions"]; got != "e2e-narrow-privileged" {
			t.Errorf("kubeward-exemptions audit annotation = %q, want e2e-narrow-privileged (annotations %v)", got, ev.Annotations)
		}
		r = admin.createPod(t, "e2e-narrow", psaPod("other-agent", psaPrivileged))
		if !apierrors.IsForbidden(r.err) {
			t.Errorf("pod not named in the exemption: error = %v, want forbidden", r.err)
		}
		r = admin.createPod(t, "e2e-narrow", psaPod("narrow-agent-2", psaPrivileged, func(p *corev1.Pod) {
			p.Spec.HostNetwork = true
		}))
		if !apierrors.IsForbidden(r.err) {
			t.Errorf("pod with a check outside the exemption: error = %v, want forbidden", r.err)
		}
	})
}

// TestWebhookFullNamespaceDryRun checks kubeward's opt-in namespace dry-run,
// which also reports the workloads whose pod templates would be refused
// (here a Deployment scaled to zero and a CronJob, which have no pods for
// Kubernetes' own dry-run to find).
func TestWebhookFullNamespaceDryRun(t *testing.T) {
	cp := controlplane.Start(t, controlplane.Options{
		APIServerFlags: []string{"--disable-admission-plugins=PodSecurity,ServiceAccount"},
	})
	psaCreateRuntimeClasses(t, cp.Client, psaExemptRuntimeClass)
	startKubeward(t, cp, kwOptions{ConfigFile: psaConfigFile(t), FullNamespaceDryRun: true})
	ctx := context.Background()
	cs := cp.Client
	if _, err := cs.CoreV1().Namespaces().Create(ctx, psaNamespace("full", map[string]string{psaEnforce: "privileged"}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Pods("full").Create(ctx, psaPod("running", psaPrivileged), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	idle := psaDeployment("idle", psaPod("", psaPrivileged))
	idle.Spec.Replicas = ptr.To(int32(0))
	if _, err := cs.AppsV1().Deployments("full").Create(ctx, idle, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := psaCreateWorkload(ctx, cs, "CronJob", "full", "nightly", psaPod("", func(p *corev1.Pod) { p.Spec.HostNetwork = true }), false); err != nil {
		t.Fatal(err)
	}
	if err := psaCreateWorkload(ctx, cs, "Job", "full", "exempt-rc", psaPod("", psaPrivileged, func(p *corev1.Pod) {
		p.Spec.RuntimeClassName = ptr.To(psaExemptRuntimeClass)
	}), false); err != nil {
		t.Fatal(err)
	}
	if err := psaCreateWorkload(ctx, cs, "StatefulSet", "full", "fine", psaPod(""), false); err != nil {
		t.Fatal(err)
	}

	ns, err := cs.CoreV1().Namespaces().Get(ctx, "full", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ns.Labels[psaEnforce] = "baseline"
	rctx, obs := controlplane.Observe(ctx)
	ocs := kubernetes.NewForConfigOrDie(controlplane.ObservingConfig(cp.Config))
	if _, err := ocs.CoreV1().Namespaces().Update(rctx, ns, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`existing pods in namespace "full" violate the new PodSecurity enforce level "baseline:latest"`,
		`running: privileged`,
		`existing workloads in namespace "full" violate the new PodSecurity enforce level "baseline:latest"`,
		`CronJob nightly: host namespaces`,
		`Deployment idle: privileged`,
	}
	if diff := cmp.Diff(want, obs.Warnings()); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// kwConcurrent sends many reviews at once through the API server, which
// rejects a response whose uid is not its request's: every request must get
// its own decision.
func kwConcurrent(t *testing.T, cs kubernetes.Interface, ns string) {
	const workers, perWorker = 16, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				compliant := (w+i)%2 == 0
				var p *corev1.Pod
				if compliant {
					p = psaPod(fmt.Sprintf("c-%d-%d", w, i), psaRestricted)
				} else {
					p = psaPod(fmt.Sprintf("v-%d-%d", w, i))
				}
				_, err := cs.CoreV1().Pods(ns).Create(context.Background(), p, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
				switch {
				case compliant && err != nil:
					errs <- fmt.Errorf("compliant pod %s: %w", p.Name, err)
				case !compliant && (err == nil || !strings.Contains(err.Error(), fmt.Sprintf(`pods %q is forbidden: violates PodSecurity`, p.Name))):
					errs <- fmt.Errorf("violating pod %s: error = %v, want its own denial", p.Name, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if n++; n <= 10 {
			t.Error(err)
		}
	}
	if n > 0 {
		t.Errorf("%d of %d concurrent requests got a wrong result", n, workers*perWorker)
	}
}

// kwClient is a clientset whose requests report warnings and audit IDs.
type kwClient struct{ cs kubernetes.Interface }

func newKWClient(t testing.TB, _ *controlplane.ControlPlane, cfg *rest.Config) *kwClient {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &kwClient{cs: cs}
}

// kwResult is what one request returned.
type kwResult struct {
	err      error
	warnings []string
	auditID  string
}

func (c *kwClient) createPod(t testing.TB, ns string, pod *corev1.Pod) kwResult {
	t.Helper()
	ctx, obs := controlplane.Observe(context.Background())
	_, err := c.cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	return kwResult{err: err, warnings: obs.Warnings(), auditID: obs.LastAuditID()}
}

func (c *kwClient) createNamespace(t testing.TB, ns *corev1.Namespace) {
	t.Helper()
	if _, err := c.cs.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating namespace %s: %v", ns.Name, err)
	}
}

// kwWaitEnforced waits until a dry-run create of a restricted-violating pod in
// ns is denied: the webhook's namespace cache has seen the new label.
func kwWaitEnforced(t testing.TB, cs kubernetes.Interface, ns string) {
	t.Helper()
	controlplane.WaitFor(t, "enforce label of "+ns+" to reach the webhook", 50*time.Millisecond, 10*time.Second, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().Pods(ns).Create(ctx, psaPod("enforce-probe"), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return apierrors.IsForbidden(err), nil
	})
}
