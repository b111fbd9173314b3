package report

import (
	"encoding/xml"
	"fmt"
	"io"
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
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

// writeJUnit writes one test case per finding (failed, or skipped when
// suppressed) and one per input error, so CI dashboards list each problem.
// Objects without findings are not listed individually: JUnit has no place
// for them that dashboards show usefully; the suite's name carries the totals.
func writeJUnit(w io.Writer, r *Report, opts Options) error {
	name := "kubeward"
	if opts.Title != "" {
		name += " " + opts.Title
	}
	suite := junitSuite{Name: name}
	for i := range r.Findings {
		f := &r.Findings[i]
		c := junitCase{
			Name:      fmt.Sprintf("%s %s", f.Object.String(), f.Rule),
			Classname: classname(f.File),
		}
		body := f.Message
		if f.File != "" {
			body = fmt.Sprintf("%s:%d: %s", f.File, f.Line, f.Message)
		}
		if f.Remediation != "" {
			body += "\nfix: " + f.Remediation
		}
		if f.Suppressed {
			c.Skipped = &junitMessage{Message: "suppressed: " + f.SuppressionReason}
			suite.Skipped++
		} else {
			c.Failure = &junitMessage{Message: f.Message, Type: string(f.Severity), Body: body}
			suite.Failures++
		}
		suite.Cases = append(suite.Cases, c)
	}
	for _, e := range r.Errors {
		loc := e.File
		if e.Line > 0 {
			loc = fmt.Sprintf("%s:%d", e.File, e.Line)
		}
		suite.Cases = append(suite.Cases, junitCase{
			Name:      "input " + loc,
			Classname: classname(e.File),
			Error:     &junitMessage{Message: e.Message, Type: "input", Body: loc + ": " + e.Message},
		})
		suite.Errors++
	}
	if len(suite.Cases) == 0 {
		suite.Cases = append(suite.Cases, junitCase{
			Name:      fmt.Sprintf("%d objects meet every rule", r.Summary.Objects),
			Classname: "kubeward",
		})
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

func classname(file string) string {
	switch file {
	case "":
		return "cluster"
	case "-":
		return "stdin"
	}
	return strings.ReplaceAll(file, "/", ".")
}
