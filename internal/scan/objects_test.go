package scan

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// scanFiles scans several in-memory files in order, as a directory walk
// would deliver them, and returns the findings as "rule object file:line".
func scanFiles(t *testing.T, lv string, opts Options, files ...[2]string) ([]string, *Scanner) {
	t.Helper()
	s := newTestScanner(t, lv, opts)
	for _, f := range files {
		decodeInto(t, s, f[0], f[1])
	}
	s.Finish()
	var got []string
	for _, f := range s.Report().Findings {
		got = append(got, fmt.Sprintf("%s %s %s:%d", f.Rule, f.Object, f.File, f.Line))
	}
	return got, s
}

const secretReader = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: secret-reader}
rules:
  - apiGroups: [""]
    resources: [secrets]
    verbs: [get]
`

const secretReaderBinding = `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci-reads-secrets}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: secret-reader}
subjects:
  - {kind: User, name: ci, apiGroup: rbac.authorization.k8s.io}
`

// TestDefaultNamespace: objects without a namespace are in -n's, so a
// RoleBinding finds the Role of another file, and findings name it.
func TestDefaultNamespace(t *testing.T) {
	for _, tt := range []struct {
		ns, want string
	}{
		{"", "rbac/secrets-read RoleBinding/default/ci-reads-secrets binding.yaml:1"},
		{"shop", "rbac/secrets-read RoleBinding/shop/ci-reads-secrets binding.yaml:1"},
	} {
		t.Run(tt.ns, func(t *testing.T) {
			got, s := scanFiles(t, "restricted:latest", Options{Families: []string{"rbac"}, Namespace: tt.ns},
				[2]string{"role.yaml", secretReader}, [2]string{"binding.yaml", secretReaderBinding})
			if diff := cmp.Diff([]string{tt.want}, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if n := s.Report().Summary.Errors; n != 0 {
				t.Errorf("input errors: %+v", s.Report().Errors)
			}
		})
	}
	t.Run("cluster-scoped kinds stay without namespace", func(t *testing.T) {
		got, _ := scanFiles(t, "restricted:latest", Options{Families: []string{"rbac"}, Namespace: "shop"},
			[2]string{"crb.yaml", `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: everyone-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
  - {kind: Group, name: system:authenticated, apiGroup: rbac.authorization.k8s.io}
