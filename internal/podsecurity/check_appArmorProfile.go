package podsecurity

// appArmorProfile (baseline, v1.0+)
//
// Reads:   spec.securityContext.appArmorProfile.type
//          spec.{initContainers,containers,ephemeralContainers}[*].securityContext.appArmorProfile.type
//          metadata.annotations["container.apparmor.security.beta.kubernetes.io/*"]
// Allows:  fields: unset, RuntimeDefault, Localhost;
//          annotations: "", "runtime/default", "localhost/*".

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/finding"
)

var checkAppArmorProfile = checkDef{
	id:          "appArmorProfile",
	level:       LevelBaseline,
	title:       "AppArmor must not be disabled or overridden",
	severity:    finding.SeverityHigh,
	description: "The pod and its containers may only use the container runtime's default AppArmor profile or a profile loaded on the node (Localhost). Unconfined removes the AppArmor protection; this applies to the appArmorProfile fields and to the deprecated container.apparmor.security.beta.kubernetes.io annotations.",
	remediation: "Remove appArmorProfile settings of type Unconfined or set them to RuntimeDefault or Localhost, and set deprecated AppArmor annotations to runtime/default or localhost/<profile>.",
	versions: []versioned{
		{minVersion: 0, fn: appArmorProfileV1Dot0},
	},
}

func appArmorTypeAllowed(t corev1.AppArmorProfileType) bool {
	return t == corev1.AppArmorProfileTypeRuntimeDefault || t == corev1.AppArmorProfileTypeLocalhost
}

func appArmorAnnotationAllowed(v string) bool {
	return v == "" || v == corev1.DeprecatedAppArmorBetaProfileRuntimeDefault ||
		strings.HasPrefix(v, corev1.DeprecatedAppArmorBetaProfileNamePrefix)
}

func appArmorProfileV1Dot0(r *report, meta *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	podBad := false
	if psc := spec.SecurityContext; psc != nil && psc.AppArmorProfile != nil && !appArmorTypeAllowed(psc.AppArmorProfile.Type) {
		if r == nil {
			return true
		}
		podBad = true
		r.values = append(r.values, string(psc.AppArmorProfile.Type))
		r.constField("spec.securityContext.appArmorProfile.type", "", FixSet, `"RuntimeDefault"`)
	}
	for i := range numContainers(spec) {
		ref, c := containerAt(spec, i)
		if sc := c.SecurityContext; sc != nil && sc.AppArmorProfile != nil && !appArmorTypeAllowed(sc.AppArmorProfile.Type) {
			if r == nil {
				return true
			}
			r.names = append(r.names, c.Name)
			r.values = append(r.values, string(sc.AppArmorProfile.Type))
			r.containerField(ref, ".securityContext.appArmorProfile.type", FixSet, `"RuntimeDefault"`)
		}
	}
	if meta != nil {
		for k, v := range meta.Annotations {
			if strings.HasPrefix(k, corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix) && !appArmorAnnotationAllowed(v) {
				if r == nil {
					return true
				}
				r.extra = append(r.extra, k)
			}
		}
	}
	if r == nil || !podBad && len(r.names) == 0 && len(r.extra) == 0 {
		return false
	}

	// Kubernetes sorts the annotations as key="value" strings.
	slices.SortFunc(r.extra, cmpAnnotationKeys)
	for _, k := range r.extra {
		r.annotationField(k, strings.TrimPrefix(k, corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix), FixSet, `"runtime/default"`)
	}
	values := sortedSet(r.values)
	d := r.startDetail()
	setters := 0
	if podBad {
		r.str("pod")
		setters++
	}
	if len(r.names) > 0 {
		if setters > 0 {
			r.str(" and ")
		}
		r.containerList(r.names)
		setters++
	}
	if len(r.extra) > 0 {
		if setters > 0 {
			r.str(" and ")
		}
		r.str(plural(len(r.extra), "annotation", "annotations"))
	}
	r.str(" must not set AppArmor profile type to ")
	r.quotedList(values)
	for i, k := range r.extra {
		if i > 0 || len(values) > 0 {
			r.str(", ")
		}
		r.buf = append(r.buf, '"')
		r.buf = appendKeyValue(r.buf, k, meta.Annotations[k])
		r.buf = append(r.buf, '"')
	}
	n := len(values) + len(r.extra)
	r.add("appArmorProfile", plural(n, "forbidden AppArmor profile", "forbidden AppArmor profiles"), d)
	return true
}

// cmpAnnotationKeys orders distinct annotation keys as Kubernetes orders the
// strings key="value": compare key+"=", which settles the order before the values.
func cmpAnnotationKeys(a, b string) int {
	n := min(len(a), len(b))
	if c := strings.Compare(a[:n], b[:n]); c != 0 {
		return c
	}
	switch {
	case len(a) == len(b):
		return 0
	case len(a) < len(b):
		return cmpByte('=', b[n])
	default:
		return cmpByte(a[n], '=')
	}
}

func cmpByte(a, b byte) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
