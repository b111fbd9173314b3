package report

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"path/filepath"
	"strings"

	"github.com/kubeward/kubeward/internal/finding"
)

// SARIF 2.1.0 documents, limited to what kubeward writes.
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
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string          `json:"id"`
	Name                 string          `json:"name"`
	ShortDescription     sarifText       `json:"shortDescription"`
	FullDescription      sarifText       `json:"fullDescription"`
	Help                 sarifText       `json:"help"`
	HelpURI              string          `json:"helpUri,omitempty"`
	DefaultConfiguration sarifRuleConfig `json:"defaultConfiguration"`
	Properties           map[string]any  `json:"properties"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
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
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
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

func sarifURI(file string) string {
	if file == "-" {
		return "stdin"
	}
	return strings.TrimPrefix(filepath.ToSlash(filepath.Clean(file)), "./")
}

// Fingerprint is a stable identity of a finding across runs and line moves:
// rule, object and field, never the line.
func Fingerprint(f *finding.Finding) string {
	h := sha256.New()
	for _, s := range []string{f.Rule, f.Object.APIVersion, f.Object.Kind, f.Object.Namespace, f.Object.Name, f.Path, f.Container, sarifURI(f.File)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// sarifParts builds what a SARIF log says besides its results: the driver
// (every registry rule, then any rule a finding names outside the registry)
// and the invocation; ruleIndex maps rule IDs to their place in the driver.
func sarifParts(r *Report, opts Options) (tool sarifTool, inv sarifInvocation, ruleIndex map[string]int) {
	driver := sarifDriver{
		Name:           "kubeward",
		InformationURI: "https://github.com/kubeward/kubeward",
		Version:        opts.Version,
		Rules:          []sarifRule{},
	}
	ruleIndex = map[string]int{}
	addRule := func(rule finding.Rule) {
		ruleIndex[rule.ID] = len(driver.Rules)
		driver.Rules = append(driver.Rules, sarifRule{
			ID:                   rule.ID,
			Name:                 rule.Title,
			ShortDescription:     sarifText{rule.Title},
			FullDescription:      sarifText{rule.Description},
			Help:                 sarifText{rule.Remediation},
			HelpURI:              rule.DocURL,
			DefaultConfiguration: sarifRuleConfig{Level: sarifLevel(rule.Severity)},
			Properties: map[string]any{
				"tags":              []string{"security", "kubernetes", rule.Family()},
				"security-severity": securitySeverity(rule.Severity),
			},
		})
	}
	if opts.Registry != nil {
		for _, rule := range opts.Registry.Rules() {
			addRule(rule)
		}
	}
	for i := range r.Findings {
		if f := &r.Findings[i]; !hasKey(ruleIndex, f.Rule) {
			addRule(finding.Rule{ID: f.Rule, Title: f.Rule, Severity: f.Severity})
		}
	}
	inv = sarifInvocation{ExecutionSuccessful: len(r.Errors) == 0}
	for _, e := range r.Errors {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
			Level:     "error",
			Message:   sarifText{e.Message},
			Locations: locations(e.File, e.Line),
		})
	}
	return sarifTool{Driver: driver}, inv, ruleIndex
}

// sarifResultOf is the SARIF result of one finding.
func sarifResultOf(f *finding.Finding, ruleIndex map[string]int) *sarifResult {
	res := &sarifResult{
		RuleID:              f.Rule,
		RuleIndex:           ruleIndex[f.Rule],
		Level:               sarifLevel(f.Severity),
		Message:             sarifText{sarifMessage(f)},
		Locations:           locations(f.File, f.Line),
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
	}
	return res
}

const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion = "2.1.0"
)

// writeSARIF writes the SARIF log of r, a result at a time: the bytes are
// those of encoding/json's Encoder (two-space indent, no HTML escaping) on
// the whole log (see sarifLogOf in the tests).
func writeSARIF(w io.Writer, r *Report, opts Options) error {
	tool, inv, ruleIndex := sarifParts(r, opts)
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
	if err := s.array(3, len(r.Findings), false, func(i int) any { return sarifResultOf(&r.Findings[i], ruleIndex) }); err != nil {
		return err
	}
	s.raw("\n    }\n  ]\n}\n")
	return s.flush()
}

func hasKey(m map[string]int, k string) bool {
	_, ok := m[k]
	return ok
}

// locations is the result's location: the file and line, or none when the
// object came from a cluster or an admission request rather than a file.
func locations(file string, line int) []sarifLocation {
	if file == "" {
		return []sarifLocation{}
	}
	return []sarifLocation{location(file, line)}
}

func location(file string, line int) sarifLocation {
	loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: sarifURI(file)}}}
	if line > 0 {
		loc.PhysicalLocation.Region = &sarifRegion{StartLine: line}
	}
	return loc
}

// sarifMessage is the message code scanning shows: object, problem and fix.
func sarifMessage(f *finding.Finding) string {
	msg := f.Object.String() + ": " + f.Message
	if f.Remediation != "" {
		msg += ". Fix: " + f.Remediation
	}
	return msg
}
