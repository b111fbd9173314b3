package podsecurity

import (
	"testing"

	psapi "k8s.io/pod-security-admission/api"
)

// TestParseVersionMatchesKubernetes compares version parsing with the oracle's.
func TestParseVersionMatchesKubernetes(t *testing.T) {
	for _, s := range []string{"latest", "v1.0", "v1.25", "v1.37", "v1.70000", "v1.9223372036854775807", "v1.9223372036854775808",
		"v1.01", "v1.", "v1", "v2.0", "1.25", "v1.+5", "v1.-5", "v1.2a", "Latest", "", " v1.2", "v1.2.3"} {
		got, gotErr := ParseVersion(s)
		want, wantErr := psapi.ParseVersion(s)
		if (gotErr == nil) != (wantErr == nil) {
			t.Errorf("ParseVersion(%q): error %v, Kubernetes %v", s, gotErr, wantErr)
			continue
		}
		if gotErr == nil && got.String() != want.String() {
			t.Errorf("ParseVersion(%q) = %s, Kubernetes %s", s, got, want)
		}
	}
}
