package psp

import (
	"fmt"
	"strings"
)

// mutations lists the PSP fields that changed pods, each with the pod-spec
// field that now has to say it (Pod Security never changes a pod).
func (m *mapper) mutations() {
	s := &m.p.Spec
	add := func(field, value, effect, instead string) {
		m.a.Mutations = append(m.a.Mutations, Mutation{Field: field, Value: value, Effect: effect, SetInstead: instead})
	}
	const ctr = "spec.containers[*].securityContext." // and initContainers, ephemeralContainers
	if len(s.DefaultAddCapabilities) > 0 {
		caps := capStrings(s.DefaultAddCapabilities)
		add("spec.defaultAddCapabilities", capsString(caps), "added these capabilities to every container",
			ctr+"capabilities.add: "+capsString(caps))
	}
	if len(s.RequiredDropCapabilities) > 0 {
		caps := capStrings(s.RequiredDropCapabilities)
		add("spec.requiredDropCapabilities", capsString(caps), "dropped these capabilities from every container",
			ctr+"capabilities.drop: "+capsString(caps))
	}
	if s.DefaultAllowPrivilegeEscalation != nil {
		add("spec.defaultAllowPrivilegeEscalation", boolString(s.DefaultAllowPrivilegeEscalation, false),
			"set allowPrivilegeEscalation on containers that did not",
			ctr+"allowPrivilegeEscalation: "+boolString(s.DefaultAllowPrivilegeEscalation, false))
	} else if s.AllowPrivilegeEscalation != nil && !*s.AllowPrivilegeEscalation {
		add("spec.allowPrivilegeEscalation", "false", "set allowPrivilegeEscalation: false on containers that did not set it",
			ctr+"allowPrivilegeEscalation: false")
	}
	if s.ReadOnlyRootFilesystem {
		add("spec.readOnlyRootFilesystem", "true", "set readOnlyRootFilesystem: true on containers that did not set it",
			ctr+"readOnlyRootFilesystem: true")
	}
	if s.SELinux.Rule == ruleMustRunAs && s.SELinux.SELinuxOptions != nil {
		o := s.SELinux.SELinuxOptions
		v := seLinuxString(o.User, o.Role, o.Type, o.Level)
		add("spec.seLinux", "MustRunAs "+v, "set these SELinux options on pods that did not set them",
			"spec.securityContext.seLinuxOptions: "+v)
	}
	switch s.RunAsUser.Rule {
	case ruleMustRunAs:
		add("spec.runAsUser", "MustRunAs "+idRangesString(s.RunAsUser.Ranges), "set runAsUser to the first range's minimum on pods that did not set it",
			fmt.Sprintf("spec.securityContext.runAsUser: %d", s.RunAsUser.Ranges[0].Min))
	case ruleMustRunAsNonRoot:
		add("spec.runAsUser", ruleMustRunAsNonRoot, "set runAsNonRoot: true on containers that set no runAsUser",
			"spec.securityContext.runAsNonRoot: true")
	}
	if g := s.RunAsGroup; g != nil && g.Rule == ruleMustRunAs {
		add("spec.runAsGroup", "MustRunAs "+idRangesString(g.Ranges), "set runAsGroup to the first range's minimum on pods that did not set it",
			fmt.Sprintf("spec.securityContext.runAsGroup: %d", g.Ranges[0].Min))
	}
	if g := s.SupplementalGroups; g.Rule == ruleMustRunAs {
		add("spec.supplementalGroups", "MustRunAs "+idRangesString(g.Ranges), "added the first range's minimum to pods that set no supplemental group",
			fmt.Sprintf("spec.securityContext.supplementalGroups: [%d]", g.Ranges[0].Min))
	}
	if g := s.FSGroup; g.Rule == ruleMustRunAs {
		add("spec.fsGroup", "MustRunAs "+idRangesString(g.Ranges), "set fsGroup to the first range's minimum on pods that did not set it",
			fmt.Sprintf("spec.securityContext.fsGroup: %d", g.Ranges[0].Min))
	}
	if rc := s.RuntimeClass; rc != nil && rc.DefaultRuntimeClassName != nil {
		add("spec.runtimeClass.defaultRuntimeClassName", *rc.DefaultRuntimeClassName, "set runtimeClassName on pods that did not set it",
			"spec.runtimeClassName: "+*rc.DefaultRuntimeClassName)
	}
	if d, ok := m.p.Annotations[AnnotationSeccompDefault]; ok {
		add(annotationPath(AnnotationSeccompDefault), d, "set this seccomp profile on pods that did not set one",
			"spec.securityContext.seccompProfile: "+seccompField(d))
	}
	if d, ok := m.p.Annotations[AnnotationAppArmorDefault]; ok {
		add(annotationPath(AnnotationAppArmorDefault), d, "set this AppArmor profile on containers that did not set one",
			"spec.securityContext.appArmorProfile: "+appArmorField(d))
	}
}

// seccompField turns a PSP seccomp profile name into the pod field's value.
func seccompField(name string) string {
	switch {
	case name == seccompRuntimeDefault || name == seccompDockerDefault:
		return "{type: RuntimeDefault}"
	case name == seccompUnconfined:
		return "{type: Unconfined}"
	case strings.HasPrefix(name, profileLocalhostPrefix):
		return "{type: Localhost, localhostProfile: " + strings.TrimPrefix(name, profileLocalhostPrefix) + "}"
	}
	return "{type: " + name + "}"
}

// appArmorField turns a PSP AppArmor profile name into the pod field's value.
func appArmorField(name string) string {
	switch {
	case name == appArmorRuntimeDefault:
		return "{type: RuntimeDefault}"
	case name == appArmorUnconfined:
		return "{type: Unconfined}"
	case strings.HasPrefix(name, profileLocalhostPrefix):
		return "{type: Localhost, localhostProfile: " + strings.TrimPrefix(name, profileLocalhostPrefix) + "}"
	}
	return "{type: " + name + "}"
}
