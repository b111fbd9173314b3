package rbac

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Decision is an authorizer's answer.
type Decision int

// The decisions, as kube-apiserver's authorizers give them: NoOpinion lets
// the next authorizer in a chain decide; a request nobody allows is denied.
const (
	NoOpinion Decision = iota
	Allow
	Deny
)

func (d Decision) String() string {
	switch d {
	case Allow:
		return "allow"
	case Deny:
		return "deny"
	}
	return "no-opinion"
}

// Grant is the path through which a request is allowed: binding → subject → role → rule.
type Grant struct {
	Binding   ObjectKey
	Subject   rbacv1.Subject
	Role      ObjectKey
	RuleIndex int
	Rule      rbacv1.PolicyRule
}

// String renders the grant as "ClusterRoleBinding/x → ClusterRole/y → rules[0]".
func (g *Grant) String() string {
	return fmt.Sprintf("%s → %s → rules[%d]", g.Binding, g.Role, g.RuleIndex)
}

// Result is an authorizer's answer with its reason.
type Result struct {
	Decision Decision
	// Reason is the API server's reason text for the decision (may be empty).
	Reason string
	// Grant is set when the RBAC authorizer allowed the request.
	Grant *Grant
	// Authorizer names the authorizer that decided ("" when none did).
	Authorizer string
}

// Authorizer answers requests; Index is the RBAC one, see also Chain.
type Authorizer interface {
	Authorize(a *Attributes) Result
}

// Authorize answers a as kube-apiserver's RBAC authorizer would: Allow when a
// rule of a role bound to the user (or one of the groups) allows it,
// through any ClusterRoleBinding or, when a.Namespace is set, a RoleBinding in
// that namespace; otherwise NoOpinion, with the dangling role references met
// on the way as the reason. It does not apply the system:masters bypass (see
// Chain). It is safe for concurrent use and does not allocate when the answer
// is NoOpinion without errors.
func (ix *Index) Authorize(a *Attributes) Result {
	var errs []string
	if g := ix.search(&ix.cluster, "", a, &errs); g != nil {
		return allowed(g)
	}
	if a.Namespace != "" {
		if si := ix.namespaces[a.Namespace]; si != nil {
			if g := ix.search(si, a.Namespace, a, &errs); g != nil {
				return allowed(g)
			}
		}
	}
	r := Result{Decision: NoOpinion}
	switch len(errs) {
	case 0:
	case 1:
		r.Reason = "RBAC: " + errs[0]
	default:
		r.Reason = "RBAC: [" + strings.Join(errs, ", ") + "]"
	}
	return r
}

func allowed(g *Grant) Result {
	return Result{Decision: Allow, Grant: g, Reason: "RBAC: allowed by " + describeGrant(g)}
}

// search looks for a rule allowing a among the bindings of si that name the
// user or one of the groups.
func (ix *Index) search(si *subjectIndex, ns string, a *Attributes, errs *[]string) *Grant {
	if g := ix.searchList(si.users[a.User], ns, a, errs); g != nil {
		return g
	}
	for _, grp := range a.Groups {
		if g := ix.searchList(si.groups[grp], ns, a, errs); g != nil {
			return g
		}
	}
	return nil
}

func (ix *Index) searchList(list []int32, ns string, a *Attributes, errs *[]string) *Grant {
	for _, bi := range list {
		b := &ix.bindings[bi]
		if b.Role == nil {
			if !contains(*errs, b.RoleErr) {
				*errs = append(*errs, b.RoleErr)
			}
			continue
		}
		for ri := range b.Role.Rules {
			if RuleAllows(a, &b.Role.Rules[ri]) {
				return &Grant{Binding: b.Key, Subject: firstMatchingSubject(b, ns, a), Role: b.Role.Key, RuleIndex: ri, Rule: b.Role.Rules[ri]}
			}
		}
	}
	return nil
}

func firstMatchingSubject(b *Binding, ns string, a *Attributes) rbacv1.Subject {
	for i := range b.Subjects {
		if subjectMatches(&b.Subjects[i], ns, a.User, a.Groups) {
			return b.Subjects[i]
		}
	}
	return rbacv1.Subject{}
}

// describeGrant words a grant as the API server does in its reasons.
func describeGrant(g *Grant) string {
	subj := fmt.Sprintf("%s %q", g.Subject.Kind, g.Subject.Name)
	if g.Subject.Kind == rbacv1.ServiceAccountKind {
		ns := g.Subject.Namespace
		if ns == "" {
			ns = g.Binding.Namespace
		}
		subj = fmt.Sprintf("%s %q", g.Subject.Kind, g.Subject.Name+"/"+ns)
	}
	name := g.Binding.Name
	if g.Binding.Namespace != "" {
		name += "/" + g.Binding.Namespace
	}
	return fmt.Sprintf("%s %q of %s %q to %s", g.Binding.Kind, name, g.Role.Kind, g.Role.Name, subj)
}
