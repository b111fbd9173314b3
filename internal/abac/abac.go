// Package abac evaluates Kubernetes ABAC policy files (kube-apiserver's
// --authorization-policy-file) offline, with the API server's semantics.
//
// A policy file holds one JSON object per line: either an
// abac.authorization.kubernetes.io/v1beta1 Policy ({"apiVersion": ...,
// "kind": "Policy", "spec": {...}}) or an unversioned line with the fields at
// the top level (user, group, readonly, resource, namespace). Blank lines and
// lines starting with # are skipped. Loading normalises each line as the API
// server's conversion does: user or group "*" becomes group
// system:authenticated (so "*" means every authenticated user, not anonymous
// ones); unversioned lines also default an unset user and group to
// system:authenticated, unset namespace and resource to "*", apiGroup to "*",
// and, when both namespace and resource are unset, nonResourcePath to "*".
//
// A request is allowed by the first policy whose subject matches (user equal,
// or group among the request's groups; both must match when both are set;
// a policy with neither matches nobody), whose readonly flag permits the
// verb (readonly policies allow only get, list and watch), and whose
// namespace, resource and apiGroup ("*" or equal) match a resource request,
// or whose nonResourcePath ("*", equal, or a prefix ending in "*") matches a
// non-resource request. Subresources and names are not looked at. When no
// policy matches the answer is NoOpinion.
package abac

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	sigsjson "sigs.k8s.io/json"

	"github.com/kubeward/kubeward/internal/rbac"
)

// APIVersion is the versioned policy line's apiVersion.
const APIVersion = "abac.authorization.kubernetes.io/v1beta1"

const (
	apiVersionV0       = "abac.authorization.kubernetes.io/v0"
	allAuthenticated   = "system:authenticated"
	maxPolicyLineBytes = 1 << 20
)

// Policy is one normalised policy line.
type Policy struct {
	User            string `json:"user,omitempty"`
	Group           string `json:"group,omitempty"`
	Readonly        bool   `json:"readonly,omitempty"`
	APIGroup        string `json:"apiGroup,omitempty"`
	Resource        string `json:"resource,omitempty"`
	Namespace       string `json:"namespace,omitempty"`
	NonResourcePath string `json:"nonResourcePath,omitempty"`
	// Line is the 1-based line the policy came from (0 when built in code).
	Line int `json:"-"`
}

// PolicyList is an ABAC policy file, in file order. It implements
// rbac.Authorizer and is safe for concurrent use.
type PolicyList []Policy

// LineError is a policy line that could not be decoded.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// Parse reads a policy file. Every bad line is reported (as *LineError,
// joined); the policies of the good lines are returned as well.
func Parse(r io.Reader) (PolicyList, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), maxPolicyLineBytes)
	var pl PolicyList
	var errs []error
	for n := 1; sc.Scan(); n++ {
		p, ok, err := ParseLine(sc.Bytes())
		if err != nil {
			errs = append(errs, &LineError{Line: n, Err: err})
			continue
		}
		if ok {
			p.Line = n
			pl = append(pl, p)
		}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("reading policy file: %w", err))
	}
	return pl, errors.Join(errs...)
}

// ParseLine decodes one policy line. ok is false (and err nil) for blank and
// comment lines. Field names are case-sensitive; unknown fields are ignored,
// as the API server ignores them.
func ParseLine(line []byte) (p Policy, ok bool, err error) {
	t := bytes.TrimSpace(line)
	if len(t) == 0 || t[0] == '#' {
		return Policy{}, false, nil
	}
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(t, &head); err != nil {
		return Policy{}, false, fmt.Errorf("invalid JSON: %w", err)
	}
	switch {
	case head.APIVersion == APIVersion && head.Kind == "Policy":
		var v struct {
			Spec *Policy `json:"spec"`
		}
		if err := sigsjson.UnmarshalCaseSensitivePreserveInts(t, &v); err != nil {
			return Policy{}, false, fmt.Errorf("decoding %s Policy: %w", APIVersion, err)
		}
		if v.Spec != nil {
			p = *v.Spec
		}
		if p.User == "*" || p.Group == "*" {
			p.Group, p.User = allAuthenticated, ""
		}
		return p, true, nil
	case head.APIVersion == "" || head.Kind == "" || (head.APIVersion == apiVersionV0 && head.Kind == "Policy"):
		var v0 struct {
			User      string `json:"user"`
			Group     string `json:"group"`
			Readonly  bool   `json:"readonly"`
			Resource  string `json:"resource"`
			Namespace string `json:"namespace"`
		}
		if err := sigsjson.UnmarshalCaseSensitivePreserveInts(t, &v0); err != nil {
			return Policy{}, false, fmt.Errorf("decoding unversioned policy: %w", err)
		}
		p = Policy{User: v0.User, Group: v0.Group, Readonly: v0.Readonly, Resource: v0.Resource, Namespace: v0.Namespace, APIGroup: "*"}
		if v0.User == "" && v0.Group == "" {
			p.Group = allAuthenticated
		}
		if v0.User == "*" || v0.Group == "*" {
			p.Group, p.User = allAuthenticated, ""
		}
		if v0.Namespace == "" {
			p.Namespace = "*"
		}
		if v0.Resource == "" {
			p.Resource = "*"
		}
		if v0.Namespace == "" && v0.Resource == "" {
			p.NonResourcePath = "*"
		}
		return p, true, nil
	}
	return Policy{}, false, fmt.Errorf("unsupported apiVersion %q and kind %q (want %s Policy, or an unversioned line)", head.APIVersion, head.Kind, APIVersion)
}

// Authorize answers a: Allow by the first matching policy, else NoOpinion
// with the reason "No policy matched.".
func (pl PolicyList) Authorize(a *rbac.Attributes) rbac.Result {
	for i := range pl {
		if pl[i].matches(a) {
			return rbac.Result{Decision: rbac.Allow}
		}
	}
	return rbac.Result{Decision: rbac.NoOpinion, Reason: "No policy matched."}
}

// Matching returns the first policy allowing a, for explanations.
func (pl PolicyList) Matching(a *rbac.Attributes) (Policy, bool) {
	for i := range pl {
		if pl[i].matches(a) {
			return pl[i], true
		}
	}
	return Policy{}, false
}

func (p *Policy) matches(a *rbac.Attributes) bool {
	if !p.subjectMatches(a) {
		return false
	}
	if p.Readonly && a.Verb != "get" && a.Verb != "list" && a.Verb != "watch" {
		return false
	}
	if a.ResourceRequest {
		return (p.Namespace == "*" || p.Namespace == a.Namespace) &&
			(p.Resource == "*" || p.Resource == a.Resource) &&
			(p.APIGroup == "*" || p.APIGroup == a.APIGroup)
	}
	np := p.NonResourcePath
	return np == "*" || np == a.Path || (strings.HasSuffix(np, "*") && strings.HasPrefix(a.Path, strings.TrimRight(np, "*")))
}

func (p *Policy) subjectMatches(a *rbac.Attributes) bool {
	matched := false
	if p.User != "" {
		if p.User != "*" && p.User != a.User {
			return false
		}
		matched = true
	}
	if p.Group != "" {
		if p.Group == "*" {
			return true
		}
		for _, g := range a.Groups {
			if g == p.Group {
				return true
			}
		}
		return false
	}
	return matched
}

// String renders the policy as a v1beta1 policy line.
func (p Policy) String() string {
	b, _ := json.Marshal(struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Spec       Policy `json:"spec"`
	}{APIVersion, "Policy", p})
	return string(b)
}
