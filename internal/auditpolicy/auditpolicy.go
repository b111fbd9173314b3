// Package auditpolicy evaluates a Kubernetes audit Policy
// (audit.k8s.io/v1) with kube-apiserver's semantics, and judges it against
// a set of representative requests: which ones a policy writes with their
// bodies (Secret data in the log), and which ones it does not log at all.
//
// Semantics, as k8s.io/apiserver's policy checker: the first rule whose
// every non-empty field matches the request gives the level; no matching
// rule means level None. A rule with resources or namespaces matches only
// resource requests, one with nonResourceURLs only non-resource requests.
// The stages omitted are the policy's omitStages plus the rule's.
package auditpolicy

import (
	"strings"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// Policy is the v1 audit policy.
type Policy = auditv1.Policy

// Level is an audit level: None, Metadata, Request or RequestResponse.
type Level = auditv1.Level

// Request is what the policy is matched against: a user and a resource or
// non-resource request.
type Request struct {
	User   string
	Groups []string
	Verb   string
	// Resource requests: Group ("" for core), Resource, Subresource,
	// Namespace ("" for cluster-scoped), Name.
	Group, Resource, Subresource, Namespace, Name string
	// Path is the URL path of a non-resource request (Resource is "").
	Path string
}

// IsResource reports whether r is a resource request.
func (r Request) IsResource() bool { return r.Resource != "" }

// LevelFor returns the level at which p records req, the stages it omits,
// and the index of the rule that matched (-1 when none did: level None).
// A nil policy records nothing.
func LevelFor(p *Policy, req Request) (level Level, omit []auditv1.Stage, rule int) {
	if p == nil {
		return auditv1.LevelNone, nil, -1
	}
	for i := range p.Rules {
		r := &p.Rules[i]
		if matches(r, req) {
			omit = append(append([]auditv1.Stage{}, p.OmitStages...), r.OmitStages...)
			return r.Level, omit, i
		}
	}
	return auditv1.LevelNone, nil, -1
}

func matches(r *auditv1.PolicyRule, req Request) bool {
	if len(r.Users) > 0 && !has(r.Users, req.User) {
		return false
	}
	if len(r.UserGroups) > 0 {
		ok := false
		for _, g := range req.Groups {
			if has(r.UserGroups, g) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(r.Verbs) > 0 && !has(r.Verbs, req.Verb) {
		return false
	}
	if len(r.Namespaces) > 0 || len(r.Resources) > 0 {
		return matchesResource(r, req)
	}
	if len(r.NonResourceURLs) > 0 {
		if req.IsResource() {
			return false
		}
		for _, spec := range r.NonResourceURLs {
			if pathMatches(req.Path, spec) {
				return true
			}
		}
		return false
	}
	return true
}

func pathMatches(path, spec string) bool {
	return spec == "*" || spec == path ||
		(strings.HasSuffix(spec, "*") && strings.HasPrefix(path, strings.TrimRight(spec, "*")))
}

func matchesResource(r *auditv1.PolicyRule, req Request) bool {
	if !req.IsResource() {
		return false
	}
	if len(r.Namespaces) > 0 && !has(r.Namespaces, req.Namespace) {
		return false
	}
	if len(r.Resources) == 0 {
		return true
	}
	combined := req.Resource
	if req.Subresource != "" {
		combined += "/" + req.Subresource
	}
	for _, gr := range r.Resources {
		if gr.Group != req.Group && gr.Group != "*" {
			continue
		}
		if len(gr.Resources) == 0 {
			return true
		}
		if len(gr.ResourceNames) > 0 && !has(gr.ResourceNames, req.Name) {
			continue
		}
		for _, res := range gr.Resources {
			switch {
			case res == combined || res == "*":
				return true
			case req.Subresource != "" && strings.HasPrefix(res, "*/") && req.Subresource == res[2:]:
				return true
			case strings.HasSuffix(res, "/*") && req.Resource == strings.TrimSuffix(res, "/*"):
				return true
			}
		}
	}
	return false
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
