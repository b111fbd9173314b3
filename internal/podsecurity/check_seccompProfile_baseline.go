package podsecurity

// seccompProfile_baseline (baseline, v1.0+; replaced at restricted by seccompProfile_restricted from v1.19)
//
// v1.0–v1.18 reads the annotations seccomp profiles were set with then:
//   metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]
//   metadata.annotations["container.seccomp.security.alpha.kubernetes.io/<container name>"]
//   Allows: unset, "runtime/default", "docker/default", "localhost/*".
// v1.19+ reads the fields:
//   spec.securityContext.seccompProfile.type
//   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.seccompProfile.type
//   Allows: unset, RuntimeDefault, Localhost.

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/finding"
)

var checkSeccompProfileBaseline = checkDef{
	id:          "seccompProfile_baseline",
	level:       LevelBaseline,
	title:       "Seccomp must not be disabled",
	severity:    finding.SeverityHigh,
	description: "The pod and its containers must not set the seccomp profile to Unconfined: only RuntimeDefault and Localhost profiles are allowed (before policy v1.19, through the seccomp.security.alpha.kubernetes.io annotations: runtime/default, docker/default or localhost/<profile>).",
	remediation: "Set securityContext.seccompProfile.type to RuntimeDefault (or Localhost with a profile on the node) wherever it is Unconfined.",
	versions: []versioned{
		{minVersion: 0, fn: seccompProfileBaselineV1Dot0},
		{minVersion: 19, fn: seccompProfileBaselineV1Dot19},
	},
}

const (
	seccompPodAnnotation             = "seccomp.security.alpha.kubernetes.io/pod"
	seccompContainerAnnotationPrefix = "container.seccomp.security.alpha.kubernetes.io/"
)

func seccompAnnotationAllowed(v string) bool {
	return v == corev1.SeccompProfileRuntimeDefault || v == corev1.DeprecatedSeccompProfileDockerDefault ||
		len(v) >= len(corev1.SeccompLocalhostProfileNamePrefix) && v[:len(corev1.SeccompLocalhostProfileNamePrefix)] == corev1.SeccompLocalhostProfileNamePrefix
}

func seccompTypeAllowed(t corev1.SeccompProfileType) bool {
	return t == corev1.SeccompProfileTypeRuntimeDefault || t == corev1.SeccompProfileTypeLocalhost
}

// containerSeccompAnnotation looks up the legacy seccomp annotation of a
// container without allocating the key.
func containerSeccompAnnotation(annotations map[string]string, name string) (string, bool) {
	var kb [128]byte
	k := append(kb[:0], seccompContainerAnnotationPrefix...)
	k = append(k, name...)
	v, ok := annotations[string(k)]
	return v, ok
}

func seccompProfileBaselineV1Dot0(r *report, meta *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	if meta == nil || len(meta.Annotations) == 0 {
		return false
	}
	if v, ok := meta.Annotations[seccompPodAnnotation]; ok && !seccompAnnotationAllowed(v) {
		if r == nil {
			return true
		}
		r.extra = append(r.extra, seccompPodAnnotation)
	}
	for i := range numContainers(spec) {
		_, c := containerAt(spec, i)
		if v, ok := containerSeccompAnnotation(meta.Annotations, c.Name); ok && !seccompAnnotationAllowed(v) {
			if r == nil {
				return true
			}
			r.names = append(r.names, c.Name)
		}
	}
	if r == nil || len(r.extra) == 0 && len(r.names) == 0 {
		return false
	}
	for _, name := range sortedSet(r.names) {
		r.extra = append(r.extra, seccompContainerAnnotationPrefix+name)
	}
	// Kubernetes sorts the key="value" strings.
	slices.SortFunc(r.extra, cmpAnnotationKeys)
	d := r.startDetail()
	r.str("forbidden ", plural(len(r.extra), "annotation", "annotations"), " ")
	for i, k := range r.extra {
		if i > 0 {
			r.str(", ")
		}
		r.buf = appendKeyValue(r.buf, k, meta.Annotations[k])
	}
	detailEnd := len(r.buf)
	for _, k := range r.extra {
		container := ""
		if name, ok := strings.CutPrefix(k, seccompContainerAnnotationPrefix); ok {
			container = name
		}
		r.annotationField(k, container, FixSet, `"runtime/default"`)
	}
	r.addSpan("seccompProfile_baseline", "seccompProfile", d, detailEnd)
	return true
}

func seccompProfileBaselineV1Dot19(r *report, _ *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	podBad := false
	if psc := spec.SecurityContext; psc != nil && psc.SeccompProfile != nil && !seccompTypeAllowed(psc.SeccompProfile.Type) {
		if r == nil {
			return true
		}
		podBad = true
		r.values = append(r.values, string(psc.SeccompProfile.Type))
		r.constField("spec.securityContext.seccompProfile.type", "", FixSet, `"RuntimeDefault"`)
	}
	for i := range numContainers(spec) {
		ref, c := containerAt(spec, i)
		if sc := c.SecurityContext; sc != nil && sc.SeccompProfile != nil && !seccompTypeAllowed(sc.SeccompProfile.Type) {
			if r == nil {
				return true
			}
			r.names = append(r.names, c.Name)
			r.values = append(r.values, string(sc.SeccompProfile.Type))
			r.containerField(ref, ".securityContext.seccompProfile.type", FixSet, `"RuntimeDefault"`)
		}
	}
	if r == nil || !podBad && len(r.names) == 0 {
		return false
	}
	seccompExplicitDetail(r, podBad, "seccompProfile_baseline")
	return true
}

// seccompExplicitDetail records the violation of a pod or containers
// (r.names) setting forbidden seccomp types (r.values).
func seccompExplicitDetail(r *report, podBad bool, id string) {
	d := r.startDetail()
	r.podAndContainers(podBad)
	r.str(" must not set securityContext.seccompProfile.type to ")
	r.quotedList(sortedSet(r.values))
	r.add(id, "seccompProfile", d)
}
