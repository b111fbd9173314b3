package psp

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kubeward/kubeward/internal/podsecurity"
)

// Requirement is one PSP field's verdict: the most restrictive Pod Security
// level that admits every value the field lets through.
type Requirement struct {
	// Field is the PSP field's path, e.g. spec.seLinux.rule or
	// metadata.annotations["seccomp.security.alpha.kubernetes.io/allowedProfileNames"].
	Field string `json:"field"`
	// Value is the field's value as written ("" when unset).
	Value string `json:"value"`
	// Level is restricted when the field admits nothing restricted forbids.
	Level podsecurity.Level `json:"-"`
	// Reason says what the field admits that the next level up forbids
	// (empty when Level is restricted).
	Reason string `json:"reason"`
	// Check is the Pod Security check ID that forbids what the field
	// admits, e.g. seLinuxOptions.
	Check string `json:"check"`
}

// Mutation is a PSP field that changed pods as they were admitted; with
// Pod Security nothing does, so the pod spec must say it.
type Mutation struct {
	Field string `json:"field"`
	Value string `json:"value"`
	// Effect is what PSP did to pods.
	Effect string `json:"effect"`
	// SetInstead is the pod-spec field and value that has the same effect.
	SetInstead string `json:"setInstead"`
}

// Uncovered is a validation of the PSP that Pod Security does not make at
// the level the PSP maps to; the generated ValidatingAdmissionPolicy makes it.
type Uncovered struct {
	Field string `json:"field"`
	Value string `json:"value"`
	// Reason says what the PSP forbids that the level allows.
	Reason string `json:"reason"`
	// Expression is the CEL expression over the pod (object) that holds
	// exactly when the PSP's validation passes; Message is the denial message.
	Expression string `json:"expression"`
	Message    string `json:"message"`
}

// Analysis is what migrating one PSP takes.
type Analysis struct {
	Name string
	// Level is the most restrictive Pod Security level that admits every
	// pod the PSP admits, at Version.
	Level   podsecurity.Level
	Version podsecurity.Version
	// Requirements lists, in the mapping page's order, every field that
	// keeps the PSP below restricted.
	Requirements []Requirement
	Mutations    []Mutation
	Uncovered    []Uncovered
}

// Blocking returns the requirements that keep the PSP from level lv.
func (a *Analysis) Blocking(lv podsecurity.Level) []Requirement {
	var out []Requirement
	for _, r := range a.Requirements {
		if r.Level < lv {
			out = append(out, r)
		}
	}
	return out
}

// PolicyName is the name of the ValidatingAdmissionPolicy generated for
// the PSP ("" when nothing is uncovered).
func (a *Analysis) PolicyName() string {
	if len(a.Uncovered) == 0 {
		return ""
	}
	return PolicyNameFor(a.Name)
}

// PolicyNameFor returns the generated policy's name for PSP name.
func PolicyNameFor(name string) string { return "psp-" + name }

