package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/finding"
)

// SARIF 2.1.0 documents, limited to what kubeward writes. The log follows
// the OASIS schema (sarif-schema-2.1.0.json, errata 01) and what GitHub code
// scanning requires on top of it: every result has a physical location with
// an artifact URI and a start line, a message, a rule ID and partial
// fingerprints; rules carry help, tags and security-severity.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
	// Notifications describes the notifications the invocation reports.
	Notifications []sarifNotificationDescriptor `json:"notifications"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifMultiformat struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string           `json:"id"`
	Name                 string           `json:"name"`
	ShortDescription     sarifText        `json:"shortDescription"`
	FullDescription      sarifText        `json:"fullDescription"`
	Help                 sarifMultiformat `json:"help"`
	HelpURI              string           `json:"helpUri,omitempty"`
	DefaultConfiguration sarifRuleConfig  `json:"defaultConfiguration"`
	Properties           map[string]any   `json:"properties"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifNotificationDescriptor struct {
	ID                   string          `json:"id"`
	ShortDescription     sarifText       `json:"shortDescription"`
	DefaultConfiguration sarifRuleConfig `json:"defaultConfiguration"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifDescriptorRef struct {
	ID    string `json:"id"`
	Index int    `json:"index"`
}

type sarifNotification struct {
	Descriptor sarifDescriptorRef `json:"descriptor"`
	Level      string             `json:"level"`
	Message    sarifText          `json:"message"`
	Locations  []sarifLocation    `json:"locations,omitempty"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any     `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical  `json:"physicalLocation"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	Name               string `json:"name,omitempty"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification"`
}

// sarifLevel maps a severity to a SARIF result level.
func sarifLevel(s finding.Severity) string {
	switch s {
	case finding.SeverityCritical, finding.SeverityHigh:
		return "error"
	case finding.SeverityMedium:
		return "warning"
	}
	return "note"
}

// securitySeverity is GitHub code scanning's numeric severity for s.
func securitySeverity(s finding.Severity) string {
	switch s {
	case finding.SeverityCritical:
		return "9.5"
	case finding.SeverityHigh:
		return "8.0"
	case finding.SeverityMedium:
		return "5.5"
	case finding.SeverityLow:
		return "3.0"
	}
	return "1.0"
}

// fingerprintPath is the file as the fingerprint sees it: cleaned and
// slash-separated, standard input as "stdin", independent of the SARIF
// root so that identities survive a change of --sarif-root.
func fingerprintPath(file string) string {
	if isStdin(file) {
		return "stdin"
	}
	return strings.TrimPrefix(filepath.ToSlash(filepath.Clean(file)), "./")
}

