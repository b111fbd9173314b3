package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubeward/kubeward/internal/finding"
)

// junitDoc is a JUnit XML document as dashboards read it.
type junitDoc struct {
	Suites []struct {
		Name      string `xml:"name,attr"`
		Tests     int    `xml:"tests,attr"`
		Failures  int    `xml:"failures,attr"`
		Errors    int    `xml:"errors,attr"`
		Skipped   int    `xml:"skipped,attr"`
		SystemOut string `xml:"system-out"`
		Cases     []struct {
			Name      string    `xml:"name,attr"`
			Classname string    `xml:"classname,attr"`
			Failure   *struct{} `xml:"failure"`
			Error     *struct{} `xml:"error"`
			Skipped   *struct{} `xml:"skipped"`
			SystemOut string    `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// checkJUnit parses a JUnit document and fails t when two test cases share
// classname and name (dashboards merge them) or the counts are wrong.
func checkJUnit(t *testing.T, data []byte) junitDoc {
	t.Helper()
	var doc junitDoc
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("invalid XML: %v", err)
	}
	seen := map[[2]string]bool{}
	for _, s := range doc.Suites {
		var failures, errors, skipped int
		for _, c := range s.Cases {
			id := [2]string{c.Classname, c.Name}
			if seen[id] {
				t.Errorf("test case classname %q name %q appears twice", c.Classname, c.Name)
			}
			seen[id] = true
			switch {
			case c.Failure != nil:
				failures++
			case c.Error != nil:
				errors++
			case c.Skipped != nil:
				skipped++
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != failures || s.Errors != errors || s.Skipped != skipped {
			t.Errorf("suite %q says %d tests, %d failures, %d errors, %d skipped; holds %d, %d, %d, %d",
				s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases), failures, errors, skipped)
		}
	}
	return doc
}

// TestJUnitUniqueCases: several findings of one rule on one object are
// distinct test cases, named by field, container or, last, order; the names
// do not depend on lines.
func TestJUnitUniqueCases(t *testing.T) {
	obj := finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}
	add := func(r *Report, path, container string, line int) {
		r.Add(finding.Finding{Rule: "pod-security/privileged", Severity: finding.SeverityCritical, Object: obj,
			File: "deploy/web.yaml", Line: line, Path: path, Container: container, Message: "privileged"})
	}
	build := func(lineShift int) *Report {
		r := New()
		add(r, "spec.template.spec.containers[0].securityContext.privileged", "app", 10+lineShift)
		add(r, "spec.template.spec.containers[1].securityContext.privileged", "sidecar", 20+lineShift)
		add(r, "", "app", 30+lineShift)
		add(r, "", "init", 40+lineShift)
		add(r, "", "", 50+lineShift)
		add(r, "", "", 60+lineShift)
		add(r, "", "", 70+lineShift)
		r.AddError(InputError{File: "bad.yaml", Line: 3, Message: "a"})
		r.AddError(InputError{File: "bad.yaml", Line: 3, Message: "b"})
		return r
	}
	names := func(r *Report) []string {
		var buf bytes.Buffer
		if err := Write(&buf, FormatJUnit, r, Options{}); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range checkJUnit(t, buf.Bytes()).Suites[0].Cases {
			got = append(got, c.Classname+" | "+c.Name)
		}
		return got
	}
	const base = "deploy.web.yaml | Deployment/shop/web pod-security/privileged"
	want := []string{
		base + " spec.template.spec.containers[0].securityContext.privileged",
		base + " spec.template.spec.containers[1].securityContext.privileged",
		base + ` container "app"`,
		base + ` container "init"`,
		base,
		base + " #2",
		base + " #3",
		"bad.yaml | input bad.yaml:3",
		"bad.yaml | input bad.yaml:3 #2",
	}
	got := names(build(0))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("test cases (-want +got):\n%s", diff)
	}
	if moved := names(build(5)); !cmp.Equal(got, moved) {
		t.Errorf("test case names depend on lines:\n%v\n%v", got, moved)
	}
}

// TestWriteJUnitCases: the exported writer, as `rbac test` uses it: passes,
// failures, repeated names made unique, the caller's cases untouched.
func TestWriteJUnitCases(t *testing.T) {
	cases := []JUnitCase{
		{Class: "rbac.expectations.yaml", Name: "the api service account reads its own secret"},
		{Class: "rbac.expectations.yaml", Name: "anonymous cannot read /metrics", Failure: "expected denied, got allowed",
			Type: "rbac", Detail: "rbac/expectations.yaml:14: expected denied, got allowed by ClusterRoleBinding/metrics → ClusterRole/metrics-reader"},
		{Class: "rbac.expectations.yaml", Name: "anonymous cannot read /metrics", Output: "decided by RBAC"},
		{Class: "rbac.other.yaml", Name: "anonymous cannot read /metrics", Error: "unknown verb", Skipped: "ignored"},
		{Class: "rbac.other.yaml", Name: "skipped one", Skipped: "not run"},
	}
	before := append([]JUnitCase(nil), cases...)
	var buf bytes.Buffer
	if err := WriteJUnitCases(&buf, "kubeward rbac test", cases); err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(before, cases) {
		t.Error("WriteJUnitCases changed its argument")
	}
	checkJUnit(t, buf.Bytes())
	compareGolden(t, filepath.Join("testdata", "cases.junit"), buf.Bytes())
}

// TestJUnitWarningsNotFailures: warnings and skipped files never fail the
// suite; they are listed in its system-out.
func TestJUnitWarningsNotFailures(t *testing.T) {
	r := New()
	r.Summary.Objects = 2
	r.AddWarning(InputError{File: "a.yaml", Line: 4, Message: "duplicate key"})
	r.AddWarning(InputError{Message: "no file"})
	for i := range 3 {
		r.AddSkipped(Skipped{File: fmt.Sprintf("docs/%d.yaml", i), Reason: "not a Kubernetes manifest"})
	}
	var buf bytes.Buffer
	if err := Write(&buf, FormatJUnit, r, Options{}); err != nil {
		t.Fatal(err)
	}
	doc := checkJUnit(t, buf.Bytes())
	s := doc.Suites[0]
	if s.Failures != 0 || s.Errors != 0 || s.Tests != 1 || s.Cases[0].Name != "2 objects meet every rule" {
		t.Errorf("suite %+v, want one passing case", s)
	}
	want := "warning: a.yaml:4: duplicate key\nwarning: no file\n" +
		"skipped: docs/0.yaml: not a Kubernetes manifest\nskipped: docs/1.yaml: not a Kubernetes manifest\nskipped: docs/2.yaml: not a Kubernetes manifest\n"
	if diff := cmp.Diff(want, s.SystemOut); diff != "" {
		t.Errorf("system-out (-want +got):\n%s", diff)
	}
}
