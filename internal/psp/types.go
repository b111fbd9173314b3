// Package psp migrates PodSecurityPolicies (policy/v1beta1, removed from
// Kubernetes in v1.25) to Pod Security Admission: it decodes PSPs itself
// (current k8s.io/api no longer has the type), maps each to the Pod
// Security level that admits everything it admits (field by field, after
// the Kubernetes page "Mapping PodSecurityPolicies to Pod Security
// Standards"), lists what PSP mutated and must now be written in pod specs,
// turns the validations Pod Security has no opinion on into a
// ValidatingAdmissionPolicy, and suggests each namespace's enforce label
// from the PSPs its subjects may use and the pods it runs.
//
// The package does no I/O; reading files or a cluster happens at the edges.
package psp

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PodSecurityPolicy is policy/v1beta1 (or extensions/v1beta1)
// PodSecurityPolicy, field for field.
type PodSecurityPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              Spec `json:"spec,omitempty"`
}

// Spec is PodSecurityPolicySpec. Fields keep their Kubernetes names and
// meanings; AllowPrivilegeEscalation nil means true, as the API server
// defaulted it.
type Spec struct {
	Privileged                      bool                         `json:"privileged,omitempty"`
	DefaultAddCapabilities          []corev1.Capability          `json:"defaultAddCapabilities,omitempty"`
	RequiredDropCapabilities        []corev1.Capability          `json:"requiredDropCapabilities,omitempty"`
	AllowedCapabilities             []corev1.Capability          `json:"allowedCapabilities,omitempty"`
	Volumes                         []string                     `json:"volumes,omitempty"`
	HostNetwork                     bool                         `json:"hostNetwork,omitempty"`
	HostPorts                       []HostPortRange              `json:"hostPorts,omitempty"`
	HostPID                         bool                         `json:"hostPID,omitempty"`
	HostIPC                         bool                         `json:"hostIPC,omitempty"`
	SELinux                         SELinuxStrategyOptions       `json:"seLinux"`
	RunAsUser                       RunAsUserStrategyOptions     `json:"runAsUser"`
	RunAsGroup                      *RunAsGroupStrategyOptions   `json:"runAsGroup,omitempty"`
	SupplementalGroups              GroupStrategyOptions         `json:"supplementalGroups"`
	FSGroup                         GroupStrategyOptions         `json:"fsGroup"`
	ReadOnlyRootFilesystem          bool                         `json:"readOnlyRootFilesystem,omitempty"`
	DefaultAllowPrivilegeEscalation *bool                        `json:"defaultAllowPrivilegeEscalation,omitempty"`
	AllowPrivilegeEscalation        *bool                        `json:"allowPrivilegeEscalation,omitempty"`
	AllowedHostPaths                []AllowedHostPath            `json:"allowedHostPaths,omitempty"`
	AllowedFlexVolumes              []AllowedFlexVolume          `json:"allowedFlexVolumes,omitempty"`
	AllowedCSIDrivers               []AllowedCSIDriver           `json:"allowedCSIDrivers,omitempty"`
	AllowedUnsafeSysctls            []string                     `json:"allowedUnsafeSysctls,omitempty"`
	ForbiddenSysctls                []string                     `json:"forbiddenSysctls,omitempty"`
	AllowedProcMountTypes           []corev1.ProcMountType       `json:"allowedProcMountTypes,omitempty"`
	RuntimeClass                    *RuntimeClassStrategyOptions `json:"runtimeClass,omitempty"`
}

// HostPortRange is an inclusive range of host ports.
type HostPortRange struct {
	Min int32 `json:"min"`
	Max int32 `json:"max"`
}

// IDRange is an inclusive range of user or group IDs.
type IDRange struct {
	Min int64 `json:"min"`
	Max int64 `json:"max"`
}

// SELinuxStrategyOptions is the seLinux strategy: MustRunAs or RunAsAny.
type SELinuxStrategyOptions struct {
	Rule           string                 `json:"rule"`
	SELinuxOptions *corev1.SELinuxOptions `json:"seLinuxOptions,omitempty"`
}

// RunAsUserStrategyOptions is the runAsUser strategy: MustRunAs,
// MustRunAsNonRoot or RunAsAny.
type RunAsUserStrategyOptions struct {
	Rule   string    `json:"rule"`
	Ranges []IDRange `json:"ranges,omitempty"`
}

// RunAsGroupStrategyOptions is the runAsGroup strategy: MustRunAs,
// MayRunAs or RunAsAny.
type RunAsGroupStrategyOptions struct {
	Rule   string    `json:"rule"`
	Ranges []IDRange `json:"ranges,omitempty"`
}

// GroupStrategyOptions is the supplementalGroups or fsGroup strategy:
// MustRunAs, MayRunAs or RunAsAny (empty means RunAsAny).
type GroupStrategyOptions struct {
	Rule   string    `json:"rule,omitempty"`
	Ranges []IDRange `json:"ranges,omitempty"`
}

// AllowedHostPath is a hostPath prefix pods may mount.
type AllowedHostPath struct {
	PathPrefix string `json:"pathPrefix,omitempty"`
	ReadOnly   bool   `json:"readOnly,omitempty"`
}

// AllowedFlexVolume names a flexVolume driver pods may use.
type AllowedFlexVolume struct {
	Driver string `json:"driver"`
}

// AllowedCSIDriver names an inline CSI driver pods may use.
type AllowedCSIDriver struct {
	Name string `json:"name"`
}

// RuntimeClassStrategyOptions restricts and defaults spec.runtimeClassName.
type RuntimeClassStrategyOptions struct {
	AllowedRuntimeClassNames []string `json:"allowedRuntimeClassNames"`
	DefaultRuntimeClassName  *string  `json:"defaultRuntimeClassName,omitempty"`
}

// The PSP annotations for seccomp and AppArmor profiles.
const (
	AnnotationSeccompAllowed  = "seccomp.security.alpha.kubernetes.io/allowedProfileNames"
	AnnotationSeccompDefault  = "seccomp.security.alpha.kubernetes.io/defaultProfileName"
	AnnotationAppArmorAllowed = "apparmor.security.beta.kubernetes.io/allowedProfileNames"
	AnnotationAppArmorDefault = "apparmor.security.beta.kubernetes.io/defaultProfileName"
	AnnotationPodPSP          = "kubernetes.io/psp"
	ruleMustRunAs             = "MustRunAs"
	ruleMayRunAs              = "MayRunAs"
	ruleMustRunAsNonRoot      = "MustRunAsNonRoot"
	ruleRunAsAny              = "RunAsAny"
	volumeAll                 = "*"
	volumeHostPath            = "hostPath"
	capabilityAll             = "ALL"
	wildcardCapability        = "*"
	procMountDefault          = "Default"
	seccompRuntimeDefault     = "runtime/default"
	seccompDockerDefault      = "docker/default"
	seccompUnconfined         = "unconfined"
	profileLocalhostPrefix    = "localhost/"
	appArmorRuntimeDefault    = "runtime/default"
	appArmorUnconfined        = "unconfined"
	profileAny                = "*"
	policyGroup               = "policy"
	policyResource            = "podsecuritypolicies"
	policyVerb                = "use"
)