// Fingerprint is a stable identity of a finding across runs and line moves:
// rule, object and field, never the line.
func Fingerprint(f *finding.Finding) string {
	h := sha256.New()
	for _, s := range []string{f.Rule, f.Object.APIVersion, f.Object.Kind, f.Object.Namespace, f.Object.Name, f.Path, f.Container, fingerprintPath(f.File)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// Notification descriptors, in the driver's notifications array.
const (
	notifyInputError = iota
	notifyInputWarning
	notifySkipped
	notifyTruncated
)

var sarifNotificationDescriptors = []sarifNotificationDescriptor{
	notifyInputError:   {ID: "input/error", ShortDescription: sarifText{"The input could not be read or is not a valid Kubernetes object; it was not checked."}, DefaultConfiguration: sarifRuleConfig{"error"}},
	notifyInputWarning: {ID: "input/warning", ShortDescription: sarifText{"The input has a problem Kubernetes tolerates; it was checked as Kubernetes would read it."}, DefaultConfiguration: sarifRuleConfig{"warning"}},
	notifySkipped:      {ID: "input/skipped", ShortDescription: sarifText{"The file is not a Kubernetes manifest and was passed over."}, DefaultConfiguration: sarifRuleConfig{"note"}},
	notifyTruncated:    {ID: "output/truncated", ShortDescription: sarifText{"The log holds fewer results than the run found, to stay within GitHub code scanning's limit."}, DefaultConfiguration: sarifRuleConfig{"warning"}},
}

// sarifMaxResults is GitHub code scanning's limit on results per run; a
// larger run is rejected whole. A variable so that tests can lower it.
var sarifMaxResults = 25000

// sarifState is what writing results needs besides the findings.
type sarifState struct {
	uris      uriResolver
	ruleIndex map[string]int
	// order lists the findings written, by index into Report.Findings, when
	// some are left out (see sarifSelect); nil means all, in input order.
	order []int
}

// sarifParts builds what a SARIF log says besides its results: the driver
// (every registry rule, then any rule a finding names outside the registry)
// and the invocation, and the state writing results needs.
func sarifParts(r *Report, opts Options) (tool sarifTool, inv sarifInvocation, st *sarifState) {
	driver := sarifDriver{
		Name:           "kubeward",
		InformationURI: "https://github.com/kubeward/kubeward",
		Version:        opts.Version,
		Rules:          []sarifRule{},
		Notifications:  sarifNotificationDescriptors,
	}
	st = &sarifState{uris: newURIResolver(opts.SARIFRoot), ruleIndex: map[string]int{}}
	addRule := func(rule finding.Rule) {
		st.ruleIndex[rule.ID] = len(driver.Rules)
		driver.Rules = append(driver.Rules, sarifRuleOf(rule))
	}
	if opts.Registry != nil {
		for _, rule := range opts.Registry.Rules() {
			addRule(rule)
		}
	}
	for i := range r.Findings {
		if f := &r.Findings[i]; !hasKey(st.ruleIndex, f.Rule) {
			addRule(finding.Rule{ID: f.Rule, Title: f.Rule, Severity: f.Severity})
		}
	}

	inv = sarifInvocation{ExecutionSuccessful: len(r.Errors) == 0}
	notify := func(d int, msg, file string, line int) {
		n := sarifNotification{
			Descriptor: sarifDescriptorRef{ID: sarifNotificationDescriptors[d].ID, Index: d},
			Level:      sarifNotificationDescriptors[d].DefaultConfiguration.Level,
			Message:    sarifText{msg},
		}
		if file != "" {
			n.Locations = []sarifLocation{{PhysicalLocation: sarifPhysical{ArtifactLocation: st.uris.artifact(file), Region: region(line)}}}
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	for _, e := range r.Errors {
		notify(notifyInputError, nonEmpty(e.Message, "input error"), e.File, e.Line)
	}
	for _, e := range r.Warnings {
		notify(notifyInputWarning, nonEmpty(e.Message, "input warning"), e.File, e.Line)
	}
	for _, s := range r.Skipped {
		notify(notifySkipped, "skipped: "+nonEmpty(s.Reason, "not a Kubernetes manifest"), s.File, 0)
	}
	if st.order = sarifSelect(r.Findings, sarifMaxResults); st.order != nil {
		notify(notifyTruncated, fmt.Sprintf("%d of %d results written: GitHub code scanning rejects a run of more than %d; "+
			"the most severe unsuppressed findings were kept; the JSON output lists every finding",
			len(st.order), len(r.Findings), sarifMaxResults), "", 0)
	}
	return sarifTool{Driver: driver}, inv, st
}

// sarifRuleOf is the SARIF reporting descriptor of a rule; every text code
// scanning shows is non-empty, even for a rule outside the registry.
func sarifRuleOf(rule finding.Rule) sarifRule {
	desc := nonEmpty(rule.Description, rule.Title)
	help := sarifMultiformat{Text: desc, Markdown: desc}
	if rule.Remediation != "" {
		help.Text += "\n\nFix: " + rule.Remediation
		help.Markdown += "\n\n**Fix:** " + rule.Remediation
	}
	if rule.DocURL != "" {
		help.Text += "\n\nSee " + rule.DocURL
		help.Markdown += "\n\nSee [the Kubernetes documentation](" + rule.DocURL + ")."
	}
	return sarifRule{
		ID:                   rule.ID,
		Name:                 rule.Title,
		ShortDescription:     sarifText{rule.Title},
		FullDescription:      sarifText{desc},
		Help:                 help,
		HelpURI:              rule.DocURL,
		DefaultConfiguration: sarifRuleConfig{Level: sarifLevel(rule.Severity)},
		Properties: map[string]any{
			// GitHub treats a rule as a security rule, and shows
			// security-severity, only with the "security" tag.
			"tags":              []string{"security", "kubernetes", rule.Family()},
			"security-severity": securitySeverity(rule.Severity),
		},
	}
}

// sarifSelect chooses at most limit findings to write, keeping the most
// severe unsuppressed ones (ties: input order), and returns their indices in
// input order; nil when every finding fits.
func sarifSelect(findings []finding.Finding, limit int) []int {
	if len(findings) <= limit {
		return nil
	}
	order := make([]int, len(findings))
	for i := range order {
		order[i] = i
	}
	rank := func(f *finding.Finding) int {
		r := f.Severity.Rank()
		if !f.Suppressed {
			r += 10
		}
		return r
	}
	sort.SliceStable(order, func(a, b int) bool { return rank(&findings[order[a]]) > rank(&findings[order[b]]) })
	order = order[:limit]
	sort.Ints(order)
	return order
}

// result is the SARIF result of one finding.
func (st *sarifState) result(f *finding.Finding) *sarifResult {
	loc := sarifLocation{PhysicalLocation: sarifPhysical{Region: region(f.Line)}}
	if f.File != "" {
		loc.PhysicalLocation.ArtifactLocation = st.uris.artifact(f.File)
	} else {
		loc.PhysicalLocation.ArtifactLocation = objectArtifact(f.Object)
	}
	if f.Object.Kind != "" || f.Object.Name != "" {
		loc.LogicalLocations = []sarifLogical{{Name: f.Object.Name, FullyQualifiedName: f.Object.String(), Kind: "resource"}}
	}
	res := &sarifResult{
		RuleID:              f.Rule,
		RuleIndex:           st.ruleIndex[f.Rule],
		Level:               sarifLevel(f.Severity),
		Message:             sarifText{sarifMessage(f)},
		Locations:           []sarifLocation{loc},
		PartialFingerprints: map[string]string{"kubewardFinding/v1": Fingerprint(f)},
	}
	if f.Suppressed {
		res.Suppressions = []sarifSuppression{{Kind: "inSource", Justification: f.SuppressionReason}}
	}
	if f.Path != "" || f.Container != "" {
		res.Properties = map[string]any{"object": f.Object.String()}
		if f.Path != "" {
			res.Properties["path"] = f.Path
		}
		if f.Container != "" {
			res.Properties["container"] = f.Container
		}
	}
	return res
}

// region is the region of a line; code scanning requires startLine ≥ 1, so
// an unknown line is the first.
func region(line int) sarifRegion {
	return sarifRegion{StartLine: max(line, 1)}
}

// The log's header. The schema URI is the OASIS standard's (errata 01),
// the schema the tests validate against.
const (
	sarifSchema  = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	sarifVersion = "2.1.0"
)

// writeSARIF writes the SARIF log of r, a result at a time: the bytes are
// those of encoding/json's Encoder (two-space indent, no HTML escaping) on
// the whole log (see sarifLogOf in the tests).
func writeSARIF(w io.Writer, r *Report, opts Options) error {
	tool, inv, st := sarifParts(r, opts)
	s := newStreamWriter(w)
	s.raw("{")
	s.member(1, "$schema")
	if err := s.value(1, sarifSchema); err != nil {
		return err
	}
	s.raw(",")
	s.member(1, "version")
	if err := s.value(1, sarifVersion); err != nil {
		return err
	}
	s.raw(",")
	s.member(1, "runs")
	s.raw("[\n    {")
	s.member(3, "tool")
	if err := s.value(3, &tool); err != nil {
		return err
	}
	s.raw(",")
	s.member(3, "invocations")
	if err := s.array(3, 1, false, func(int) any { return &inv }); err != nil {
		return err
	}
	s.raw(",")
	s.member(3, "results")
	n, at := len(r.Findings), func(i int) int { return i }
	if st.order != nil {
		n, at = len(st.order), func(i int) int { return st.order[i] }
	}
	if err := s.array(3, n, false, func(i int) any { return st.result(&r.Findings[at(i)]) }); err != nil {
		return err
	}
	s.raw("\n    }\n  ]\n}\n")
	return s.flush()
}

func hasKey(m map[string]int, k string) bool {
	_, ok := m[k]
	return ok
}

func nonEmpty(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// sarifMessage is the message code scanning shows: object, problem and fix.
func sarifMessage(f *finding.Finding) string {
	msg := f.Object.String() + ": " + nonEmpty(f.Message, f.Rule)
	if f.Remediation != "" {
		msg += ". Fix: " + f.Remediation
	}
	return msg
}
