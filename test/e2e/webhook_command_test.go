//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubeward/kubeward/internal/cli/clierr"
	webhookcmd "github.com/kubeward/kubeward/internal/cli/webhook"
	"github.com/kubeward/kubeward/test/e2e/controlplane"
)

// TestWebhookCommand runs `kubeward webhook` itself (flags, config files,
// kubeconfig, informer, HTTPS) in-process against a real API server: it
// becomes ready, the API server calls it, it enforces, it exposes metrics,
// and it shuts down cleanly when its context ends (as on SIGTERM).
func TestWebhookCommand(t *testing.T) {
	cp := controlplane.Start(t, controlplane.Options{
		APIServerFlags: []string{"--disable-admission-plugins=PodSecurity,ServiceAccount"},
	})
	kubeconfig := kwKubeconfig(t, cp)
	cert := controlplane.NewServingCert(t)
	exemptions, err := filepath.Abs(filepath.Join("testdata", "kubeward-exemptions.yaml"))
	if err != nil {
		t.Fatal(err)
	}

	// A free port: the command listens on the address it is given.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	var stderr syncBuffer
	cmd := webhookcmd.NewCommand(clierr.Streams{In: strings.NewReader(""), Out: io.Discard, Err: &stderr})
	cmd.SetArgs([]string{
		"--listen", addr,
		"--tls-cert-file", cert.CertFile,
		"--tls-private-key-file", cert.KeyFile,
		"--kubeconfig", kubeconfig,
		"--config", psaConfigFile(t),
		"--exemptions", exemptions,
		"--shutdown-delay", "0s",
		"--log-format", "text",
	})
	cmd.SetOut(io.Discard)
	cmd.SetErr(&stderr)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatalf("kubeward webhook did not stop within 30s after its context ended\n%s", lastLines(stderr.String(), 20))
			return nil
		}
	}
	t.Cleanup(func() { _ = stop() })

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(cert.CAPEM)
	httpc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	get := func(path string) (int, string) {
		resp, err := httpc.Get("https://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	controlplane.WaitFor(t, "/readyz to return 200", 100*time.Millisecond, 30*time.Second, func(context.Context) (bool, error) {
		select {
		case err := <-done:
			t.Fatalf("kubeward webhook exited: %v\n%s", err, lastLines(stderr.String(), 20))
		default:
		}
		code, _ := get("/readyz")
		return code == http.StatusOK, nil
	})
	if code, body := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d %q, want 200", code, body)
	}

	names := kwRegister(t, cp, "https://"+addr+"/", cert.CAPEM)
	bg := context.Background()
	if _, err := cp.Client.CoreV1().Namespaces().Create(bg, psaNamespace("cmd-restricted", map[string]string{psaEnforce: "restricted"}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = cp.Client.CoreV1().Pods("cmd-restricted").Create(bg, psaPod("bad"), metav1.CreateOptions{})
	want := `admission webhook "` + names.Enforcing + `" denied the request: pods "bad" is forbidden: violates PodSecurity "restricted:latest": ` + psaRestrictedViolations
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Errorf("violating pod: error = %v\nwant %s", err, want)
	}
	if _, err := cp.Client.CoreV1().Pods("cmd-restricted").Create(bg, psaPod("good", psaRestricted), metav1.CreateOptions{}); err != nil {
		t.Errorf("compliant pod denied: %v", err)
	}
	if _, err := cp.Client.CoreV1().Namespaces().Create(bg, psaNamespace("e2e-narrow", map[string]string{psaEnforce: "baseline"}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cp.Client.CoreV1().Pods("e2e-narrow").Create(bg, psaPod("narrow-agent", psaPrivileged), metav1.CreateOptions{}); err != nil {
		t.Errorf("narrowly exempt pod denied (--exemptions not applied?): %v", err)
	}

	code, metrics := get("/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d", code)
	}
	for _, want := range []string{
		`pod_security_evaluations_total{decision="deny",mode="enforce",policy_level="restricted",policy_version="latest",request_operation="create",resource="pod",subresource=""}`,
		`pod_security_evaluations_total{decision="allow",mode="enforce",policy_level="restricted",policy_version="latest",request_operation="create",resource="pod",subresource=""}`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	rotateServingCert(t, cp, addr, cert, names)

	if err := stop(); err != nil {
		t.Errorf("kubeward webhook returned %v after its context ended, want nil (graceful shutdown)", err)
	}

	// With the webhook gone, the failure policies decide: pods fail closed,
	// workloads fail open.
	dryRun := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	_, err = cp.Client.CoreV1().Pods("cmd-restricted").Create(bg, psaPod("while-down", psaRestricted), dryRun)
	if err == nil || !strings.Contains(err.Error(), `failed calling webhook "`+names.Enforcing+`"`) {
		t.Errorf("pod while the webhook is down: error = %v, want failed calling webhook (failurePolicy Fail)", err)
	}
	if _, err := cp.Client.AppsV1().Deployments("cmd-restricted").Create(bg, psaDeployment("while-down", psaPod("", psaPrivileged)), dryRun); err != nil {
		t.Errorf("deployment while the webhook is down: %v, want admitted (failurePolicy Ignore)", err)
	}
	if t.Failed() {
		t.Logf("kubeward webhook log:\n%s", lastLines(stderr.String(), 30))
	}
}

// rotateServingCert rotates the running webhook's certificate the way
// cert-manager does when it renews a certificate with a new CA: the files are
// replaced in place (written aside, then renamed over the old ones), and the
// webhook configuration's caBundle is changed to the new CA alone (cert-manager's
// cainjector). The webhook must then present the new certificate without a
// restart, and kube-apiserver, which builds a new client for the new
// caBundle and so a new TLS connection that trusts only the new CA, must get
// its answers again.
func rotateServingCert(t *testing.T, cp *controlplane.ControlPlane, addr string, old controlplane.ServingCert, names kwNames) {
	t.Helper()
	bg := context.Background()
	next := controlplane.NewServingCert(t)
	for _, f := range []struct {
		path string
		data []byte
	}{{old.KeyFile, next.KeyPEM}, {old.CertFile, next.CertPEM}} {
		tmp := f.path + ".new"
		if err := os.WriteFile(tmp, f.data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, f.path); err != nil {
			t.Fatal(err)
		}
	}
	nextPool := x509.NewCertPool()
	nextPool.AppendCertsFromPEM(next.CAPEM)
	// The files are re-read on a handshake at most every 10s
	// (webhook.DefaultCertCheckInterval).
	controlplane.WaitFor(t, "the webhook to present the rotated certificate", 500*time.Millisecond, 30*time.Second, func(context.Context) (bool, error) {
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: nextPool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
		if err != nil {
			return false, nil
		}
		return true, c.Close()
	})

	cfg, err := cp.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(bg, "kubeward", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range cfg.Webhooks {
		cfg.Webhooks[i].ClientConfig.CABundle = next.CAPEM
	}
	if _, err := cp.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Update(bg, cfg, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	dryRun := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	want := `admission webhook "` + names.Enforcing + `" denied the request: pods "after-rotation" is forbidden: violates PodSecurity "restricted:latest": ` + psaRestrictedViolations
	var last error
	controlplane.WaitFor(t, "kube-apiserver to call the webhook with the rotated CA", 200*time.Millisecond, 30*time.Second, func(ctx context.Context) (bool, error) {
		_, last = cp.Client.CoreV1().Pods("cmd-restricted").Create(ctx, psaPod("after-rotation"), dryRun)
		return last != nil && last.Error() == want, nil
	})
	if _, err := cp.Client.CoreV1().Pods("cmd-restricted").Create(bg, psaPod("after-rotation-ok", psaRestricted), dryRun); err != nil {
		t.Errorf("compliant pod after the rotation: %v (last violating-pod answer: %v)", err, last)
	}
}

// kwKubeconfig grants the webhook's RBAC and writes a kubeconfig for its user.
func kwKubeconfig(t testing.TB, cp *controlplane.ControlPlane) string {
	t.Helper()
	cfg := kwGrant(t, cp, false)
	kc := clientcmdapi.NewConfig()
	kc.Clusters["e2e"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["kubeward"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData}
	kc.Contexts["e2e"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: "kubeward"}
	kc.CurrentContext = "e2e"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// syncBuffer is a concurrency-safe bytes.Buffer.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
