package clusterconfig

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubeward/kubeward/internal/manifest"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []Token
	}{
		{"kube-apiserver --a=b \\\n  --c 'd e' # not a comment\n# comment\n--f=\"g\\\"h\"", []Token{
			{"kube-apiserver", 1}, {"--a=b", 1}, {"--c", 2}, {"d e", 2}, {"#", 2}, {"not", 2}, {"a", 2}, {"comment", 2}, {"--f=g\"h", 4}}},
		{"etcd\x00--cert-file=/x\x00--client-cert-auth\x00", []Token{{"etcd", 1}, {"--cert-file=/x", 1}, {"--client-cert-auth", 1}}},
	}
	for _, tt := range tests {
		got, err := Tokenize([]byte(tt.in))
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.in, diff)
		}
	}
	if _, err := Tokenize([]byte("--a='b\n")); err == nil || !strings.Contains(err.Error(), "line 1: unclosed ' quote") {
		t.Errorf("unclosed quote: %v", err)
	}
}

func TestParseArgs(t *testing.T) {
	toks, _ := Tokenize([]byte("--profiling --kubeconfig /k --bind_address=0.0.0.0 -v 2 --anonymous-auth false pos"))
	args, pos := ParseArgs(toks)
	var got []string
	for _, a := range args {
		got = append(got, a.Name+"="+a.Value)
	}
	// --anonymous-auth is boolean: "false" is positional, as pflag reads it.
	want := []string{"profiling=true", "kubeconfig=/k", "bind-address=0.0.0.0", "v=2", "anonymous-auth=true"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
	if len(pos) != 2 || pos[0].Text != "false" || pos[1].Text != "pos" {
		t.Errorf("positional = %v", pos)
	}
}

func rulesOf(t *testing.T, s *Set) []string {
	t.Helper()
	var got []string
	for _, f := range Check(s, Latest) {
		got = append(got, f.Rule+" "+filepath.Base(f.File)+":"+itoa(f.Line))
	}
	sort.Strings(got)
	return got
}

func itoa(n int) string { return strconv.Itoa(n) }

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// The kubelet's defaults differ with and without a configuration file,
// drop-ins apply in path order, and flags win over both.
func TestKubeletLayers(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"flags-only.args":                  "kubelet --client-ca-file=/ca --rotate-certificates --seccomp-default --pod-max-pids=100\n",
		"node/var/lib/kubelet/config.yaml": "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  x509:\n    clientCAFile: /ca\nrotateCertificates: true\nseccompDefault: true\npodPidsLimit: 100\n",
		// "a/z.conf" is visited before "a.conf" by the kubelet's walk.
		"node/etc/kubelet.d/a/z.conf": "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nreadOnlyPort: 10255\n",
		"node/etc/kubelet.d/a.conf":   "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nreadOnlyPort: 0\nauthorization:\n  mode: AlwaysAllow\n",
		"node/etc/kubelet.d/skip.txt": "not a drop-in",
		"with-file.args":              "kubelet --config=/var/lib/kubelet/config.yaml --config-dir=/etc/kubelet.d --anonymous-auth=true\n",
	})
	s, err := Load(nil, []string{filepath.Join(dir, "flags-only.args")}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"config/kubelet-anonymous-auth flags-only.args:1",
		"config/kubelet-authorization-always-allow flags-only.args:1",
		"config/kubelet-read-only-port flags-only.args:1",
	}
	if diff := cmp.Diff(want, rulesOf(t, s)); diff != "" {
		t.Errorf("flags only (-want +got):\n%s", diff)
	}
	s, err = Load(nil, []string{filepath.Join(dir, "with-file.args")}, filepath.Join(dir, "node"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want = []string{
		"config/kubelet-anonymous-auth with-file.args:1",
		"config/kubelet-authorization-always-allow a.conf:5",
	}
	if diff := cmp.Diff(want, rulesOf(t, s)); diff != "" {
		t.Errorf("with file (-want +got):\n%s", diff)
	}
}

func TestAPIServerStructuredConfig(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"api.args": "kube-apiserver --authorization-config=/etc/authz.yaml --authentication-config=/etc/authn.yaml --profiling=false " +
			"--enable-admission-plugins=NodeRestriction,AlwaysAdmit --disable-admission-plugins=PodSecurity\n",
		"authz.yaml": "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n- type: Node\n  name: node\n- type: RBAC\n  name: rbac\n- type: AlwaysAllow\n  name: allow\n",
		"authn.yaml": "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\nanonymous:\n  enabled: true\n  conditions:\n  - path: /livez\n  - path: /api\n",
	})
	s, err := Load([]string{filepath.Join(dir, "authz.yaml"), filepath.Join(dir, "authn.yaml")}, []string{filepath.Join(dir, "api.args")}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range Check(s, Latest) {
		got[f.Rule] = filepath.Base(f.File) + ":" + itoa(f.Line)
	}
	for rule, at := range map[string]string{
		"config/authorization-always-allow": "authz.yaml:8",
		"config/anonymous-auth":             "authn.yaml:7",
		"config/admission-always-admit":     "api.args:1",
		"config/admission-plugin-disabled":  "api.args:1",
	} {
		if got[rule] != at {
			t.Errorf("%s at %q, want %q (all: %v)", rule, got[rule], at, got)
		}
	}
	for _, rule := range []string{"config/authorization-node", "config/authorization-rbac", "config/profiling", "config/admission-node-restriction"} {
		if _, ok := got[rule]; ok {
			t.Errorf("unexpected %s", rule)
		}
	}
}

