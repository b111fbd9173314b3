package rbac

import (
	rbacv1 "k8s.io/api/rbac/v1"
)

// Holder is a subject allowed a request and the grant through which it is.
type Holder struct {
	// Subject is as written in the binding, except that a ServiceAccount's
	// namespace is filled in from a RoleBinding's when omitted.
	Subject rbacv1.Subject
	Grant   Grant
}

// MastersHolder is the group every request is allowed to, before any
// authorizer is asked.
var MastersHolder = Holder{
	Subject: rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: GroupMasters},
}

// WhoCan returns every binding subject that a's request (its user and groups
// are ignored) is allowed to through RBAC: subjects of ClusterRoleBindings
// and, when a.Namespace is set, of RoleBindings in that namespace, whose
// role has a rule allowing it; one Holder per binding subject, in binding
// order. With allNamespaces, RoleBindings of every namespace are considered,
// each for a request in its own namespace. Subjects that never match a
// request (a ServiceAccount without namespace in a ClusterRoleBinding,
// unknown kinds) are left out. Members of system:masters are always allowed
// and are not listed (see MastersHolder).
func (ix *Index) WhoCan(a *Attributes, allNamespaces bool) []Holder {
	memo := map[*Role]int{} // rule index + 1 allowing, or -1
	var out []Holder
	visit := func(bi int32, ns string) {
		b := &ix.bindings[bi]
		if b.Role == nil {
			return
		}
		ri, ok := memo[b.Role]
		if !ok {
			ri = -1
			req := *a
			req.Namespace = ns
			for i := range b.Role.Rules {
				if RuleAllows(&req, &b.Role.Rules[i]) {
					ri = i + 1
					break
				}
			}
			memo[b.Role] = ri
		}
		if ri < 0 {
			return
		}
		for _, s := range b.Subjects {
			if s.Kind == rbacv1.ServiceAccountKind && s.Namespace == "" {
				if ns == "" {
					continue
				}
				s.Namespace = ns
			}
			if s.Kind != rbacv1.UserKind && s.Kind != rbacv1.GroupKind && s.Kind != rbacv1.ServiceAccountKind {
				continue
			}
			out = append(out, Holder{Subject: s, Grant: Grant{Binding: b.Key, Subject: s, Role: b.Role.Key, RuleIndex: ri - 1, Rule: b.Role.Rules[ri-1]}})
		}
	}
	for _, bi := range ix.clusterBindings {
		visit(bi, "")
	}
	if allNamespaces {
		// Roles are namespaced and ClusterRoles evaluate the same in every
		// namespace, so the memo stays valid across namespaces.
		for _, ns := range ix.namespaceNames {
			for _, bi := range ix.nsBindings[ns] {
				visit(bi, ns)
			}
		}
	} else if a.Namespace != "" {
		for _, bi := range ix.nsBindings[a.Namespace] {
			visit(bi, a.Namespace)
		}
	}
	return out
}

// RulesFor returns every rule that applies to user with groups in namespace
// ns ("" for cluster-wide requests only), with its grant: what `can-i --list`
// shows. Bindings whose role is missing contribute nothing; their errors are
// returned as reasons, as the API server's SelfSubjectRulesReview does.
func (ix *Index) RulesFor(user string, groups []string, ns string) ([]Grant, []string) {
	var out []Grant
	var errs []string
	seen := map[int32]bool{}
	collect := func(si *subjectIndex, bns string) {
		if si == nil {
			return
		}
		lists := [][]int32{si.users[user]}
		for _, g := range groups {
			lists = append(lists, si.groups[g])
		}
		for _, list := range lists {
			for _, bi := range list {
				if seen[bi] {
					continue
				}
				seen[bi] = true
				b := &ix.bindings[bi]
				if b.Role == nil {
					errs = append(errs, b.RoleErr)
					continue
				}
				subj := firstMatchingSubject(b, bns, &Attributes{User: user, Groups: groups})
				for i := range b.Role.Rules {
					out = append(out, Grant{Binding: b.Key, Subject: subj, Role: b.Role.Key, RuleIndex: i, Rule: b.Role.Rules[i]})
				}
			}
		}
	}
	collect(&ix.cluster, "")
	if ns != "" {
		collect(ix.namespaces[ns], ns)
	}
	return out, errs
}