// baselineCapabilities are the capabilities baseline lets containers add.
var baselineCapabilities = []string{"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}

// restrictedVolumes are the volume types restricted allows.
var restrictedVolumes = []string{"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}

// volumeTypes are PodSecurityPolicy's volume types (FSType) and the pod
// volume field each names.
var volumeTypes = map[string]string{
	"awsElasticBlockStore": "awsElasticBlockStore", "azureDisk": "azureDisk", "azureFile": "azureFile",
	"cephFS": "cephfs", "cinder": "cinder", "configMap": "configMap", "csi": "csi", "downwardAPI": "downwardAPI",
	"emptyDir": "emptyDir", "ephemeral": "ephemeral", "fc": "fc", "flexVolume": "flexVolume", "flocker": "flocker",
	"gcePersistentDisk": "gcePersistentDisk", "gitRepo": "gitRepo", "glusterfs": "glusterfs", "hostPath": "hostPath",
	"iscsi": "iscsi", "nfs": "nfs", "persistentVolumeClaim": "persistentVolumeClaim",
	"photonPersistentDisk": "photonPersistentDisk", "portworxVolume": "portworxVolume", "projected": "projected",
	"quobyte": "quobyte", "rbd": "rbd", "scaleIO": "scaleIO", "secret": "secret", "storageos": "storageos",
	"vsphereVolume": "vsphereVolume",
}

// Analyze maps p to Pod Security at version v. p must have been decoded
// by FromObject or Decode (valid strategy rules).
func Analyze(p *PodSecurityPolicy, v podsecurity.Version) *Analysis {
	a := &Analysis{Name: p.Name, Version: v, Level: podsecurity.LevelRestricted}
	m := mapper{p: p, v: v, a: a}
	m.requirements()
	for _, r := range a.Requirements {
		a.Level = min(a.Level, r.Level)
	}
	m.mutations()
	m.uncovered()
	return a
}

type mapper struct {
	p *PodSecurityPolicy
	v podsecurity.Version
	a *Analysis
}

func (m *mapper) need(field, value string, lv podsecurity.Level, check, reason string) {
	m.a.Requirements = append(m.a.Requirements, Requirement{Field: field, Value: value, Level: lv, Check: check, Reason: reason})
}

func annotationPath(key string) string { return `metadata.annotations["` + key + `"]` }

func capsString(cs []string) string { return "[" + strings.Join(cs, ", ") + "]" }

func boolString(b *bool, def bool) string {
	if b == nil {
		return strconv.FormatBool(def) + " (default)"
	}
	return strconv.FormatBool(*b)
}

// addedCapabilities returns allowedCapabilities and defaultAddCapabilities
// together, as strings.
func (m *mapper) addedCapabilities() []string {
	var out []string
	for _, c := range m.p.Spec.AllowedCapabilities {
		out = append(out, string(c))
	}
	for _, c := range m.p.Spec.DefaultAddCapabilities {
		if !slices.Contains(out, string(c)) {
			out = append(out, string(c))
		}
	}
	return out
}

func (m *mapper) requirements() {
	s := &m.p.Spec
	P, B := podsecurity.LevelPrivileged, podsecurity.LevelBaseline
	if s.Privileged {
		m.need("spec.privileged", "true", P, "privileged", "admits privileged containers")
	}
	caps := m.addedCapabilities()
	if len(caps) > 0 {
		field := "spec.allowedCapabilities"
		if len(s.AllowedCapabilities) == 0 {
			field = "spec.defaultAddCapabilities"
		}
		var beyondBaseline []string
		for _, c := range caps {
			if !slices.Contains(baselineCapabilities, c) {
				beyondBaseline = append(beyondBaseline, c)
			}
		}
		switch {
		case len(beyondBaseline) > 0:
			m.need(field, capsString(caps), P, "capabilities_baseline", "admits capabilities outside baseline's default set: "+strings.Join(beyondBaseline, ", "))
		case slices.ContainsFunc(caps, func(c string) bool { return c != "NET_BIND_SERVICE" }):
			m.need(field, capsString(caps), B, "capabilities_restricted", "admits adding capabilities other than NET_BIND_SERVICE")
		}
	}
	if !slices.ContainsFunc(s.RequiredDropCapabilities, func(c corev1Capability) bool { return string(c) == capabilityAll }) {
		m.need("spec.requiredDropCapabilities", capsString(capStrings(s.RequiredDropCapabilities)), B, "capabilities_restricted", "does not require dropping ALL capabilities")
	}
	switch {
	case slices.Contains(s.Volumes, volumeAll):
		m.need("spec.volumes", capsString(s.Volumes), P, "hostPathVolumes", "admits every volume type, hostPath included")
	case slices.Contains(s.Volumes, volumeHostPath):
		m.need("spec.volumes", capsString(s.Volumes), P, "hostPathVolumes", "admits hostPath volumes")
	default:
		var extra []string
		for _, t := range s.Volumes {
			if t != "none" && !slices.Contains(restrictedVolumes, t) {
				extra = append(extra, t)
			}
		}
		if len(extra) > 0 {
			m.need("spec.volumes", capsString(s.Volumes), B, "restrictedVolumes", "admits volume types restricted forbids: "+strings.Join(extra, ", "))
		}
	}
	if s.HostNetwork {
		m.need("spec.hostNetwork", "true", P, "hostNamespaces", "admits the host's network namespace")
	}
	if len(s.HostPorts) > 0 {
		m.need("spec.hostPorts", hostPortsString(s.HostPorts), P, "hostPorts", "admits host ports")
	}
	if s.HostPID {
		m.need("spec.hostPID", "true", P, "hostNamespaces", "admits the host's process namespace")
	}
	if s.HostIPC {
		m.need("spec.hostIPC", "true", P, "hostNamespaces", "admits the host's IPC namespace")
	}
	switch s.SELinux.Rule {
	case ruleRunAsAny:
		m.need("spec.seLinux.rule", ruleRunAsAny, P, "seLinuxOptions", "admits any SELinux options, including a user, a role or a type baseline forbids")
	case ruleMustRunAs:
		if o := s.SELinux.SELinuxOptions; o != nil {
			var bad []string
			if o.User != "" {
				bad = append(bad, "user "+o.User)
			}
			if o.Role != "" {
				bad = append(bad, "role "+o.Role)
			}
			if !seLinuxTypeAllowed(o.Type, m.v) {
				bad = append(bad, "type "+o.Type)
			}
			if len(bad) > 0 {
				m.need("spec.seLinux.seLinuxOptions", seLinuxString(o.User, o.Role, o.Type, o.Level), P, "seLinuxOptions", "sets SELinux options baseline forbids: "+strings.Join(bad, ", "))
			}
		}
	}
	if s.RunAsUser.Rule != ruleMustRunAsNonRoot {
		m.need("spec.runAsUser.rule", s.RunAsUser.Rule, B, "runAsNonRoot", "does not require runAsNonRoot (restricted needs rule MustRunAsNonRoot)")
	}
	if s.AllowPrivilegeEscalation == nil || *s.AllowPrivilegeEscalation {
		m.need("spec.allowPrivilegeEscalation", boolString(s.AllowPrivilegeEscalation, true), B, "allowPrivilegeEscalation", "admits privilege escalation (restricted needs allowPrivilegeEscalation: false)")
	}
	var unsafe []string
	for _, name := range s.AllowedUnsafeSysctls {
		if !podsecurity.SafeSysctl(name, m.v) {
			unsafe = append(unsafe, name)
		}
	}
	if len(unsafe) > 0 {
		m.need("spec.allowedUnsafeSysctls", capsString(s.AllowedUnsafeSysctls), P, "sysctls", "admits sysctls baseline forbids: "+strings.Join(unsafe, ", "))
	}
	if slices.ContainsFunc(s.AllowedProcMountTypes, func(t corev1ProcMount) bool { return string(t) != procMountDefault }) {
		m.need("spec.allowedProcMountTypes", capsString(procStrings(s.AllowedProcMountTypes)), P, "procMount", "admits a procMount other than Default")
	}
	m.seccompRequirement()
	m.appArmorRequirement()
}

// seccompRequirement maps the seccomp allowedProfileNames annotation.
// Without it PSP let no pod set a profile (only unset, which restricted
// forbids); "*" admits any; a trailing comma admits unset.
func (m *mapper) seccompRequirement() {
	field := annotationPath(AnnotationSeccompAllowed)
	raw, set := m.p.Annotations[AnnotationSeccompAllowed]
	names := profileList(raw, set)
	lv := podsecurity.LevelRestricted
	var why []string
	for _, n := range names {
		switch {
		case n == profileAny:
			lv = podsecurity.LevelPrivileged
			why = append(why, "any profile (*), Unconfined included")
		case n == seccompRuntimeDefault || n == seccompDockerDefault || strings.HasPrefix(n, profileLocalhostPrefix):
		case n == "":
			if lv == podsecurity.LevelRestricted {
				lv = podsecurity.LevelBaseline
			}
			if set {
				why = append(why, "pods without a seccomp profile (trailing comma)")
			} else {
				why = append(why, "only pods without a seccomp profile (no annotation)")
			}
		default:
			lv = podsecurity.LevelPrivileged
			why = append(why, "profile "+n)
		}
	}
	if lv < podsecurity.LevelRestricted {
		check := "seccompProfile_restricted"
		if lv == podsecurity.LevelPrivileged {
			check = "seccompProfile_baseline"
		}
		m.need(field, raw, lv, check, "admits "+strings.Join(why, ", "))
	}
}

// appArmorRequirement maps the AppArmor allowedProfileNames annotation.
// Without it PSP admitted any profile, unconfined included.
func (m *mapper) appArmorRequirement() {
	field := annotationPath(AnnotationAppArmorAllowed)
	raw, set := m.p.Annotations[AnnotationAppArmorAllowed]
	if !set {
		m.need(field, "", podsecurity.LevelPrivileged, "appArmorProfile", "admits any AppArmor profile, unconfined included (no annotation)")
		return
	}
	var why []string
	for _, n := range profileList(raw, true) {
		switch {
		case n == "" || n == appArmorRuntimeDefault || strings.HasPrefix(n, profileLocalhostPrefix):
		case n == profileAny:
			why = append(why, "any profile (*), unconfined included")
		default:
			why = append(why, "profile "+n)
		}
	}
	if len(why) > 0 {
		m.need(field, raw, podsecurity.LevelPrivileged, "appArmorProfile", "admits "+strings.Join(why, ", "))
	}
}

// profileList splits an allowedProfileNames annotation; an absent one
// admits only the unset profile.
func profileList(raw string, set bool) []string {
	if !set {
		return []string{""}
	}
	var out []string
	for _, n := range strings.Split(raw, ",") {
		out = append(out, strings.TrimSpace(n))
	}
	return out
}

func seLinuxTypeAllowed(t string, v podsecurity.Version) bool {
	switch t {
	case "", "container_t", "container_init_t", "container_kvm_t":
		return true
	case "container_engine_t":
		return v.Minor() >= 31
	}
	return false
}

func seLinuxString(user, role, typ, level string) string {
	var parts []string
	for _, kv := range [][2]string{{"user", user}, {"role", role}, {"type", typ}, {"level", level}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+": "+kv[1])
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func hostPortsString(rs []HostPortRange) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%d-%d", r.Min, r.Max))
	}
	return capsString(parts)
}

func idRangesString(rs []IDRange) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%d-%d", r.Min, r.Max))
	}
	return capsString(parts)
}
