package podsecurity

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
)

// containerKind says which list of the pod spec a container comes from.
type containerKind uint8

const (
	initContainer containerKind = iota
	regularContainer
	ephemeralContainer
)

// cref locates a container inside a pod spec.
type cref struct {
	kind  containerKind
	index int
}

// numContainers returns how many containers the pod has, of every kind.
func numContainers(spec *corev1.PodSpec) int {
	return len(spec.InitContainers) + len(spec.Containers) + len(spec.EphemeralContainers)
}

// containerAt returns the i-th container (0 <= i < numContainers) in the
// order Kubernetes visits them: init containers, containers, then ephemeral
// containers. Checks loop over it rather than over an iterator because it
// inlines into the loop, which keeps a check of a compliant pod to a few
// nanoseconds per container.
func containerAt(spec *corev1.PodSpec, i int) (cref, *corev1.Container) {
	if i < len(spec.InitContainers) {
		return cref{initContainer, i}, &spec.InitContainers[i]
	}
	i -= len(spec.InitContainers)
	if i < len(spec.Containers) {
		return cref{regularContainer, i}, &spec.Containers[i]
	}
	i -= len(spec.Containers)
	return cref{ephemeralContainer, i}, (*corev1.Container)(&spec.EphemeralContainers[i].EphemeralContainerCommon)
}

// appendPath appends the path of the container, e.g. spec.initContainers[2].
func (c cref) appendPath(b []byte) []byte {
	switch c.kind {
	case initContainer:
		b = append(b, "spec.initContainers["...)
	case regularContainer:
		b = append(b, "spec.containers["...)
	default:
		b = append(b, "spec.ephemeralContainers["...)
	}
	b = strconv.AppendInt(b, int64(c.index), 10)
	return append(b, ']')
}

// isWindows reports whether the pod declares spec.os.name: windows, which
// relaxes the checks on fields Windows pods cannot set.
func isWindows(spec *corev1.PodSpec) bool {
	return spec.OS != nil && spec.OS.Name == corev1.Windows
}

// inUserNamespace reports whether the pod sets hostUsers: false, which relaxes
// the checks whose risk a user namespace removes.
func inUserNamespace(spec *corev1.PodSpec) bool {
	return spec.HostUsers != nil && !*spec.HostUsers
}

// flatIndex is the inverse of containerAt.
func flatIndex(spec *corev1.PodSpec, c cref) int {
	switch c.kind {
	case initContainer:
		return c.index
	case regularContainer:
		return len(spec.InitContainers) + c.index
	}
	return len(spec.InitContainers) + len(spec.Containers) + c.index
}
