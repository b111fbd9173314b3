package podsecurity

// runAsNonRoot (restricted, v1.0+)
//
// Reads:   spec.securityContext.runAsNonRoot
//          spec.{initContainers,containers,ephemeralContainers}[*].securityContext.runAsNonRoot
//          spec.hostUsers (v1.35+)
// Allows:  true at the pod level, with containers unset or true; or true on
//          every container. false is never allowed. From v1.35 a pod with
//          hostUsers: false passes whatever it sets.

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/finding"
)

var checkRunAsNonRoot = checkDef{
	id:          "runAsNonRoot",
	level:       LevelRestricted,
	title:       "Containers must run as a non-root user",
	severity:    finding.SeverityHigh,
	description: "The pod or every one of its containers must set securityContext.runAsNonRoot to true, and none may set it to false, so that the kubelet refuses to start a container whose user is root. From policy v1.35 pods in a user namespace (hostUsers: false) are exempt.",
	remediation: "Set spec.securityContext.runAsNonRoot: true on the pod and remove any container-level runAsNonRoot: false; make sure the image runs as a non-zero UID.",
	versions: []versioned{
		{minVersion: 0, fn: runAsNonRootV1Dot0},
		{minVersion: 35, fn: runAsNonRootV1Dot35},
	},
}

func runAsNonRootV1Dot35(r *report, meta *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	if inUserNamespace(spec) {
		return false
	}
	return runAsNonRootV1Dot0(r, meta, spec)
}

func runAsNonRootV1Dot0(r *report, _ *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	podSet, podFalse := false, false
	if psc := spec.SecurityContext; psc != nil && psc.RunAsNonRoot != nil {
		podSet, podFalse = *psc.RunAsNonRoot, !*psc.RunAsNonRoot
	}
	if podFalse && r == nil {
		return true
	}
	// r.names: containers setting false; r.extra: containers left unset without a pod-level true.
	for i := range numContainers(spec) {
		ref, c := containerAt(spec, i)
		if sc := c.SecurityContext; sc != nil && sc.RunAsNonRoot != nil {
			if *sc.RunAsNonRoot {
				continue
			}
			if r == nil {
				return true
			}
			r.names = append(r.names, c.Name)
			r.containerField(ref, ".securityContext.runAsNonRoot", FixSet, "true")
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
	if r == nil || !podFalse && len(r.names) == 0 && len(r.extra) == 0 {
		return false
	}
	if podFalse || len(r.extra) > 0 {
		// One pod-level setting fixes the pod and every container left unset;
		// put it first, as a person reads it.
		r.constField("spec.securityContext.runAsNonRoot", "", FixSet, "true")
		r.moveLastFieldFirst()
	}
	d := r.startDetail()
	if podFalse || len(r.names) > 0 {
		r.podAndContainers(podFalse)
		r.str(" must not set securityContext.runAsNonRoot=false")
	} else {
		r.str("pod or ")
		r.containerList(r.extra)
		r.str(" must set securityContext.runAsNonRoot=true")
	}
	r.add("runAsNonRoot", "runAsNonRoot != true", d)
	return true
}
