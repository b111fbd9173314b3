package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
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
	return r
}

// TestGolden renders the same report in every format and compares it with
// testdata/report.<format>; run with -update to rewrite them after review.
func TestGolden(t *testing.T) {
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, f, testReport(), Options{Version: "v0.0.0-test", Registry: testRegistry(t), Title: "restricted:latest"}); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "report."+string(f))
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("%s output differs from %s (-want +got):\n%s", f, golden, diff)
			}
			// Machine formats must parse.
			switch f {
			case FormatJSON, FormatSARIF:
				var v any
				if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
					t.Errorf("invalid JSON: %v", err)
				}
			case FormatJUnit:
				var v junitSuites
				if err := xml.Unmarshal(buf.Bytes(), &v); err != nil {
					t.Errorf("invalid XML: %v", err)
				}
			}
		})
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
	want := map[string]int{"objects": 3, "findings": 2, "suppressed": 1, "errors": 1, "warnings": 0, "skipped": 0}
	if diff := cmp.Diff(want, doc.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

// TestEmptySARIF: a run without findings still has a results array.
func TestEmptySARIF(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, FormatSARIF, New(), Options{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"results": []`)) {
		t.Errorf("no empty results array in:\n%s", buf.String())
	}
}

// TestFingerprintStable: the fingerprint ignores the line, so moving a
// finding within its file keeps its identity in code scanning.
func TestFingerprintStable(t *testing.T) {
	a := testReport().Findings[0]
	b := a
	b.Line += 10
	if Fingerprint(&a) != Fingerprint(&b) {
		t.Error("fingerprint depends on the line")
	}
	b.Path = "spec.template.spec.containers[0].securityContext.runAsNonRoot"
	if Fingerprint(&a) == Fingerprint(&b) {
		t.Error("fingerprint ignores the field path")
	}
}

// TestSARIFWithoutFile: findings from a cluster have no file; SARIF then
// gives them no location rather than a made-up one.
func TestSARIFWithoutFile(t *testing.T) {
	r := New()
	r.Add(finding.Finding{Rule: "rbac/cluster-admin-binding", Severity: finding.SeverityHigh,
		Object: finding.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding", Name: "ops"}, Message: "m", Remediation: "r"})
	var buf bytes.Buffer
	if err := Write(&buf, FormatSARIF, r, Options{}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Runs []struct {
			Results []struct {
				Locations []any `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Runs[0].Results[0].Locations; got == nil || len(got) != 0 {
		t.Errorf("locations = %#v, want an empty array", got)
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
		"only errors":  {Findings: []finding.Finding{}, Errors: []InputError{{Message: "x"}, {File: "f", Line: 2, Message: "y"}}},
	} {
		t.Run(name, func(t *testing.T) {
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

// sarifLogOf is the whole SARIF log of r, as writeSARIF streams it.
func sarifLogOf(r *Report, opts Options) sarifLog {
	tool, inv, ruleIndex := sarifParts(r, opts)
	run := sarifRun{Tool: tool, Invocations: []sarifInvocation{inv}, Results: []sarifResult{}}
	for i := range r.Findings {
		run.Results = append(run.Results, *sarifResultOf(&r.Findings[i], ruleIndex))
	}
	return sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}}
}

// TestSARIFStreamsWhatEncoderWrites: the SARIF renderer writes a result at
// a time, and its bytes are exactly those of encoding/json's Encoder on the
// whole log.
func TestSARIFStreamsWhatEncoderWrites(t *testing.T) {
	outside := testReport()
	outside.Add(finding.Finding{Rule: "rbac/not-in-registry", Severity: finding.SeverityMedium, Message: "<x> & y"})
	for name, tc := range map[string]struct {
		r    *Report
		opts Options
	}{
		"sample":            {testReport(), Options{Registry: testRegistry(t), Version: "v1.2.3"}},
		"empty":             {New(), Options{Registry: testRegistry(t)}},
		"no registry":       {testReport(), Options{}},
		"rule outside":      {outside, Options{Registry: testRegistry(t)}},
		"errors, no result": {&Report{Findings: []finding.Finding{}, Errors: []InputError{{Message: "x"}}}, Options{}},
	} {
		t.Run(name, func(t *testing.T) {
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			if err := enc.Encode(sarifLogOf(tc.r, tc.opts)); err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := writeSARIF(&got, tc.r, tc.opts); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.String(), got.String()); diff != "" {
				t.Errorf("streamed SARIF differs from encoding/json (-want +got):\n%s", diff)
			}
		})
	}
}
