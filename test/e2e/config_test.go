//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/kubeward/kubeward/test/e2e/controlplane"
)

// TestConfig judges the harness's real kube-apiserver and etcd command
// lines (read from /proc) with kubeward config, and checks the findings
// that can be observed against the running API server.
func TestConfig(t *testing.T) {
	cp := controlplane.Start(t, controlplane.Options{})
	host := strings.TrimSuffix(cp.Config.Host, "/")
	dir := t.TempDir()
	api := filepath.Join(dir, "kube-apiserver.cmdline")
	etcd := filepath.Join(dir, "etcd.cmdline")
	if err := os.WriteFile(api, controlplane.ChildCommandLine(t, "kube-apiserver"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(etcd, controlplane.ChildCommandLine(t, "etcd"), 0o600); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(api)
	t.Logf("kube-apiserver: %s", strings.ReplaceAll(string(raw), "\x00", " "))

	code, out, stderr := runKubeward("config", "-o", "json", "--args-file", api, "--args-file", etcd)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (findings)\n%s\n%s", code, out, stderr)
	}
	var doc struct {
		Findings []struct {
			Rule, Message, File string
			Line                int
		}
		Errors []any
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("decoding output: %v\n%s", err, out)
	}
	if len(doc.Errors) > 0 {
		t.Errorf("input errors: %v", doc.Errors)
	}
	got := map[string][]string{}
	for _, f := range doc.Findings {
		got[f.Rule] = append(got[f.Rule], f.Message)
		if f.Line == 0 || f.File == "" {
			t.Errorf("finding without location: %+v", f)
		}
	}
	has := func(rule, substr string) bool {
		for _, m := range got[rule] {
			if strings.Contains(m, substr) {
				return true
			}
		}
		return false
	}

	// What the harness's command line really configures: no audit log, no
	// audit policy, no encryption at rest, ServiceAccount admission
	// disabled, NodeRestriction not enabled, no kubelet client certificate.
	for _, want := range []struct{ rule, substr string }{
		{"config/audit-log", "no audit log"},
		{"config/audit-policy-missing", "CIS 3.2.1"},
		{"config/encryption-not-configured", "CIS 1.2.27"},
		{"config/admission-plugin-disabled", "ServiceAccount is disabled"},
		{"config/admission-node-restriction", "CIS 1.2.14"},
		{"config/kubelet-client-cert", "CIS 1.2.4"},
		{"config/etcd-tls", "CIS 2.1"},
	} {
		if !has(want.rule, want.substr) {
			t.Errorf("no %s finding mentioning %q; findings: %v", want.rule, want.substr, got)
		}
	}
	// No AlwaysAllow: the harness authorizes with RBAC, which the server
	// shows by refusing a user without bindings.
	if len(got["config/authorization-always-allow"]) > 0 {
		t.Errorf("AlwaysAllow reported: %v", got["config/authorization-always-allow"])
	}
	if len(got["config/authorization-rbac"]) > 0 {
		t.Errorf("RBAC reported missing: %v", got["config/authorization-rbac"])
	}
	nobody, err := rest.HTTPClientFor(cp.User(t, "nobody"))
	if err != nil {
		t.Fatal(err)
	}
	if status := get(t, nobody, host+"/api/v1/namespaces/default/secrets"); status != http.StatusForbidden {
		t.Errorf("user without bindings listing secrets: status %d, want 403 (RBAC)", status)
	}

	// Observed defaults: profiling on and anonymous requests served are
	// reported exactly when the server shows them.
	admin, err := rest.HTTPClientFor(cp.Config)
	if err != nil {
		t.Fatal(err)
	}
	pprofStatus := get(t, admin, host+"/debug/pprof/")
	t.Logf("GET /debug/pprof/ as admin: %d", pprofStatus)
	profiling := pprofStatus == http.StatusOK
	if reported := len(got["config/profiling"]) > 0; reported != profiling {
		t.Errorf("profiling reported %v, server serves /debug/pprof/: %v", reported, profiling)
	}
	anonCfg := rest.AnonymousClientConfig(cp.Config)
	anonClient, err := rest.HTTPClientFor(anonCfg)
	if err != nil {
		t.Fatal(err)
	}
	// 401: anonymous requests are refused; 403 (or 200): they are
	// authenticated as system:anonymous.
	anonymous := get(t, anonClient, host+"/api/v1/namespaces") != http.StatusUnauthorized
	if reported := len(got["config/anonymous-auth"]) > 0; reported != anonymous {
		t.Errorf("anonymous-auth reported %v, server serves anonymous requests: %v", reported, anonymous)
	}
	t.Logf("%d findings; profiling %v, anonymous %v", len(doc.Findings), profiling, anonymous)
}

func get(t *testing.T, c *http.Client, url string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
