package tenancy

import (
	"fmt"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/rbac"
)

// subject is a tenant's subject as the authorizer sees it.
type subject struct {
	name   string // Kind:namespace:name, as rbac findings spell subjects
	attrs  rbac.Attributes
	ns     string // the tenant namespace it belongs to
	source rbac.Source
}

// request is one probe of the RBAC checks.
type request struct {
	verb, group, resource string
}

func (r request) String() string {
	if r.group == "" {
		return r.verb + " " + r.resource
	}
	return r.verb + " " + r.resource + "." + r.group
}

var (
	clusterProbes = []request{
		{"create", "", "namespaces"}, {"list", "", "nodes"}, {"list", "", "persistentvolumes"},
		{"create", "rbac.authorization.k8s.io", "clusterrolebindings"},
		{"update", "admissionregistration.k8s.io", "validatingwebhookconfigurations"},
	}
	crossProbes = []request{{"get", "", "secrets"}, {"list", "", "pods"}, {"create", "", "pods"}}
	quotaProbes = []request{{"update", "", "resourcequotas"}, {"delete", "", "resourcequotas"}, {"update", "", "limitranges"}}
)

// tenantSubjects returns the subjects bound by RoleBindings in tenant
// namespaces and the service accounts of those namespaces, Kubernetes'
// own (system:*) users and groups left out.
func tenantSubjects(ix *rbac.Index, tenantOf map[string]string) []subject {
	seen := map[string]bool{}
	var out []subject
	add := func(s rbacv1.Subject, ns string, src rbac.Source) {
		var a rbac.Attributes
		var name string
		switch s.Kind {
		case rbacv1.UserKind:
			if strings.HasPrefix(s.Name, "system:") {
				return
			}
			a.User, a.Groups, name = s.Name, rbac.Identity(s.Name, nil), "User::"+s.Name
		case rbacv1.GroupKind:
			if strings.HasPrefix(s.Name, "system:") {
				return
			}
			a.Groups, name = []string{s.Name, rbac.GroupAuthenticated}, "Group::"+s.Name
		case rbacv1.ServiceAccountKind:
			sns := s.Namespace
			if sns == "" {
				sns = ns
			}
			if _, ok := tenantOf[sns]; !ok {
				return
			}
			ns = sns
			a.User = rbac.ServiceAccountUser(sns, s.Name)
			a.Groups, name = rbac.Identity(a.User, nil), "ServiceAccount:"+sns+":"+s.Name
		default:
			return
		}
		if seen[name] {
			return
		}
		seen[name] = true
		out = append(out, subject{name: name, attrs: a, ns: ns, source: src})
	}
	for _, b := range ix.Bindings() {
		if b.Key.Kind != "RoleBinding" || b.Source.Default {
			continue
		}
		if _, ok := tenantOf[b.Key.Namespace]; !ok {
			continue
		}
		for _, s := range b.Subjects {
			add(s, b.Key.Namespace, b.Source)
		}
	}
	for _, sa := range ix.Policy().ServiceAccounts {
		if _, ok := tenantOf[sa.Namespace]; ok {
			add(rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: sa.Namespace, Name: sa.Name}, sa.Namespace, ix.Policy().Sources[rbac.ObjectKey{Kind: "ServiceAccount", Namespace: sa.Namespace, Name: sa.Name}])
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// rbacChecks asks the authorizer, for each tenant subject, the requests
// that leave its tenant: cluster-scoped ones, other tenants' namespaces,
// and writes to its own quota.
func rbacChecks(in Input, tenantOf map[string]string, rows map[string]*Namespace, nsRef func(string) finding.ObjectRef) []finding.Finding {
	ix := in.RBAC
	var fs []finding.Finding
	var nss []string
	for ns := range tenantOf {
		nss = append(nss, ns)
	}
	sort.Strings(nss)
	for _, s := range tenantSubjects(ix, tenantOf) {
		ask := func(r request, ns string) *rbac.Grant {
			a := s.attrs
			a.ResourceRequest, a.Verb, a.APIGroup, a.Resource, a.Namespace = true, r.verb, r.group, r.resource, ns
			res := ix.Authorize(&a)
			if res.Decision != rbac.Allow {
				return nil
			}
			return res.Grant
		}
		report := func(id string, what []string, grants []string) {
			if len(what) == 0 {
				return
			}
			r := in.Rules[id]
			fs = append(fs, finding.Finding{
				Rule: id, Severity: r.Severity, Object: nsRef(s.ns), File: s.source.File, Line: s.source.Line,
				Message:     fmt.Sprintf("%s (tenant %s) may %s", s.name, tenantOf[s.ns], strings.Join(what, ", ")),
				Remediation: r.Remediation, Subjects: []string{s.name}, Grants: dedupe(grants),
			})
			if row := rows[s.ns]; row != nil {
				row.Findings++
			}
		}
		var what, grants []string
		for _, r := range clusterProbes {
			if g := ask(r, ""); g != nil {
				what, grants = append(what, r.String()), append(grants, g.String())
			}
		}
		report(RuleClusterScope, what, grants)
		what, grants = nil, nil
		for _, ns := range nss {
			if tenantOf[ns] == tenantOf[s.ns] {
				continue
			}
			for _, r := range crossProbes {
				if g := ask(r, ns); g != nil {
					what, grants = append(what, r.String()+" in "+ns), append(grants, g.String())
				}
			}
		}
		report(RuleCrossTenant, what, grants)
		what, grants = nil, nil
		for _, ns := range nss {
			if tenantOf[ns] != tenantOf[s.ns] {
				continue
			}
			for _, r := range quotaProbes {
				if g := ask(r, ns); g != nil {
					what, grants = append(what, r.String()+" in "+ns), append(grants, g.String())
				}
			}
		}
		report(RuleQuotaModify, what, grants)
	}
	return fs
}

func dedupe(ss []string) []string {
	sort.Strings(ss)
	out := ss[:0]
	for i, s := range ss {
		if i == 0 || s != ss[i-1] {
			out = append(out, s)
		}
	}
	return out
}
