// Package rbac is kubeward's offline Kubernetes authorization engine: it answers
// "may this user do this?" from RBAC objects (Roles, ClusterRoles, RoleBindings,
// ClusterRoleBindings) exactly as kube-apiserver's RBAC authorizer would, and
// derives the RBAC good-practice risks (rules in the rbac/ family) from them.
//
// The flow is: collect objects into a Policy (Policy.Add; start from
// NewPolicyWithDefaults to have Kubernetes' default policy, as every cluster
// does, cheaply per bundle of input), build an Index once (NewIndex:
// aggregates ClusterRoles, resolves role references, indexes bindings by
// subject and namespace), then ask it: Authorize (one request, microseconds),
// WhoCan (every subject allowed a request), RulesFor (what one subject may
// do), Risks (findings). Input problems found on the way are *Problem values
// (Index.Problems) carrying the object's source, the offending field's path
// and whether Kubernetes would accept the input anyway (Warning). The package
// performs no I/O; reading manifests or a cluster happens at the edges
// (internal/cli/rbac, internal/scan).
//
// Semantics follow kube-apiserver v1.37 (see docs/rbac.md for the list of
// verified facts): verbs, API groups and resources compare case-sensitively,
// "*" is the only wildcard except "*/sub" (any resource's subresource sub)
// and a trailing "*" in nonResourceURLs (a prefix match after stripping every
// trailing "*"); "pods/*" matches only the literal subresource "*";
// resourceNames restrict by the request's name whatever the verb; RoleBindings
// apply to requests in their namespace only, ClusterRoleBindings everywhere;
// a binding whose role does not exist contributes nothing.
package rbac
