package rbac

import (
	"fmt"
	"strings"
)

// Mode names an authorization mode of kube-apiserver's --authorization-mode.
type Mode string

// The modes kubeward evaluates offline.
const (
	ModeRBAC        Mode = "RBAC"
	ModeABAC        Mode = "ABAC"
	ModeAlwaysAllow Mode = "AlwaysAllow"
	ModeAlwaysDeny  Mode = "AlwaysDeny"
)

// ParseModes parses a comma-separated --authorization-mode value. Modes must
// be known and not repeated. Node and Webhook need information kubeward does
// not have offline and are rejected.
func ParseModes(s string) ([]Mode, error) {
	var out []Mode
	for _, m := range strings.Split(s, ",") {
		m = strings.TrimSpace(m)
		switch Mode(m) {
		case ModeRBAC, ModeABAC, ModeAlwaysAllow, ModeAlwaysDeny:
		case "Node", "Webhook":
			return nil, fmt.Errorf("authorization mode %s cannot be evaluated offline", m)
		default:
			return nil, fmt.Errorf("unknown authorization mode %q (want RBAC, ABAC, AlwaysAllow or AlwaysDeny)", m)
		}
		for _, seen := range out {
			if seen == Mode(m) {
				return nil, fmt.Errorf("authorization mode %s given twice", m)
			}
		}
		out = append(out, Mode(m))
	}
	return out, nil
}

// NamedAuthorizer is one link of a Chain.
type NamedAuthorizer struct {
	Name       string
	Authorizer Authorizer
}

// Chain is kube-apiserver's authorizer chain: the system:masters group is
// allowed everything first, then each authorizer is asked in order and the
// first Allow or Deny decides; when none does, the answer is NoOpinion (the
// request is forbidden) with every authorizer's reason. A Chain is safe for
// concurrent use when its authorizers are.
type Chain []NamedAuthorizer

// Authorize answers a through the chain. Result.Authorizer names the deciding link.
func (c Chain) Authorize(a *Attributes) Result {
	if contains(a.Groups, GroupMasters) {
		return Result{Decision: Allow, Authorizer: "kubernetes.io/system-privileged-group"}
	}
	var reasons []string
	for _, link := range c {
		r := link.Authorizer.Authorize(a)
		if r.Decision != NoOpinion {
			r.Authorizer = link.Name
			return r
		}
		if r.Reason != "" {
			reasons = append(reasons, link.Name+": "+r.Reason)
		}
	}
	return Result{Decision: NoOpinion, Reason: strings.Join(reasons, "\n")}
}

type constAuthorizer struct {
	d      Decision
	reason string
}

func (c constAuthorizer) Authorize(*Attributes) Result {
	return Result{Decision: c.d, Reason: c.reason}
}

// AlwaysAllow is the AlwaysAllow mode.
var AlwaysAllow Authorizer = constAuthorizer{d: Allow}

// AlwaysDeny is the AlwaysDeny mode. As in the API server it answers
// NoOpinion with the reason "Everything is forbidden.", so later modes are
// still asked.
var AlwaysDeny Authorizer = constAuthorizer{d: NoOpinion, reason: "Everything is forbidden."}
