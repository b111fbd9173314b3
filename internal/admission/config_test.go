package admission

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	upstreamapi "k8s.io/pod-security-admission/admission/api"
	upstreamload "k8s.io/pod-security-admission/admission/api/load"
	upstreamvalidation "k8s.io/pod-security-admission/admission/api/validation"
)

func TestParseConfig(t *testing.T) {
	defaults := PodSecurityDefaults{Enforce: "privileged", EnforceVersion: "latest", Audit: "privileged", AuditVersion: "latest", Warn: "privileged", WarnVersion: "latest"}
	tests := []struct {
		name    string
		in      string
		want    *PodSecurityConfiguration
		wantErr []string // substrings, one per expected problem
	}{
		{name: "empty", in: "", want: DefaultConfig()},
		{
			name: "v1 yaml",
			in: `apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults:
  enforce: baseline
  warn-version: v1.30
exemptions:
  usernames: [system:serviceaccount:kube-system:replicaset-controller]
  namespaces: [kube-system]
  runtimeClasses: [kata]
`,
			want: &PodSecurityConfiguration{
				APIVersion: "pod-security.admission.config.k8s.io/v1", Kind: "PodSecurityConfiguration",
				Defaults: PodSecurityDefaults{Enforce: "baseline", EnforceVersion: "latest", Audit: "privileged", AuditVersion: "latest", Warn: "privileged", WarnVersion: "v1.30"},
				Exemptions: PodSecurityExemptions{
					Usernames:      []string{"system:serviceaccount:kube-system:replicaset-controller"},
					Namespaces:     []string{"kube-system"},
					RuntimeClasses: []string{"kata"},
				},
			},
		},
		{
			name: "v1beta1 json",
			in:   `{"apiVersion":"pod-security.admission.config.k8s.io/v1beta1","kind":"PodSecurityConfiguration","defaults":{"audit":"restricted"}}`,
			want: &PodSecurityConfiguration{
				APIVersion: "pod-security.admission.config.k8s.io/v1beta1", Kind: "PodSecurityConfiguration",
				Defaults: func() PodSecurityDefaults { d := defaults; d.Audit = "restricted"; return d }(),
			},
		},
		{
			name: "v1alpha1",
			in:   "apiVersion: pod-security.admission.config.k8s.io/v1alpha1\nkind: PodSecurityConfiguration\n",
			want: &PodSecurityConfiguration{APIVersion: "pod-security.admission.config.k8s.io/v1alpha1", Kind: "PodSecurityConfiguration", Defaults: defaults},
		},
		{name: "unknown field", in: "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults:\n  enforced: baseline\n", wantErr: []string{`unknown field "enforced"`}},
		{name: "duplicate field", in: "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\nkind: PodSecurityConfiguration\n", wantErr: []string{`"kind" already set`}},
		{name: "bad version", in: "apiVersion: pod-security.admission.config.k8s.io/v99\nkind: PodSecurityConfiguration\n", wantErr: []string{`apiVersion: Unsupported value: "pod-security.admission.config.k8s.io/v99"`}},
		{name: "missing type", in: "defaults: {}\n", wantErr: []string{"apiVersion: Required value", "kind: Required value"}},
		{name: "wrong kind", in: "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: AdmissionConfiguration\n", wantErr: []string{`kind: Unsupported value: "AdmissionConfiguration"`}},
		{
			name: "every problem",
			in: `apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults:
  enforce: baslein
  enforce-version: v.122
  audit: lorum
  audit-version: ipsum
  warn: Restricted
  warn-version: v1.01
exemptions:
  namespaces: ["", "_&$%#", "TEST", "ok", "ok"]
  runtimeClasses: ["", "UPPER", "ok", "ok"]
  usernames: ["", "alice", "alice"]
`,
			wantErr: []string{
				`defaults.enforce: Invalid value: "baslein": must be one of privileged, baseline, restricted`,
				`defaults.warn: Invalid value: "Restricted"`,
				`defaults.audit: Invalid value: "lorum"`,
				`defaults.enforce-version: Invalid value: "v.122": must be "latest" or "v1.x"`,
				`defaults.warn-version: Invalid value: "v1.01"`,
				`defaults.audit-version: Invalid value: "ipsum"`,
				`exemptions.namespaces[0]: Invalid value: ""`,
				`exemptions.namespaces[1]: Invalid value: "_&$%#"`,
				`exemptions.namespaces[2]: Invalid value: "TEST"`,
				`exemptions.namespaces[4]: Duplicate value: "ok"`,
				`exemptions.runtimeClasses[0]: Invalid value: ""`,
				`exemptions.runtimeClasses[1]: Invalid value: "UPPER"`,
				`exemptions.runtimeClasses[3]: Duplicate value: "ok"`,
				`exemptions.usernames[0]: Invalid value: "": username must not be empty`,
				`exemptions.usernames[2]: Duplicate value: "alice"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseConfig([]byte(tt.in))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("ParseConfig succeeded, want errors %q", tt.wantErr)
				}
				var list []error
				if j, ok := err.(interface{ Unwrap() []error }); ok {
					list = j.Unwrap()
				} else {
					list = []error{err}
				}
				if len(list) != len(tt.wantErr) {
					t.Errorf("got %d errors, want %d:\n%v", len(list), len(tt.wantErr), err)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error does not mention %q:\n%v", w, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseConfig: %v", err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("config (-want +got):\n%s", d)
			}
		})
	}
}

// TestParseConfigMatchesKubernetes checks that we accept and reject the same
// configurations as Kubernetes' loader plus validation, with the same defaults.
func TestParseConfigMatchesKubernetes(t *testing.T) {
	inputs := []string{
		"",
		"apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\n",
		"apiVersion: pod-security.admission.config.k8s.io/v1beta1\nkind: PodSecurityConfiguration\ndefaults: {enforce: restricted, enforce-version: v1.25}\n",
		"apiVersion: pod-security.admission.config.k8s.io/v1alpha1\nkind: PodSecurityConfiguration\ndefaults: {warn: baseline}\nexemptions: {namespaces: [a, b], usernames: [u], runtimeClasses: [r.io]}\n",
		"apiVersion: pod-security.admission.config.k8s.io/v2\nkind: PodSecurityConfiguration\n",
		"apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\nbogus: 1\n",
		"apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults: {enforce: nope}\n",
		"apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults: {audit-version: v1.0}\n",
		"apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults: {audit-version: v2.0}\n",
		"apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\nexemptions: {namespaces: [Bad]}\n",
		"apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\nexemptions: {usernames: [a, a]}\n",
		"apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\nexemptions: {runtimeClasses: [a.b.c, -x]}\n",
		`{"apiVersion":"pod-security.admission.config.k8s.io/v1","kind":"PodSecurityConfiguration","defaults":{"warn":"restricted","warn-version":"v1.30"}}`,
		"kind: PodSecurityConfiguration\n",
	}
	for _, in := range inputs {
		t.Run(in, func(t *testing.T) {
			got, err := ParseConfig([]byte(in))
			up, upErr := upstreamload.LoadFromData([]byte(in))
			if upErr == nil {
				if fe := upstreamvalidation.ValidatePodSecurityConfiguration(up); len(fe) > 0 {
					upErr = fe.ToAggregate()
				}
			}
			if (err == nil) != (upErr == nil) {
				t.Fatalf("ours: %v\nkubernetes: %v", err, upErr)
			}
			if err != nil {
				return
			}
			want := upstreamapi.PodSecurityConfiguration{
				Defaults: upstreamapi.PodSecurityDefaults(got.Defaults),
				Exemptions: upstreamapi.PodSecurityExemptions{
					Usernames: got.Exemptions.Usernames, Namespaces: got.Exemptions.Namespaces, RuntimeClasses: got.Exemptions.RuntimeClasses,
				},
			}
			if d := cmp.Diff(want, *up); d != "" {
				t.Errorf("(ours -kubernetes +):\n%s", d)
			}
		})
	}
}

func TestLoadConfigNamesFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "psa.yaml")
	if err := os.WriteFile(path, []byte("apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults: {enforce: x, audit: y}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(path)
	if err == nil {
		t.Fatal("LoadConfig succeeded on an invalid file")
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(line, path+": ") {
			t.Errorf("error line does not name the file: %q", line)
		}
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 2 {
		t.Errorf("got %d problems, want 2:\n%v", n, err)
	}
	if _, err := LoadConfig(filepath.Join(dir, "missing.yaml")); err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("LoadConfig(missing) = %v, want a not-exist error naming the file", err)
	}
}
