//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubeward/kubeward/internal/auditlog"
	auditlogcmd "github.com/kubeward/kubeward/internal/cli/auditlog"
	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/podsecurity"
	"github.com/kubeward/kubeward/internal/rules"
	"github.com/kubeward/kubeward/test/e2e/controlplane"
)

// TestAuditLog runs attack scenarios against a real kube-apiserver that
// audits to a log file and to `kubeward auditlog serve` through its webhook
// backend, with the sample policy of docs/auditlog.md: every scenario is
// detected in the log file and live, with the same findings, and the
// harness's and controllers' own traffic yields none.
func TestAuditLog(t *testing.T) {
	policy, err := os.ReadFile(filepath.Join("..", "..", "internal", "auditlog", "testdata", "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cert := controlplane.NewServingCert(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	// kubeward auditlog serve, before the API server so that no batch waits.
	var stdout, stderr syncBuffer
	findingsFile := filepath.Join(t.TempDir(), "findings.jsonl")
	cmd := auditlogcmd.NewCommand(clierr.Streams{In: strings.NewReader(""), Out: &stdout, Err: &stderr})
	cmd.SetArgs([]string{"serve", "--listen", addr, "--tls-cert-file", cert.CertFile, "--tls-private-key-file", cert.KeyFile,
		"--findings-file", findingsFile, "--log-level", "debug"})
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("auditlog serve did not stop\n%s", stderr.String())
		}
	})

	webhookConfig := filepath.Join(t.TempDir(), "audit-webhook.kubeconfig")
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kubeward
  cluster:
    server: https://%s/audit
    certificate-authority-data: %s
users:
- name: apiserver
contexts:
- name: default
  context: {cluster: kubeward, user: apiserver}
