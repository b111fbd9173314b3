package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Cases     []junitCase `xml:"testcase"`
	SystemOut string      `xml:"system-out,omitempty"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

// JUnitCase is one test case of a JUnit XML report. Class and Name identify
// it (JUnit's classname and name); CI dashboards merge cases with the same
// identity, so WriteJUnitCases makes identities unique.
//
// A case passes unless Error, Failure or Skipped is set; if several are,
// the first of those three wins.
type JUnitCase struct {
	// Class groups cases, e.g. the file they come from.
	Class string
	// Name names the case within its class.
	Name string
	// Failure, when set, fails the case with this short message.
	Failure string
	// Error, when set, marks the case as one that could not be evaluated
	// (an input error) with this short message.
	Error string
	// Skipped, when set, marks the case skipped with this reason.
	Skipped string
	// Type is the failure's or error's type, e.g. a severity.
	Type string
	// Detail is the failure's or error's full text.
	Detail string
	// Output is the case's standard output (system-out), shown by
	// dashboards beside the result; "" for none.
	Output string
}

// WriteJUnitCases writes cases as one JUnit XML test suite named suite, in
// order. A case whose Class and Name repeat an earlier case's gets " #2",
// " #3", ... appended to its name, so identities are unique and stable for
// the same input. cases is not modified.
func WriteJUnitCases(w io.Writer, suite string, cases []JUnitCase) error {
	return writeJUnitSuite(w, suite, cases, "")
}

// writeJUnit writes one test case per finding (failed, or skipped when
// suppressed) and one per input error (errored), so CI dashboards list each
// problem. Warnings and skipped files are not failures: they are listed in
// the suite's system-out. Objects without findings are not listed
// individually: JUnit has no place for them that dashboards show usefully.
func writeJUnit(w io.Writer, r *Report, opts Options) error {
	name := "kubeward"
	if opts.Title != "" {
		name += " " + opts.Title
	}
	cases := make([]JUnitCase, 0, len(r.Findings)+len(r.Errors))
	for i := range r.Findings {
		f := &r.Findings[i]
		// The identity is the object, the rule and, as one rule can fail
		// on several fields of one object, the field or container; never
		// the line, which moves with unrelated edits.
		c := JUnitCase{Class: classname(f.File), Name: f.Object.String() + " " + f.Rule}
		switch {
		case f.Path != "":
			c.Name += " " + f.Path
		case f.Container != "":
			c.Name += fmt.Sprintf(" container %q", f.Container)
		}
		if f.Suppressed {
			c.Skipped = "suppressed: " + f.SuppressionReason
		} else {
			c.Failure, c.Type = f.Message, string(f.Severity)
			c.Detail = f.Message
			if f.File != "" {
				c.Detail = fmt.Sprintf("%s:%d: %s", f.File, f.Line, f.Message)
			}
			if f.Remediation != "" {
				c.Detail += "\nfix: " + f.Remediation
			}
		}
		cases = append(cases, c)
	}
	for _, e := range r.Errors {
		loc := location(e)
		cases = append(cases, JUnitCase{
			Class:  classname(e.File),
			Name:   "input " + nonEmpty(loc, "error"),
			Error:  e.Message,
			Type:   "input",
			Detail: strings.TrimPrefix(loc+": ", ": ") + e.Message,
		})
	}
	if len(cases) == 0 {
		cases = append(cases, JUnitCase{Class: "kubeward", Name: fmt.Sprintf("%d objects meet every rule", r.Summary.Objects)})
	}
	var out strings.Builder
	for _, e := range r.Warnings {
		fmt.Fprintf(&out, "warning: %s\n", strings.TrimPrefix(location(e)+": ", ": ")+e.Message)
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(&out, "skipped: %s: %s\n", s.File, s.Reason)
	}
	return writeJUnitSuite(w, name, cases, out.String())
}

// location is FILE:LINE, FILE, or "" for an input error.
func location(e InputError) string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	return e.File
}

// writeJUnitSuite is the one JUnit writer: a testsuites document holding
// one suite of cases, with systemOut as the suite's system-out.
func writeJUnitSuite(w io.Writer, name string, cases []JUnitCase, systemOut string) error {
	suite := junitSuite{Name: name, Cases: make([]junitCase, 0, len(cases)), SystemOut: systemOut}
	for i, id := range uniqueNames(cases) {
		c := &cases[i]
		jc := junitCase{Name: id, Classname: c.Class, SystemOut: c.Output}
		switch {
		case c.Error != "":
			jc.Error = &junitMessage{Message: c.Error, Type: c.Type, Body: c.Detail}
			suite.Errors++
		case c.Failure != "":
			jc.Failure = &junitMessage{Message: c.Failure, Type: c.Type, Body: c.Detail}
			suite.Failures++
		case c.Skipped != "":
			jc.Skipped = &junitMessage{Message: c.Skipped}
			suite.Skipped++
		}
		suite.Cases = append(suite.Cases, jc)
	}
	suite.Tests = len(suite.Cases)
	doc := junitSuites{Name: "kubeward", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// uniqueNames returns the cases' names, with " #N" appended to a name whose
// class and name an earlier case already has (N counting from 2, skipping
// names already taken).
func uniqueNames(cases []JUnitCase) []string {
	type id struct{ class, name string }
	taken := make(map[id]bool, len(cases))
	for _, c := range cases {
		taken[id{c.Class, c.Name}] = true
	}
	seen := make(map[id]int, len(cases))
	names := make([]string, len(cases))
	for i, c := range cases {
		k := id{c.Class, c.Name}
		seen[k]++
		names[i] = c.Name
		if seen[k] == 1 {
			continue
		}
		for n := seen[k]; ; n++ {
			cand := fmt.Sprintf("%s #%d", c.Name, n)
			if !taken[id{c.Class, cand}] {
				taken[id{c.Class, cand}] = true
				names[i], seen[k] = cand, n
				break
			}
		}
	}
	return names
}

// classname is a file as a JUnit class: dots for slashes (a leading one
// dropped), as dashboards group classes by dotted prefix; "cluster" for no
// file, STDIN for standard input.
func classname(file string) string {
	switch {
	case file == "":
		return "cluster"
	case isStdin(file):
		return stdinName
	}
	return strings.ReplaceAll(strings.TrimPrefix(filepath.ToSlash(file), "/"), "/", ".")
}
