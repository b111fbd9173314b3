// Package finding holds the one finding model every kubeward surface shares
// (scan, webhook, audit, rbac risks) and the rule metadata they refer to.
//
// A Finding is plain data: engines produce them, renderers print them. The JSON
// encoding of Finding is part of kubeward's public output contract (see
// DESIGN.md); fields are only ever added, never renamed.
package finding

import (
	"fmt"
	"strings"
	"time"
)

// Severity ranks how much a finding matters. The zero value is invalid.
type Severity string

// The severities, lowest first.
const (
	SeverityInfo     Severity = "info"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Rank orders severities: info 1 … critical 5, unknown 0.
func (s Severity) Rank() int {
	switch s {
	case SeverityInfo:
		return 1
	case SeverityLow:
		return 2
	case SeverityMedium:
		return 3
	case SeverityHigh:
		return 4
	case SeverityCritical:
		return 5
	}
	return 0
}

// ParseSeverity parses a severity name (case-insensitive).
func ParseSeverity(s string) (Severity, error) {
	sev := Severity(strings.ToLower(s))
	if sev.Rank() == 0 {
		return "", fmt.Errorf("unknown severity %q (want info, low, medium, high or critical)", s)
	}
	return sev, nil
}

// ObjectRef names the Kubernetes object a finding is about.
type ObjectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// String renders the reference as Kind/namespace/name (namespace omitted when empty).
func (o ObjectRef) String() string {
	if o.Namespace == "" {
		return o.Kind + "/" + o.Name
	}
	return o.Kind + "/" + o.Namespace + "/" + o.Name
}

// PodSecurityRef says which Pod Security level, version and check a
// pod-security/ finding comes from.
type PodSecurityRef struct {
	Level   string `json:"level"`
	Version string `json:"version"`
	Check   string `json:"check"`
}

// Finding is one rule violated by one object (for Pod Security: one check
// failing for one offending field, so each finding can point at its own line).
type Finding struct {
	// Rule is the rule ID, "<family>/<id>".
	Rule     string    `json:"rule"`
	Severity Severity  `json:"severity"`
	Object   ObjectRef `json:"object"`
	// File and Line locate the offending field when the source is a file
	// (Line is 1-based); both are empty for cluster and admission sources.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// Path is the offending field's path inside the object, e.g.
	// spec.template.spec.containers[0].securityContext.privileged.
	Path string `json:"path,omitempty"`
	// Container names the container the finding is about, if any.
	Container   string          `json:"container,omitempty"`
	Message     string          `json:"message"`
	Remediation string          `json:"remediation"`
	PodSecurity *PodSecurityRef `json:"podSecurity,omitempty"`
	// Subjects lists the RBAC subjects a finding is about (rbac/ rules), each
	// as Kind:namespace:name.
	Subjects []string `json:"subjects,omitempty"`
	// Grants lists the binding → role → rule paths that grant what the finding reports.
	Grants []string `json:"grants,omitempty"`
	// Event is the audit event an auditlog/ finding comes from (nil for
	// every other family).
	Event *EventRef `json:"event,omitempty"`
	// Suppressed is true when an accepted suppression covers the finding; the
	// finding is still reported, with the reason.
	Suppressed        bool   `json:"suppressed"`
	SuppressionReason string `json:"suppressionReason,omitempty"`
}

// Family returns the rule family, the part of Rule before the first slash.
func (f *Finding) Family() string {
	fam, _, _ := strings.Cut(f.Rule, "/")
	return fam
}

// EventRef names the Kubernetes audit event (audit.k8s.io/v1 Event) an
// auditlog/ finding comes from: who made which request, from where, when,
// and whether it was allowed. For findings about a window of events (an
// identity reading many Secrets) it is the event that crossed the threshold.
type EventRef struct {
	AuditID string `json:"auditID"`
	// Time is the event's stageTimestamp.
	Time   time.Time `json:"time"`
	User   string    `json:"user"`
	Groups []string  `json:"groups,omitempty"`
	// ImpersonatedUser is the user the request was made as, when the
	// requester impersonated one (User is then the impersonator).
	ImpersonatedUser   string   `json:"impersonatedUser,omitempty"`
	ImpersonatedGroups []string `json:"impersonatedGroups,omitempty"`
	SourceIPs          []string `json:"sourceIPs,omitempty"`
	UserAgent          string   `json:"userAgent,omitempty"`
	Verb               string   `json:"verb"`
	RequestURI         string   `json:"requestURI,omitempty"`
	// Resource is the objectRef's resource, with "/subresource" when there
	// is one (pods/exec); APIGroup is empty for the core group.
	Resource  string `json:"resource,omitempty"`
	APIGroup  string `json:"apiGroup,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	// Decision is "allow" or "forbid" (the authorization.k8s.io/decision
	// annotation, else 403 means forbid); Code is the response status code.
	Decision string `json:"decision"`
	Code     int    `json:"code,omitempty"`
}