current-context: default
`, addr, base64.StdEncoding.EncodeToString(cert.CAPEM))
	if err := os.WriteFile(webhookConfig, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	cp := controlplane.Start(t, controlplane.Options{
		AuditPolicy:       string(policy),
		ControllerManager: true,
		APIServerFlags:    []string{"--audit-webhook-config-file=" + webhookConfig, "--audit-webhook-batch-max-wait=1s", "--disable-admission-plugins=PodSecurity"},
	})
	bg := context.Background()
	admin := cp.Client

	// Setup by the harness's admin: benign.
	for _, ns := range []string{"shop", "locked"} {
		n := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}
		if ns == "locked" {
			n.Labels = map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}
		}
		if _, err := admin.CoreV1().Namespaces().Create(bg, n, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 12; i++ {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("s%02d", i)}, StringData: map[string]string{"k": "v"}}
		if _, err := admin.CoreV1().Secrets("shop").Create(bg, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := admin.CoreV1().ServiceAccounts("shop").Create(bg, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "deployer"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	compliant := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}}}
	if _, err := admin.CoreV1().Pods("shop").Create(bg, compliant, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// The attacker: mallory, in system:masters (a stolen admin credential).
	mcfg := cp.User(t, "mallory", "system:masters")
	mallory := kubernetes.NewForConfigOrDie(mcfg)
	want := map[string]bool{}
	expect := func(rule string) { want[rule] = true }

	// 1. A privileged pod.
	priv := true
	miner := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "miner"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox",
		SecurityContext: &corev1.SecurityContext{Privileged: &priv}}}}}
	if _, err := mallory.CoreV1().Pods("shop").Create(bg, miner, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	expect(auditlog.RulePodSecurity)
	// 2. An exec attempt: no kubelet answers, the request is audited.
	_ = mallory.CoreV1().RESTClient().Post().Namespace("shop").Resource("pods").Name("miner").SubResource("exec").
		Param("command", "id").Param("container", "c").Param("stdout", "true").Do(bg).Error()
	expect(auditlog.RulePodExec)
	// 3. Secret enumeration.
	for i := 0; i < 12; i++ {
		if _, err := mallory.CoreV1().Secrets("shop").Get(bg, fmt.Sprintf("s%02d", i), metav1.GetOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	expect(auditlog.RuleSecretRead)
	expect(auditlog.RuleSecretEnumeration)
	// 4. A cluster-admin binding.
	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "pwn"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "mallory-backdoor"}}}
	if _, err := mallory.RbacV1().ClusterRoleBindings().Create(bg, crb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	expect(auditlog.RuleBindingPrivileged)
	// 5. Impersonation.
	icfg := rest.CopyConfig(mcfg)
	icfg.Impersonate = rest.ImpersonationConfig{UserName: "bob", Groups: []string{"system:masters"}}
	if _, err := kubernetes.NewForConfigOrDie(icfg).CoreV1().Pods("shop").List(bg, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	expect(auditlog.RuleImpersonation)
	// 6. A token for another service account.
	if _, err := mallory.CoreV1().ServiceAccounts("shop").CreateToken(bg, "deployer", &authenticationv1.TokenRequest{}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	expect(auditlog.RuleTokenOtherSA)
	// 7. A webhook configuration created and deleted.
	ignore := admissionregistrationv1.Ignore
	none := admissionregistrationv1.SideEffectClassNone
	url := "https://127.0.0.1:1/never"
	vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "shadow"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{Name: "shadow.example.com", ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url},
			FailurePolicy: &ignore, SideEffects: &none, AdmissionReviewVersions: []string{"v1"},
			Rules: []admissionregistrationv1.RuleWithOperations{controlplane.Rule("", "v1", "configmaps")}}}}
	if _, err := mallory.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(bg, vwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := mallory.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(bg, "shadow", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	expect(auditlog.RuleAdmissionWebhook)
	// 8. The enforce label lowered.
	patch := []byte(`{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"privileged"}}}`)
	if _, err := mallory.CoreV1().Namespaces().Patch(bg, "locked", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	expect(auditlog.RulePodSecurityLabelDown)
	// 9. eve, granted get on Secrets in shop by a RoleBinding, reads one.
	createObjects(t, admin, []runtime.Object{
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "secret-reader", Namespace: "shop"},
			Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"secrets"}}}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "eve-reads", Namespace: "shop"},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "secret-reader"},
			Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "eve"}}},
	})
	eve := kubernetes.NewForConfigOrDie(cp.User(t, "eve"))
	if _, err := eve.CoreV1().Secrets("shop").Get(bg, "s00", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	expect(auditlog.RuleSecretRead)
	// 10. mallory requests a client certificate and approves it herself.
	csrKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "mallory-2"}}, csrKey)
	if err != nil {
		t.Fatal(err)
	}
	csr := &certificatesv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{Name: "mallory-2"}, Spec: certificatesv1.CertificateSigningRequestSpec{
		Request:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
		SignerName: "example.com/backdoor",
		Usages:     []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth},
	}}
	if csr, err = mallory.CertificatesV1().CertificateSigningRequests().Create(bg, csr, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
		Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "LGTM"})
	if _, err := mallory.CertificatesV1().CertificateSigningRequests().UpdateApproval(bg, "mallory-2", csr, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	expect(auditlog.RuleCSRSelfApproval)
	// 11. Someone granted system:anonymous read access to ConfigMaps; an
	// unauthenticated client uses it.
	createObjects(t, admin, []runtime.Object{
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "public-config", Namespace: "shop"},
			Rules: []rbacv1.PolicyRule{{Verbs: []string{"list"}, APIGroups: []string{""}, Resources: []string{"configmaps"}}}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "public-config", Namespace: "shop"},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "public-config"},
			Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "system:anonymous"}}},
	})
	anon := kubernetes.NewForConfigOrDie(rest.AnonymousClientConfig(mcfg))
	if _, err := anon.CoreV1().ConfigMaps("shop").List(bg, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	expect(auditlog.RuleAnonymousAllowed)

	// Live: wait until serve has written a finding of every scenario.
	live := func() []finding.Finding {
		var fs []finding.Finding
		sc := bufio.NewScanner(strings.NewReader(stdout.String()))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var f finding.Finding
			if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
				t.Fatalf("serve wrote a line that is not a finding: %v\n%s", err, sc.Text())
			}
			fs = append(fs, f)
		}
		return fs
	}
	controlplane.WaitFor(t, "every scenario detected live", 500*time.Millisecond, 60*time.Second, func(context.Context) (bool, error) {
		got := map[string]bool{}
		for _, f := range live() {
			got[f.Rule] = true
		}
		for r := range want {
			if !got[r] {
				return false, nil
			}
		}
		return true, nil
	})
	// Offline: the log file.
	lv, _ := podsecurity.ParseLevelVersion("baseline:latest")
	an, err := auditlog.NewAnalyzer(auditlog.Options{PodSecurity: lv, Registry: rules.Builtin()})
	if err != nil {
		t.Fatal(err)
	}
	var offline []finding.Finding
	r := &auditlog.Reader{}
	r.Read([]string{cp.AuditLogPath}, func(ev *auditlog.Event) error {
		an.Event(ev, func(f finding.Finding) { offline = append(offline, f) })
		return nil
	}, func(e *auditlog.InputError) { t.Errorf("audit log: %v", e) })

	key := func(fs []finding.Finding) string {
		var ks []string
		for _, f := range fs {
			ks = append(ks, f.Rule+" "+f.Event.AuditID+" "+f.Event.User+" "+f.Message)
		}
		sort.Strings(ks)
		return strings.Join(ks, "\n")
	}
	// serve keeps running (kube-apiserver flushes its last batches to it
	// when it stops); the last batch arrives within the batch wait.
	var liveFindings []finding.Finding
	deadline := time.Now().Add(30 * time.Second)
	for {
		liveFindings = live()
		if key(liveFindings) == key(offline) || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if lk, ok := key(liveFindings), key(offline); lk != ok {
		t.Errorf("live and offline findings differ\nlive:\n%s\noffline:\n%s", lk, ok)
	}
	if b, err := os.ReadFile(findingsFile); err != nil || strings.Count(string(b), "\n") != len(liveFindings) {
		t.Errorf("--findings-file holds %d lines (%v), stdout %d findings", strings.Count(string(b), "\n"), err, len(liveFindings))
	}
	got := map[string]bool{}
	for _, f := range offline {
		got[f.Rule] = true
		// Benign traffic (the harness's admin, controllers, the API
		// server) yields nothing: every finding is mallory's.
		if f.Event.User != "mallory" && f.Event.User != "eve" && f.Event.User != "system:anonymous" {
			t.Errorf("finding from benign traffic: %s %s", f.Rule, f.Message)
		}
	}
	for r := range want {
		if !got[r] {
			t.Errorf("scenario %s not detected in the log file", r)
		}
	}
	t.Logf("%d events in the log, %d requests, %d findings", r.Events, an.Stats().Requests, len(offline))

	// With the cluster's RBAC (--kubeconfig), each allowed finding names
	// what allowed it: eve's read the binding, mallory's her group.
	kubeconfig := cp.Kubeconfig(t, "kubeward-auditlog-reader", "system:masters")
	code, out, errs := runKubeward("auditlog", "analyze", cp.AuditLogPath, "--kubeconfig", kubeconfig, "-o", "json")
	if code != 1 {
		t.Fatalf("auditlog analyze --kubeconfig: exit %d, want 1 (findings): %s", code, errs)
	}
	var rep struct {
		Findings []finding.Finding `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	grants := map[string]bool{}
	for _, f := range rep.Findings {
		if f.Event.User == "eve" && f.Rule == auditlog.RuleSecretRead {
			grants[strings.Join(f.Grants, "; ")] = true
		}
		if f.Event.User == "mallory" && f.Event.Decision == "allow" && (len(f.Grants) != 1 || !strings.Contains(f.Grants[0], "system:masters")) {
			t.Errorf("mallory's %s finding: grants %q, want her system:masters group", f.Rule, f.Grants)
		}
	}
	const eveGrant = "RoleBinding/shop/eve-reads → Role/shop/secret-reader → rules[0]"
	if len(grants) != 1 || !grants[eveGrant] {
		t.Errorf("eve's Secret read: grants %v, want %q", grants, eveGrant)
	}
}
