package auditlog

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// The audit levels, least first.
const (
	LevelNone            = "None"
	LevelMetadata        = "Metadata"
	LevelRequest         = "Request"
	LevelRequestResponse = "RequestResponse"
)

func levelRank(l string) int {
	switch l {
	case LevelMetadata:
		return 1
	case LevelRequest:
		return 2
	case LevelRequestResponse:
		return 3
	}
	return 0
}

// Policy is an audit.k8s.io/v1 Policy, the file kube-apiserver's
// --audit-policy-file names.
type Policy struct {
	APIVersion        string       `json:"apiVersion"`
	Kind              string       `json:"kind"`
	Metadata          any          `json:"metadata,omitempty"`
	Rules             []PolicyRule `json:"rules"`
	OmitStages        []string     `json:"omitStages,omitempty"`
	OmitManagedFields bool         `json:"omitManagedFields,omitempty"`
}

// PolicyRule is one rule of a Policy; empty lists match everything.
type PolicyRule struct {
	Level             string           `json:"level"`
	Users             []string         `json:"users,omitempty"`
	UserGroups        []string         `json:"userGroups,omitempty"`
	Verbs             []string         `json:"verbs,omitempty"`
	Resources         []GroupResources `json:"resources,omitempty"`
	Namespaces        []string         `json:"namespaces,omitempty"`
	NonResourceURLs   []string         `json:"nonResourceURLs,omitempty"`
	OmitStages        []string         `json:"omitStages,omitempty"`
	OmitManagedFields *bool            `json:"omitManagedFields,omitempty"`
}

// GroupResources selects resources of one API group.
type GroupResources struct {
	Group         string   `json:"group"`
	Resources     []string `json:"resources,omitempty"`
	ResourceNames []string `json:"resourceNames,omitempty"`
}

