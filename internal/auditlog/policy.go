package auditlog

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kubeward/kubeward/internal/auditpolicy"
)

// Policy is an audit.k8s.io/v1 Policy, the file kube-apiserver's
// --audit-policy-file names; internal/auditpolicy decodes and evaluates
// it, as for `kubeward config`.
type Policy = auditpolicy.Policy

// Request is what an audit policy rule is matched against.
type Request = auditpolicy.Request

// LoadPolicy reads and validates an audit policy file (YAML or JSON);
// unknown fields and what kube-apiserver refuses (invalid levels or
// stages, ...) are errors, all reported.
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
	p, err := auditpolicy.Decode(data)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, msg := range auditpolicy.Validate(p) {
		errs = append(errs, errors.New(msg))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

// need is one request a detection must see: at least level, at stage.
type need struct {
	req   Request
	level auditpolicy.Level
	stage auditv1.Stage
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
	r.Verb, r.Group, r.Resource, r.Subresource, r.Namespace, r.Name = verb, group, resource, sub, ns, "probe"
	if verb == "list" || verb == "watch" || verb == "create" && sub == "" {
		r.Name = ""
	}
	return r
}

// needs lists, per rule, the requests its detection reads.
func needs() map[string][]need {
	const (
		rc                   = auditv1.StageResponseComplete
		started              = auditv1.StageResponseStarted
		LevelMetadata        = auditv1.LevelMetadata
		LevelRequest         = auditv1.LevelRequest
		LevelRequestResponse = auditv1.LevelRequestResponse
	)
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
		RulePodExec: {{res(probeUser, "create", "", "pods", "exec", "default"), LevelMetadata, started, "pods/exec sessions as they start"},
			{res(probeUser, "create", "", "pods", "attach", "default"), LevelMetadata, started, "pods/attach sessions as they start"}},
		RulePodPortForward:     {{res(probeUser, "create", "", "pods", "portforward", "default"), LevelMetadata, started, "pods/portforward sessions as they start"}},
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
		RuleAuthFailureBurst: {{Request{Verb: "get", Path: "/api"}, LevelMetadata, started, "failed authentication (audited at ResponseStarted, with no user)"},
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
			level, omit, idx := auditpolicy.LevelFor(p, n.req)
			where := "no rule matches"
			if idx >= 0 {
				where = fmt.Sprintf("rules[%d]", idx)
			}
			switch {
			case auditpolicy.Rank(level) < auditpolicy.Rank(n.level):
				c.Problems = append(c.Problems, fmt.Sprintf("%s: level %s (%s), needs %s", n.why, level, where, n.level))
			case slices.Contains(omit, n.stage) && !(n.stage == auditv1.StageResponseStarted && !slices.Contains(omit, auditv1.StageResponseComplete) && n.req.User != ""):
				c.Problems = append(c.Problems, fmt.Sprintf("%s: stage %s omitted (%s)", n.why, n.stage, where))
			}
		}
		c.Covered = len(c.Problems) == 0
		out = append(out, c)
	}
	return out
}
