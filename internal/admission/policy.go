package admission

import (
	"errors"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubeward/kubeward/internal/podsecurity"
)

// The namespace labels that set a namespace's policy.
const (
	LabelPrefix         = "pod-security.kubernetes.io/"
	EnforceLevelLabel   = LabelPrefix + "enforce"
	EnforceVersionLabel = LabelPrefix + "enforce-version"
	AuditLevelLabel     = LabelPrefix + "audit"
	AuditVersionLabel   = LabelPrefix + "audit-version"
	WarnLevelLabel      = LabelPrefix + "warn"
	WarnVersionLabel    = LabelPrefix + "warn-version"
)

// The audit annotation keys of a Response, unprefixed as Kubernetes' webhook
// returns them; the API server prefixes them with the webhook's name (for the
// built-in plugin: pod-security.kubernetes.io/).
const (
	// AnnotationEnforcePolicy is the enforce level:version a pod was checked against.
	AnnotationEnforcePolicy = "enforce-policy"
	// AnnotationAuditViolations holds the audit mode's violations.
	AnnotationAuditViolations = "audit-violations"
	// AnnotationExempt is "user", "namespace" or "runtimeClass" for exempt requests.
	AnnotationExempt = "exempt"
	// AnnotationError describes a problem that prevented normal evaluation.
	AnnotationError = "error"
	// AnnotationNarrowExemptions lists, comma-separated and sorted, the
	// kubeward narrow exemptions that removed or narrowed a violation (kubeward only).
	AnnotationNarrowExemptions = "kubeward-exemptions"
	// AnnotationExpiredExemptions lists the narrow exemptions that match the
	// request but have expired and so were not applied (kubeward only).
	AnnotationExpiredExemptions = "kubeward-exemptions-expired"
)

// The messages Kubernetes gives for invalid levels and versions.
var (
	errInvalidLevel   = errors.New("must be one of privileged, baseline, restricted")
	errInvalidVersion = errors.New(`must be "latest" or "v1.x"`)
)

func parseLevel(s string) (podsecurity.Level, error) {
	l, err := podsecurity.ParseLevel(s)
	if err != nil {
		return podsecurity.LevelRestricted, errInvalidLevel
	}
	return l, nil
}

func parseVersion(s string) (podsecurity.Version, error) {
	v, err := podsecurity.ParseVersion(s)
	if err != nil {
		return podsecurity.LatestVersion(), errInvalidVersion
	}
	return v, nil
}

// Policy is a namespace's effective policy in each mode.
type Policy struct {
	Enforce podsecurity.LevelVersion
	Audit   podsecurity.LevelVersion
	Warn    podsecurity.LevelVersion
}

// FullyPrivileged reports whether every mode is privileged.
func (p *Policy) FullyPrivileged() bool {
	return p.Enforce.Level == podsecurity.LevelPrivileged &&
		p.Audit.Level == podsecurity.LevelPrivileged &&
		p.Warn.Level == podsecurity.LevelPrivileged
}

// equivalent reports whether two level-versions behave the same: both
// privileged (at any version), or equal.
func equivalent(a, b podsecurity.LevelVersion) bool {
	return (a.Level == podsecurity.LevelPrivileged && b.Level == podsecurity.LevelPrivileged) || a == b
}

// Equivalent reports whether every mode of p and o behaves the same.
func (p *Policy) Equivalent(o *Policy) bool {
	return equivalent(p.Enforce, o.Enforce) && equivalent(p.Audit, o.Audit) && equivalent(p.Warn, o.Warn)
}

var labelsPath = field.NewPath("metadata", "labels")