// LoadPolicy reads and validates an audit policy file (YAML or JSON);
// unknown fields and invalid levels or stages are errors, all reported.
func LoadPolicy(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := ParsePolicy(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// ParsePolicy decodes and validates an audit policy.
func ParsePolicy(data []byte) (*Policy, error) {
	var p Policy
	if err := yaml.UnmarshalStrict(data, &p); err != nil {
		return nil, err
	}
	var errs []error
	if p.APIVersion != "audit.k8s.io/v1" || p.Kind != "Policy" {
		errs = append(errs, fmt.Errorf("want apiVersion audit.k8s.io/v1 and kind Policy, got %q %q", p.APIVersion, p.Kind))
	}
	checkStages := func(where string, stages []string) {
		for _, s := range stages {
			switch s {
			case StageRequestReceived, StageResponseStarted, StageResponseComplete, StagePanic:
			default:
				errs = append(errs, fmt.Errorf("%s: unknown stage %q", where, s))
			}
		}
	}
	checkStages("omitStages", p.OmitStages)
	for i, r := range p.Rules {
		where := fmt.Sprintf("rules[%d]", i)
		if r.Level != LevelNone && levelRank(r.Level) == 0 {
			errs = append(errs, fmt.Errorf("%s: unknown level %q", where, r.Level))
		}
		if len(r.NonResourceURLs) > 0 && (len(r.Resources) > 0 || len(r.Namespaces) > 0) {
			errs = append(errs, fmt.Errorf("%s: rules cannot apply to both regular resources and non-resource URLs", where))
		}
		checkStages(where+".omitStages", r.OmitStages)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &p, nil
}

// Request is what an audit policy rule is matched against.
type Request struct {
	User     string
	Groups   []string
	Verb     string
	Resource bool // a resource request (else Path)
	APIGroup string
	Res      string
	Sub      string
	NS       string
	Name     string
	Path     string
}

// Decide returns the level and omitted stages for req, and the index of the
// rule that matched (-1: none, level None), as kube-apiserver decides: the
// first rule that matches wins.
func (p *Policy) Decide(req *Request) (level string, omit []string, rule int) {
	for i := range p.Rules {
		r := &p.Rules[i]
		if ruleMatches(r, req) {
			omit = append(append(omit, p.OmitStages...), r.OmitStages...)
			return r.Level, omit, i
		}
	}
	return LevelNone, nil, -1
}

func ruleMatches(r *PolicyRule, req *Request) bool {
	if len(r.Users) > 0 && !contains(r.Users, req.User) {
		return false
	}
	if len(r.UserGroups) > 0 {
		found := false
		for _, g := range req.Groups {
			if contains(r.UserGroups, g) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if len(r.Verbs) > 0 && !contains(r.Verbs, req.Verb) {
		return false
	}
	if len(r.Namespaces) > 0 || len(r.Resources) > 0 {
		return ruleMatchesResource(r, req)
	}
	if len(r.NonResourceURLs) > 0 {
		if req.Resource {
			return false
		}
		for _, spec := range r.NonResourceURLs {
			if spec == "*" || spec == req.Path || (strings.HasSuffix(spec, "*") && strings.HasPrefix(req.Path, strings.TrimRight(spec, "*"))) {
				return true
			}
		}
		return false
	}
	return true
}

func ruleMatchesResource(r *PolicyRule, req *Request) bool {
	if !req.Resource {
		return false
	}
	if len(r.Namespaces) > 0 && !contains(r.Namespaces, req.NS) {
		return false
	}
	if len(r.Resources) == 0 {
		return true
	}
	combined := req.Res
	if req.Sub != "" {
		combined += "/" + req.Sub
	}
	for _, gr := range r.Resources {
		if gr.Group != req.APIGroup && gr.Group != "*" {
			continue
		}
		if len(gr.Resources) == 0 {
			return true
		}
		if len(gr.ResourceNames) > 0 && !contains(gr.ResourceNames, req.Name) {
			continue
		}
		for _, res := range gr.Resources {
			if res == combined || res == "*" {
				return true
			}
			if req.Sub != "" && strings.HasPrefix(res, "*/") && req.Sub == strings.TrimPrefix(res, "*/") {
				return true
			}
			if strings.HasSuffix(res, "/*") && req.Res == strings.TrimSuffix(res, "/*") {
				return true
			}
		}
	}
	return false
}

// need is one request a detection must see: at least level, at stage.
type need struct {
	req   Request
	level string
	stage string
	why   string
}

// probe users: an ordinary user and a service account in an ordinary
// namespace, as a policy's rules for people and workloads see them.
var (
	probeUser = Request{User: "kubeward-probe", Groups: []string{"system:authenticated"}}
	probeSA   = Request{User: "system:serviceaccount:default:kubeward-probe", Groups: []string{"system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"}}
	probeAnon = Request{User: "system:anonymous", Groups: []string{"system:unauthenticated"}}
)

func res(who Request, verb, group, resource, sub, ns string) Request {
	r := who
	r.Verb, r.Resource, r.APIGroup, r.Res, r.Sub, r.NS, r.Name = verb, true, group, resource, sub, ns, "probe"
	if verb == "list" || verb == "watch" || verb == "create" && sub == "" {
		r.Name = ""
	}
	return r
}

// needs lists, per rule, the requests its detection reads.
func needs() map[string][]need {
	const rc = StageResponseComplete
	pod := func(verb string) need {
		return need{res(probeUser, verb, "", "pods", "", "default"), LevelRequest, rc, "the request object of pod " + verb + "s"}
	}
	rbacWrite := func(resource string) need {
		return need{res(probeUser, "create", "rbac.authorization.k8s.io", resource, "", ""), LevelRequest, rc, "the request object of " + resource + " created"}
	}
	webhook := func(verb, resource string) need {
		return need{res(probeUser, verb, "admissionregistration.k8s.io", resource, "", ""), LevelMetadata, rc, resource + " " + verb}
	}
	return map[string][]need{
		RulePodSecurity: {pod("create"), pod("update"),
			{res(probeUser, "create", "apps", "deployments", "", "default"), LevelRequest, rc, "the request object of deployments created"},
			{res(probeUser, "update", "", "pods", "ephemeralcontainers", "default"), LevelRequest, rc, "the request object of ephemeral containers added"}},
		RulePodSecurityExempt: {pod("create")},
		RulePodExec: {{res(probeUser, "create", "", "pods", "exec", "default"), LevelMetadata, StageResponseStarted, "pods/exec sessions as they start"},
			{res(probeUser, "create", "", "pods", "attach", "default"), LevelMetadata, StageResponseStarted, "pods/attach sessions as they start"}},
		RulePodPortForward:     {{res(probeUser, "create", "", "pods", "portforward", "default"), LevelMetadata, StageResponseStarted, "pods/portforward sessions as they start"}},
		RuleEphemeralContainer: {{res(probeUser, "patch", "", "pods", "ephemeralcontainers", "default"), LevelMetadata, rc, "ephemeral containers added"}},
		RuleNodeProxy:          {{res(probeUser, "get", "", "nodes", "proxy", ""), LevelMetadata, rc, "nodes/proxy requests"}},
		RuleSecretRead:         {{res(probeUser, "get", "", "secrets", "", "default"), LevelMetadata, rc, "Secret reads (Metadata: never log Secret contents)"}},
		RuleSecretListAll:      {{res(probeUser, "list", "", "secrets", "", ""), LevelMetadata, rc, "Secrets listed in all namespaces"}},
		RuleSecretEnumeration:  {{res(probeSA, "get", "", "secrets", "", "default"), LevelMetadata, rc, "Secret reads by service accounts"}, {res(probeUser, "get", "", "secrets", "", "default"), LevelMetadata, rc, "Secret reads by users"}},
		RuleSecretReadDenied:   {{res(probeSA, "get", "", "secrets", "", "default"), LevelMetadata, rc, "Secret reads (denied ones included)"}},
		RuleBindingPrivileged:  {rbacWrite("clusterrolebindings"), rbacWrite("rolebindings")},
		RuleRolePrivileged:     {rbacWrite("clusterroles"), rbacWrite("roles")},
		RuleEscalateBindUsed:   {rbacWrite("clusterroles"), rbacWrite("rolebindings")},
		RuleSystemRoleModified: {{res(probeUser, "update", "rbac.authorization.k8s.io", "clusterroles", "", ""), LevelMetadata, rc, "clusterroles updated"},
			{res(probeUser, "delete", "rbac.authorization.k8s.io", "clusterrolebindings", "", ""), LevelMetadata, rc, "clusterrolebindings deleted"}},
		RuleImpersonation:    {{res(probeUser, "get", "", "pods", "", "default"), LevelMetadata, rc, "ordinary requests (impersonation shows on any of them)"}},
		RuleAnonymousAllowed: {{res(probeAnon, "get", "", "configmaps", "", "default"), LevelMetadata, rc, "requests by system:anonymous"}},
		RuleAuthFailureBurst: {{Request{Verb: "get", Path: "/api"}, LevelMetadata, StageResponseStarted, "failed authentication (audited at ResponseStarted, with no user)"},
			{res(probeUser, "list", "", "configmaps", "", "default"), LevelMetadata, rc, "forbidden requests"}},
		RuleTokenOtherSA:    {{res(probeSA, "create", "", "serviceaccounts", "token", "default"), LevelMetadata, rc, "service account tokens requested (Metadata: the response holds the token)"}},
		RuleCSRApproval:     {{res(probeUser, "update", "certificates.k8s.io", "certificatesigningrequests", "approval", ""), LevelRequest, rc, "the request object of CSR approvals"}},
		RuleCSRSelfApproval: {{res(probeUser, "update", "certificates.k8s.io", "certificatesigningrequests", "approval", ""), LevelRequest, rc, "the request object of CSR approvals (spec.username)"}},
		RuleAdmissionWebhook: {webhook("create", "validatingwebhookconfigurations"), webhook("update", "mutatingwebhookconfigurations"),
			webhook("delete", "validatingwebhookconfigurations"), webhook("patch", "mutatingwebhookconfigurations")},
		RulePodSecurityLabelDown: {{res(probeUser, "update", "", "namespaces", "", ""), LevelRequest, rc, "the request object of namespaces updated"},
			{res(probeUser, "patch", "", "namespaces", "", ""), LevelRequestResponse, rc, "the response object of namespaces patched"},
			{res(probeUser, "create", "", "namespaces", "", ""), LevelRequest, rc, "the request object of namespaces created (their labels)"}},
	}
}

// Coverage says whether an audit policy records what one detection reads.
type Coverage struct {
	Rule    string `json:"rule"`
	Covered bool   `json:"covered"`
	// Problems name each request the detection cannot see, and why.
	Problems []string `json:"problems,omitempty"`
}

// CheckCoverage returns, for every audit log rule in ID order, whether
// policy records the requests its detection reads, at the level and stage
// it needs, for an ordinary user, service account or anonymous caller.
func CheckCoverage(p *Policy) []Coverage {
	ns := needs()
	rules := Rules()
	sort.Slice(rules, func(i, j int) bool { return rules[i].ID < rules[j].ID })
	var out []Coverage
	for _, r := range rules {
		c := Coverage{Rule: r.ID, Covered: true}
		for _, n := range ns[r.ID] {
			level, omit, idx := p.Decide(&n.req)
			where := "no rule matches"
			if idx >= 0 {
				where = fmt.Sprintf("rules[%d]", idx)
			}
			switch {
			case levelRank(level) < levelRank(n.level):
				c.Problems = append(c.Problems, fmt.Sprintf("%s: level %s (%s), needs %s", n.why, level, where, n.level))
			case contains(omit, n.stage) && !(n.stage == StageResponseStarted && !contains(omit, StageResponseComplete) && n.req.User != ""):
				c.Problems = append(c.Problems, fmt.Sprintf("%s: stage %s omitted (%s)", n.why, n.stage, where))
			}
		}
		c.Covered = len(c.Problems) == 0
		out = append(out, c)
	}
	return out
}
