package podsecurity

import (
	"testing"

	"k8s.io/pod-security-admission/policy"
)

func BenchmarkTmpFailing(b *testing.B) {
	corpus := benchCorpus()
	lv := LevelVersion{LevelRestricted, LatestVersion()}
	alv := toAPI(lv)
	var failing []int
	for i, p := range corpus {
		if !Default.Allowed(lv, &p.ObjectMeta, &p.Spec) {
			failing = append(failing, i)
		}
	}
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			p := corpus[failing[i%len(failing)]]
			benchSink += len(Default.Evaluate(lv, &p.ObjectMeta, &p.Spec))
		}
	})
	b.Run("oracle", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			p := corpus[failing[i%len(failing)]]
			benchSink += len(policy.AggregateCheckResults(oracleEvaluator.EvaluatePod(alv, &p.ObjectMeta, &p.Spec)).ForbiddenReasons)
		}
	})
}
