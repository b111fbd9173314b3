package rbac

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Object-count quota semantics, for rbac/no-object-quota.
//
// A ResourceQuota limits object counts with count/<resource>.<group> (and
// the older keys pods, services, secrets, ...): the quota controller counts
// objects that are stored and namespaced. So creating objects can exhaust a
// namespace (and etcd) only for such resources. It never can for:
//   - subresources (pods/exec, pods/attach, pods/portforward, pods/proxy,
//     pods/eviction, pods/binding, serviceaccounts/token, */status, */scale,
//     ...): a create there is an action on an existing object or a connection,
//     not a new object;
//   - virtual resources, answered and never stored: tokenreviews, the
//     subjectaccessreviews family, selfsubjectreviews, bindings;
//   - cluster-scoped resources (namespaces, nodes, clusterroles, ...), which
//     no namespace's quota counts.
//
// The built-in resources below are those kube-apiserver v1.37 serves by
// default. A resource of a group that is not built in (a custom resource) is
// counted as stored and namespaced: most are, and count/<plural>.<group>
// counts them; its scope is not known offline.

// quotaCountable lists, per built-in API group, the stored namespaced
// resources an object-count quota counts. A group present with no resource
// serves none (only cluster-scoped or virtual ones, or nothing any more:
// extensions, whose workloads moved to apps and networking.k8s.io).
var quotaCountable = map[string][]string{
	"": {"pods", "services", "configmaps", "secrets", "serviceaccounts", "endpoints", "events",
		"persistentvolumeclaims", "replicationcontrollers", "resourcequotas", "limitranges", "podtemplates"},
	"apps":                         {"deployments", "replicasets", "statefulsets", "daemonsets", "controllerrevisions"},
	"batch":                        {"jobs", "cronjobs"},
	"autoscaling":                  {"horizontalpodautoscalers"},
	"policy":                       {"poddisruptionbudgets"},
	"networking.k8s.io":            {"networkpolicies", "ingresses"},
	"rbac.authorization.k8s.io":    {"roles", "rolebindings"},
	"coordination.k8s.io":          {"leases"},
	"discovery.k8s.io":             {"endpointslices"},
	"events.k8s.io":                {"events"},
	"storage.k8s.io":               {"csistoragecapacities"},
	"resource.k8s.io":              {"resourceclaims", "resourceclaimtemplates"},
	"authentication.k8s.io":        nil,
	"authorization.k8s.io":         nil,
	"certificates.k8s.io":          nil,
	"admissionregistration.k8s.io": nil,
	"apiextensions.k8s.io":         nil,
	"apiregistration.k8s.io":       nil,
	"scheduling.k8s.io":            nil,
	"flowcontrol.apiserver.k8s.io": nil,
	"node.k8s.io":                  nil,
	"storagemigration.k8s.io":      nil,
	"internal.apiserver.k8s.io":    nil,
	"metrics.k8s.io":               nil, // pods and nodes, read-only metrics
	"extensions":                   nil,
}

// notCountable are the built-in resource names that are cluster-scoped or
// virtual in every group that serves them; with apiGroups "*" a rule naming
// one of them creates nothing a quota counts.
var notCountable = map[string]bool{
	// virtual
	"tokenreviews": true, "subjectaccessreviews": true, "selfsubjectaccessreviews": true,
	"selfsubjectrulesreviews": true, "localsubjectaccessreviews": true, "selfsubjectreviews": true,
	"bindings": true, "componentstatuses": true,
	"users": true, "groups": true, "uids": true, "userextras": true, "signers": true,
	// cluster-scoped
	"namespaces": true, "nodes": true, "persistentvolumes": true, "clusterroles": true, "clusterrolebindings": true,
	"storageclasses": true, "csidrivers": true, "csinodes": true, "volumeattachments": true, "volumeattributesclasses": true,
	"priorityclasses": true, "runtimeclasses": true, "ingressclasses": true, "ipaddresses": true, "servicecidrs": true,
	"customresourcedefinitions": true, "apiservices": true, "certificatesigningrequests": true, "clustertrustbundles": true,
	"mutatingwebhookconfigurations": true, "validatingwebhookconfigurations": true,
	"validatingadmissionpolicies": true, "validatingadmissionpolicybindings": true,
	"mutatingadmissionpolicies": true, "mutatingadmissionpolicybindings": true,
	"flowschemas": true, "prioritylevelconfigurations": true, "storageversions": true, "storageversionmigrations": true,
	"deviceclasses": true, "resourceslices": true, "devicetaintrules": true, "podsecuritypolicies": true,
}

// countableIn reports whether create on resource in API group (either may
// be "*") can make objects an object-count quota counts.
func countableIn(group, resource string) bool {
	if strings.Contains(resource, "/") {
		return false // a subresource, "*/sub" or "pods/*"
	}
	if group == "*" {
		if resource == "*" {
			return true
		}
		for _, rs := range quotaCountable {
			if contains(rs, resource) {
				return true
			}
		}
		return !notCountable[resource] // possibly a custom resource
	}
	rs, builtin := quotaCountable[group]
	if !builtin {
		return true // a custom resource
	}
	if resource == "*" {
		return len(rs) > 0
	}
	return contains(rs, resource)
}

// createsCountable reports whether rule grants create on a resource whose
// objects an object-count quota counts (see countableIn), in bulk. A rule
// limited by resourceNames does not: a POST to a collection carries no name
// and never matches it, and the objects it lets a subject create otherwise
// (server-side apply authorized as create on the named object) are at most
// the named ones.
func createsCountable(rule *rbacv1.PolicyRule) bool {
	if len(rule.Resources) == 0 || len(rule.ResourceNames) > 0 || !verbMatches(rule.Verbs, "create") {
		return false
	}
	for _, g := range rule.APIGroups {
		for _, r := range rule.Resources {
			if countableIn(g, r) {
				return true
			}
		}
	}
	return false
}
