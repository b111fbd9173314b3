package podsecurity

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// tableEntry is one check as it runs at one level and version.
type tableEntry struct {
	id string
	fn checkFn
}

// buildTables expands the versioned checks into the checks that run at each
// level (baseline, restricted) and minor version, in Kubernetes' order:
// baseline checks by ID, then restricted checks by ID. At the restricted
// level a restricted check that overrides a baseline check replaces it.
func buildTables(defs []*checkDef) (tables [2][NewestKnownMinor + 1][]tableEntry) {
	sorted := slices.Clone(defs)
	slices.SortFunc(sorted, func(a, b *checkDef) int {
		if a.level != b.level {
			return int(a.level) - int(b.level)
		}
		return cmpString(a.id, b.id)
	})
	for minor := 0; minor <= NewestKnownMinor; minor++ {
		overridden := map[string]bool{}
		for _, c := range sorted {
			if v := c.at(minor); v != nil && c.level == LevelRestricted {
				for _, o := range v.overrides {
					overridden[o] = true
				}
			}
		}
		var baseline, restricted []tableEntry
		for _, c := range sorted {
			v := c.at(minor)
			if v == nil {
				continue
			}
			e := tableEntry{id: c.id, fn: v.fn}
			if c.level == LevelBaseline {
				baseline = append(baseline, e)
				if overridden[c.id] {
					continue
				}
			}
			restricted = append(restricted, e)
		}
		tables[0][minor] = slices.Clip(baseline)
		tables[1][minor] = slices.Clip(restricted)
	}
	return tables
}

// at returns the version of c in force at minor, or nil when c does not exist yet.
func (c *checkDef) at(minor int) *versioned {
	var found *versioned
	for i := range c.versions {
		if c.versions[i].minVersion <= minor {
			found = &c.versions[i]
		}
	}
	return found
}

// checksAt returns the checks that run at lv; nil for privileged.
func (e *Evaluator) checksAt(lv LevelVersion) []tableEntry {
	var l int
	switch lv.Level {
	case LevelBaseline:
		l = 0
	case LevelRestricted:
		l = 1
	default:
		return nil
	}
	minor := lv.Version.Minor()
	if minor > NewestKnownMinor {
		minor = NewestKnownMinor
	}
	return e.tables[l][minor]
}

// emptySpec stands in for a nil spec; never modified.
var emptySpec corev1.PodSpec

func (e *Evaluator) appendViolations(dst []Violation, lv LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec, withFields bool) []Violation {
	checks := e.checksAt(lv)
	if spec == nil {
		spec = &emptySpec
	}
	// Run the checks in their cheap pass/fail mode until one fails; from
	// there on run each in report mode (a passing check then adds nothing),
	// so a compliant pod allocates nothing and a failing one runs each check
	// once, except the first failing one.
	for i := range checks {
		if !checks[i].fn(nil, meta, spec) {
			continue
		}
		r := getReport()
		r.noFields = !withFields
		for j := i; j < len(checks); j++ {
			r.resetScratch()
			checks[j].fn(r, meta, spec)
		}
		dst = r.appendTo(dst, spec)
		putReport(r)
		return dst
	}
	return dst
}

func (e *Evaluator) meets(lv LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	if spec == nil {
		spec = &emptySpec
	}
	for _, c := range e.checksAt(lv) {
		if c.fn(nil, meta, spec) {
			return false
		}
	}
	return true
}
