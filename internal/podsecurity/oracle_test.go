package podsecurity

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// The oracle is Kubernetes' own implementation, used in tests only.
var (
	oracleChecks    = policy.DefaultChecks()
	oracleEvaluator = func() policy.Evaluator {
		e, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
		if err != nil {
			panic(err)
		}
		return e
	}()
)

// allLevelVersions lists baseline and restricted at v1.0 … v1.NewestKnownMinor+2 and latest.
func allVersions() []Version {
	var vs []Version
	for m := 0; m <= NewestKnownMinor+2; m++ {
		vs = append(vs, MajorMinor(m))
	}
	return append(vs, LatestVersion())
}

func toAPI(lv LevelVersion) psaapi.LevelVersion {
	out := psaapi.LevelVersion{Version: psaapi.LatestVersion()}
	if !lv.Version.IsLatest() {
		out.Version = psaapi.MajorMinorVersion(1, lv.Version.Minor())
	}
	switch lv.Level {
	case LevelPrivileged:
		out.Level = psaapi.LevelPrivileged
	case LevelBaseline:
		out.Level = psaapi.LevelBaseline
	default:
		out.Level = psaapi.LevelRestricted
	}
	return out
}

// oracleResult is what Kubernetes decides for a pod.
type oracleResult struct {
	allowed bool
	ids     []string // failing checks, in Kubernetes' order
	message string   // the aggregated "reason (detail), ..." text
	results []policy.CheckResult
}

func runOracle(lv LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) oracleResult {
	alv := toAPI(lv)
	agg := policy.AggregateCheckResults(oracleEvaluator.EvaluatePod(alv, meta, spec))
	res := oracleResult{allowed: agg.Allowed, message: agg.ForbiddenDetail()}
	if alv.Level == psaapi.LevelPrivileged {
		return res
	}
	// The aggregated result carries no check IDs: run each check alone at the version.
	type active struct {
		id       string
		baseline bool
		fn       policy.CheckPodFn
	}
	var checks []active
	overridden := map[policy.CheckID]bool{}
	for _, c := range oracleChecks {
		var in *policy.VersionedCheck
		for i := range c.Versions {
			if !alv.Version.Older(c.Versions[i].MinimumVersion) {
				in = &c.Versions[i]
			}
		}
		if in == nil {
			continue
		}
		if c.Level == psaapi.LevelRestricted {
			if alv.Level != psaapi.LevelRestricted {
				continue
			}
			for _, o := range in.OverrideCheckIDs {
				overridden[o] = true
			}
		}
		checks = append(checks, active{string(c.ID), c.Level == psaapi.LevelBaseline, in.CheckPod})
	}
	slices.SortFunc(checks, func(a, b active) int {
		if a.baseline != b.baseline {
			if a.baseline {
				return -1
			}
			return 1
		}
		return cmpString(a.id, b.id)
	})
	for _, c := range checks {
		if alv.Level == psaapi.LevelRestricted && c.baseline && overridden[policy.CheckID(c.id)] {
			continue
		}
		r := c.fn(meta, spec)
		if !r.Allowed {
			res.ids = append(res.ids, c.id)
			res.results = append(res.results, r)
		}
	}
	return res
}

// compareWithOracle returns a description of every difference between our
// evaluation and Kubernetes', or "" when they agree.
func compareWithOracle(t testing.TB, e *Evaluator, lv LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) string {
	t.Helper()
	want := runOracle(lv, meta, spec)
	got := e.Evaluate(lv, meta, spec)
	var ids []string
	for _, v := range got {
		ids = append(ids, v.Check)
	}
	var diffs []string
	if (len(got) == 0) != want.allowed {
		diffs = append(diffs, "decision differs")
	}
	if !slices.Equal(ids, want.ids) {
		diffs = append(diffs, "check IDs: got "+joinStrings(ids)+", want "+joinStrings(want.ids))
	}
	if msg := AggregateMessage(got); msg != want.message {
		diffs = append(diffs, "message:\n  got:  "+msg+"\n  want: "+want.message)
	}
	if len(diffs) == 0 {
		// The per-check oracle must agree with the aggregated one too.
		if len(want.results) != len(got) {
			diffs = append(diffs, "oracle per-check results disagree with its aggregate")
		}
		if e.Allowed(lv, meta, spec) != want.allowed {
			diffs = append(diffs, "Allowed disagrees")
		}
		for _, v := range got {
			if len(v.Fields) == 0 {
				diffs = append(diffs, v.Check+": no fields")
			}
			for _, f := range v.Fields {
				if f.Path == "" || f.Fix.Op == "" {
					diffs = append(diffs, v.Check+": incomplete field "+f.Path)
				}
			}
		}
	}
	if len(diffs) == 0 {
		return ""
	}
	return lv.String() + ": " + joinStrings(diffs)
}

func joinStrings(ss []string) string {
	out := "["
	for i, s := range ss {
		if i > 0 {
			out += "; "
		}
		out += s
	}
	return out + "]"
}
