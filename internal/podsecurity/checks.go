package podsecurity

import (
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/finding"
)

// checkFn is one version of a check; it reports whether the pod fails. With
// r == nil it allocates nothing and may stop at the first problem; with
// r != nil it also records the violation in r (exactly one r.add) when the
// pod fails, and leaves r untouched when it passes. spec is never nil; meta
// may be nil.
type checkFn func(r *report, meta *metav1.ObjectMeta, spec *corev1.PodSpec) bool

// versioned is the behaviour of a check from minor version minVersion
// (v1.<minVersion>) until the next entry's.
type versioned struct {
	minVersion int
	fn         checkFn
	// overrides lists the baseline checks this restricted check replaces at
	// the restricted level from this version on.
	overrides []string
}

// checkDef declares a check once: its identity, documentation and behaviour.
type checkDef struct {
	id          string
	level       Level
	title       string
	severity    finding.Severity
	description string
	remediation string
	versions    []versioned
}

// CheckInfo describes one Pod Security check.
type CheckInfo struct {
	// ID is Kubernetes' check ID, e.g. "runAsNonRoot".
	ID string
	// Level is the level whose policy the check enforces: LevelBaseline or
	// LevelRestricted (restricted also runs every baseline check it does not override).
	Level Level
	// MinVersion is the first policy version that has the check.
	MinVersion Version
	Title      string
	Severity   finding.Severity
}

// RuleID returns the check's rule ID, "pod-security/<ID>".
func (c CheckInfo) RuleID() string { return RuleFamily + "/" + c.ID }

// allChecks lists every check. The order does not matter: results are ordered
// as Kubernetes orders them (baseline checks by ID, then restricted checks by ID).
var allChecks = []*checkDef{
	&checkAllowPrivilegeEscalation,
	&checkAppArmorProfile,
	&checkCapabilitiesBaseline,
	&checkCapabilitiesRestricted,
	&checkHostNamespaces,
	&checkHostPathVolumes,
	&checkHostPorts,
	&checkHostProbesAndHostLifecycle,
	&checkPrivileged,
	&checkProcMount,
	&checkProcMountRestricted,
	&checkRestrictedVolumes,
	&checkRunAsNonRoot,
	&checkRunAsUser,
	&checkSELinuxOptions,
	&checkSeccompProfileBaseline,
	&checkSeccompProfileRestricted,
	&checkSysctls,
	&checkWindowsHostProcess,
}

// Checks returns every check, sorted by ID. The caller owns the slice.
func Checks() []CheckInfo {
	out := make([]CheckInfo, 0, len(allChecks))
	for _, c := range allChecks {
		out = append(out, CheckInfo{
			ID:         c.id,
			Level:      c.level,
			MinVersion: MajorMinor(c.versions[0].minVersion),
			Title:      c.title,
			Severity:   c.severity,
		})
	}
	slices.SortFunc(out, func(a, b CheckInfo) int { return cmpString(a.ID, b.ID) })
	return out
}

// LookupCheck returns the check with the given ID.
func LookupCheck(id string) (CheckInfo, bool) {
	for _, c := range Checks() {
		if c.ID == id {
			return c, true
		}
	}
	return CheckInfo{}, false
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// validateChecks reports every problem of a check set at once.
func validateChecks(defs []*checkDef) error {
	var errs []error
	levels := map[string]Level{}
	for _, c := range defs {
		if _, dup := levels[c.id]; dup {
			errs = append(errs, fmt.Errorf("check %s: declared twice", c.id))
			continue
		}
		levels[c.id] = c.level
	}
	for _, c := range defs {
		if c.id == "" {
			errs = append(errs, errors.New("check with empty ID"))
		}
		if c.level != LevelBaseline && c.level != LevelRestricted {
			errs = append(errs, fmt.Errorf("check %s: level must be baseline or restricted, not %s", c.id, c.level))
		}
		if c.title == "" || c.description == "" || c.remediation == "" || c.severity.Rank() == 0 {
			errs = append(errs, fmt.Errorf("check %s: title, description, remediation and severity are required", c.id))
		}
		if len(c.versions) == 0 {
			errs = append(errs, fmt.Errorf("check %s: no versions", c.id))
		}
		prev := -1
		for _, v := range c.versions {
			if v.minVersion <= prev {
				errs = append(errs, fmt.Errorf("check %s: versions must strictly increase (v1.%d after v1.%d)", c.id, v.minVersion, prev))
			}
			if v.minVersion < 0 || v.minVersion > NewestKnownMinor {
				errs = append(errs, fmt.Errorf("check %s: version v1.%d out of range v1.0..v1.%d", c.id, v.minVersion, NewestKnownMinor))
			}
			if v.fn == nil {
				errs = append(errs, fmt.Errorf("check %s: v1.%d has no function", c.id, v.minVersion))
			}
			prev = v.minVersion
			for _, o := range v.overrides {
				if c.level != LevelRestricted {
					errs = append(errs, fmt.Errorf("check %s: only restricted checks may override others", c.id))
				}
				if l, ok := levels[o]; !ok {
					errs = append(errs, fmt.Errorf("check %s: overrides unknown check %s", c.id, o))
				} else if l != LevelBaseline {
					errs = append(errs, fmt.Errorf("check %s: overrides %s check %s", c.id, l, o))
				}
			}
		}
	}
	return errors.Join(errs...)
}