// PolicyFromLabels resolves a namespace's labels to its policy, starting from
// defaults, exactly as Kubernetes does. It always returns a usable policy;
// invalid values are reported as field errors and replaced: an invalid
// enforce level by restricted, an invalid version by latest, an invalid audit
// or warn level by privileged. When the warn level is not labelled but a valid
// enforce level is, and enforce is stricter than the default warn level, warn
// takes the enforce level (and, unless warn-version is labelled, its version).
func PolicyFromLabels(labels map[string]string, defaults Policy) (Policy, field.ErrorList) {
	p := defaults
	if len(labels) == 0 {
		return p, nil
	}
	var (
		errs            field.ErrorList
		hasEnforceLevel bool
		hasWarnLevel    bool
		hasWarnVersion  bool
		err             error
	)
	if s, ok := labels[EnforceLevelLabel]; ok {
		p.Enforce.Level, err = parseLevel(s) // restricted on error
		hasEnforceLevel = err == nil
		errs = appendLabelErr(errs, EnforceLevelLabel, s, err)
	}
	if s, ok := labels[EnforceVersionLabel]; ok {
		p.Enforce.Version, err = parseVersion(s)
		errs = appendLabelErr(errs, EnforceVersionLabel, s, err)
	}
	if s, ok := labels[AuditLevelLabel]; ok {
		if p.Audit.Level, err = parseLevel(s); err != nil {
			p.Audit.Level = podsecurity.LevelPrivileged // audit fails open
		}
		errs = appendLabelErr(errs, AuditLevelLabel, s, err)
	}
	if s, ok := labels[AuditVersionLabel]; ok {
		p.Audit.Version, err = parseVersion(s)
		errs = appendLabelErr(errs, AuditVersionLabel, s, err)
	}
	if s, ok := labels[WarnLevelLabel]; ok {
		hasWarnLevel = true
		if p.Warn.Level, err = parseLevel(s); err != nil {
			p.Warn.Level = podsecurity.LevelPrivileged // warn fails open
		}
		errs = appendLabelErr(errs, WarnLevelLabel, s, err)
	}
	if s, ok := labels[WarnVersionLabel]; ok {
		hasWarnVersion = true
		p.Warn.Version, err = parseVersion(s)
		errs = appendLabelErr(errs, WarnVersionLabel, s, err)
	}
	if !hasWarnLevel && hasEnforceLevel && p.Enforce.Level > p.Warn.Level {
		p.Warn.Level = p.Enforce.Level
		if !hasWarnVersion {
			p.Warn.Version = p.Enforce.Version
		}
	}
	return p, errs
}

func appendLabelErr(errs field.ErrorList, label, value string, err error) field.ErrorList {
	if err == nil {
		return errs
	}
	return append(errs, field.Invalid(labelsPath.Key(label), value, err.Error()))
}

// sameLabelErrors reports whether two label error lists are equal.
func sameLabelErrors(a, b field.ErrorList) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Type != b[i].Type || a[i].Field != b[i].Field || a[i].BadValue != b[i].BadValue || a[i].Detail != b[i].Detail {
			return false
		}
	}
	return true
}

// lvStrings caches "level:version" for the common versions so that the
// enforce-policy annotation costs no allocation.
var lvStrings = func() (t [3][podsecurity.NewestKnownMinor + 4]string) {
	for l := range t {
		for m := range t[l] {
			v := podsecurity.LatestVersion()
			if m > 0 {
				v = podsecurity.MajorMinor(m - 1)
			}
			t[l][m] = podsecurity.LevelVersion{Level: podsecurity.Level(l), Version: v}.String()
		}
	}
	return t
}()

// lvString returns lv.String(), without allocating for common versions.
func lvString(lv podsecurity.LevelVersion) string {
	m := 0
	if !lv.Version.IsLatest() {
		m = lv.Version.Minor() + 1
	}
	if int(lv.Level) < len(lvStrings) && m < len(lvStrings[0]) {
		return lvStrings[lv.Level][m]
	}
	return lv.Level.String() + ":" + lv.Version.String()
}

// versionLabel is the policy_version metric label: "latest" for latest or
// privileged, "future" for versions newer than the newest known, else "v1.N".
func versionLabel(lv podsecurity.LevelVersion) string {
	if lv.Version.IsLatest() || lv.Level == podsecurity.LevelPrivileged {
		return "latest"
	}
	if lv.Version.Minor() > podsecurity.NewestKnownMinor {
		return "future"
	}
	if lv.Version.Minor()+1 < len(lvStrings[0]) {
		s := lvStrings[0][lv.Version.Minor()+1]
		return s[len("privileged:"):]
	}
	return "v1." + strconv.Itoa(lv.Version.Minor())
}
