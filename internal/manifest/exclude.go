package manifest

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// validPattern checks an Exclude pattern: non-empty, and each segment a
// well-formed path.Match pattern.
func validPattern(p string) error {
	if p == "" {
		return errors.New("exclude pattern is empty")
	}
	for _, seg := range strings.Split(cleanPattern(p), "/") {
		if _, err := path.Match(seg, ""); err != nil {
			return fmt.Errorf("exclude pattern %q: %w", p, err)
		}
	}
	return nil
}

// cleanPattern drops what does not change which paths a pattern means:
// a leading "./", a trailing "/", doubled slashes.
func cleanPattern(p string) string {
	c := path.Clean(p)
	if c == "." {
		return p
	}
	return c
}

// excluded reports whether the path rel (slash-separated, relative to the
// walked directory) matches one of r.Exclude, as a whole or by its base
// name.
func (r *Reader) excluded(rel string) bool {
	if len(r.Exclude) == 0 {
		return false
	}
	segs := strings.Split(rel, "/")
	base := segs[len(segs)-1]
	for _, p := range r.Exclude {
		ps := strings.Split(cleanPattern(p), "/")
		if matchSegments(ps, segs) || matchSegments(ps, []string{base}) {
			return true
		}
	}
	return false
}

// matchSegments matches path segments against pattern segments, where a
// "**" segment matches any number (zero included) of path segments and
// others match one segment with path.Match.
func matchSegments(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for len(pat) > 1 && pat[1] == "**" {
				pat = pat[1:]
			}
			if len(pat) == 1 {
				return true
			}
			for i := 0; i <= len(segs); i++ {
				if matchSegments(pat[1:], segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], segs[0]); !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}
