package secrets

import (
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubeward/kubeward/internal/rbac"
)

// ReaderIndex answers who can read Secrets through one RBAC index. It
// finds the bindings of Kubernetes' default policy once, not once per
// Secret: a bundle with Kubernetes' default policy has about a hundred.
type ReaderIndex struct {
	ix       *rbac.Index
	defaults map[rbac.ObjectKey]bool
}

// NewReaderIndex returns a ReaderIndex over ix.
func NewReaderIndex(ix *rbac.Index) *ReaderIndex {
	r := &ReaderIndex{ix: ix, defaults: map[rbac.ObjectKey]bool{}}
	for _, b := range ix.Bindings() {
		if b.Source.Default {
			r.defaults[b.Key] = true
		}
	}
	return r
}

// Readers returns the non-system subjects that can read the Secret
// namespace/name (get on it, or list or watch on Secrets in its
// namespace), each formatted as rbac.FormatSubject does, sorted, and the
// grants that allow them (binding → role → rule). System subjects are left
// out: those of Kubernetes' default policy, users and groups named
// system:*, and service accounts of kube-system.
func (r *ReaderIndex) Readers(namespace, name string) (subjects, grants []string) {
	seen := map[string]bool{}
	seenGrant := map[string]bool{}
	for _, verb := range []string{"get", "list", "watch"} {
		a := &rbac.Attributes{ResourceRequest: true, Verb: verb, Namespace: namespace, APIVersion: "v1", Resource: "secrets"}
		if verb == "get" {
			a.Name = name
		}
		for _, h := range r.ix.WhoCan(a, false) {
			if r.defaults[h.Grant.Binding] || systemSubject(h.Subject) {
				continue
			}
			s := rbac.FormatSubject(h.Subject)
			if !seen[s] {
				seen[s] = true
				subjects = append(subjects, s)
			}
			if g := h.Grant.String(); !seenGrant[g] {
				seenGrant[g] = true
				grants = append(grants, g)
			}
		}
	}
	sort.Strings(subjects)
	sort.Strings(grants)
	return subjects, grants
}

func systemSubject(s rbacv1.Subject) bool {
	if s.Kind == rbacv1.ServiceAccountKind {
		return s.Namespace == "kube-system"
	}
	return strings.HasPrefix(s.Name, "system:")
}
