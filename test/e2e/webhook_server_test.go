//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubeward/kubeward/internal/admission"
	"github.com/kubeward/kubeward/internal/cluster"
	"github.com/kubeward/kubeward/internal/webhook"
	"github.com/kubeward/kubeward/test/e2e/controlplane"
)

// kwFallbackNames name kubeward's webhooks until deploy/ defines them.
var kwFallbackNames = kwNames{Enforcing: "pod-security.kubeward.io", Advisory: "advisory.pod-security.kubeward.io"}

// kwProbeNamespace holds the dry-run requests that prove the webhook is called.
const kwProbeNamespace = "e2e-webhook-probe"

// kwOptions configures the in-process kubeward webhook.
type kwOptions struct {
	ConfigFile     string // PodSecurityConfiguration; empty: Kubernetes' defaults
	ExemptionsFile string // narrow exemptions; empty: none
	// FullNamespaceDryRun turns on kubeward's uncapped namespace dry-run that
	// also checks workload templates (and grants list on workloads).
	FullNamespaceDryRun bool
}

// startKubeward runs kubeward's webhook in-process on 127.0.0.1 as
// `kubeward webhook` wires it (admission decision + namespace informer +
// HTTPS server), authenticated to cp as a user holding only the permissions
// the webhook needs, registers it on cp with failurePolicy Fail for pods,
// pods/ephemeralcontainers and namespaces and Ignore for workloads (as
// deploy/ does), and waits until the API server calls it. It stops the
// webhook in t.Cleanup and returns the webhooks' names.
func startKubeward(t testing.TB, cp *controlplane.ControlPlane, o kwOptions) kwNames {
	t.Helper()
	ctx := context.Background()

	client, err := kubernetes.NewForConfig(kwGrant(t, cp, o.FullNamespaceDryRun))
	if err != nil {
		t.Fatal(err)
	}

	var psConfig *admission.PodSecurityConfiguration
	if o.ConfigFile != "" {
		if psConfig, err = admission.LoadConfig(o.ConfigFile); err != nil {
			t.Fatal(err)
		}
	}
	var exemptions *admission.ExemptionsConfig
	if o.ExemptionsFile != "" {
		if exemptions, err = admission.LoadExemptions(o.ExemptionsFile); err != nil {
			t.Fatal(err)
		}
	}
	namespaces := cluster.NewNamespaces(client)
	aopts := admission.Options{
		Config:              psConfig,
		Exemptions:          exemptions,
		Namespaces:          namespaces,
		Pods:                cluster.Pods{Client: client},
		FullNamespaceDryRun: o.FullNamespaceDryRun,
	}
	if o.FullNamespaceDryRun {
		aopts.Workloads = cluster.Workloads{Client: client}
	}
	decider, err := admission.New(aopts)
	if err != nil {
		t.Fatal(err)
	}
	cert := controlplane.NewServingCert(t)
	logs := &kwLog{}
	srv, err := webhook.New(webhook.Options{
		Validator: decider,
		Logger:    slog.New(slog.NewTextHandler(logs, nil)),
		CertFile:  cert.CertFile,
		KeyFile:   cert.KeyFile,
		Ready:     namespaces.Synced,
	})
	if err != nil {
		t.Fatal(err)
	}

	sctx, cancel := context.WithCancel(ctx)
	namespaces.Start(sctx)
	wctx, wcancel := context.WithTimeout(sctx, 30*time.Second)
	defer wcancel()
	if err := namespaces.WaitForSync(wctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("webhook server: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("webhook server did not stop within 30s")
		}
		if t.Failed() {
			t.Logf("webhook log:\n%s", lastLines(logs.String(), 20))
		}
	})

	return kwRegister(t, cp, "https://"+ln.Addr().String()+"/", cert.CAPEM)
}

