package scan

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/podsecurity"
	"github.com/kubeward/kubeward/internal/rules"
)

// scanYAML scans one in-memory file at lv and returns the scanner, without
// running the cross-object rules (call Finish for them).
func scanYAML(t *testing.T, lv string, opts Options, data string) *Scanner {
	t.Helper()
	s := newTestScanner(t, lv, opts)
	decodeInto(t, s, "in.yaml", data)
	return s
}

func newTestScanner(t *testing.T, lv string, opts Options) *Scanner {
	t.Helper()
	var err error
	opts.PodSecurity, err = podsecurity.ParseLevelVersion(lv)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewScanner(rules.Builtin(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// decodeInto hands the objects of one in-memory file to s; input errors
// fail the test.
func decodeInto(t *testing.T, s *Scanner, name, data string) {
	t.Helper()
	err := manifest.Decode(name, []byte(data), func(o *manifest.Object) error {
		s.Object(o)
		return nil
	}, func(e *manifest.Error) { t.Fatalf("unexpected input error: %v", e) })
	if err != nil {
		t.Fatal(err)
	}
}

// privilegedTemplate is a pod spec (indented for a template) with one
// privileged container, so that every kind yields exactly one baseline finding.
const privilegedTemplate = `
      containers:
        - name: app
          image: app:1
          securityContext:
            privileged: true`

// TestWorkloadKinds checks that every kind Pod Security evaluates is
// evaluated on its pod template, with the field path and line inside it.
func TestWorkloadKinds(t *testing.T) {
	indent := func(s, by string) string {
		lines := strings.Split(strings.TrimPrefix(s, "\n"), "\n")
		for i, l := range lines {
			lines[i] = by + strings.TrimPrefix(l, "      ")
		}
		return strings.Join(lines, "\n")
	}
	tests := []struct {
		kind, apiVersion, body, wantPath string
	}{
		{"Pod", "v1", "spec:\n" + indent(privilegedTemplate, "  "), "spec.containers[0].securityContext.privileged"},
		{"Deployment", "apps/v1", "spec:\n  template:\n    spec:\n" + indent(privilegedTemplate, "      "), "spec.template.spec.containers[0].securityContext.privileged"},
		{"ReplicaSet", "apps/v1", "spec:\n  template:\n    spec:\n" + indent(privilegedTemplate, "      "), "spec.template.spec.containers[0].securityContext.privileged"},
		{"StatefulSet", "apps/v1", "spec:\n  template:\n    spec:\n" + indent(privilegedTemplate, "      "), "spec.template.spec.containers[0].securityContext.privileged"},
		{"DaemonSet", "apps/v1", "spec:\n  template:\n    spec:\n" + indent(privilegedTemplate, "      "), "spec.template.spec.containers[0].securityContext.privileged"},
		{"Job", "batch/v1", "spec:\n  template:\n    spec:\n" + indent(privilegedTemplate, "      "), "spec.template.spec.containers[0].securityContext.privileged"},
		{"CronJob", "batch/v1", "spec:\n  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n" + indent(privilegedTemplate, "          "), "spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged"},
		{"ReplicationController", "v1", "spec:\n  template:\n    spec:\n" + indent(privilegedTemplate, "      "), "spec.template.spec.containers[0].securityContext.privileged"},
		{"PodTemplate", "v1", "template:\n  spec:\n" + indent(privilegedTemplate, "    "), "template.spec.containers[0].securityContext.privileged"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			data := fmt.Sprintf("apiVersion: %s\nkind: %s\nmetadata:\n  name: x\n%s\n", tt.apiVersion, tt.kind, tt.body)
			s := scanYAML(t, "baseline:latest", Options{}, data)
			rep := s.Report()
			if len(rep.Findings) != 1 {
				t.Fatalf("got %d findings, want 1: %+v", len(rep.Findings), rep.Findings)
			}
			f := rep.Findings[0]
			wantLine := strings.Count(data[:strings.Index(data, "privileged: true")], "\n") + 1
			got := []any{f.Rule, f.Path, f.Line, f.Container, f.Object.Kind, f.Remediation}
			want := []any{"pod-security/privileged", tt.wantPath, wantLine, "app", tt.kind, "set " + tt.wantPath + ": false"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("finding (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAPIServerDefaulting checks that manifests are judged as the API server
// would store them.
func TestAPIServerDefaulting(t *testing.T) {
	t.Run("volume without source is an emptyDir", func(t *testing.T) {
		s := scanYAML(t, "restricted:latest", Options{}, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: app
      image: app:1
      securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
  volumes:
    - name: scratch
`)
		if n := len(s.Report().Findings); n != 0 {
			t.Errorf("got %d findings, want none: %+v", n, s.Report().Findings)
		}
	})
	t.Run("hostNetwork defaults hostPort to containerPort", func(t *testing.T) {
		s := scanYAML(t, "baseline:latest", Options{}, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostNetwork: true
  containers:
    - name: app
      image: app:1
      ports:
        - containerPort: 8080
`)
		var rules []string
		for _, f := range s.Report().Findings {
			rules = append(rules, f.Rule)
		}
		if diff := cmp.Diff([]string{"pod-security/hostNamespaces", "pod-security/hostPorts"}, rules); diff != "" {
			t.Errorf("rules (-want +got):\n%s", diff)
		}
	})
}

func TestSuppressionKey(t *testing.T) {
	for _, tt := range []struct{ rule, container, want string }{
		{"pod-security/runAsNonRoot", "", "ignore-check.kubeward.io/pod-security.runAsNonRoot"},
		{"pod-security/capabilities_restricted", "web", "web.ignore-check.kubeward.io/pod-security.capabilities_restricted"},
		{"rbac/secrets-read", "", "ignore-check.kubeward.io/rbac.secrets-read"},
	} {
		if got := SuppressionKey(tt.rule, tt.container); got != tt.want {
			t.Errorf("SuppressionKey(%q, %q) = %q, want %q", tt.rule, tt.container, got, tt.want)
		}
	}
}

// TestContainerSuppression checks that a container-scoped suppression covers
// only that container's findings.
func TestContainerSuppression(t *testing.T) {
	s := scanYAML(t, "baseline:latest", Options{}, `apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    a.ignore-check.kubeward.io/pod-security.privileged: "break-glass debugging, INC-9"
spec:
  containers:
    - {name: a, image: app:1, securityContext: {privileged: true}}
    - {name: b, image: app:1, securityContext: {privileged: true}}
`)
	var got []string
	for _, f := range s.Report().Findings {
		got = append(got, fmt.Sprintf("%s %v %q", f.Container, f.Suppressed, f.SuppressionReason))
	}
	want := []string{`a true "break-glass debugging, INC-9"`, `b false ""`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if s.Report().Unsuppressed() != 1 || s.Report().Summary.Suppressed != 1 {
		t.Errorf("summary %+v", s.Report().Summary)
	}
}

// TestRBACRisks checks that scan runs the cross-object RBAC rules over the
// objects it read, locates their findings, and honours suppressions on the
// object a finding is about.
func TestRBACRisks(t *testing.T) {
	const rbacYAML = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: secret-reader, namespace: shop}
rules:
  - apiGroups: [""]
    resources: [secrets]
    verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: ci-reads-secrets
  namespace: shop
%s
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: secret-reader}
subjects:
  - {kind: User, name: ci, apiGroup: rbac.authorization.k8s.io}
`
	for _, tt := range []struct {
		name, annotations string
		families          []string
		want              []string
	}{
		{"reported", "", []string{"rbac"}, []string{"rbac/secrets-read RoleBinding/shop/ci-reads-secrets in.yaml:9 suppressed=false"}},
		{"suppressed", `  annotations: {ignore-check.kubeward.io/rbac.secrets-read: "CI deploys sealed secrets; SEC-42"}`, nil,
			[]string{"rbac/secrets-read RoleBinding/shop/ci-reads-secrets in.yaml:9 suppressed=true"}},
		{"family off", "", []string{"pod-security"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := scanYAML(t, "restricted:latest", Options{Families: tt.families}, fmt.Sprintf(rbacYAML, tt.annotations))
			s.Finish()
			var got []string
			for _, f := range s.Report().Findings {
				got = append(got, fmt.Sprintf("%s %s %s:%d suppressed=%v", f.Rule, f.Object, f.File, f.Line, f.Suppressed))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}
