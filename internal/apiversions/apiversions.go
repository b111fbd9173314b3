// Package apiversions knows which API versions Kubernetes stopped serving,
// and when, and declares the rule that reports objects written in them
// (rule family "api").
//
// An object in a removed version is still judged by every other rule
// (a DaemonSet in extensions/v1beta1 is evaluated on its pod template like
// an apps/v1 one): a manifest that no current cluster accepts is usually
// converted, not rewritten, and its security problems travel with it.
package apiversions

import "github.com/kubeward/kubeward/internal/finding"

// RuleRemovedVersion is the ID of the rule reporting removed API versions.
const RuleRemovedVersion = "api/removed-version"

// Rules returns the rules of the family "api".
func Rules() []finding.Rule {
	return []finding.Rule{{
		ID:          RuleRemovedVersion,
		Title:       "Objects must use an API version the cluster serves",
		Severity:    finding.SeverityMedium,
		Description: "The object is written in an API version that Kubernetes removed; current API servers refuse it, and tools that skip unknown versions silently stop checking it. kubeward still evaluates it (workloads on their pod template) as if it were written in the replacement version.",
		Remediation: "Change apiVersion to the replacement version named in the finding, and adjust the fields that version changed (for example a Deployment's spec.selector becomes required in apps/v1).",
		DocURL:      "https://kubernetes.io/docs/reference/using-api/deprecation-guide/",
	}}
}

// Removal says when an API version of a kind stopped being served.
type Removal struct {
	// RemovedIn is the first Kubernetes minor version that no longer
	// serves it, e.g. "v1.16".
	RemovedIn string
	// Replacement is the apiVersion to use instead.
	Replacement string
}

// Removed reports whether apiVersion/kind is no longer served by
// Kubernetes (see Kubernetes' deprecated API migration guide).
func Removed(apiVersion, kind string) (Removal, bool) {
	if r, ok := removedKinds[apiVersion+"/"+kind]; ok {
		return r, true
	}
	r, ok := removedVersions[apiVersion]
	return r, ok
}

// removedKinds lists removals that depend on the kind; removedVersions
// lists whole group versions that were removed.
var removedKinds = map[string]Removal{
	"extensions/v1beta1/Deployment":               {"v1.16", "apps/v1"},
	"extensions/v1beta1/DaemonSet":                {"v1.16", "apps/v1"},
	"extensions/v1beta1/ReplicaSet":               {"v1.16", "apps/v1"},
	"extensions/v1beta1/NetworkPolicy":            {"v1.16", "networking.k8s.io/v1"},
	"extensions/v1beta1/PodSecurityPolicy":        {"v1.16", "none (Pod Security admission replaces PodSecurityPolicy)"},
	"extensions/v1beta1/Ingress":                  {"v1.22", "networking.k8s.io/v1"},
	"apps/v1beta1/Deployment":                     {"v1.16", "apps/v1"},
	"apps/v1beta1/StatefulSet":                    {"v1.16", "apps/v1"},
	"apps/v1beta1/ControllerRevision":             {"v1.16", "apps/v1"},
	"apps/v1beta2/Deployment":                     {"v1.16", "apps/v1"},
	"apps/v1beta2/StatefulSet":                    {"v1.16", "apps/v1"},
	"apps/v1beta2/DaemonSet":                      {"v1.16", "apps/v1"},
	"apps/v1beta2/ReplicaSet":                     {"v1.16", "apps/v1"},
	"apps/v1beta2/ControllerRevision":             {"v1.16", "apps/v1"},
	"batch/v1beta1/CronJob":                       {"v1.25", "batch/v1"},
	"batch/v2alpha1/CronJob":                      {"v1.21", "batch/v1"},
	"policy/v1beta1/PodDisruptionBudget":          {"v1.25", "policy/v1"},
	"policy/v1beta1/PodSecurityPolicy":            {"v1.25", "none (Pod Security admission replaces PodSecurityPolicy)"},
	"networking.k8s.io/v1beta1/Ingress":           {"v1.22", "networking.k8s.io/v1"},
	"networking.k8s.io/v1beta1/IngressClass":      {"v1.22", "networking.k8s.io/v1"},
	"storage.k8s.io/v1beta1/CSIStorageCapacity":   {"v1.27", "storage.k8s.io/v1"},
	"storage.k8s.io/v1beta1/CSIDriver":            {"v1.22", "storage.k8s.io/v1"},
	"storage.k8s.io/v1beta1/CSINode":              {"v1.22", "storage.k8s.io/v1"},
	"storage.k8s.io/v1beta1/StorageClass":         {"v1.22", "storage.k8s.io/v1"},
	"storage.k8s.io/v1beta1/VolumeAttachment":     {"v1.22", "storage.k8s.io/v1"},
	"autoscaling/v2beta1/HorizontalPodAutoscaler": {"v1.25", "autoscaling/v2"},
	"autoscaling/v2beta2/HorizontalPodAutoscaler": {"v1.26", "autoscaling/v2"},
}

var removedVersions = map[string]Removal{
	"rbac.authorization.k8s.io/v1beta1":    {"v1.22", "rbac.authorization.k8s.io/v1"},
	"rbac.authorization.k8s.io/v1alpha1":   {"v1.22", "rbac.authorization.k8s.io/v1"},
	"admissionregistration.k8s.io/v1beta1": {"v1.22", "admissionregistration.k8s.io/v1"},
	"apiextensions.k8s.io/v1beta1":         {"v1.22", "apiextensions.k8s.io/v1"},
	"apiregistration.k8s.io/v1beta1":       {"v1.22", "apiregistration.k8s.io/v1"},
	"authentication.k8s.io/v1beta1":        {"v1.22", "authentication.k8s.io/v1"},
	"authorization.k8s.io/v1beta1":         {"v1.22", "authorization.k8s.io/v1"},
	"certificates.k8s.io/v1beta1":          {"v1.22", "certificates.k8s.io/v1"},
	"coordination.k8s.io/v1beta1":          {"v1.22", "coordination.k8s.io/v1"},
	"scheduling.k8s.io/v1beta1":            {"v1.22", "scheduling.k8s.io/v1"},
	"scheduling.k8s.io/v1alpha1":           {"v1.22", "scheduling.k8s.io/v1"},
	"discovery.k8s.io/v1beta1":             {"v1.25", "discovery.k8s.io/v1"},
	"events.k8s.io/v1beta1":                {"v1.25", "events.k8s.io/v1"},
	"node.k8s.io/v1beta1":                  {"v1.25", "node.k8s.io/v1"},
	"flowcontrol.apiserver.k8s.io/v1beta1": {"v1.26", "flowcontrol.apiserver.k8s.io/v1"},
	"flowcontrol.apiserver.k8s.io/v1beta2": {"v1.29", "flowcontrol.apiserver.k8s.io/v1"},
	"flowcontrol.apiserver.k8s.io/v1beta3": {"v1.32", "flowcontrol.apiserver.k8s.io/v1"},
}
