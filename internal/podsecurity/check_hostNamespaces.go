package podsecurity

// hostNamespaces (baseline, v1.0+)
//
// Reads:   spec.hostNetwork, spec.hostPID, spec.hostIPC
// Allows:  unset, false.

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/finding"
)

var checkHostNamespaces = checkDef{
	id:          "hostNamespaces",
	level:       LevelBaseline,
	title:       "Pods must not share the host's namespaces",
	severity:    finding.SeverityHigh,
	description: "A pod must not use the node's network, PID or IPC namespace (hostNetwork, hostPID, hostIPC). Sharing them lets the pod see and reach the node's processes, traffic and shared memory.",
	remediation: "Remove spec.hostNetwork, spec.hostPID and spec.hostIPC, or set them to false.",
	versions: []versioned{
		{minVersion: 0, fn: hostNamespacesV1Dot0},
	},
}

func hostNamespacesV1Dot0(r *report, _ *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	if !spec.HostNetwork && !spec.HostPID && !spec.HostIPC {
		return false
	}
	if r == nil {
		return true
	}
	if spec.HostNetwork {
		r.constField("spec.hostNetwork", "", FixSet, "false")
	}
	if spec.HostPID {
		r.constField("spec.hostPID", "", FixSet, "false")
	}
	if spec.HostIPC {
		r.constField("spec.hostIPC", "", FixSet, "false")
	}
	d := r.startDetail()
	sep := ""
	if spec.HostNetwork {
		r.str("hostNetwork=true")
		sep = ", "
	}
	if spec.HostPID {
		r.str(sep, "hostPID=true")
		sep = ", "
	}
	if spec.HostIPC {
		r.str(sep, "hostIPC=true")
	}
	r.add("hostNamespaces", "host namespaces", d)
	return true
}
