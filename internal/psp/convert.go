package psp

import (
	corev1 "k8s.io/api/core/v1"
)

type (
	corev1Capability = corev1.Capability
	corev1ProcMount  = corev1.ProcMountType
)

func capStrings(cs []corev1.Capability) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}

func procStrings(ts []corev1.ProcMountType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return out
}
