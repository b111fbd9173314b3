package auditpolicy

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Concern is what a representative request is about.
type Concern string

// The concerns a policy is judged on.
const (
	// SensitiveBody: the request's body holds credentials or data meant to
	// stay out of logs (Secrets, ConfigMaps, TokenReviews); logged at
	// Request or RequestResponse, it is written to the audit log.
	SensitiveBody Concern = "sensitive-body"
	// MustLog: the request should leave a trace (Secret access, exec and
	// attach into pods, port forwarding, RBAC changes); level None hides it.
	MustLog Concern = "must-log"
)

// Probe is a representative request and why it matters.
type Probe struct {
	Name    string
	Concern Concern
	Request Request
	// Leaks is, for SensitiveBody probes, the lowest level that writes the
	// sensitive data: Request when the request body holds it (create a
	// Secret, a TokenReview), RequestResponse when only the response does
	// (get a Secret, a TokenRequest's token).
	Leaks Level
}

// user is an ordinary authenticated user: rules for system users and
// groups (the kubelet, controllers) must not decide the verdict.
var user = struct {
	name   string
	groups []string
}{"jane@example.com", []string{"system:authenticated", "developers"}}

func probe(name string, c Concern, verb, group, resource, sub string) Probe {
	leaks := auditv1.LevelRequest
	if verb == "get" || verb == "list" || sub == "token" {
		leaks = auditv1.LevelRequestResponse
	}
	return Probe{Name: name, Concern: c, Leaks: leaks, Request: Request{User: user.name, Groups: user.groups, Verb: verb,
		Group: group, Resource: resource, Subresource: sub, Namespace: "default", Name: "x"}}
}

// Probes are the representative requests Judge uses, in a fixed order.
var Probes = []Probe{
	probe("create secrets", SensitiveBody, "create", "", "secrets", ""),
	probe("update secrets", SensitiveBody, "update", "", "secrets", ""),
	probe("get secrets", SensitiveBody, "get", "", "secrets", ""),
	probe("create configmaps", SensitiveBody, "create", "", "configmaps", ""),
	probe("create tokenreviews", SensitiveBody, "create", "authentication.k8s.io", "tokenreviews", ""),
	probe("create serviceaccounts/token", SensitiveBody, "create", "", "serviceaccounts", "token"),
	probe("get secrets", MustLog, "get", "", "secrets", ""),
	probe("list secrets", MustLog, "list", "", "secrets", ""),
	probe("create pods/exec", MustLog, "create", "", "pods", "exec"),
	probe("create pods/attach", MustLog, "create", "", "pods", "attach"),
	probe("create pods/portforward", MustLog, "create", "", "pods", "portforward"),
	probe("create rolebindings", MustLog, "create", "rbac.authorization.k8s.io", "rolebindings", ""),
	probe("update clusterroles", MustLog, "update", "rbac.authorization.k8s.io", "clusterroles", ""),
	probe("create clusterrolebindings", MustLog, "create", "rbac.authorization.k8s.io", "clusterrolebindings", ""),
}

// Verdict is one probe a policy fails.
type Verdict struct {
	Probe Probe
	Level Level
	// Rule is the index of the rule that matched, -1 when none did.
	Rule int
}

func (v Verdict) String() string {
	where := "no rule matches"
	if v.Rule >= 0 {
		where = fmt.Sprintf("rules[%d] matches", v.Rule)
	}
	return fmt.Sprintf("%s: level %s (%s)", v.Probe.Name, v.Level, where)
}

// Judge returns the probes p fails: SensitiveBody probes recorded at their
// Leaks level or above (unless every stage is omitted), and MustLog probes recorded at None. A nil policy fails every
// MustLog probe.
func Judge(p *Policy) []Verdict {
	var out []Verdict
	for _, pr := range Probes {
		level, omit, rule := LevelFor(p, pr.Request)
		switch pr.Concern {
		case SensitiveBody:
			if rank(level) >= rank(pr.Leaks) && !omitsAll(omit) {
				out = append(out, Verdict{Probe: pr, Level: level, Rule: rule})
			}
		case MustLog:
			if level == auditv1.LevelNone || level == "" || omitsAll(omit) {
				out = append(out, Verdict{Probe: pr, Level: level, Rule: rule})
			}
		}
	}
	return out
}

