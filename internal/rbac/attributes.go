package rbac

import (
	"strings"
)

// Well-known user and group names the API server's authenticators assign.
const (
	GroupMasters          = "system:masters"
	GroupAuthenticated    = "system:authenticated"
	GroupUnauthenticated  = "system:unauthenticated"
	GroupServiceAccounts  = "system:serviceaccounts"
	UserAnonymous         = "system:anonymous"
	serviceAccountPrefix  = "system:serviceaccount:"
	serviceAccountsPrefix = "system:serviceaccounts:"
)

// Attributes is one request to authorize, the offline counterpart of
// kube-apiserver's authorizer attributes. The zero value is a non-resource
// request for the empty path by the empty user.
type Attributes struct {
	// User and Groups are the requester's identity exactly as authorization
	// sees it: nothing is added (see Identity for what authentication adds).
	User   string
	Groups []string
	// ResourceRequest selects between the resource fields and Path.
	ResourceRequest bool
	Verb            string
	Namespace       string
	APIGroup        string
	// APIVersion is ignored by RBAC, as by the API server.
	APIVersion  string
	Resource    string
	Subresource string
	Name        string
	// Path is the URL path of a non-resource request, e.g. /healthz.
	Path string
}

// Identity returns the groups authentication (or impersonation) gives a user
// named user with the explicitly given groups: service accounts
// (system:serviceaccount:NS:NAME) get system:serviceaccounts and
// system:serviceaccounts:NS when no group is given; every user but
// system:anonymous gets system:authenticated unless system:authenticated or
// system:unauthenticated is already listed; system:anonymous gets
// system:unauthenticated. groups is not modified.
func Identity(user string, groups []string) []string {
	out := append([]string(nil), groups...)
	if ns, _, ok := ParseServiceAccount(user); ok && len(groups) == 0 {
		out = append(out, GroupServiceAccounts, serviceAccountsPrefix+ns)
	}
	if user == UserAnonymous {
		if !contains(out, GroupUnauthenticated) {
			out = append(out, GroupUnauthenticated)
		}
		return out
	}
	if !contains(out, GroupAuthenticated) && !contains(out, GroupUnauthenticated) {
		out = append(out, GroupAuthenticated)
	}
	return out
}

// ServiceAccountUser returns the username of service account name in namespace ns.
func ServiceAccountUser(ns, name string) string {
	return serviceAccountPrefix + ns + ":" + name
}

// ParseServiceAccount splits a service account username
// system:serviceaccount:NS:NAME; ok is false for any other name.
func ParseServiceAccount(user string) (ns, name string, ok bool) {
	rest, ok := strings.CutPrefix(user, serviceAccountPrefix)
	if !ok {
		return "", "", false
	}
	ns, name, ok = strings.Cut(rest, ":")
	if !ok || ns == "" || name == "" || strings.Contains(name, ":") {
		return "", "", false
	}
	return ns, name, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