`})
		for _, g := range got {
			if g[:len("rbac/")] != "rbac/" || !contains([]string{g}, g) {
				t.Errorf("unexpected %s", g)
			}
		}
		if len(got) == 0 || got[0] != "rbac/cluster-admin-binding ClusterRoleBinding/everyone-admin crb.yaml:1" {
			t.Errorf("findings: %q", got)
		}
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestBundles: files that define the same objects are alternatives, judged
// apart, each copy with its own location; files that share nothing are
// judged together; no duplicate is an error.
func TestBundles(t *testing.T) {
	both := secretReader + "---\n" + secretReaderBinding
	got, s := scanFiles(t, "restricted:latest", Options{Families: []string{"rbac"}},
		[2]string{"install.yaml", both},
		[2]string{"ha/install.yaml", both},
		[2]string{"split/role.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: other, namespace: x}\nrules: [{apiGroups: [''], resources: [secrets], verbs: [list]}]\n"},
		[2]string{"split/binding.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: other, namespace: x}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: other}\nsubjects: [{kind: User, name: bob, apiGroup: rbac.authorization.k8s.io}]\n"},
	)
	want := []string{
		"rbac/secrets-read RoleBinding/default/ci-reads-secrets install.yaml:9",
		"rbac/secrets-read RoleBinding/x/other split/binding.yaml:1",
		"rbac/secrets-read RoleBinding/default/ci-reads-secrets ha/install.yaml:9",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if s.Report().Summary.Errors != 0 {
		t.Errorf("input errors: %+v", s.Report().Errors)
	}
}

func TestBundler(t *testing.T) {
	var b bundler
	files := [][]string{{"a", "b"}, {"c"}, {"a"}, {"b", "d"}, {"a", "c"}, {"e"}}
	var got []int
	for _, keys := range files {
		for _, k := range keys {
			b.add(k)
		}
		got = append(got, b.endFile())
	}
	// {c} joins bundle 0; {a} conflicts → 1; {b,d}: b is in 0 → 1 (a of
	// bundle 1 is not b); {a,c}: a in 0 and 1 → 2; {e} → 0.
	if diff := cmp.Diff([]int{0, 0, 1, 1, 2, 0}, got); diff != "" {
		t.Errorf("bundles (-want +got):\n%s", diff)
	}
}

// TestRemovedAPIVersions: workloads in removed versions are evaluated on
// their pod template, and reported as removed.
func TestRemovedAPIVersions(t *testing.T) {
	for _, tt := range []struct{ apiVersion, kind, body, since string }{
		{"extensions/v1beta1", "DaemonSet", "spec:\n  template:\n    spec:\n      containers: [{name: a, image: a, securityContext: {privileged: true}}]\n", "v1.16"},
		{"apps/v1beta2", "Deployment", "spec:\n  template:\n    spec:\n      containers: [{name: a, image: a, securityContext: {privileged: true}}]\n", "v1.16"},
		{"batch/v1beta1", "CronJob", "spec:\n  schedule: '@daily'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: a, image: a, securityContext: {privileged: true}}]\n", "v1.25"},
	} {
		t.Run(tt.apiVersion+"/"+tt.kind, func(t *testing.T) {
			doc := fmt.Sprintf("apiVersion: %s\nkind: %s\nmetadata: {name: x}\n%s", tt.apiVersion, tt.kind, tt.body)
			got, s := scanFiles(t, "baseline:latest", Options{}, [2]string{"old.yaml", doc})
			want := []string{
				fmt.Sprintf("api/removed-version %s/default/x old.yaml:1", tt.kind),
				fmt.Sprintf("pod-security/privileged %s/default/x old.yaml:%d", tt.kind, len(splitLines(doc))-0),
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if msg := s.Report().Findings[0].Message; !containsStr(msg, "since Kubernetes "+tt.since) {
				t.Errorf("message %q does not name %s", msg, tt.since)
			}
		})
	}
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := range len(s) {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

func containsStr(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestTemplateHostPorts: Kubernetes defaults hostPort from containerPort
// under hostNetwork for Pods, not for pod templates (since v1.28), so only
// the Pod violates hostPorts.
func TestTemplateHostPorts(t *testing.T) {
	spec := "hostNetwork: true, containers: [{name: a, image: a, ports: [{containerPort: 80}]}]"
	got, _ := scanFiles(t, "baseline:latest", Options{Families: []string{"pod-security"}},
		[2]string{"pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {" + spec + "}\n"},
		[2]string{"deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {" + spec + "}}}\n"},
	)
	want := []string{
		"pod-security/hostNamespaces Pod/default/p pod.yaml:4",
		"pod-security/hostPorts Pod/default/p pod.yaml:4",
		"pod-security/hostNamespaces Deployment/default/d deploy.yaml:4",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// TestSeverityFollowsRisk: a hostPath volume or an added capability has
// the same severity at baseline and at restricted.
func TestSeverityFollowsRisk(t *testing.T) {
	pod := `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: a
      image: a
      securityContext: {capabilities: {add: [SYS_ADMIN]}}
      volumeMounts: [{name: h, mountPath: /h}]
  volumes: [{name: h, hostPath: {path: /}}]
`
	sev := func(lv string) map[string]string {
		_, s := scanFiles(t, lv, Options{Families: []string{"pod-security"}}, [2]string{"p.yaml", pod})
		m := map[string]string{}
		for _, f := range s.Report().Findings {
			if f.Path != "" {
				m[f.Path] = string(f.Severity)
			}
		}
		return m
	}
	b, r := sev("baseline:latest"), sev("restricted:latest")
	for _, path := range []string{"spec.containers[0].securityContext.capabilities.add[0]", "spec.volumes[0].hostPath"} {
		if b[path] == "" || b[path] != r[path] {
			t.Errorf("%s: baseline %q, restricted %q (all: %v / %v)", path, b[path], r[path], b, r)
		}
	}
}

// TestRepeatedObjectsInOneFile: an object defined again in the same file
// (two renderings of one kustomize base) is judged as another copy, with
// no duplicate warning, and namespace-less copies compare as placed.
func TestRepeatedObjectsInOneFile(t *testing.T) {
	both := secretReader + "---\n" + secretReaderBinding
	got, s := scanFiles(t, "restricted:latest", Options{Families: []string{"rbac"}},
		[2]string{"base.yaml", both + "---\n" + both})
	want := []string{
		"rbac/secrets-read RoleBinding/default/ci-reads-secrets base.yaml:9",
		"rbac/secrets-read RoleBinding/default/ci-reads-secrets base.yaml:24",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if n := s.Report().Summary.Warnings + s.Report().Summary.Errors; n != 0 {
		t.Errorf("warnings %+v errors %+v", s.Report().Warnings, s.Report().Errors)
	}
}
