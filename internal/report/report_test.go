package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubeward/kubeward/internal/finding"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func testRegistry(t *testing.T) *finding.Registry {
	t.Helper()
	reg, err := finding.NewRegistry(
		finding.Rule{ID: "pod-security/privileged", Title: "Privileged containers", Severity: finding.SeverityCritical,
			Description: "Containers must not run privileged.", Remediation: "Remove securityContext.privileged.", DocURL: "https://kubernetes.io/docs/concepts/security/pod-security-standards/"},
		finding.Rule{ID: "pod-security/runAsNonRoot", Title: "Running as non-root", Severity: finding.SeverityHigh,
			Description: "Containers must run as non-root.", Remediation: "Set runAsNonRoot: true.", DocURL: "https://kubernetes.io/docs/concepts/security/pod-security-standards/"},
	)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func testReport() *Report {
	r := New()
	obj := finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}
	r.Summary.Objects = 3
	r.Add(finding.Finding{
		Rule: "pod-security/runAsNonRoot", Severity: finding.SeverityHigh, Object: obj, File: "deploy/web.yaml", Line: 12,
		Path: "spec.template.spec.securityContext.runAsNonRoot", Message: `runAsNonRoot != true (pod or container "web" must set securityContext.runAsNonRoot=true)`,
		Remediation: "set spec.template.spec.securityContext.runAsNonRoot: true",
		PodSecurity: &finding.PodSecurityRef{Level: "restricted", Version: "latest", Check: "runAsNonRoot"},
	})
	r.Add(finding.Finding{
		Rule: "pod-security/privileged", Severity: finding.SeverityCritical, Object: obj, File: "deploy/web.yaml", Line: 20,
		Path: "spec.template.spec.containers[1].securityContext.privileged", Container: "debug",
		Message:     `privileged (container "debug" must not set securityContext.privileged=true)`,
		Remediation: "set spec.template.spec.containers[1].securityContext.privileged: false",
		PodSecurity: &finding.PodSecurityRef{Level: "restricted", Version: "latest", Check: "privileged"},
		Suppressed:  true, SuppressionReason: "break-glass image, SEC-1",
	})
	r.AddError(InputError{File: "bad.yaml", Line: 3, Message: "missing apiVersion"})
	r.AddWarning(InputError{File: "deploy/web.yaml", Line: 9, Message: `duplicate key "image": the last value is used, as kubectl does`})
	r.AddSkipped(Skipped{File: "chart/values.yaml", Reason: "not a Kubernetes manifest (no apiVersion and kind)"})
	return r
}

// edgeReport has what real inputs bring: objects from a cluster (no file),
// stdin, Helm template paths, Kustomize directories, absolute paths inside
// and outside the working directory /work/repo (see pinWorkingDirectory),
// names needing percent-encoding, several findings of one rule on one
// object, input errors without a file, warnings and many skipped files.
// largeReport has enough findings (n) for the report writers to encode
// them on several goroutines, varied so that every chunk differs.
func largeReport(n int) *Report {
	r := New()
	for i := range n {
		f := finding.Finding{Rule: "pod-security/runAsNonRoot", Severity: []finding.Severity{finding.SeverityLow, finding.SeverityMedium, finding.SeverityHigh, finding.SeverityCritical}[i%4],
			Object: finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: fmt.Sprintf("web-%d", i)},
			File:   fmt.Sprintf("deploy/wéb-%d.yaml", i%37), Line: i % 500, Message: fmt.Sprintf("<runAsNonRoot> & %d \u2028", i)}
		if i%3 == 0 {
			f.Path, f.Container = "spec.template.spec.containers[0]", "app"
		}
		if i%5 == 0 {
			f.Suppressed, f.SuppressionReason = true, "accepted"
		}
		r.Add(f)
	}
	r.Summary.Objects = n
	return r
}

