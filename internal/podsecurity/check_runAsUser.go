package podsecurity

// runAsUser (restricted, v1.23+)
//
// Reads:   spec.securityContext.runAsUser
//          spec.{initContainers,containers,ephemeralContainers}[*].securityContext.runAsUser
//          spec.hostUsers (v1.35+)
// Allows:  unset or non-zero. From v1.35 a pod with hostUsers: false passes
//          whatever it sets.

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/finding"
)

var checkRunAsUser = checkDef{
	id:          "runAsUser",
	level:       LevelRestricted,
	title:       "Containers must not run as UID 0",
	severity:    finding.SeverityHigh,
	description: "Neither the pod nor any container may set securityContext.runAsUser to 0 (root). From policy v1.35 pods in a user namespace (hostUsers: false) are exempt.",
	remediation: "Set securityContext.runAsUser to a non-zero UID the image supports (for example 1000), or remove it and run an image whose user is not root.",
	versions: []versioned{
		{minVersion: 23, fn: runAsUserV1Dot23},
		{minVersion: 35, fn: runAsUserV1Dot35},
	},
}

func runAsUserV1Dot35(r *report, meta *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	if inUserNamespace(spec) {
		return false
	}
	return runAsUserV1Dot23(r, meta, spec)
}

func runAsUserV1Dot23(r *report, _ *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	podBad := false
	if psc := spec.SecurityContext; psc != nil && psc.RunAsUser != nil && *psc.RunAsUser == 0 {
		if r == nil {
			return true
		}
		podBad = true
		r.constField("spec.securityContext.runAsUser", "", FixSet, "1000")
	}
	for i := range numContainers(spec) {
		ref, c := containerAt(spec, i)
		if sc := c.SecurityContext; sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != 0 {
			continue
		}
		if r == nil {
			return true
		}
		r.names = append(r.names, c.Name)
		r.containerField(ref, ".securityContext.runAsUser", FixSet, "1000")
	}
	if r == nil || !podBad && len(r.names) == 0 {
		return false
	}
	d := r.startDetail()
	r.podAndContainers(podBad)
	r.str(" must not set runAsUser=0")
	r.add("runAsUser", "runAsUser=0", d)
	return true
}
