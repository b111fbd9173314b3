package admission

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/podsecurity"
)

const psConfig = `apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults:
  enforce: baseline
  enforce-version: v1.30
exemptions:
  namespaces: [kube-system]
`

func TestLoadAnyConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("psa.yaml", psConfig)
	indented := "    " + strings.ReplaceAll(strings.TrimSpace(psConfig), "\n", "\n    ")
	for _, tc := range []struct {
		name, data string
		wantErr    string
		baseline   bool
	}{
		{name: "plain", data: psConfig, baseline: true},
		{name: "inline", data: "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  configuration:\n" + indented + "\n", baseline: true},
		{name: "path", data: "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: EventRateLimit\n  path: erl.yaml\n- name: PodSecurity\n  path: psa.yaml\n", baseline: true},
		{name: "no plugin", data: "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: EventRateLimit\n  path: erl.yaml\n"},
		{name: "empty", data: ""},
		{name: "bad version", data: "apiVersion: v1\nkind: AdmissionConfiguration\n", wantErr: `apiVersion: Unsupported value: "v1"`},
		{name: "unknown field", data: "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugin: []\n", wantErr: `unknown field "plugin"`},
		{name: "duplicate", data: "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  path: a\n- name: PodSecurity\n  path: b\n", wantErr: "plugins[1]: Duplicate value"},
		{name: "bad inline", data: "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  configuration:\n    apiVersion: pod-security.admission.config.k8s.io/v1\n    kind: PodSecurityConfiguration\n    defaults: {enforce: strict}\n", wantErr: "defaults.enforce: Invalid value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadAnyConfig(write(strings.ReplaceAll(tc.name, " ", "-")+".cfg", tc.data))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p, err := c.DefaultPolicy()
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Enforce.Level == podsecurity.LevelBaseline; got != tc.baseline {
				t.Fatalf("enforce %v", p.Enforce)
			}
			if tc.baseline && (p.Enforce.Version.String() != "v1.30" || len(c.Exemptions.Namespaces) != 1) {
				t.Fatalf("config %+v", c)
			}
		})
	}
}

// FuzzParseAnyConfig: any input is accepted or rejected with an error,
// never a panic; an accepted configuration has a valid default policy.
func FuzzParseAnyConfig(f *testing.F) {
	f.Add([]byte(psConfig))
	f.Add([]byte("apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  configuration: {apiVersion: pod-security.admission.config.k8s.io/v1, kind: PodSecurityConfiguration}\n"))
	f.Add([]byte("apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  path: x.yaml\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, path, err := ParseAnyConfig(data)
		if err != nil || path != "" {
			return
		}
		if _, err := c.DefaultPolicy(); err != nil {
			t.Fatalf("accepted configuration has an invalid default policy: %v", err)
		}
	})
}
