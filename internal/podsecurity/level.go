package podsecurity

import (
	"fmt"
	"strconv"
	"strings"
)

// Level is a Pod Security Standards level.
type Level uint8

// The levels, least restrictive first.
const (
	LevelPrivileged Level = iota
	LevelBaseline
	LevelRestricted
)

// String returns the level's name as used in namespace labels.
func (l Level) String() string {
	switch l {
	case LevelPrivileged:
		return "privileged"
	case LevelBaseline:
		return "baseline"
	case LevelRestricted:
		return "restricted"
	}
	return "unknown"
}

// ParseLevel parses "privileged", "baseline" or "restricted" (exact, as Kubernetes does).
func ParseLevel(s string) (Level, error) {
	switch s {
	case "privileged":
		return LevelPrivileged, nil
	case "baseline":
		return LevelBaseline, nil
	case "restricted":
		return LevelRestricted, nil
	}
	return 0, fmt.Errorf("must be one of privileged, baseline, restricted")
}

// Version is a policy version: latest, or v1.N. The zero value is latest.
type Version struct {
	minor   int
	isMajor bool // set for every explicit v1.N version
}

// LatestVersion returns the "latest" version.
func LatestVersion() Version { return Version{} }

// MajorMinor returns version v1.minor.
func MajorMinor(minor int) Version { return Version{minor: minor, isMajor: true} }

// NewestKnownMinor is the newest policy version with its own rules (v1.37);
// later explicit versions behave like it.
const NewestKnownMinor = 37

// IsLatest reports whether v is "latest".
func (v Version) IsLatest() bool { return !v.isMajor }

// Minor returns N of v1.N, or NewestKnownMinor for latest.
func (v Version) Minor() int {
	if !v.isMajor {
		return NewestKnownMinor
	}
	return v.minor
}

// String returns "latest" or "v1.N".
func (v Version) String() string {
	if !v.isMajor {
		return "latest"
	}
	return "v1." + strconv.Itoa(v.minor)
}

// ParseVersion parses "latest" or "v1.N" (N without leading zeros), as
// Kubernetes parses the <mode>-version namespace labels.
func ParseVersion(s string) (Version, error) {
	if s == "latest" {
		return LatestVersion(), nil
	}
	rest, ok := strings.CutPrefix(s, "v1.")
	if !ok || rest == "" || (len(rest) > 1 && rest[0] == '0') {
		return Version{}, fmt.Errorf(`must be "latest" or "v1.x"`)
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] < '0' || rest[i] > '9' {
			return Version{}, fmt.Errorf(`must be "latest" or "v1.x"`)
		}
	}
	n, err := strconv.Atoi(rest) // any v1.N that fits an int, as Kubernetes accepts
	if err != nil {
		return Version{}, fmt.Errorf(`must be "latest" or "v1.x"`)
	}
	return MajorMinor(n), nil
}

// LevelVersion is a level at a version, e.g. restricted:latest.
type LevelVersion struct {
	Level   Level
	Version Version
}

// String returns "level:version".
func (lv LevelVersion) String() string { return lv.Level.String() + ":" + lv.Version.String() }

// ParseLevelVersion parses "LEVEL" or "LEVEL:VERSION" (version defaults to latest).
func ParseLevelVersion(s string) (LevelVersion, error) {
	ls, vs, hasVersion := strings.Cut(s, ":")
	l, err := ParseLevel(ls)
	if err != nil {
		return LevelVersion{}, fmt.Errorf("invalid level %q: %w", ls, err)
	}
	v := LatestVersion()
	if hasVersion {
		if v, err = ParseVersion(vs); err != nil {
			return LevelVersion{}, fmt.Errorf("invalid version %q: %w", vs, err)
		}
	}
	return LevelVersion{Level: l, Version: v}, nil
}
