package admission

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime/schema"
	compbasemetrics "k8s.io/component-base/metrics"
	psapi "k8s.io/pod-security-admission/api"
	psmetrics "k8s.io/pod-security-admission/metrics"

	"github.com/kubeward/kubeward/internal/podsecurity"
)

// TestEvaluationLabelsMatchKubernetes records the same evaluations with
// Kubernetes' Prometheus recorder (built for a v1.37 API server) and compares
// its label values with EvaluationLabels.
func TestEvaluationLabelsMatchKubernetes(t *testing.T) {
	lvs := []string{"restricted:latest", "baseline:v1.0", "restricted:v1.25", "restricted:v1.37", "baseline:v1.38", "restricted:v1.200", "privileged:v1.20", "privileged:latest"}
	reqs := []*Request{
		{Operation: "CREATE", Resource: podsGVR},
		{Operation: "UPDATE", Resource: podsGVR, SubResource: "ephemeralcontainers"},
		{Operation: "DELETE", Resource: podsGVR},
		{Operation: "UPDATE", Resource: nsGVR},
		{Operation: "CREATE", Resource: schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}},
		{Operation: "CONNECT", Resource: schema.GroupVersionResource{Version: "v1", Resource: "replicationcontrollers"}},
	}
	for _, s := range lvs {
		lv, err := podsecurity.ParseLevelVersion(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, req := range reqs {
			for _, mode := range []Mode{ModeEnforce, ModeAudit} {
				rec := psmetrics.NewPrometheusRecorder(psapi.MajorMinorVersion(1, podsecurity.NewestKnownMinor))
				reg := compbasemetrics.NewKubeRegistry()
				rec.MustRegister(reg.MustRegister)
				rec.RecordEvaluation(psmetrics.DecisionDeny, toOracleLV(t, lv), psmetrics.Mode(mode), oracleAttrs(req))
				rec.RecordExemption(oracleAttrs(req))
				rec.RecordError(true, oracleAttrs(req))
				families, err := reg.Gather()
				if err != nil {
					t.Fatal(err)
				}
				got := map[string][]string{}
				for _, f := range families {
					for _, m := range f.GetMetric() {
						if m.GetCounter().GetValue() == 0 {
							continue
						}
						var values []string
						for _, l := range m.GetLabel() {
							values = append(values, l.GetName()+"="+l.GetValue())
						}
						got[f.GetName()] = values
					}
				}
				ev := EvaluationLabels(DecisionDeny, lv, mode, req)
				names := []string{"decision", "policy_level", "policy_version", "mode", "request_operation", "resource", "subresource"}
				want := map[string][]string{}
				for i, n := range names {
					want["pod_security_evaluations_total"] = append(want["pod_security_evaluations_total"], n+"="+ev[i])
				}
				// Prometheus sorts labels by name.
				want["pod_security_evaluations_total"] = sortedLabels(want["pod_security_evaluations_total"])
				want["pod_security_exemptions_total"] = sortedLabels([]string{"request_operation=" + OperationLabel(req.Operation), "resource=" + ResourceLabel(req.Resource), "subresource=" + req.SubResource})
				want["pod_security_errors_total"] = sortedLabels([]string{"fatal=true", "request_operation=" + OperationLabel(req.Operation), "resource=" + ResourceLabel(req.Resource), "subresource=" + req.SubResource})
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("%s %s %s/%s: (-ours +kubernetes):\n%s", s, mode, req.Operation, req.Resource.Resource, d)
				}
			}
		}
	}
}

func sortedLabels(l []string) []string {
	out := slices.Clone(l)
	slices.Sort(out)
	return out
}

func toOracleLV(t *testing.T, lv podsecurity.LevelVersion) psapi.LevelVersion {
	t.Helper()
	l, err := psapi.ParseLevel(lv.Level.String())
	if err != nil {
		t.Fatal(err)
	}
	v, err := psapi.ParseVersion(lv.Version.String())
	if err != nil {
		t.Fatal(err)
	}
	return psapi.LevelVersion{Level: l, Version: v}
}
