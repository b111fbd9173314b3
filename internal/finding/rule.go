package finding

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Rule is the metadata of one rule. Rules are declared once, by the package
// that checks them, and collected into one Registry that every surface uses.
type Rule struct {
	// ID is "<family>/<id>", e.g. pod-security/runAsNonRoot or rbac/secrets-read.
	ID       string
	Title    string
	Severity Severity
	// Description says what the rule checks, in full sentences.
	Description string
	// Remediation says how to fix a violation in general, in full sentences;
	// findings carry the concrete change.
	Remediation string
	// DocURL points at the Kubernetes documentation the rule enforces.
	DocURL string
}

// Family returns the part of ID before the first slash.
func (r Rule) Family() string {
	fam, _, _ := strings.Cut(r.ID, "/")
	return fam
}

// Registry is an immutable, validated set of rules. It is safe for concurrent use.
type Registry struct {
	rules []Rule
	byID  map[string]int
}

// NewRegistry validates rules and returns them as a registry. Every problem is
// reported at once: duplicate IDs, IDs without a family, missing title,
// severity, description or remediation.
func NewRegistry(rules ...Rule) (*Registry, error) {
	r := &Registry{byID: make(map[string]int, len(rules))}
	var errs []error
	for _, rule := range rules {
		fam, id, ok := strings.Cut(rule.ID, "/")
		if !ok || fam == "" || id == "" {
			errs = append(errs, fmt.Errorf("rule %q: ID must be <family>/<id>", rule.ID))
		}
		if _, dup := r.byID[rule.ID]; dup {
			errs = append(errs, fmt.Errorf("rule %q: declared twice", rule.ID))
			continue
		}
		if rule.Title == "" {
			errs = append(errs, fmt.Errorf("rule %q: no title", rule.ID))
		}
		if rule.Severity.Rank() == 0 {
			errs = append(errs, fmt.Errorf("rule %q: invalid severity %q", rule.ID, rule.Severity))
		}
		if rule.Description == "" {
			errs = append(errs, fmt.Errorf("rule %q: no description", rule.ID))
		}
		if rule.Remediation == "" {
			errs = append(errs, fmt.Errorf("rule %q: no remediation", rule.ID))
		}
		r.byID[rule.ID] = len(r.rules)
		r.rules = append(r.rules, rule)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sort.SliceStable(r.rules, func(i, j int) bool { return r.rules[i].ID < r.rules[j].ID })
	for i, rule := range r.rules {
		r.byID[rule.ID] = i
	}
	return r, nil
}

// Lookup returns the rule with the given ID.
func (r *Registry) Lookup(id string) (Rule, bool) {
	i, ok := r.byID[id]
	if !ok {
		return Rule{}, false
	}
	return r.rules[i], true
}

// Rules returns every rule, sorted by ID. The caller must not modify the slice.
func (r *Registry) Rules() []Rule { return r.rules }

// Families returns the sorted, distinct rule families.
func (r *Registry) Families() []string {
	var fams []string
	seen := map[string]bool{}
	for _, rule := range r.rules {
		if f := rule.Family(); !seen[f] {
			seen[f] = true
			fams = append(fams, f)
		}
	}
	sort.Strings(fams)
	return fams
}
