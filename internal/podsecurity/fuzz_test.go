package podsecurity

import (
	"testing"
)

// FuzzEvaluate turns the fuzzer's bytes into a pod (through the random pod
// generator) and a version, and compares our evaluation with Kubernetes' at
// both levels. It also checks that evaluation never panics.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 0, 2, 0, 3, 0, 4, 0, 5, 0})
	f.Add([]byte("kubeward pod security fuzz seed"))
	f.Add([]byte{0xff, 0xff, 0, 0, 7, 7, 7, 7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	versions := allVersions()
	f.Fuzz(func(t *testing.T, data []byte) {
		g := newBytesGen(data)
		v := versions[g.intn(len(versions))]
		p := g.mixedPod()
		if g.chance(2) {
			ApplyDefaults(&p.Spec)
		}
		for _, l := range []Level{LevelBaseline, LevelRestricted} {
			if diff := compareWithOracle(t, Default, LevelVersion{l, v}, &p.ObjectMeta, &p.Spec); diff != "" {
				t.Fatalf("%s\n%s", diff, dumpPod(p))
			}
		}
	})
}
