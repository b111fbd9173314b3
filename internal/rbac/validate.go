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
// Objects of the default policy are not checked. Each error names the
// object and where it came from.
func Validate(p *Policy) []error {
	var errs []error
	report := func(key ObjectKey, field, msg string) {
		errs = append(errs, fmt.Errorf("%s: %s: %s: %s", p.Sources[key], key, field, msg))
	}
	for _, r := range p.Roles {
		key := ObjectKey{"Role", r.Namespace, r.Name}
		if p.Sources[key].Default {
			continue
		}
		validateMeta(key, report)
		for i := range r.Rules {
			validateRule(&r.Rules[i], true, i, key, report)
		}
	}
	for _, r := range p.ClusterRoles {
		key := ObjectKey{"ClusterRole", "", r.Name}
		if p.Sources[key].Default {
			continue
		}
		validateMeta(key, report)
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
			validateBinding(key, b.RoleRef, b.Subjects, true, report)
		}
	}
	for _, b := range p.ClusterRoleBindings {
		key := ObjectKey{"ClusterRoleBinding", "", b.Name}
		if !p.Sources[key].Default {
			validateBinding(key, b.RoleRef, b.Subjects, false, report)
		}
	}
	return errs
}

type reportFunc func(key ObjectKey, field, msg string)

func validateMeta(key ObjectKey, report reportFunc) {
	if key.Name == "" {
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

func validateBinding(key ObjectKey, ref rbacv1.RoleRef, subjects []rbacv1.Subject, namespaced bool, report reportFunc) {
	validateMeta(key, report)
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
