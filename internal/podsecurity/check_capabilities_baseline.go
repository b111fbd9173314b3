package podsecurity

// capabilities_baseline (baseline, v1.0+; replaced at restricted by capabilities_restricted from v1.22)
//
// Reads:   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.capabilities.add
// Allows:  unset, empty, or only capabilities of the container runtimes'
//          default set: AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL,
//          MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT
//          (exact, case-sensitive names).

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/finding"
)

var checkCapabilitiesBaseline = checkDef{
	id:          "capabilities_baseline",
	level:       LevelBaseline,
	title:       "Containers must not add capabilities beyond the default set",
	severity:    finding.SeverityHigh,
	description: "Containers may only add Linux capabilities from the container runtime's default set (AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT). Capabilities such as SYS_ADMIN or NET_RAW give a container powers close to root on the node.",
	remediation: "Remove every capability outside the default set from securityContext.capabilities.add.",
	versions: []versioned{
		{minVersion: 0, fn: capabilitiesBaselineV1Dot0},
	},
}

func defaultCapability(c corev1.Capability) bool {
	switch c {
	case "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
		"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT":
		return true
	}
	return false
}

func capabilitiesBaselineV1Dot0(r *report, _ *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	for i := range numContainers(spec) {
		ref, c := containerAt(spec, i)
		if c.SecurityContext == nil || c.SecurityContext.Capabilities == nil {
			continue
		}
		containerBad := false
		for j, capability := range c.SecurityContext.Capabilities.Add {
			if defaultCapability(capability) {
				continue
			}
			if r == nil {
				return true
			}
			containerBad = true
			r.values = append(r.values, string(capability))
			r.containerItemField(ref, ".securityContext.capabilities.add", j, "", FixRemove, string(capability))
		}
		if containerBad {
			r.names = append(r.names, c.Name)
		}
	}
	if r == nil || len(r.names) == 0 {
		return false
	}
	d := r.startDetail()
	r.containerList(r.names)
	r.str(" must not include ")
	r.quotedList(sortedSet(r.values))
	r.str(" in securityContext.capabilities.add")
	r.add("capabilities_baseline", "non-default capabilities", d)
	return true
}
