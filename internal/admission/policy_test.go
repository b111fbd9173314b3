package admission

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	psapi "k8s.io/pod-security-admission/api"

	"github.com/kubeward/kubeward/internal/podsecurity"
)

func mustLV(t *testing.T, s string) podsecurity.LevelVersion {
	t.Helper()
	lv, err := podsecurity.ParseLevelVersion(s)
	if err != nil {
		t.Fatal(err)
	}
	return lv
}

func TestPolicyFromLabels(t *testing.T) {
	defaults := Policy{Enforce: mustLV(t, "privileged:latest"), Audit: mustLV(t, "baseline:v1.30"), Warn: mustLV(t, "privileged:latest")}
	tests := []struct {
		name   string
		labels map[string]string
		want   [3]string // enforce, audit, warn
		errs   []string
	}{
		{name: "no labels", want: [3]string{"privileged:latest", "baseline:v1.30", "privileged:latest"}},
		{name: "unrelated labels", labels: map[string]string{"team": "a"}, want: [3]string{"privileged:latest", "baseline:v1.30", "privileged:latest"}},
		{
			name:   "warn inherits a stricter enforce level and its version",
			labels: map[string]string{EnforceLevelLabel: "restricted", EnforceVersionLabel: "v1.25"},
			want:   [3]string{"restricted:v1.25", "baseline:v1.30", "restricted:v1.25"},
		},
		{
			name:   "warn inherits the level but keeps its own version label",
			labels: map[string]string{EnforceLevelLabel: "baseline", WarnVersionLabel: "v1.22"},
			want:   [3]string{"baseline:latest", "baseline:v1.30", "baseline:v1.22"},
		},
		{
			name:   "explicit warn level is kept",
			labels: map[string]string{EnforceLevelLabel: "restricted", WarnLevelLabel: "baseline"},
			want:   [3]string{"restricted:latest", "baseline:v1.30", "baseline:latest"},
		},
		{
			name:   "enforce version alone does not set warn",
			labels: map[string]string{EnforceVersionLabel: "v1.25"},
			want:   [3]string{"privileged:v1.25", "baseline:v1.30", "privileged:latest"},
		},
		{
			name:   "invalid enforce level: restricted, warn not inherited",
			labels: map[string]string{EnforceLevelLabel: "Restricted"},
			want:   [3]string{"restricted:latest", "baseline:v1.30", "privileged:latest"},
			errs:   []string{`metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "Restricted": must be one of privileged, baseline, restricted`},
		},
		{
			name:   "invalid audit and warn levels fail open",
			labels: map[string]string{AuditLevelLabel: "x", WarnLevelLabel: ""},
			want:   [3]string{"privileged:latest", "privileged:v1.30", "privileged:latest"},
			errs: []string{
				`metadata.labels[pod-security.kubernetes.io/audit]: Invalid value: "x": must be one of privileged, baseline, restricted`,
				`metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: "": must be one of privileged, baseline, restricted`,
			},
		},
		{
			name:   "invalid versions fall back to latest",
			labels: map[string]string{EnforceLevelLabel: "baseline", EnforceVersionLabel: "v1.01", AuditVersionLabel: "1.25"},
			want:   [3]string{"baseline:latest", "baseline:latest", "baseline:latest"},
			errs: []string{
				`metadata.labels[pod-security.kubernetes.io/enforce-version]: Invalid value: "v1.01": must be "latest" or "v1.x"`,
				`metadata.labels[pod-security.kubernetes.io/audit-version]: Invalid value: "1.25": must be "latest" or "v1.x"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, errs := PolicyFromLabels(tt.labels, defaults)
			got := [3]string{lvString(p.Enforce), lvString(p.Audit), lvString(p.Warn)}
			if got != tt.want {
				t.Errorf("policy = %v, want %v", got, tt.want)
			}
			if d := cmp.Diff(tt.errs, errorStrings(errs)); d != "" {
				t.Errorf("errors (-want +got):\n%s", d)
			}
			// Kubernetes resolves the same labels to the same policy and errors.
			up, upErrs := psapi.PolicyToEvaluate(tt.labels, psapi.Policy{
				Enforce: toOracleLV(t, defaults.Enforce), Audit: toOracleLV(t, defaults.Audit), Warn: toOracleLV(t, defaults.Warn),
			})
			if upGot := [3]string{up.Enforce.String(), up.Audit.String(), up.Warn.String()}; upGot != got {
				t.Errorf("kubernetes resolves %v", upGot)
			}
			if d := cmp.Diff(errorStrings(upErrs), errorStrings(errs)); d != "" {
				t.Errorf("errors (-kubernetes +ours):\n%s", d)
			}
		})
	}
}

func errorStrings(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

// FuzzParseConfig: any input is accepted or rejected with an error, never a
// panic, and an accepted configuration is complete and usable.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults: {enforce: baseline}\nexemptions: {namespaces: [kube-system]}\n"))
	f.Add([]byte(`{"apiVersion":"pod-security.admission.config.k8s.io/v1beta1","kind":"PodSecurityConfiguration","defaults":{"warn-version":"v1.30"}}`))
	f.Add([]byte("apiVersion: x\nkind: y\ndefaults: [1]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			if c != nil {
				t.Fatal("config returned with an error")
			}
			return
		}
		if _, err := c.DefaultPolicy(); err != nil {
			t.Fatalf("accepted configuration has invalid defaults: %v", err)
		}
		w := &world{}
		if _, err := New(Options{Config: c, Namespaces: ourNamespaces{w}, Pods: ourPods{w}}); err != nil {
			t.Fatalf("accepted configuration rejected by New: %v", err)
		}
	})
}

// FuzzParseExemptions: any input is accepted or rejected with an error, never
// a panic, and an accepted file is usable.
func FuzzParseExemptions(f *testing.F) {
	f.Add([]byte(exemptionsYAML))
	f.Add([]byte("apiVersion: kubeward.io/v1alpha1\nkind: PodSecurityExemptions\nexemptions: []\n"))
	f.Add([]byte("exemptions: [{name: a, expires: '2026-13-01T00:00:00Z'}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseExemptions(data)
		if err != nil {
			return
		}
		w := &world{}
		if _, err := New(Options{Exemptions: c, Namespaces: ourNamespaces{w}, Pods: ourPods{w}}); err != nil {
			t.Fatalf("accepted exemptions rejected by New: %v", err)
		}
	})
}

// TestAnnotationKeysAcceptedByAPIServer: the API server prefixes a webhook's
// audit annotation keys with "<webhook name>/" and drops keys that are then
// not qualified names, so every key must be a plain name.
func TestAnnotationKeysAcceptedByAPIServer(t *testing.T) {
	for _, k := range []string{AnnotationEnforcePolicy, AnnotationAuditViolations, AnnotationExempt, AnnotationError,
		AnnotationNarrowExemptions, AnnotationExpiredExemptions} {
		if msgs := validation.IsQualifiedName("pods.kubeward.io/" + k); len(msgs) > 0 || strings.Contains(k, "/") {
			t.Errorf("audit annotation key %q: %v", k, msgs)
		}
	}
}
