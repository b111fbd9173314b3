package rbac

import (
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Validate reports every RBAC object of p that kube-apiserver would refuse to
// store, so offline answers never rest on objects no cluster can hold. The
// API server's v1 defaults are applied first: a User or Group subject without
// apiGroup and a roleRef without apiGroup get rbac.authorization.k8s.io.
// Checked: names present; rules with verbs, and either resources with
// apiGroups or nonResourceURLs (only in ClusterRoles, never with resources);
// aggregation selectors present; roleRef kind (ClusterRole only
// for ClusterRoleBindings), apiGroup and name; subject kind, name and
// apiGroup, and a namespace for ServiceAccounts of ClusterRoleBindings.
// Objects of the default policy are not checked. A name may be missing
// when metadata.generateName is set (the API server generates it). Each
// problem names the object, its source and the offending field (a path from
// the object's root, e.g. subjects[0].namespace); none is a warning.
func Validate(p *Policy) []*Problem {
	var errs []*Problem
	report := func(key ObjectKey, field, msg string) {
		errs = append(errs, &Problem{Source: p.Sources[key], Object: key, Field: field, Message: msg})
	}
	for _, r := range p.Roles {
		key := ObjectKey{"Role", r.Namespace, r.Name}
		if p.Sources[key].Default {
			continue
		}
		validateMeta(key, r.GenerateName, report)
		for i := range r.Rules {
			validateRule(&r.Rules[i], true, i, key, report)
		}
	}
	for _, r := range p.ClusterRoles {
		key := ObjectKey{"ClusterRole", "", r.Name}
		if p.Sources[key].Default {
			continue
		}
		validateMeta(key, r.GenerateName, report)
		for i := range r.Rules {
			validateRule(&r.Rules[i], false, i, key, report)
		}
		if ar := r.AggregationRule; ar != nil {
			if len(ar.ClusterRoleSelectors) == 0 {
				report(key, "aggregationRule.clusterRoleSelectors", "at least one clusterRoleSelector required if aggregationRule is set")
			}
			// Invalid selectors are reported by the aggregation itself.
		}
	}
	for _, b := range p.RoleBindings {
		key := ObjectKey{"RoleBinding", b.Namespace, b.Name}
		if !p.Sources[key].Default {
			validateBinding(key, b.GenerateName, b.RoleRef, b.Subjects, true, report)
		}
	}
	for _, b := range p.ClusterRoleBindings {
		key := ObjectKey{"ClusterRoleBinding", "", b.Name}
		if !p.Sources[key].Default {
			validateBinding(key, b.GenerateName, b.RoleRef, b.Subjects, false, report)
		}
	}
	return errs
}

type reportFunc func(key ObjectKey, field, msg string)

// validateMeta checks the name and namespace. Callers that read manifests
// without a namespace give namespaced objects the namespace kubectl would
// (-n, else "default") before Add; the check stays for direct use.
func validateMeta(key ObjectKey, generateName string, report reportFunc) {
	if key.Name == "" && generateName == "" {
		report(key, "metadata.name", "required")
	}
	if key.Kind == "Role" || key.Kind == "RoleBinding" {
		if key.Namespace == "" {
			report(key, "metadata.namespace", "required for a namespaced kind")
		}
	}
}

func validateRule(r *rbacv1.PolicyRule, namespaced bool, index int, key ObjectKey, report reportFunc) {
	rep := func(field, msg string) { report(key, fmt.Sprintf("rules[%d].%s", index, field), msg) }
	if len(r.Verbs) == 0 {
		rep("verbs", "verbs must contain at least one value")
	}
	if len(r.NonResourceURLs) > 0 {
		if namespaced {
			rep("nonResourceURLs", "namespaced rules cannot apply to non-resource URLs")
		}
		if len(r.APIGroups) > 0 || len(r.Resources) > 0 || len(r.ResourceNames) > 0 {
			rep("nonResourceURLs", "rules cannot apply to both regular resources and non-resource URLs")
		}
		return
	}
	if len(r.APIGroups) == 0 {
		rep("apiGroups", "resource rules must supply at least one api group")
	}
	if len(r.Resources) == 0 {
		rep("resources", "resource rules must supply at least one resource")
	}
}

func validateBinding(key ObjectKey, generateName string, ref rbacv1.RoleRef, subjects []rbacv1.Subject, namespaced bool, report reportFunc) {
	validateMeta(key, generateName, report)
	if ref.APIGroup != "" && ref.APIGroup != rbacv1.GroupName {
		report(key, "roleRef.apiGroup", fmt.Sprintf("unsupported value %q (want %s)", ref.APIGroup, rbacv1.GroupName))
	}
	switch {
	case ref.Kind == "ClusterRole", ref.Kind == "Role" && namespaced:
	case namespaced:
		report(key, "roleRef.kind", fmt.Sprintf("unsupported value %q (want Role or ClusterRole)", ref.Kind))
	default:
		report(key, "roleRef.kind", fmt.Sprintf("unsupported value %q (want ClusterRole)", ref.Kind))
	}
	if ref.Name == "" {
		report(key, "roleRef.name", "required")
	}
	for i, s := range subjects {
		rep := func(field, msg string) { report(key, fmt.Sprintf("subjects[%d].%s", i, field), msg) }
		if s.Name == "" {
			rep("name", "required")
		}
		switch s.Kind {
		case rbacv1.ServiceAccountKind:
			if s.APIGroup != "" {
				rep("apiGroup", fmt.Sprintf("unsupported value %q (want \"\" for a ServiceAccount)", s.APIGroup))
			}
			if !namespaced && s.Namespace == "" {
				rep("namespace", "required for a ServiceAccount in a ClusterRoleBinding")
			}
		case rbacv1.UserKind, rbacv1.GroupKind:
			if s.APIGroup != "" && s.APIGroup != rbacv1.GroupName {
				rep("apiGroup", fmt.Sprintf("unsupported value %q (want %s)", s.APIGroup, rbacv1.GroupName))
			}
		default:
			rep("kind", fmt.Sprintf("unsupported value %q (want ServiceAccount, User or Group)", s.Kind))
		}
	}
}
