package podsecurity

// allowPrivilegeEscalation (restricted, v1.8+)
//
// Reads:   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.allowPrivilegeEscalation
//          spec.os.name (v1.25+)
// Allows:  false. From v1.25 a pod with spec.os.name: windows passes whatever
//          it sets (Windows has no setuid escalation and the API rejects the field).

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/finding"
)

var checkAllowPrivilegeEscalation = checkDef{
	id:          "allowPrivilegeEscalation",
	level:       LevelRestricted,
	title:       "Containers must not allow privilege escalation",
	severity:    finding.SeverityMedium,
	description: "Every container must set securityContext.allowPrivilegeEscalation to false, so that no process can gain more privileges than its parent, for example through set-user-ID binaries.",
	remediation: "Set securityContext.allowPrivilegeEscalation: false on every container, init container and ephemeral container.",
	versions: []versioned{
		{minVersion: 8, fn: allowPrivilegeEscalationV1Dot8},
		{minVersion: 25, fn: allowPrivilegeEscalationV1Dot25},
	},
}

func allowPrivilegeEscalationV1Dot25(r *report, meta *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	if isWindows(spec) {
		return false
	}
	return allowPrivilegeEscalationV1Dot8(r, meta, spec)
}

func allowPrivilegeEscalationV1Dot8(r *report, _ *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	bad := false
	for i := range numContainers(spec) {
		ref, c := containerAt(spec, i)
		sc := c.SecurityContext
		if sc != nil && sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation {
			continue
		}
		if r == nil {
			return true
		}
		bad = true
		r.names = append(r.names, c.Name)
		r.containerField(ref, ".securityContext.allowPrivilegeEscalation", FixSet, "false")
	}
	if bad {
		d := r.startDetail()
		r.containerList(r.names)
		r.str(" must set securityContext.allowPrivilegeEscalation=false")
		r.add("allowPrivilegeEscalation", "allowPrivilegeEscalation != false", d)
	}
	return bad
}
