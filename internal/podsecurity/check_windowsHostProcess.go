package podsecurity

// windowsHostProcess (baseline, v1.0+)
//
// Reads:   spec.securityContext.windowsOptions.hostProcess
//          spec.{initContainers,containers,ephemeralContainers}[*].securityContext.windowsOptions.hostProcess
// Allows:  unset, false.

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/finding"
)

var checkWindowsHostProcess = checkDef{
	id:          "windowsHostProcess",
	level:       LevelBaseline,
	title:       "Windows pods must not run as host processes",
	severity:    finding.SeverityCritical,
	description: "Neither the pod nor any container may set securityContext.windowsOptions.hostProcess to true. A HostProcess container runs directly on the Windows node with the node's privileges.",
	remediation: "Remove securityContext.windowsOptions.hostProcess or set it to false on the pod and every container.",
	versions: []versioned{
		{minVersion: 0, fn: windowsHostProcessV1Dot0},
	},
}

func hostProcess(sc *corev1.WindowsSecurityContextOptions) bool {
	return sc != nil && sc.HostProcess != nil && *sc.HostProcess
}

func windowsHostProcessV1Dot0(r *report, _ *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	podBad := spec.SecurityContext != nil && hostProcess(spec.SecurityContext.WindowsOptions)
	if podBad {
		if r == nil {
			return true
		}
		r.constField("spec.securityContext.windowsOptions.hostProcess", "", FixSet, "false")
	}
	for i := range numContainers(spec) {
		ref, c := containerAt(spec, i)
		if c.SecurityContext == nil || !hostProcess(c.SecurityContext.WindowsOptions) {
			continue
		}
		if r == nil {
			return true
		}
		r.names = append(r.names, c.Name)
		r.containerField(ref, ".securityContext.windowsOptions.hostProcess", FixSet, "false")
	}
	if r == nil || !podBad && len(r.names) == 0 {
		return false
	}
	d := r.startDetail()
	r.podAndContainers(podBad)
	r.str(" must not set securityContext.windowsOptions.hostProcess=true")
	r.add("windowsHostProcess", "hostProcess", d)
	return true
}