// Rank orders levels: None 0, Metadata 1, Request 2, RequestResponse 3
// (an unknown level ranks as None).
func Rank(l Level) int { return rank(l) }

func rank(l Level) int {
	switch l {
	case auditv1.LevelMetadata:
		return 1
	case auditv1.LevelRequest:
		return 2
	case auditv1.LevelRequestResponse:
		return 3
	}
	return 0
}

// omitsAll reports whether every stage that carries an event is omitted
// (RequestReceived, ResponseStarted, ResponseComplete and Panic).
func omitsAll(omit []auditv1.Stage) bool {
	for _, s := range []auditv1.Stage{auditv1.StageRequestReceived, auditv1.StageResponseStarted, auditv1.StageResponseComplete, auditv1.StagePanic} {
		found := false
		for _, o := range omit {
			if o == s {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Decode decodes an audit Policy (audit.k8s.io/v1) from YAML or JSON
// strictly; any other type is an error.
func Decode(data []byte) (*Policy, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	p := &Policy{}
	strict, err := sigsjson.UnmarshalStrict(js, p)
	if err != nil {
		return nil, err
	}
	if len(strict) > 0 {
		return nil, fmt.Errorf("strict decoding error: %v", strict[0])
	}
	if !IsKind(p.APIVersion, p.Kind) {
		return nil, fmt.Errorf("not an audit policy: apiVersion %q, kind %q", p.APIVersion, p.Kind)
	}
	return p, nil
}

// IsKind reports whether apiVersion and kind name an audit policy.
func IsKind(apiVersion, kind string) bool {
	return apiVersion == auditv1.SchemeGroupVersion.String() && kind == "Policy"
}

// Validate returns what kube-apiserver refuses in a policy, each problem as
// "path: message": levels and omitted stages other than the four, rules
// with both resources and non-resource URLs, non-resource URLs not starting
// with '/' or with a '*' before the end, groups that are not DNS
// subdomains, resourceNames without resources.
func Validate(p *Policy) []string {
	var out []string
	levels := map[Level]bool{auditv1.LevelNone: true, auditv1.LevelMetadata: true, auditv1.LevelRequest: true, auditv1.LevelRequestResponse: true}
	stages := map[auditv1.Stage]bool{auditv1.StageRequestReceived: true, auditv1.StageResponseStarted: true, auditv1.StageResponseComplete: true, auditv1.StagePanic: true}
	for i, s := range p.OmitStages {
		if !stages[s] {
			out = append(out, fmt.Sprintf("omitStages[%d]: unknown stage %q", i, s))
		}
	}
	for i, r := range p.Rules {
		if !levels[r.Level] {
			out = append(out, fmt.Sprintf("rules[%d].level: unknown level %q", i, r.Level))
		}
		for j, s := range r.OmitStages {
			if !stages[s] {
				out = append(out, fmt.Sprintf("rules[%d].omitStages[%d]: unknown stage %q", i, j, s))
			}
		}
		if len(r.NonResourceURLs) > 0 && (len(r.Resources) > 0 || len(r.Namespaces) > 0) {
			out = append(out, fmt.Sprintf("rules[%d]: rules cannot apply to both regular resources and non-resource URLs", i))
		}
		for j, u := range r.NonResourceURLs {
			if u == "*" {
				continue
			}
			if !strings.HasPrefix(u, "/") {
				out = append(out, fmt.Sprintf("rules[%d].nonResourceURLs[%d]: %q must begin with '/'", i, j, u))
			}
			if u != "" && strings.Contains(u[:len(u)-1], "*") {
				out = append(out, fmt.Sprintf("rules[%d].nonResourceURLs[%d]: %q: a wildcard '*' must be the last character", i, j, u))
			}
		}
		for j, gr := range r.Resources {
			if gr.Group != "" && gr.Group != "*" {
				if msgs := validation.IsDNS1123Subdomain(gr.Group); len(msgs) > 0 {
					out = append(out, fmt.Sprintf("rules[%d].resources[%d].group: %q: %s", i, j, gr.Group, strings.Join(msgs, ", ")))
				}
			}
			if len(gr.ResourceNames) > 0 && len(gr.Resources) == 0 {
				out = append(out, fmt.Sprintf("rules[%d].resources[%d].resourceNames: resourceNames need at least one resource", i, j))
			}
		}
	}
	return out
}
