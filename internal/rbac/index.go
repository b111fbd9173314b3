package rbac

import (
	"fmt"
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Options tune NewIndex.
type Options struct {
	// Aggregate computes the rules of ClusterRoles that carry an
	// aggregationRule, as kube-controller-manager would. Set it for
	// manifests; leave it unset for objects read from a cluster, whose
	// controller has already done so.
	Aggregate bool
}

// Index is a Policy prepared for questions: roles resolved, bindings indexed
// by subject and namespace. It is immutable and safe for concurrent use.
type Index struct {
	policy       *Policy
	clusterRoles map[string]*Role
	roles        map[nsName]*Role
	bindings     []Binding
	cluster      subjectIndex
	namespaces   map[string]*subjectIndex
	// clusterBindings and nsBindings list binding indexes by scope;
	// namespaceNames is the sorted list of namespaces with RoleBindings.
	clusterBindings []int32
	nsBindings      map[string][]int32
	namespaceNames  []string
	// problems lists what made the input imperfect without stopping the
	// build (e.g. invalid aggregation selectors).
	problems []*Problem
}

type nsName struct{ ns, name string }

// Role is a Role or ClusterRole with its effective rules (after aggregation).
type Role struct {
	Key    ObjectKey
	Rules  []rbacv1.PolicyRule
	Source Source
	Labels map[string]string
	// Aggregated is true when Rules were computed from an aggregationRule.
	Aggregated bool
}

// Binding is a RoleBinding or ClusterRoleBinding with its role resolved.
type Binding struct {
	Key      ObjectKey
	RoleRef  rbacv1.RoleRef
	Subjects []rbacv1.Subject
	Source   Source
	// Role is nil when the reference does not resolve; RoleErr then says why,
	// in the API server's words.
	Role    *Role
	RoleErr string
}

// RoleKey returns the key of the role the binding refers to (which may not exist).
func (b *Binding) RoleKey() ObjectKey {
	if b.RoleRef.Kind == "Role" {
		return ObjectKey{"Role", b.Key.Namespace, b.RoleRef.Name}
	}
	return ObjectKey{b.RoleRef.Kind, "", b.RoleRef.Name}
}

type subjectIndex struct {
	users  map[string][]int32 // user name or service account username → bindings
	groups map[string][]int32
}

func (s *subjectIndex) add(key string, byGroup bool, i int32) {
	m := &s.users
	if byGroup {
		m = &s.groups
	}
	if *m == nil {
		*m = map[string][]int32{}
	}
	l := (*m)[key]
	if n := len(l); n > 0 && l[n-1] == i {
		return // the same binding names the subject twice
	}
	(*m)[key] = append(l, i)
}

// NewIndex prepares p for questions. p must not change afterwards. Problems
// in the input are collected in Problems; what a cluster tolerates
// (dangling role references) is not a problem and shows in answers and risks.
func NewIndex(p *Policy, opts Options) *Index {
	ix := &Index{
		policy:       p,
		clusterRoles: make(map[string]*Role, len(p.ClusterRoles)),
		roles:        make(map[nsName]*Role, len(p.Roles)),
		namespaces:   map[string]*subjectIndex{},
		nsBindings:   map[string][]int32{},
	}
	ix.problems = append(ix.problems, p.Duplicates...)
	ix.problems = append(ix.problems, Validate(p)...)
	var aggregated map[string][]rbacv1.PolicyRule
	if opts.Aggregate {
		var errs []*Problem
		aggregated, errs = aggregateClusterRoles(p.ClusterRoles, p.Sources)
		ix.problems = append(ix.problems, errs...)
	}
	for _, cr := range p.ClusterRoles {
		key := ObjectKey{"ClusterRole", "", cr.Name}
		r := &Role{Key: key, Rules: cr.Rules, Source: p.Sources[key], Labels: cr.Labels}
		if rules, ok := aggregated[cr.Name]; ok {
			r.Rules, r.Aggregated = rules, true
		}
		ix.clusterRoles[cr.Name] = r
	}
	for _, ro := range p.Roles {
		key := ObjectKey{"Role", ro.Namespace, ro.Name}
		ix.roles[nsName{ro.Namespace, ro.Name}] = &Role{Key: key, Rules: ro.Rules, Source: p.Sources[key], Labels: ro.Labels}
	}
	ix.bindings = make([]Binding, 0, len(p.ClusterRoleBindings)+len(p.RoleBindings))
	for _, b := range p.ClusterRoleBindings {
		key := ObjectKey{"ClusterRoleBinding", "", b.Name}
		ix.addBinding(Binding{Key: key, RoleRef: b.RoleRef, Subjects: b.Subjects, Source: p.Sources[key]})
	}
	for _, b := range p.RoleBindings {
		key := ObjectKey{"RoleBinding", b.Namespace, b.Name}
		ix.addBinding(Binding{Key: key, RoleRef: b.RoleRef, Subjects: b.Subjects, Source: p.Sources[key]})
	}
	for ns := range ix.nsBindings {
		ix.namespaceNames = append(ix.namespaceNames, ns)
	}
	sort.Strings(ix.namespaceNames)
	return ix
}

func (ix *Index) addBinding(b Binding) {
	switch b.RoleRef.Kind {
	case "ClusterRole":
		if r, ok := ix.clusterRoles[b.RoleRef.Name]; ok {
			b.Role = r
		} else {
			b.RoleErr = fmt.Sprintf("clusterrole.rbac.authorization.k8s.io %q not found", b.RoleRef.Name)
		}
	case "Role":
		// A ClusterRoleBinding cannot use a Role (the server rejects it, and
		// the authorizer looks it up in no namespace).
		if r, ok := ix.roles[nsName{b.Key.Namespace, b.RoleRef.Name}]; ok && b.Key.Namespace != "" {
			b.Role = r
		} else {
			b.RoleErr = fmt.Sprintf("role.rbac.authorization.k8s.io %q not found", b.RoleRef.Name)
		}
	default:
		b.RoleErr = fmt.Sprintf("unsupported role reference kind: %q", b.RoleRef.Kind)
	}
	i := int32(len(ix.bindings))
	ix.bindings = append(ix.bindings, b)
	si := &ix.cluster
	ns := b.Key.Namespace
	if b.Key.Kind == "ClusterRoleBinding" {
		ix.clusterBindings = append(ix.clusterBindings, i)
	} else {
		ix.nsBindings[ns] = append(ix.nsBindings[ns], i)
	}
	if b.Key.Kind == "RoleBinding" {
		si = ix.namespaces[ns]
		if si == nil {
			si = &subjectIndex{}
			ix.namespaces[ns] = si
		}
	}
	for _, s := range b.Subjects {
		switch s.Kind {
		case rbacv1.UserKind:
			si.add(s.Name, false, i)
		case rbacv1.GroupKind:
			si.add(s.Name, true, i)
		case rbacv1.ServiceAccountKind:
			saNS := s.Namespace
			if saNS == "" {
				saNS = ns // a RoleBinding's namespace; empty for ClusterRoleBindings
			}
			if saNS != "" {
				si.add(ServiceAccountUser(saNS, s.Name), false, i)
			}
		}
	}
}

// Policy returns the policy the index was built from.
func (ix *Index) Policy() *Policy { return ix.policy }

// Problems returns the input problems found while building the index:
// objects given twice (Policy.Duplicates, warnings), objects the API server
// would refuse (Validate) and invalid aggregation selectors, in that order.
// Answers are still given, ignoring nothing, but a caller should not trust
// them silently. Problems with Warning set are input Kubernetes accepts.
// The caller must not modify them.
func (ix *Index) Problems() []*Problem { return ix.problems }

// Bindings returns every binding, ClusterRoleBindings first, in input order.
// The caller must not modify them.
func (ix *Index) Bindings() []Binding { return ix.bindings }

// ClusterRole returns the ClusterRole named name.
func (ix *Index) ClusterRole(name string) (*Role, bool) {
	r, ok := ix.clusterRoles[name]
	return r, ok
}

// Role returns the Role ns/name.
func (ix *Index) Role(ns, name string) (*Role, bool) {
	r, ok := ix.roles[nsName{ns, name}]
	return r, ok
}

// subjectMatches reports whether binding subject s names the user or one of
// the groups; ns is the binding's namespace ("" for ClusterRoleBindings).
func subjectMatches(s *rbacv1.Subject, ns, user string, groups []string) bool {
	switch s.Kind {
	case rbacv1.UserKind:
		return s.Name == user
	case rbacv1.GroupKind:
		return contains(groups, s.Name)
	case rbacv1.ServiceAccountKind:
		saNS := s.Namespace
		if saNS == "" {
			saNS = ns
		}
		return saNS != "" && user == ServiceAccountUser(saNS, s.Name)
	}
	return false
}