func edgeReport() *Report {
	r := New()
	r.Summary.Objects = 7
	pod := finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "default", Name: "nginx"}
	web := finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}
	crb := finding.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding", Name: "system:ops"}
	ps := func(check string) *finding.PodSecurityRef {
		return &finding.PodSecurityRef{Level: "restricted", Version: "latest", Check: check}
	}
	r.Add(finding.Finding{Rule: "rbac/cluster-admin-binding", Severity: finding.SeverityHigh, Object: crb,
		Message: "binds cluster-admin to Group system:ops", Remediation: "bind a narrower role",
		Subjects: []string{"Group::system:ops"}, Grants: []string{"ClusterRoleBinding/system:ops → ClusterRole/cluster-admin"}})
	r.Add(finding.Finding{Rule: "pod-security/runAsNonRoot", Severity: finding.SeverityHigh, Object: pod, File: "STDIN", Line: 4,
		Path: "spec.securityContext.runAsNonRoot", Message: "runAsNonRoot != true", Remediation: "set spec.securityContext.runAsNonRoot: true", PodSecurity: ps("runAsNonRoot")})
	for i, c := range []string{"app", "sidecar"} {
		path := fmt.Sprintf("spec.template.spec.containers[%d].securityContext.privileged", i)
		r.Add(finding.Finding{Rule: "pod-security/privileged", Severity: finding.SeverityCritical, Object: web,
			File: "chart/templates/deployment.yaml", Line: 30 + 10*i, Path: path, Container: c,
			Message: fmt.Sprintf("privileged (container %q must not set securityContext.privileged=true)", c), Remediation: "set " + path + ": false", PodSecurity: ps("privileged")})
	}
	// The same field twice: only the order tells them apart.
	for i := range 2 {
		r.Add(finding.Finding{Rule: "pod-security/runAsNonRoot", Severity: finding.SeverityHigh, Object: web, File: "/work/repo/overlays/prod", Line: 5 + i,
			Message: "runAsNonRoot != true", Remediation: "set runAsNonRoot: true", PodSecurity: ps("runAsNonRoot")})
	}
	r.Add(finding.Finding{Rule: "pod-security/privileged", Severity: finding.SeverityCritical, Object: finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "kube-system", Name: "kube-apiserver"},
		File: "/etc/kubernetes/manifests/kube-apiserver.yaml", Line: 40, Container: "kube-apiserver", Message: "privileged", Remediation: "unset privileged", PodSecurity: ps("privileged")})
	r.Add(finding.Finding{Rule: "pod-security/runAsNonRoot", Severity: finding.SeverityHigh, Object: finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "a", Name: "b"},
		File: "my manifests/dé #1.yaml", Line: 2, Message: "runAsNonRoot != true", Remediation: "set runAsNonRoot: true", Suppressed: true, SuppressionReason: "legacy"})
	r.AddError(InputError{Message: "listing RoleBindings: forbidden"})
	r.AddError(InputError{File: "STDIN", Line: 9, Message: "yaml: line 9: mapping values are not allowed in this context"})
	r.AddError(InputError{File: "STDIN", Line: 9, Message: "missing kind"})
	r.AddWarning(InputError{File: "STDIN", Line: 2, Message: `duplicate key "image": the last value is used, as kubectl does`})
	for _, f := range []string{".github/workflows/ci.yaml", "chart/Chart.yaml", "chart/values.yaml", "docs/example.yaml", "kustomization.yaml"} {
		r.AddSkipped(Skipped{File: f, Reason: "not a Kubernetes manifest (no apiVersion and kind)"})
	}
	return r
}

// goldenCases are the reports the golden files hold, by file name prefix.
func goldenCases(t *testing.T) []struct {
	name string
	r    *Report
	opts Options
} {
	return []struct {
		name string
		r    *Report
		opts Options
	}{
		{"report", testReport(), Options{Version: "v0.0.0-test", Registry: testRegistry(t), Title: "restricted:latest"}},
		{"edge", edgeReport(), Options{Version: "v0.0.0-test", Registry: testRegistry(t), Title: "restricted:latest"}},
	}
}

// TestGolden renders each golden case in every format and compares it with
// testdata/<case>.<format>; run with -update to rewrite them after review.
// Every SARIF output is checked against the schema and code scanning's rules.
func TestGolden(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the edge case uses Unix paths")
	}
	pinWorkingDirectory(t, "/work/repo")
	for _, gc := range goldenCases(t) {
		for _, f := range Formats {
			t.Run(gc.name+"."+string(f), func(t *testing.T) {
				var buf bytes.Buffer
				if err := Write(&buf, f, gc.r, gc.opts); err != nil {
					t.Fatal(err)
				}
				compareGolden(t, filepath.Join("testdata", gc.name+"."+string(f)), buf.Bytes())
				// Machine formats must parse.
				switch f {
				case FormatJSON:
					var v any
					if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
						t.Errorf("invalid JSON: %v", err)
					}
				case FormatSARIF:
					checkSARIF(t, buf.Bytes())
				case FormatJUnit:
					checkJUnit(t, buf.Bytes())
				}
			})
		}
	}
}

// compareGolden compares got with the golden file, rewriting it first
// under -update.
func compareGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("output differs from %s (-want +got):\n%s", golden, diff)
	}
}

