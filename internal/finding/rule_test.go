package finding

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNewRegistryReportsEveryProblem(t *testing.T) {
	ok := Rule{ID: "a/x", Title: "t", Severity: SeverityLow, Description: "d.", Remediation: "r."}
	_, err := NewRegistry(ok, ok, Rule{ID: "nofamily", Title: "t", Severity: SeverityLow, Description: "d.", Remediation: "r."},
		Rule{ID: "a/y", Severity: "urgent"})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`rule "a/x": declared twice`, `rule "nofamily": ID must be <family>/<id>`,
		`rule "a/y": no title`, `rule "a/y": invalid severity "urgent"`, `rule "a/y": no description`, `rule "a/y": no remediation`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestRegistryLookupAndFamilies(t *testing.T) {
	mk := func(id string) Rule {
		return Rule{ID: id, Title: "t", Severity: SeverityHigh, Description: "d.", Remediation: "r."}
	}
	reg, err := NewRegistry(mk("rbac/bind"), mk("pod-security/privileged"), mk("rbac/escalate"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range reg.Rules() {
		ids = append(ids, r.ID)
	}
	if diff := cmp.Diff([]string{"pod-security/privileged", "rbac/bind", "rbac/escalate"}, ids); diff != "" {
		t.Errorf("rules not sorted (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"pod-security", "rbac"}, reg.Families()); diff != "" {
		t.Errorf("families (-want +got):\n%s", diff)
	}
	if r, ok := reg.Lookup("rbac/escalate"); !ok || r.ID != "rbac/escalate" {
		t.Errorf("Lookup(rbac/escalate) = %v, %v", r, ok)
	}
	if _, ok := reg.Lookup("rbac/nope"); ok {
		t.Error("Lookup found an unknown rule")
	}
}

func TestParseSeverity(t *testing.T) {
	if s, err := ParseSeverity("HIGH"); err != nil || s != SeverityHigh {
		t.Errorf("ParseSeverity(HIGH) = %v, %v", s, err)
	}
	if _, err := ParseSeverity("urgent"); err == nil {
		t.Error("ParseSeverity(urgent) succeeded")
	}
}
