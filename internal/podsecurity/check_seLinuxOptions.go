package podsecurity

// seLinuxOptions (baseline, v1.0+)
//
// Reads:   spec.securityContext.seLinuxOptions.{type,user,role}
//          spec.{initContainers,containers,ephemeralContainers}[*].securityContext.seLinuxOptions.{type,user,role}
// Allows:  type: "", container_t, container_init_t, container_kvm_t, and from
//          v1.31 container_engine_t; user and role: "".

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/finding"
)

var checkSELinuxOptions = checkDef{
	id:          "seLinuxOptions",
	level:       LevelBaseline,
	title:       "SELinux options must not be customised",
	severity:    finding.SeverityHigh,
	description: "The pod and its containers may only set the SELinux type to container_t, container_init_t, container_kvm_t or (from policy v1.31) container_engine_t, and must not set the SELinux user or role, which could lift the container out of its SELinux confinement.",
	remediation: "Remove securityContext.seLinuxOptions.user and .role, and remove .type or set it to one of the allowed container types.",
	versions: []versioned{
		{minVersion: 0, fn: seLinuxOptionsV1Dot0},
		{minVersion: 31, fn: seLinuxOptionsV1Dot31},
	},
}

func seLinuxTypeAllowedV1Dot0(t string) bool {
	switch t {
	case "", "container_t", "container_init_t", "container_kvm_t":
		return true
	}
	return false
}

func seLinuxTypeAllowedV1Dot31(t string) bool {
	return t == "container_engine_t" || seLinuxTypeAllowedV1Dot0(t)
}

func seLinuxOptionsV1Dot0(r *report, _ *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	return seLinuxOptions(r, spec, seLinuxTypeAllowedV1Dot0)
}

func seLinuxOptionsV1Dot31(r *report, _ *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	return seLinuxOptions(r, spec, seLinuxTypeAllowedV1Dot31)
}

// seLinuxState collects what a check found across the pod and containers.
type seLinuxState struct{ user, role bool }

func seLinuxOptions(r *report, spec *corev1.PodSpec, typeAllowed func(string) bool) bool {
	var st seLinuxState
	podBad := false
	if psc := spec.SecurityContext; psc != nil && psc.SELinuxOptions != nil {
		o := psc.SELinuxOptions
		if !typeAllowed(o.Type) || o.User != "" || o.Role != "" {
			if r == nil {
				return true
			}
			podBad = true
			seLinuxFields(r, &st, o, typeAllowed, cref{}, false)
		}
	}
	for i := range numContainers(spec) {
		ref, c := containerAt(spec, i)
		if c.SecurityContext == nil || c.SecurityContext.SELinuxOptions == nil {
			continue
		}
		o := c.SecurityContext.SELinuxOptions
		if typeAllowed(o.Type) && o.User == "" && o.Role == "" {
			continue
		}
		if r == nil {
			return true
		}
		r.names = append(r.names, c.Name)
		seLinuxFields(r, &st, o, typeAllowed, ref, true)
	}
	if r == nil || !podBad && len(r.names) == 0 {
		return false
	}
	types := sortedSet(r.values)
	d := r.startDetail()
	r.podAndContainers(podBad)
	r.str(" set forbidden securityContext.seLinuxOptions: ")
	sep := ""
	if len(types) > 0 {
		r.str(plural(len(types), "type", "types"), " ")
		r.quotedList(types)
		sep = "; "
	}
	if st.user {
		r.str(sep, "user may not be set")
		sep = "; "
	}
	if st.role {
		r.str(sep, "role may not be set")
	}
	r.add("seLinuxOptions", "seLinuxOptions", d)
	return true
}

// seLinuxFields records the forbidden parts of o, set on the pod or on container ref.
func seLinuxFields(r *report, st *seLinuxState, o *corev1.SELinuxOptions, typeAllowed func(string) bool, ref cref, inContainer bool) {
	field := func(suffix, value string) {
		start := r.markPath()
		if inContainer {
			r.buf = ref.appendPath(r.buf)
		} else {
			r.str("spec")
		}
		r.str(".securityContext.seLinuxOptions.", suffix)
		if inContainer {
			r.refField(start, ref, FixRemove, value)
		} else {
			r.pathField(start, "", FixRemove, value)
		}
	}
	if !typeAllowed(o.Type) {
		r.values = append(r.values, o.Type)
		field("type", o.Type)
	}
	if o.User != "" {
		st.user = true
		field("user", o.User)
	}
	if o.Role != "" {
		st.role = true
		field("role", o.Role)
	}
}
