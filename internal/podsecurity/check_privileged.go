package podsecurity

// privileged (baseline, v1.0+)
//
// Reads:   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.privileged
// Allows:  unset, false.

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/finding"
)

var checkPrivileged = checkDef{
	id:          "privileged",
	level:       LevelBaseline,
	title:       "Containers must not run privileged",
	severity:    finding.SeverityCritical,
	description: "Containers must not set securityContext.privileged to true. A privileged container has every capability and full access to the node's devices, which disables most of the container's isolation.",
	remediation: "Remove securityContext.privileged or set it to false, and grant only the specific capabilities the container needs.",
	versions: []versioned{
		{minVersion: 0, fn: privilegedV1Dot0},
	},
}

func privilegedV1Dot0(r *report, _ *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	for i := range numContainers(spec) {
		ref, c := containerAt(spec, i)
		if sc := c.SecurityContext; sc == nil || sc.Privileged == nil || !*sc.Privileged {
			continue
		}
		if r == nil {
			return true
		}
		r.names = append(r.names, c.Name)
		r.containerField(ref, ".securityContext.privileged", FixSet, "false")
	}
	if r == nil || len(r.names) == 0 {
		return false
	}
	d := r.startDetail()
	r.containerList(r.names)
	r.str(" must not set securityContext.privileged=true")
	r.add("privileged", "privileged", d)
	return true
}
