package podsecurity

import (
	"iter"
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

// containers yields every container of spec in the order Kubernetes visits
// them: init containers, containers, then ephemeral containers.
func containers(spec *corev1.PodSpec) iter.Seq2[cref, *corev1.Container] {
	return func(yield func(cref, *corev1.Container) bool) {
		for i := range spec.InitContainers {
			if !yield(cref{initContainer, i}, &spec.InitContainers[i]) {
				return
			}
		}
		for i := range spec.Containers {
			if !yield(cref{regularContainer, i}, &spec.Containers[i]) {
				return
			}
		}
		for i := range spec.EphemeralContainers {
			c := (*corev1.Container)(&spec.EphemeralContainers[i].EphemeralContainerCommon)
			if !yield(cref{ephemeralContainer, i}, c) {
				return
			}
		}
	}
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
