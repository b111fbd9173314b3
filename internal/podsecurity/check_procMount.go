package podsecurity

// procMount (baseline, v1.0+; replaced at restricted by procMount_restricted from v1.35)
//
// Reads:   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.procMount
//          spec.hostUsers (v1.35+)
// Allows:  unset, "Default". From v1.35 a pod with hostUsers: false (in a user
//          namespace) may set any value.

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/finding"
)

var checkProcMount = checkDef{
	id:          "procMount",
	level:       LevelBaseline,
	title:       "Containers must keep the default /proc mask",
	severity:    finding.SeverityHigh,
	description: "Containers must leave securityContext.procMount unset or Default, which masks sensitive parts of /proc. From policy v1.35 the baseline level allows other values in pods that run in a user namespace (hostUsers: false).",
	remediation: "Remove securityContext.procMount or set it to Default.",
	versions: []versioned{
		{minVersion: 0, fn: procMountStrict("procMount")},
		{minVersion: 35, fn: procMountV1Dot35},
	},
}

func procMountV1Dot35(r *report, meta *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	if inUserNamespace(spec) {
		return false
	}
	return procMountCheck(r, spec, "procMount")
}

// procMountStrict returns the unconditional procMount check reported under id.
func procMountStrict(id string) checkFn {
	return func(r *report, _ *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
		return procMountCheck(r, spec, id)
	}
}

func procMountCheck(r *report, spec *corev1.PodSpec, id string) bool {
	for i := range numContainers(spec) {
		ref, c := containerAt(spec, i)
		sc := c.SecurityContext
		if sc == nil || sc.ProcMount == nil || *sc.ProcMount == corev1.DefaultProcMount {
			continue
		}
		if r == nil {
			return true
		}
		r.names = append(r.names, c.Name)
		r.values = append(r.values, string(*sc.ProcMount))
		r.containerField(ref, ".securityContext.procMount", FixSet, `"Default"`)
	}
	if r == nil || len(r.names) == 0 {
		return false
	}
	d := r.startDetail()
	r.containerList(r.names)
	r.str(" must not set securityContext.procMount to ")
	r.quotedList(sortedSet(r.values))
	r.add(id, "procMount", d)
	return true
}
