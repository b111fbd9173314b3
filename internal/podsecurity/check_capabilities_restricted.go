package podsecurity

// capabilities_restricted (restricted, v1.22+; replaces capabilities_baseline)
//
// Reads:   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.capabilities.{drop,add}
//          spec.os.name (v1.25+)
// Allows:  drop must include "ALL"; add may only hold "NET_BIND_SERVICE"
//          (exact, case-sensitive). From v1.25 a pod with spec.os.name: windows passes.

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/finding"
)

var checkCapabilitiesRestricted = checkDef{
	id:          "capabilities_restricted",
	level:       LevelRestricted,
	title:       "Containers must drop all capabilities",
	severity:    finding.SeverityMedium,
	description: `Every container must drop all Linux capabilities (securityContext.capabilities.drop includes "ALL") and may add back only NET_BIND_SERVICE.`,
	remediation: `Set securityContext.capabilities.drop: ["ALL"] on every container and remove every capability other than NET_BIND_SERVICE from securityContext.capabilities.add.`,
	versions: []versioned{
		{minVersion: 22, fn: capabilitiesRestrictedV1Dot22, overrides: []string{"capabilities_baseline"}},
		{minVersion: 25, fn: capabilitiesRestrictedV1Dot25, overrides: []string{"capabilities_baseline"}},
	},
}

func capabilitiesRestrictedV1Dot25(r *report, meta *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	if isWindows(spec) {
		return false
	}
	return capabilitiesRestrictedV1Dot22(r, meta, spec)
}

func capabilitiesRestrictedV1Dot22(r *report, _ *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	// r.names: containers missing drop ALL; r.extra: containers adding forbidden ones.
	for i := range numContainers(spec) {
		ref, c := containerAt(spec, i)
		var caps *corev1.Capabilities
		if c.SecurityContext != nil {
			caps = c.SecurityContext.Capabilities
		}
		droppedAll := false
		if caps != nil {
			for _, d := range caps.Drop {
				if d == "ALL" {
					droppedAll = true
					break
				}
			}
		}
		if !droppedAll {
			if r == nil {
				return true
			}
			r.names = append(r.names, c.Name)
			r.containerField(ref, ".securityContext.capabilities.drop", FixSet, `["ALL"]`)
		}
		if caps == nil {
			continue
		}
		addsForbidden := false
		for j, a := range caps.Add {
			if a == "NET_BIND_SERVICE" {
				continue
			}
			if r == nil {
				return true
			}
			addsForbidden = true
			r.values = append(r.values, string(a))
			r.containerItemField(ref, ".securityContext.capabilities.add", j, "", FixRemove, string(a))
		}
		if addsForbidden {
			r.extra = append(r.extra, c.Name)
		}
	}
	if r == nil || len(r.names) == 0 && len(r.extra) == 0 {
		return false
	}
	d := r.startDetail()
	if len(r.names) > 0 {
		r.containerList(r.names)
		r.str(` must set securityContext.capabilities.drop=["ALL"]`)
	}
	if len(r.extra) > 0 {
		if len(r.names) > 0 {
			r.str("; ")
		}
		r.containerList(r.extra)
		r.str(" must not include ")
		r.quotedList(sortedSet(r.values))
		r.str(" in securityContext.capabilities.add")
	}
	r.add("capabilities_restricted", "unrestricted capabilities", d)
	return true
}