// TestJSONContract checks the public contract's field names and the exact
// summary semantics (findings counts suppressed ones too).
func TestJSONContract(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, FormatJSON, testReport(), Options{}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Findings []map[string]any `json:"findings"`
		Errors   []map[string]any `json:"errors"`
		Summary  map[string]int   `json:"summary"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"rule", "severity", "object", "file", "line", "message", "remediation", "podSecurity", "suppressed"} {
		if _, ok := doc.Findings[0][key]; !ok {
			t.Errorf("finding lacks %q", key)
		}
	}
	want := map[string]int{"objects": 3, "findings": 2, "suppressed": 1, "errors": 1, "warnings": 1, "skipped": 1}
	if diff := cmp.Diff(want, doc.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

// TestJSONStreamsWhatEncoderWrites: the JSON renderer writes a finding at a
// time, and its bytes are exactly those of encoding/json's Encoder (two-space
// indent, no HTML escaping) on the whole report.
func TestJSONStreamsWhatEncoderWrites(t *testing.T) {
	withUnicode := testReport()
	withUnicode.Add(finding.Finding{Rule: "rbac/x", Severity: finding.SeverityLow, Message: "<a> & \"b\" é \u2028 \x01",
		Subjects: []string{"User::alice"}, Grants: []string{"a → b"}})
	noErrors := testReport()
	noErrors.Errors, noErrors.Summary.Errors = []InputError{}, 0
	for name, r := range map[string]*Report{
		"sample":       testReport(),
		"empty":        New(),
		"nil arrays":   {},
		"unicode/html": withUnicode,
		"no errors":    noErrors,
		"edge":         edgeReport(),
		"only errors":  {Findings: []finding.Finding{}, Errors: []InputError{{Message: "x"}, {File: "f", Line: 2, Message: "y"}}},
		// Encoded in parallel chunks, the last one partial.
		"large": largeReport(5*chunkElems + 17),
	} {
		t.Run(name, func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			if err := enc.Encode(r); err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := writeJSON(&got, r); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.String(), got.String()); diff != "" {
				t.Errorf("streamed JSON differs from encoding/json (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSections checks that sections are members of the JSON document
// between "skipped" and "summary", encoded as encoding/json encodes them,
// and printed by their Text function before the text summary.
func TestSections(t *testing.T) {
	type ns struct {
		Name  string   `json:"name"`
		Level string   `json:"level"`
		Notes []string `json:"notes,omitempty"`
	}
	r := testReport()
	r.AddSection(Section{Name: "namespaces", Value: []ns{{Name: "shop", Level: "baseline", Notes: []string{"<b> & é"}}, {Name: "dev", Level: "restricted"}},
		Text: func(w io.Writer, color bool) error {
			_, err := fmt.Fprintf(w, "NAMESPACE  LEVEL (color %v)\n", color)
			return err
		}})
	r.AddSection(Section{Name: "tenancy", Value: map[string]int{"b": 2, "a": 1}})

	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(struct {
		Findings   []finding.Finding `json:"findings"`
		Errors     []InputError      `json:"errors"`
		Warnings   []InputError      `json:"warnings"`
		Skipped    []Skipped         `json:"skipped"`
		Namespaces any               `json:"namespaces"`
		Tenancy    any               `json:"tenancy"`
		Summary    Summary           `json:"summary"`
	}{r.Findings, r.Errors, r.Warnings, r.Skipped, r.Sections[0].Value, r.Sections[1].Value, r.Summary}); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := writeJSON(&got, r); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.String(), got.String()); diff != "" {
		t.Errorf("JSON with sections (-want +got):\n%s", diff)
	}

	var text bytes.Buffer
	if err := writeText(&text, r, Options{}); err != nil {
		t.Fatal(err)
	}
	out := text.String()
	sec := strings.Index(out, "NAMESPACE  LEVEL (color false)\n")
	sum := strings.LastIndex(out, "object")
	if sec < 0 || sec > sum {
		t.Errorf("text: section missing or after the summary:\n%s", out)
	}
}

// TestArrayParallel: the parallel array encoding writes what the serial
// loop writes, for every chunk boundary, and on an element that cannot be
// encoded stops where the serial loop stops, with its error.
func TestArrayParallel(t *testing.T) {
	type elem struct {
		N int    `json:"n"`
		S string `json:"s,omitempty"`
		C any    `json:"c,omitempty"`
	}
	write := func(procs, n, bad int) (string, error) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		var b bytes.Buffer
		s := newStreamWriter(&b)
		err := s.array(2, n, false, func(i int) any {
			e := &elem{N: i, S: strings.Repeat("<é>", i%7)}
			if i == bad {
				e.C = make(chan int) // json: unsupported type
			}
			return e
		})
		s.flush()
		return b.String(), err
	}
	for _, n := range []int{2*chunkElems - 1, 2 * chunkElems, 2*chunkElems + 1, 20*chunkElems + 5} {
		for _, bad := range []int{-1, 0, chunkElems - 1, chunkElems, n - 1} {
			want, wantErr := write(1, n, bad)
			for _, procs := range []int{2, 3, 8} {
				got, err := write(procs, n, bad)
				if got != want {
					t.Errorf("n=%d bad=%d GOMAXPROCS=%d: output differs from the serial loop's (%d vs %d bytes)", n, bad, procs, len(got), len(want))
				}
				if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
					t.Errorf("n=%d bad=%d GOMAXPROCS=%d: error %v, want %v", n, bad, procs, err, wantErr)
				}
			}
		}
	}
}

// BenchmarkWriteJSON writes 10,000 findings, encoded on every core.
func BenchmarkWriteJSON(b *testing.B) {
	r := largeReport(10000)
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, FormatJSON, r, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
