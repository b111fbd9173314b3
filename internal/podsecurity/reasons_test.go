package podsecurity

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEvaluateReasonsMatchesEvaluate: EvaluateReasons gives exactly
// Evaluate's checks, reasons and details, only without fields, on random pods
// at every version and both levels.
func TestEvaluateReasonsMatchesEvaluate(t *testing.T) {
	g := newSeededGen(42)
	compared := 0
	for i := 0; i < 3000; i++ {
		p := g.pod()
		for minor := 0; minor <= NewestKnownMinor+1; minor += 3 {
			for _, l := range []Level{LevelBaseline, LevelRestricted} {
				lv := LevelVersion{l, MajorMinor(minor)}
				full := Default.Evaluate(lv, &p.ObjectMeta, &p.Spec)
				for j := range full {
					full[j].Fields = nil
				}
				brief := Default.EvaluateReasons(lv, &p.ObjectMeta, &p.Spec)
				if diff := cmp.Diff(full, brief); diff != "" {
					t.Fatalf("pod %d at %s (-Evaluate +EvaluateReasons):\n%s", i, lv, diff)
				}
				compared++
			}
		}
	}
	t.Logf("%d evaluations compared", compared)
}