func FuzzArgs(f *testing.F) {
	for _, name := range []string{"testdata/kubelet.args", "testdata/scheduler.args"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("etcd\x00--a=b\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		toks, err := Tokenize(data)
		if err != nil {
			return
		}
		args, pos := ParseArgs(toks)
		if len(args)+len(pos) > len(toks) {
			t.Fatalf("%d args and %d positional from %d words", len(args), len(pos), len(toks))
		}
		for _, a := range args {
			if a.Line < 1 {
				t.Fatalf("arg %+v has no line", a)
			}
		}
	})
}

// FuzzCheck judges arbitrary configuration documents: no panic.
func FuzzCheck(f *testing.F) {
	for _, name := range []string{"../encryption/testdata/aescbc.yaml", "../auditpolicy/testdata/policy.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, []byte("kube-apiserver --profiling"))
	}
	f.Fuzz(func(t *testing.T, doc, args []byte) {
		s := &Set{read: map[string][]*Doc{}}
		_ = manifest.Decode("in.yaml", doc, func(o *manifest.Object) error { s.add(o); return nil }, func(*manifest.Error) {})
		if toks, err := Tokenize(args); err == nil && len(toks) > 0 {
			if c, ok := componentOf(toks[0].Text); ok {
				a, _ := ParseArgs(toks[1:])
				s.Commands = append(s.Commands, &Command{Component: c, File: "args", Line: 1, Args: a})
			}
		}
		_ = Check(s, Latest)
	})
}

func TestPodSecurityDefaults(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"api.args": "kube-apiserver --admission-control-config-file=/etc/kubernetes/admission.yaml\n",
		"admission.yaml": "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  configuration:\n" +
			"    apiVersion: pod-security.admission.config.k8s.io/v1\n    kind: PodSecurityConfiguration\n    defaults:\n      enforce: privileged\n      audit: restricted\n",
		"psa.yaml": "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults:\n  enforce: baseline\n",
	})
	s, err := Load([]string{filepath.Join(dir, "admission.yaml"), filepath.Join(dir, "psa.yaml")}, []string{filepath.Join(dir, "api.args")}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range Check(s, Latest) {
		if f.Rule == "config/pod-security-default-privileged" {
			got = append(got, filepath.Base(f.File)+":"+itoa(f.Line))
		}
	}
	if diff := cmp.Diff([]string{"admission.yaml:9"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