// kwGrant creates the webhook's RBAC on cp — deploy/'s ClusterRole rules when
// deploy/ exists, else the least privilege the webhook needs (namespaces for
// its cache with a live fallback, pods for the namespace dry-run) — plus, with
// fullDryRun, list on workloads, and returns a config authenticating as the
// webhook's user.
func kwGrant(t testing.TB, cp *controlplane.ControlPlane, fullDryRun bool) *rest.Config {
	t.Helper()
	ctx := context.Background()
	const user = "kubeward-webhook"
	rules, ok := kwDeployRBACRules(t)
	if !ok {
		rules = []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list"}},
		}
	}
	if fullDryRun {
		rules = append(rules,
			rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"replicationcontrollers", "podtemplates"}, Verbs: []string{"list"}},
			rbacv1.PolicyRule{APIGroups: []string{"apps"}, Resources: []string{"deployments", "replicasets", "statefulsets", "daemonsets"}, Verbs: []string{"list"}},
			rbacv1.PolicyRule{APIGroups: []string{"batch"}, Resources: []string{"jobs", "cronjobs"}, Verbs: []string{"list"}},
		)
	}
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "kubeward-webhook"}, Rules: rules}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "kubeward-webhook"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
	}
	if _, err := cp.Client.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cp.Client.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return cp.User(t, user)
}

// kwRegister registers the webhook served at url (with CA caBundle) on cp —
// deploy/'s ValidatingWebhookConfiguration pointed at url when deploy/ has
// one, else the same shape as Kubernetes' own webhook manifests: failurePolicy
// Fail for pods, pods/ephemeralcontainers and namespaces, Ignore for
// workloads — waits until the API server calls it, and returns the webhooks'
// names.
func kwRegister(t testing.TB, cp *controlplane.ControlPlane, url string, caBundle []byte) kwNames {
	t.Helper()
	ctx := context.Background()
	cfg, names, ok := kwDeployWebhookConfig(t, url, caBundle)
	if !ok {
		names = kwFallbackNames
		fail, ignore := admissionregistrationv1.Fail, admissionregistrationv1.Ignore
		cfg = &admissionregistrationv1.ValidatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: "kubeward"},
			Webhooks: []admissionregistrationv1.ValidatingWebhook{
				controlplane.URLWebhook(names.Enforcing, url, caBundle, fail,
					controlplane.Rule("", "v1", "pods", "pods/ephemeralcontainers", "namespaces")),
				controlplane.URLWebhook(names.Advisory, url, caBundle, ignore,
					controlplane.Rule("", "v1", "podtemplates", "replicationcontrollers"),
					controlplane.Rule("apps", "v1", "deployments", "replicasets", "statefulsets", "daemonsets"),
					controlplane.Rule("batch", "v1", "jobs", "cronjobs")),
			},
		}
	}
	probeNS := psaNamespace(kwProbeNamespace, map[string]string{psaEnforce: "restricted", psaWarn: "restricted"})
	if _, err := cp.Client.CoreV1().Namespaces().Create(ctx, probeNS, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	probe, err := kubernetes.NewForConfig(controlplane.ObservingConfig(cp.Config))
	if err != nil {
		t.Fatal(err)
	}
	dryRun := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	cp.RegisterValidatingWebhook(t, cfg, func(ctx context.Context) (bool, error) {
		// Both webhooks come from one object, but check each: the pod one
		// must deny, the workload one must warn.
		_, err := probe.CoreV1().Pods(kwProbeNamespace).Create(ctx, psaPod("probe"), dryRun)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("admission webhook %q denied the request", names.Enforcing)) {
			return false, nil
		}
		rctx, o := controlplane.Observe(ctx)
		d := psaDeployment("probe", psaPod(""))
		if _, err := probe.AppsV1().Deployments(kwProbeNamespace).Create(rctx, d, dryRun); err != nil {
			return false, fmt.Errorf("dry-run deployment: %w", err)
		}
		return len(o.Warnings()) > 0, nil
	})
	if ok {
		t.Logf("registered deploy/'s webhooks %s and %s", names.Enforcing, names.Advisory)
	}
	return names
}

// psaDeployment wraps pod's spec in a one-replica Deployment named name.
func psaDeployment(name string, pod *corev1.Pod) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       pod.Spec,
			},
		},
	}
}

// kwLog is a concurrency-safe log buffer.
type kwLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *kwLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *kwLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
