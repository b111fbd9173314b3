package rbac

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// BootstrapLabel is the label, with value "rbac-defaults", that
// kube-apiserver puts on the roles and bindings of its default policy.
const BootstrapLabel = "kubernetes.io/bootstrapping"

// IsBootstrap reports whether an object read from a cluster is part of
// Kubernetes' default policy (its Source is then Default).
func IsBootstrap(obj runtime.Object) bool {
	m, ok := obj.(metav1.Object)
	return ok && m.GetLabels()[BootstrapLabel] == "rbac-defaults"
}
