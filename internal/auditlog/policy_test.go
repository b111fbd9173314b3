package auditlog

import (
	"os"
	"strings"
	"testing"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kubeward/kubeward/internal/auditpolicy"
)

func TestSamplePolicyCoversEveryDetection(t *testing.T) {
	p, err := LoadPolicy("testdata/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cov := CheckCoverage(p)
	if len(cov) != len(Rules()) {
		t.Fatalf("%d coverage rows for %d rules", len(cov), len(Rules()))
	}
	for _, c := range cov {
		if !c.Covered {
			t.Errorf("%s not covered: %v", c.Rule, c.Problems)
		}
	}
	// The docs show the same policy.
	doc, err := os.ReadFile("../../docs/auditlog.md")
	if err != nil {
		t.Skip("docs/auditlog.md not written yet")
	}
	sample, _ := os.ReadFile("testdata/policy.yaml")
	if !strings.Contains(string(doc), string(sample)) {
		t.Error("docs/auditlog.md does not show testdata/policy.yaml verbatim")
	}
}

func TestPolicyFirstMatch(t *testing.T) {
	p, err := ParsePolicy([]byte(`apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  resources: [{group: "", resources: ["secrets"]}]
- level: Metadata
  verbs: [create]
  resources: [{group: "", resources: ["pods/*"]}]
  omitStages: [ResponseStarted]
- level: Request
  namespaces: ["kube-system"]
- level: None
  nonResourceURLs: ["/healthz*"]
- level: RequestResponse
  userGroups: ["system:authenticated"]
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		req   Request
		level auditv1.Level
		rule  int
	}{
		{res(probeUser, "get", "", "secrets", "", "default"), auditv1.LevelNone, 0},
		{res(probeUser, "create", "", "pods", "exec", "default"), auditv1.LevelMetadata, 1},
		{res(probeUser, "create", "", "pods", "", "default"), auditv1.LevelMetadata, 1}, // "pods/*" matches pods too, as upstream
		{res(probeUser, "create", "", "configmaps", "", "default"), auditv1.LevelRequestResponse, 4},
		{res(probeUser, "get", "", "configmaps", "", "kube-system"), auditv1.LevelRequest, 2},
		{Request{User: "x", Groups: []string{"system:authenticated"}, Verb: "get", Path: "/healthz/etcd"}, auditv1.LevelNone, 3},
		{Request{User: "system:anonymous", Groups: []string{"system:unauthenticated"}, Verb: "get", Path: "/api"}, auditv1.LevelNone, -1},
	} {
		level, omit, rule := auditpolicy.LevelFor(p, tc.req)
		if level != tc.level || rule != tc.rule {
			t.Errorf("%+v: level %s rule %d, want %s rule %d", tc.req, level, rule, tc.level, tc.rule)
		}
		if rule == 1 && (len(omit) != 2 || omit[1] != auditv1.StageResponseStarted) {
			t.Errorf("omit = %v", omit)
		}
	}
	cov := CheckCoverage(p)
	byRule := map[string]Coverage{}
	for _, c := range cov {
		byRule[c.Rule] = c
	}
	if c := byRule[RuleSecretRead]; c.Covered || !strings.Contains(c.Problems[0], "level None (rules[0]), needs Metadata") {
		t.Errorf("secret-read: %+v", c)
	}
	// exec's ResponseStarted is omitted but ResponseComplete still records it.
	if c := byRule[RulePodExec]; !c.Covered {
		t.Errorf("pod-exec: %+v", c)
	}
	if _, err := ParsePolicy([]byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Everything\n  omitStages: [Later]\n")); err == nil ||
		!strings.Contains(err.Error(), `unknown level "Everything"`) || !strings.Contains(err.Error(), `unknown stage "Later"`) {
		t.Errorf("invalid policy: %v", err)
	}
}
