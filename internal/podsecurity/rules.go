package podsecurity

import (
	"github.com/kubeward/kubeward/internal/finding"
)

// RuleFamily is the rule family of the Pod Security checks.
const RuleFamily = finding.PodSecurityFamily

// DocURL is the Kubernetes page the Pod Security rules enforce.
const DocURL = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"

// Rules returns the rule of every check, "pod-security/<check ID>", sorted
// by ID, for the rule registry. The caller owns the slice.
func Rules() []finding.Rule {
	rules := make([]finding.Rule, 0, len(allChecks))
	for _, info := range Checks() {
		c := lookupDef(info.ID)
		rules = append(rules, finding.Rule{
			ID:          info.RuleID(),
			Title:       c.title,
			Severity:    c.severity,
			Description: c.description,
			Remediation: c.remediation,
			DocURL:      DocURL,
		})
	}
	return rules
}

func lookupDef(id string) *checkDef {
	for _, c := range allChecks {
		if c.id == id {
			return c
		}
	}
	return nil
}
