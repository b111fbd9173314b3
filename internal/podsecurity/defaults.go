package podsecurity

import (
	corev1 "k8s.io/api/core/v1"
)

// ApplyDefaults applies to a Pod's spec, in place, the defaulting kube-apiserver
// applies when a pod is created and that can change a Pod Security decision.
// Admission requests carry objects that are already defaulted; manifests read
// from files are not, so the scanner calls ApplyDefaults on a copy before
// Evaluate to decide as the cluster will. Evaluate never defaults by itself.
//
// It applies (as k8s.io/kubernetes pkg/apis/core/v1 defaults.go does):
//   - a volume with no source becomes an emptyDir volume (which
//     restrictedVolumes allows, where it would otherwise report "unknown");
//   - with hostNetwork: true, every port of a container or init container
//     whose hostPort is 0 gets hostPort = containerPort (which hostPorts then
//     reports, as the API server's warnings do). Ephemeral containers are not
//     defaulted this way. Since Kubernetes v1.28 this is done for Pods only
//     (SetDefaults_Pod), not for the pod templates of workloads, which
//     ApplyTemplateDefaults handles.
//
// Every other defaulting of a pod (restart policy, DNS policy, termination
// grace period, an empty securityContext, probe timings…) is irrelevant to
// every check and not applied. Nor is the pod registry's AppArmor version
// skew handling, which copies a container's deprecated AppArmor annotation
// into its appArmorProfile field on Pod creation (not on templates): it never
// changes a decision, only adds the container to appArmorProfile's detail.
// A nil spec is left alone.
func ApplyDefaults(spec *corev1.PodSpec) {
	if spec == nil {
		return
	}
	ApplyTemplateDefaults(spec)
	if spec.HostNetwork {
		defaultHostPorts(spec.Containers)
		defaultHostPorts(spec.InitContainers)
	}
}

// ApplyTemplateDefaults applies to the spec of a pod template (Deployment,
// Job, PodTemplate, ...) the defaulting kube-apiserver applies to templates
// and that can change a Pod Security decision: a volume with no source
// becomes an emptyDir volume (SetDefaults_Volume applies wherever a volume
// is stored). hostPort is not defaulted from containerPort in templates
// (Kubernetes stopped doing so in v1.28; the pods created from the template
// are defaulted when they are created), so a hostNetwork template without
// hostPorts does not violate hostPorts, exactly as the API server's warnings
// for the workload say. A nil spec is left alone.
func ApplyTemplateDefaults(spec *corev1.PodSpec) {
	if spec == nil {
		return
	}
	for i := range spec.Volumes {
		// VolumeSource holds only pointers: the zero value is "no source".
		if spec.Volumes[i].VolumeSource == (corev1.VolumeSource{}) {
			spec.Volumes[i].VolumeSource = corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
		}
	}
}

func defaultHostPorts(cs []corev1.Container) {
	for i := range cs {
		for j := range cs[i].Ports {
			if p := &cs[i].Ports[j]; p.HostPort == 0 {
				p.HostPort = p.ContainerPort
			}
		}
	}
}
