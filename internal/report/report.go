// Package report renders findings: text for people, JSON (kubeward's public
// output contract), SARIF 2.1.0 for code scanning, JUnit XML for CI dashboards.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/finding"
)

// InputError is a problem with the input, reported in the "errors" array.
type InputError struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// Skipped is a file passed over while walking a directory because it is
// not a Kubernetes manifest (Helm values, CI configuration, ...) or not a
// regular file, reported in the "skipped" array. It is not an error.
type Skipped struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

// Summary counts what a run saw. Findings counts every finding reported,
// suppressed ones included; Suppressed counts those of them suppressed.
// Warnings and Skipped count the "warnings" and "skipped" arrays.
type Summary struct {
	Objects    int `json:"objects"`
	Findings   int `json:"findings"`
	Suppressed int `json:"suppressed"`
	Errors     int `json:"errors"`
	Warnings   int `json:"warnings"`
	Skipped    int `json:"skipped"`
}

// Report is the document every renderer prints: findings and input errors
// in input order. Its JSON encoding is the public output contract.
//
// Warnings are input problems that Kubernetes tolerates (a duplicate
// mapping key, decoded last-wins as kubectl does); they never change the
// exit code. Skipped lists files passed over (see Skipped).
type Report struct {
	Findings []finding.Finding `json:"findings"`
	Errors   []InputError      `json:"errors"`
	Warnings []InputError      `json:"warnings"`
	Skipped  []Skipped         `json:"skipped"`
	// Sections are further top-level members (see Section), written
	// between "skipped" and "summary" in the order added.
	Sections []Section `json:"-"`
	Summary  Summary   `json:"summary"`
}

// Section is a top-level member of the JSON document beside "findings"
// that one surface adds (DESIGN.md's contract extensions): "namespaces"
// for the audit plan, "tenancy", ... Value is encoded as JSON under Name;
// Text, when not nil, prints the section for people in the text format,
// after the findings and before the summary line (color says whether ANSI
// colours are on). SARIF and JUnit carry findings only.
type Section struct {
	Name  string
	Value any
	Text  func(w io.Writer, color bool) error
}

// AddSection adds a top-level section. Names must be unique and must not
// be one of the document's own members.
func (r *Report) AddSection(s Section) {
	r.Sections = append(r.Sections, s)
}

// New returns an empty report (with non-nil arrays, so JSON shows []).
func New() *Report {
	return &Report{Findings: []finding.Finding{}, Errors: []InputError{}, Warnings: []InputError{}, Skipped: []Skipped{}}
}

// AddWarning records an input warning and counts it.
func (r *Report) AddWarning(e InputError) {
	r.Warnings = append(r.Warnings, e)
	r.Summary.Warnings++
}

// AddSkipped records a skipped file and counts it.
func (r *Report) AddSkipped(s Skipped) {
	r.Skipped = append(r.Skipped, s)
	r.Summary.Skipped++
}

// Add records a finding and counts it.
func (r *Report) Add(f finding.Finding) {
	r.Findings = append(r.Findings, f)
	r.Summary.Findings++
	if f.Suppressed {
		r.Summary.Suppressed++
	}
}

// AddError records an input error and counts it.
func (r *Report) AddError(e InputError) {
	r.Errors = append(r.Errors, e)
	r.Summary.Errors++
}

// Unsuppressed returns the number of findings not suppressed.
func (r *Report) Unsuppressed() int { return r.Summary.Findings - r.Summary.Suppressed }

// Format is an output format.
type Format string

// The formats.
const (
	FormatText  Format = "text"
	FormatJSON  Format = "json"
	FormatSARIF Format = "sarif"
	FormatJUnit Format = "junit"
)

// Formats lists every format, for help texts.
var Formats = []Format{FormatText, FormatJSON, FormatSARIF, FormatJUnit}

// ParseFormat parses a format name, one of Formats; the error for any other
// name lists them.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown format %q (want %s)", s, strings.Join(names, ", "))
}

// Options tune rendering.
type Options struct {
	// Color enables ANSI colours in text output.
	Color bool
	// Tool is the tool's version, written into SARIF.
	Version string
	// Registry gives rule metadata to SARIF and text output.
	Registry *finding.Registry
	// Title names what was checked, e.g. "restricted:latest", for text and JUnit.
	Title string
	// SARIFRoot is the directory SARIF artifact URIs are relative to (the
	// repository checkout, for code scanning); "" means the working
	// directory. Files outside it get absolute file:// URIs.
	SARIFRoot string
	// Diagnostics, when non-nil, receives the text format's input errors,
	// warnings and skipped files (stderr, in the CLI), uncoloured; findings
	// and the summary line stay on the report's writer. When nil they are
	// written into the report. Other formats ignore it: they hold all of it.
	Diagnostics io.Writer
}

// Write renders r in format f to w.
func Write(w io.Writer, f Format, r *Report, opts Options) error {
	switch f {
	case FormatText:
		return writeText(w, r, opts)
	case FormatJSON:
		return writeJSON(w, r)
	case FormatSARIF:
		return writeSARIF(w, r, opts)
	case FormatJUnit:
		return writeJUnit(w, r, opts)
	}
	return fmt.Errorf("unknown format %q", f)
}

// objectGroup is the findings of one object, in input order.
type objectGroup struct {
	ref      finding.ObjectRef
	file     string
	findings []*finding.Finding
}

// groupByObject groups findings by object, keeping first-appearance order.
func groupByObject(r *Report) []objectGroup {
	var groups []objectGroup
	index := map[string]int{}
	for i := range r.Findings {
		f := &r.Findings[i]
		key := f.File + "\x00" + f.Object.String()
		g, ok := index[key]
		if !ok {
			g = len(groups)
			index[key] = g
			groups = append(groups, objectGroup{ref: f.Object, file: f.File})
		}
		groups[g].findings = append(groups[g].findings, f)
	}
	for _, g := range groups {
		sort.SliceStable(g.findings, func(i, j int) bool { return g.findings[i].Line < g.findings[j].Line })
	}
	return groups
}
