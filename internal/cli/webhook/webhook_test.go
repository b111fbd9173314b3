package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"

	"github.com/kubeward/kubeward/internal/cli/clierr"
)

// TestServe runs the command end to end against a fake cluster: it becomes
// ready once the namespace cache synced, denies a violating pod in a
// restricted namespace over HTTPS, and exits cleanly when cancelled.
func TestServe(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	out, err := exec.Command("../../../hack/webhook-certs.sh", filepath.Join(dir, "certs"), "127.0.0.1").CombinedOutput()
	if err != nil {
		t.Fatalf("webhook-certs.sh: %v\n%s", err, out)
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:1\ncontexts:\n- name: c\n  context:\n    cluster: c\ncurrent-context: c\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	newClient = func(*rest.Config) (kubernetes.Interface, error) {
		return fake.NewClientset(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}}}), nil
	}
	addrc := make(chan net.Addr, 1)
	listening = func(a net.Addr) { addrc <- a }
	t.Cleanup(func() {
		newClient = func(c *rest.Config) (kubernetes.Interface, error) { return kubernetes.NewForConfig(c) }
		listening = func(net.Addr) {}
	})

	var stderr bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	f := &flags{listen: "127.0.0.1:0", certFile: filepath.Join(dir, "certs", "tls.crt"), keyFile: filepath.Join(dir, "certs", "tls.key"),
		kubeconfig: kubeconfig, maxBodyBytes: 1 << 20, requestTimeout: 5 * time.Second, shutdownTimeout: 5 * time.Second, logFormat: "json", logLevel: "info"}
	go func() { done <- run(ctx, f, clierr.Streams{In: strings.NewReader(""), Out: io.Discard, Err: &stderr}) }()
	addr := <-addrc

	ca, err := os.ReadFile(filepath.Join(dir, "certs", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	base := "https://" + addr.String()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := client.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready: %v; logs:\n%s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	body, err := os.ReadFile("../../webhook/testdata/reviews/pod-create-violating.json")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Post(base+"/", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte(`"allowed":false`)) || !bytes.Contains(b, []byte(`violates PodSecurity \"restricted:latest\"`)) {
		t.Fatalf("got %d %s", resp.StatusCode, b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(stderr.String(), `"msg":"admission review"`) || !strings.Contains(stderr.String(), `"decision":"deny"`) {
		t.Errorf("no request log line:\n%s", stderr.String())
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		f          *flags
	}{
		{"no certificate", "--tls-cert-file", &flags{logFormat: "json", logLevel: "info"}},
		{"bad log format", "--log-format", &flags{certFile: "c", keyFile: "k", logFormat: "xml", logLevel: "info"}},
		{"bad log level", "--log-level", &flags{certFile: "c", keyFile: "k", logFormat: "json", logLevel: "loud"}},
		{"bad namespace error policy", `--namespace-error-policy "open": want Fail or Ignore`, &flags{certFile: "c", keyFile: "k", logFormat: "json", logLevel: "info", namespaceErrorPolicy: "open"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.f, clierr.Streams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one mentioning %s", err, tc.want)
			}
			var ee *clierr.ExitError
			if !errors.As(err, &ee) || ee.Code != clierr.CodeError {
				t.Errorf("error %v is not a usage error (exit 2)", err)
			}
		})
	}
}

func TestCgroupMemoryLimit(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string
		want   int64
		wantOK bool
	}{
		{"v2 limit", map[string]string{"sys/fs/cgroup/memory.max": "268435456\n"}, 268435456, true},
		{"v2 no limit", map[string]string{"sys/fs/cgroup/memory.max": "max\n"}, 0, false},
		{"v1 limit", map[string]string{"sys/fs/cgroup/memory/memory.limit_in_bytes": "134217728\n"}, 134217728, true},
		{"v1 no limit", map[string]string{"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n"}, 0, false},
		{"v2 before v1", map[string]string{"sys/fs/cgroup/memory.max": "1000", "sys/fs/cgroup/memory/memory.limit_in_bytes": "2000"}, 1000, true},
		{"garbage", map[string]string{"sys/fs/cgroup/memory.max": "lots"}, 0, false},
		{"no cgroup files", nil, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := fstest.MapFS{}
			for p, data := range tc.files {
				root[p] = &fstest.MapFile{Data: []byte(data)}
			}
			got, ok := cgroupMemoryLimit(root)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("cgroupMemoryLimit = %d, %v; want %d, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
