package reporting

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/report"
	"github.com/kubeward/kubeward/internal/rules"
)

func parse(t *testing.T, args ...string) (*Flags, error) {
	t.Helper()
	fl := pflag.NewFlagSet("test", pflag.ContinueOnError)
	f := Register(fl)
	f.SeveritySynonym(fl, "min-severity")
	if err := fl.Parse(args); err != nil {
		t.Fatal(err)
	}
	return f, f.Check(&bytes.Buffer{}, rules.Builtin(), "rbac")
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // error substring; "" means valid
	}{
		{nil, ""},
		{[]string{"-o", "json", "--severity", "high", "--fail-on", "critical", "--disable", "rbac/secrets-read"}, ""},
		{[]string{"--min-severity", "low"}, ""},
		{[]string{"-o", "yaml"}, `unknown output format "yaml"`},
		{[]string{"--severity", "bad"}, "--severity"},
		{[]string{"--fail-on", "bad"}, "--fail-on"},
		{[]string{"--color", "sometimes"}, "--color"},
		{[]string{"--disable", "rbac"}, "takes rule IDs, not families"},
		{[]string{"--disable", "nope/rule"}, `unknown rule "nope/rule"`},
		{[]string{"--disable", "pod-security/privileged"}, "not a rule of this command"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, err := parse(t, tc.args...)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var exit *clierr.ExitError
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &exit) || exit.Code != clierr.CodeError {
				t.Fatalf("got %v, want a usage error containing %q", err, tc.want)
			}
		})
	}
}

func TestKeepAndFailing(t *testing.T) {
	f, err := parse(t, "--severity", "medium", "--disable", "rbac/secrets-read")
	if err != nil {
		t.Fatal(err)
	}
	low := finding.Finding{Rule: "rbac/wildcard", Severity: finding.SeverityLow}
	high := finding.Finding{Rule: "rbac/wildcard", Severity: finding.SeverityHigh}
	disabled := finding.Finding{Rule: "rbac/secrets-read", Severity: finding.SeverityCritical}
	if f.Keep(&low) || !f.Keep(&high) || f.Keep(&disabled) {
		t.Errorf("Keep: low %v high %v disabled %v, want false true false", f.Keep(&low), f.Keep(&high), f.Keep(&disabled))
	}
	rep := report.New()
	rep.Add(high)
	sup := high
	sup.Suppressed = true
	rep.Add(sup)
	rep.Add(low)
	if got := Failing(rep, finding.SeverityMedium); got != 1 {
		t.Errorf("Failing(medium) = %d, want 1 (suppressed and lower findings do not fail)", got)
	}
	if got := Failing(rep, finding.SeverityInfo); got != 2 {
		t.Errorf("Failing(info) = %d, want 2", got)
	}
}
