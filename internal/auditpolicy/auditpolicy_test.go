package auditpolicy

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

func mustDecode(t *testing.T, rules string) *Policy {
	t.Helper()
	p, err := Decode([]byte("apiVersion: audit.k8s.io/v1\nkind: Policy\n" + rules))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLevelFor(t *testing.T) {
	p := mustDecode(t, `
omitStages: [RequestReceived]
rules:
- level: None
  users: ["system:kube-proxy"]
- level: None
  nonResourceURLs: ["/healthz*", "/version"]
- level: Metadata
  resources: [{group: "", resources: ["secrets", "configmaps"]}]
- level: RequestResponse
  resources: [{group: "", resources: ["pods/exec", "*/attach", "services/*"]}]
  omitStages: [ResponseStarted]
- level: Request
  verbs: [create]
  namespaces: [kube-system]
- level: Request
  resources: [{group: "apps", resources: ["deployments"], resourceNames: [web]}]
- level: Metadata
  userGroups: [admins]
`)
	req := func(verb, group, resource, sub, ns, name string) Request {
		return Request{User: "u", Groups: []string{"system:authenticated"}, Verb: verb, Group: group, Resource: resource, Subresource: sub, Namespace: ns, Name: name}
	}
	tests := []struct {
		name  string
		req   Request
		level Level
		rule  int
		omit  []auditv1.Stage
	}{
		{"user rule", Request{User: "system:kube-proxy", Verb: "get", Resource: "secrets"}, auditv1.LevelNone, 0, []auditv1.Stage{"RequestReceived"}},
		{"non-resource prefix", Request{User: "u", Verb: "get", Path: "/healthz/etcd"}, auditv1.LevelNone, 1, []auditv1.Stage{"RequestReceived"}},
		{"non-resource exact only", Request{User: "u", Verb: "get", Path: "/version/x"}, "", -1, nil},
		{"secrets", req("get", "", "secrets", "", "a", "s"), auditv1.LevelMetadata, 2, []auditv1.Stage{"RequestReceived"}},
		{"resource rule ignores subresource", req("get", "", "secrets", "status", "a", "s"), "", -1, nil},
		{"exact subresource", req("create", "", "pods", "exec", "a", "p"), auditv1.LevelRequestResponse, 3, []auditv1.Stage{"RequestReceived", "ResponseStarted"}},
		{"*/subresource", req("create", "", "pods", "attach", "a", "p"), auditv1.LevelRequestResponse, 3, []auditv1.Stage{"RequestReceived", "ResponseStarted"}},
		{"resource/*", req("get", "", "services", "proxy", "a", "p"), auditv1.LevelRequestResponse, 3, []auditv1.Stage{"RequestReceived", "ResponseStarted"}},
		{"resource/* needs the resource", req("get", "", "pods", "proxy", "a", "p"), "", -1, nil},
		{"namespace rule", req("create", "", "pods", "", "kube-system", "p"), auditv1.LevelRequest, 4, []auditv1.Stage{"RequestReceived"}},
		{"namespace rule other namespace", req("create", "", "pods", "", "default", "p"), "", -1, nil},
		{"resourceNames", req("get", "apps", "deployments", "", "a", "web"), auditv1.LevelRequest, 5, []auditv1.Stage{"RequestReceived"}},
		{"resourceNames other", req("get", "apps", "deployments", "", "a", "api"), "", -1, nil},
		{"group rule", Request{User: "u", Groups: []string{"admins"}, Verb: "get", Path: "/metrics"}, auditv1.LevelMetadata, 6, []auditv1.Stage{"RequestReceived"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			level, omit, rule := LevelFor(p, tt.req)
			if tt.level == "" {
				tt.level = auditv1.LevelNone
			}
			if level != tt.level || rule != tt.rule {
				t.Errorf("LevelFor = %s, rule %d; want %s, rule %d", level, rule, tt.level, tt.rule)
			}
			if diff := cmp.Diff(tt.omit, omit); diff != "" {
				t.Errorf("omit (-want +got):\n%s", diff)
			}
		})
	}
	if l, _, r := LevelFor(nil, req("get", "", "secrets", "", "a", "s")); l != auditv1.LevelNone || r != -1 {
		t.Errorf("nil policy: %s %d", l, r)
	}
}

func TestJudge(t *testing.T) {
	names := func(vs []Verdict) []string {
		var s []string
		for _, v := range vs {
			s = append(s, string(v.Probe.Concern)+" "+v.Probe.Name+" "+string(v.Level))
		}
		return s
	}
	tests := []struct {
		name string
		pol  string
		want []string
	}{
		{"catch-all RequestResponse logs secret data", "rules:\n- level: RequestResponse\n", []string{
			"sensitive-body create secrets RequestResponse", "sensitive-body update secrets RequestResponse", "sensitive-body get secrets RequestResponse",
			"sensitive-body create configmaps RequestResponse", "sensitive-body create tokenreviews RequestResponse", "sensitive-body create serviceaccounts/token RequestResponse"}},
		{"metadata for sensitive, request elsewhere", `rules:
- level: Metadata
  resources: [{group: "", resources: [secrets, configmaps, serviceaccounts/token]}, {group: authentication.k8s.io, resources: [tokenreviews]}]
- level: Request
`, nil},
		{"request level leaks request bodies only", "rules:\n- level: Request\n", []string{
			"sensitive-body create secrets Request", "sensitive-body update secrets Request",
			"sensitive-body create configmaps Request", "sensitive-body create tokenreviews Request"}},
		{"secrets and exec dropped", `rules:
- level: None
  resources: [{group: "", resources: [secrets, pods/exec, pods/attach, pods/portforward]}]
- level: None
  resources: [{group: rbac.authorization.k8s.io}]
- level: Metadata
`, []string{"must-log get secrets None", "must-log list secrets None", "must-log create pods/exec None", "must-log create pods/attach None",
			"must-log create pods/portforward None", "must-log create rolebindings None", "must-log update clusterroles None", "must-log create clusterrolebindings None"}},
		{"all stages omitted", "omitStages: [RequestReceived, ResponseStarted, ResponseComplete, Panic]\nrules:\n- level: Metadata\n", []string{
			"must-log get secrets Metadata", "must-log list secrets Metadata", "must-log create pods/exec Metadata", "must-log create pods/attach Metadata",
			"must-log create pods/portforward Metadata", "must-log create rolebindings Metadata", "must-log update clusterroles Metadata", "must-log create clusterrolebindings Metadata"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, names(Judge(mustDecode(t, tt.pol)))); diff != "" {
				t.Errorf("verdicts (-want +got):\n%s", diff)
			}
		})
	}
	if got := len(Judge(nil)); got != 8 {
		t.Errorf("nil policy fails %d probes, want the 8 must-log ones", got)
	}
}

func TestValidate(t *testing.T) {
	p := mustDecode(t, `omitStages: [Done]
rules:
- level: Everything
- level: None
  nonResourceURLs: ["healthz", "/a*b"]
  resources: [{group: "Bad_Group", resourceNames: [x]}]
`)
	want := []string{
		`omitStages[0]: unknown stage "Done"`,
		`rules[0].level: unknown level "Everything"`,
		"rules[1]: rules cannot apply to both regular resources and non-resource URLs",
		`rules[1].nonResourceURLs[0]: "healthz" must begin with '/'`,
		`rules[1].nonResourceURLs[1]: "/a*b": a wildcard '*' must be the last character`,
		`rules[1].resources[0].group: "Bad_Group": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
		"rules[1].resources[0].resourceNames: resourceNames need at least one resource",
	}
	if diff := cmp.Diff(want, Validate(p)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Decode(data)
		if err != nil {
			return
		}
		_ = Validate(p)
		_ = Judge(p)
	})
}
