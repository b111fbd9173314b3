package podsecurity

import (
	"testing"
)

// TestDifferential compares our evaluation with Kubernetes' on thousands of
// random pods at every version and both levels.
func TestDifferential(t *testing.T) {
	pods := 5000
	if testing.Short() {
		pods = 500
	}
	g := newSeededGen(20260126)
	versions := allVersions()
	e := Default
	var compared, failing, mismatches int
	for i := range pods {
		p := g.mixedPod()
		if i%2 == 1 {
			ApplyDefaults(&p.Spec)
		}
		// HighestLevel agrees with Kubernetes' decisions.
		wantLevel := LevelPrivileged
		if runOracle(LevelVersion{LevelRestricted, LatestVersion()}, &p.ObjectMeta, &p.Spec).allowed {
			wantLevel = LevelRestricted
		} else if runOracle(LevelVersion{LevelBaseline, LatestVersion()}, &p.ObjectMeta, &p.Spec).allowed {
			wantLevel = LevelBaseline
		}
		if got := e.HighestLevel(LatestVersion(), &p.ObjectMeta, &p.Spec); got != wantLevel {
			t.Errorf("pod %d: HighestLevel = %v, Kubernetes %v", i, got, wantLevel)
		}
		// Every pod at latest and a rotating third of the explicit versions.
		for vi, v := range versions {
			if !v.IsLatest() && vi%3 != i%3 {
				continue
			}
			for _, l := range []Level{LevelBaseline, LevelRestricted} {
				lv := LevelVersion{l, v}
				compared++
				if !e.Allowed(lv, &p.ObjectMeta, &p.Spec) {
					failing++
				}
				if diff := compareWithOracle(t, e, lv, &p.ObjectMeta, &p.Spec); diff != "" {
					mismatches++
					if mismatches <= 10 {
						t.Errorf("pod %d: %s\n%s", i, diff, dumpPod(p))
					}
				}
			}
		}
	}
	t.Logf("compared %d evaluations of %d random pods (%d failing), %d mismatches", compared, pods, failing, mismatches)
}
