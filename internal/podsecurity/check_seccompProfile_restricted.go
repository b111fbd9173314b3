package podsecurity

// seccompProfile_restricted (restricted, v1.19+; replaces seccompProfile_baseline)
//
// Reads:   spec.securityContext.seccompProfile.type
//          spec.{initContainers,containers,ephemeralContainers}[*].securityContext.seccompProfile.type
//          spec.os.name (v1.25+)
// Allows:  RuntimeDefault or Localhost on the pod, with containers unset or
//          allowed; or on every container. Unconfined is never allowed. From
//          v1.25 a pod with spec.os.name: windows passes.

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/finding"
)

var checkSeccompProfileRestricted = checkDef{
	id:          "seccompProfile_restricted",
	level:       LevelRestricted,
	title:       "Seccomp must be enabled",
	severity:    finding.SeverityMedium,
	description: "The pod, or else every container, must set securityContext.seccompProfile.type to RuntimeDefault or Localhost, and none may set Unconfined, so that every container runs with a seccomp filter.",
	remediation: "Set spec.securityContext.seccompProfile.type: RuntimeDefault on the pod and remove container-level Unconfined settings.",
	versions: []versioned{
		{minVersion: 19, fn: seccompProfileRestrictedV1Dot19, overrides: []string{"seccompProfile_baseline"}},
		{minVersion: 25, fn: seccompProfileRestrictedV1Dot25, overrides: []string{"seccompProfile_baseline"}},
	},
}

func seccompProfileRestrictedV1Dot25(r *report, meta *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	if isWindows(spec) {
		return false
	}
	return seccompProfileRestrictedV1Dot19(r, meta, spec)
}

func seccompProfileRestrictedV1Dot19(r *report, _ *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	podSet, podBad := false, false
	if psc := spec.SecurityContext; psc != nil && psc.SeccompProfile != nil {
		if seccompTypeAllowed(psc.SeccompProfile.Type) {
			podSet = true
		} else {
			if r == nil {
				return true
			}
			podBad = true
			r.values = append(r.values, string(psc.SeccompProfile.Type))
		}
	}
	// r.names: containers setting a forbidden type; r.extra: containers left unset without a pod-level profile.
	for i := range numContainers(spec) {
		ref, c := containerAt(spec, i)
		if sc := c.SecurityContext; sc != nil && sc.SeccompProfile != nil {
			if seccompTypeAllowed(sc.SeccompProfile.Type) {
				continue
			}
			if r == nil {
				return true
			}
			r.names = append(r.names, c.Name)
			r.values = append(r.values, string(sc.SeccompProfile.Type))
			r.containerField(ref, ".securityContext.seccompProfile.type", FixSet, `"RuntimeDefault"`)
			continue
		}
		if podSet {
			continue
		}
		if r == nil {
			return true
		}
		r.extra = append(r.extra, c.Name)
	}
	if r == nil || !podBad && len(r.names) == 0 && len(r.extra) == 0 {
		return false
	}
	if podBad || len(r.extra) > 0 {
		// One pod-level profile fixes the pod and every container left unset.
		r.constField("spec.securityContext.seccompProfile.type", "", FixSet, `"RuntimeDefault"`)
		r.moveLastFieldFirst()
	}
	if podBad || len(r.names) > 0 {
		seccompExplicitDetail(r, podBad, "seccompProfile_restricted")
		return true
	}
	d := r.startDetail()
	r.str("pod or ")
	r.containerList(r.extra)
	r.str(` must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`)
	r.add("seccompProfile_restricted", "seccompProfile", d)
	return true
}
