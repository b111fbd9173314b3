// Package kinds knows the scope of Kubernetes' built-in kinds, so that
// objects without metadata.namespace can be placed where kubectl apply -n
// would put them, and applies that placement.
package kinds

import (
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
)

// SetDefaultNamespace gives obj the namespace ns when it is of a namespaced
// built-in kind and has none, as `kubectl apply -n ns` does, and reports
// whether it did.
func SetDefaultNamespace(obj runtime.Object, ns string) bool {
	gvk := obj.GetObjectKind().GroupVersionKind()
	if !Namespaced(gvk.GroupVersion().String(), gvk.Kind) {
		return false
	}
	m, err := meta.Accessor(obj)
	if err != nil || m.GetNamespace() != "" {
		return false
	}
	m.SetNamespace(ns)
	return true
}

// Namespaced reports whether objects of apiVersion/kind live in a
// namespace: false for Kubernetes' cluster-scoped kinds and for kinds
// kubeward does not know (custom resources, whose scope is declared by
// their CustomResourceDefinition).
func Namespaced(apiVersion, kind string) bool {
	group, _, _ := strings.Cut(apiVersion, "/")
	if !strings.Contains(apiVersion, "/") {
		group = ""
	}
	scope, ok := scopes[group+"/"+kind]
	return ok && scope
}

// scopes lists the built-in kinds by group/kind: true for namespaced,
// false for cluster-scoped (from kube-apiserver's discovery).
var scopes = map[string]bool{
	"/Pod": true, "/Service": true, "/ConfigMap": true, "/Secret": true,
	"/ServiceAccount": true, "/PersistentVolumeClaim": true, "/ReplicationController": true,
	"/PodTemplate": true, "/Endpoints": true, "/LimitRange": true, "/ResourceQuota": true,
	"/Event": true, "/Binding": true,
	"/Namespace": false, "/Node": false, "/PersistentVolume": false, "/ComponentStatus": false,
	"apps/Deployment": true, "apps/ReplicaSet": true, "apps/StatefulSet": true,
	"apps/DaemonSet": true, "apps/ControllerRevision": true,
	"extensions/Deployment": true, "extensions/ReplicaSet": true, "extensions/DaemonSet": true,
	"extensions/Ingress": true, "extensions/NetworkPolicy": true, "extensions/PodSecurityPolicy": false,
	"batch/Job": true, "batch/CronJob": true,
	"autoscaling/HorizontalPodAutoscaler": true,
	"policy/PodDisruptionBudget":          true, "policy/PodSecurityPolicy": false,
	"networking.k8s.io/NetworkPolicy": true, "networking.k8s.io/Ingress": true,
	"networking.k8s.io/IngressClass": false, "networking.k8s.io/IPAddress": false,
	"networking.k8s.io/ServiceCIDR":  false,
	"discovery.k8s.io/EndpointSlice": true,
	"events.k8s.io/Event":            true,
	"coordination.k8s.io/Lease":      true,
	"rbac.authorization.k8s.io/Role": true, "rbac.authorization.k8s.io/RoleBinding": true,
	"rbac.authorization.k8s.io/ClusterRole": false, "rbac.authorization.k8s.io/ClusterRoleBinding": false,
	"storage.k8s.io/StorageClass": false, "storage.k8s.io/CSIDriver": false,
	"storage.k8s.io/CSINode": false, "storage.k8s.io/VolumeAttachment": false,
	"storage.k8s.io/CSIStorageCapacity": true, "storage.k8s.io/VolumeAttributesClass": false,
	"scheduling.k8s.io/PriorityClass":                               false,
	"node.k8s.io/RuntimeClass":                                      false,
	"certificates.k8s.io/CertificateSigningRequest":                 false,
	"certificates.k8s.io/ClusterTrustBundle":                        false,
	"admissionregistration.k8s.io/ValidatingWebhookConfiguration":   false,
	"admissionregistration.k8s.io/MutatingWebhookConfiguration":     false,
	"admissionregistration.k8s.io/ValidatingAdmissionPolicy":        false,
	"admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding": false,
	"admissionregistration.k8s.io/MutatingAdmissionPolicy":          false,
	"admissionregistration.k8s.io/MutatingAdmissionPolicyBinding":   false,
	"apiextensions.k8s.io/CustomResourceDefinition":                 false,
	"apiregistration.k8s.io/APIService":                             false,
	"flowcontrol.apiserver.k8s.io/FlowSchema":                       false,
	"flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration":       false,
	"resource.k8s.io/DeviceClass":                                   false, "resource.k8s.io/ResourceClaim": true,
	"resource.k8s.io/ResourceClaimTemplate": true, "resource.k8s.io/ResourceSlice": false,
}
