package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTextDiagnostics: with Options.Diagnostics, input errors, warnings and
// skipped files go there and findings and the summary stay on the report's
// writer; the two streams together read as the one-stream report.
func TestTextDiagnostics(t *testing.T) {
	for _, gc := range goldenCases(t) {
		t.Run(gc.name, func(t *testing.T) {
			var one bytes.Buffer
			if err := Write(&one, FormatText, gc.r, gc.opts); err != nil {
				t.Fatal(err)
			}
			var out, diag bytes.Buffer
			opts := gc.opts
			opts.Diagnostics = &diag
			if err := Write(&out, FormatText, gc.r, opts); err != nil {
				t.Fatal(err)
			}
			for _, head := range []string{"Input errors:", "Warnings:", "skipped (not Kubernetes manifests)"} {
				if strings.Contains(out.String(), head) {
					t.Errorf("report output holds %q:\n%s", head, out.String())
				}
				if !strings.Contains(diag.String(), head) {
					t.Errorf("diagnostics lack %q:\n%s", head, diag.String())
				}
			}
			// Findings, then diagnostics, then the summary line.
			report := out.String()
			cut := strings.LastIndex(strings.TrimSuffix(report, "\n"), "\n") + 1
			if diff := cmp.Diff(one.String(), report[:cut]+diag.String()+report[cut:]); diff != "" {
				t.Errorf("streams do not add up to the one-stream report (-one +two):\n%s", diff)
			}
		})
	}
}

// TestTextDiagnosticsUncoloured: colour applies to the report, not to the
// diagnostics stream, which may not be a terminal.
func TestTextDiagnosticsUncoloured(t *testing.T) {
	var out, diag bytes.Buffer
	if err := Write(&out, FormatText, testReport(), Options{Color: true, Diagnostics: &diag}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "\x1b[") {
		t.Error("no colour in the report")
	}
	if strings.Contains(diag.String(), "\x1b[") {
		t.Errorf("colour in diagnostics: %q", diag.String())
	}
}

// TestTextSkipped: skipped files make one line naming a few of them.
func TestTextSkipped(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{
		{1, "1 file skipped (not Kubernetes manifests): f0.yaml\n"},
		{3, "3 files skipped (not Kubernetes manifests): f0.yaml, f1.yaml, f2.yaml\n"},
		{5, "5 files skipped (not Kubernetes manifests): f0.yaml, f1.yaml, f2.yaml and 2 more\n"},
	} {
		t.Run(fmt.Sprint(tc.n), func(t *testing.T) {
			r := New()
			for i := range tc.n {
				r.AddSkipped(Skipped{File: fmt.Sprintf("f%d.yaml", i), Reason: "not a Kubernetes manifest"})
			}
			var out, diag bytes.Buffer
			if err := Write(&out, FormatText, r, Options{Diagnostics: &diag}); err != nil {
				t.Fatal(err)
			}
			want := tc.want + "  the JSON output lists every skipped file with its reason\n\n"
			if diff := cmp.Diff(want, diag.String()); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
			if got := out.String(); got != "0 objects, 0 findings (0 suppressed), 0 input errors\n" {
				t.Errorf("report %q", got)
			}
		})
	}
}

// TestParseFormat: the four names parse; anything else is an error that
// lists them.
func TestParseFormat(t *testing.T) {
	for _, f := range Formats {
		got, err := ParseFormat(string(f))
		if err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, got, err)
		}
	}
	if got := len(Formats); got != 4 {
		t.Errorf("%d formats, want text, json, sarif and junit", got)
	}
	for _, bad := range []string{"", "yaml", "JSON", "sarif "} {
		_, err := ParseFormat(bad)
		if err == nil {
			t.Errorf("ParseFormat(%q) succeeded", bad)
			continue
		}
		if want := fmt.Sprintf("unknown format %q (want text, json, sarif, junit)", bad); err.Error() != want {
			t.Errorf("ParseFormat(%q): %v, want %s", bad, err, want)
		}
	}
}
