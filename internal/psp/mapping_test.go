package psp

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/podsecurity"
)

var (
	priv  = podsecurity.LevelPrivileged
	base  = podsecurity.LevelBaseline
	restr = podsecurity.LevelRestricted
)

func readPSP(t testing.TB, name string) *PodSecurityPolicy {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Decode(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return p
}

func fields(rs []Requirement) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Field)
	}
	return out
}

// TestDocumentationExamples: the example PSPs of the Kubernetes
// documentation map to the level they are named after, or the analysis
// names every field that keeps them from it.
func TestDocumentationExamples(t *testing.T) {
	for _, tc := range []struct {
		file    string
		named   podsecurity.Level
		level   podsecurity.Level
		keeping []string // fields that keep it from its named level
	}{
		{"privileged-psp.yaml", priv, priv, nil},
		{"baseline-psp.yaml", base, priv, []string{
			"spec.allowedCapabilities",               // NET_RAW
			"spec.seLinux.rule",                      // RunAsAny admits any SELinux options
			annotationPath(AnnotationSeccompAllowed), // unconfined
		}},
		{"restricted-psp.yaml", restr, priv, []string{"spec.seLinux.rule"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			a := Analyze(readPSP(t, tc.file), podsecurity.LatestVersion())
			if a.Level != tc.level {
				t.Errorf("level %v, want %v (requirements %+v)", a.Level, tc.level, a.Requirements)
			}
			if got := fields(a.Blocking(tc.named)); !slices.Equal(got, tc.keeping) {
				t.Errorf("fields keeping it from %v: %q, want %q", tc.named, got, tc.keeping)
			}
		})
	}
}

// restrictedPSP returns a PSP that admits only what restricted admits.
func restrictedPSP() *PodSecurityPolicy {
	f := false
	return &PodSecurityPolicy{
		ObjectMeta: objectMeta("strict", map[string]string{
			AnnotationSeccompAllowed:  "runtime/default,localhost/*",
			AnnotationAppArmorAllowed: "runtime/default,localhost/*,",
		}),
		Spec: Spec{
			AllowPrivilegeEscalation: &f,
			RequiredDropCapabilities: []corev1.Capability{"ALL"},
			AllowedCapabilities:      []corev1.Capability{"NET_BIND_SERVICE"},
			Volumes:                  slices.Clone(restrictedVolumes),
			SELinux:                  SELinuxStrategyOptions{Rule: ruleMustRunAs, SELinuxOptions: &corev1.SELinuxOptions{Level: "s0:c1,c2"}},
			RunAsUser:                RunAsUserStrategyOptions{Rule: ruleMustRunAsNonRoot},
			SupplementalGroups:       GroupStrategyOptions{Rule: ruleRunAsAny},
			FSGroup:                  GroupStrategyOptions{Rule: ruleRunAsAny},
		},
	}
}

// TestMappingFields has one case per row of the page "Mapping
// PodSecurityPolicies to Pod Security Standards": each changes one field of
// a restricted PSP and expects the level it maps to, and the Pod Security
// check that decides it ("" for fields the page has no opinion on).
func TestMappingFields(t *testing.T) {
	tr, fl := true, false
	str := func(s string) *string { return &s }
	for _, tc := range []struct {
		name  string
		edit  func(*PodSecurityPolicy)
		level podsecurity.Level
		check string
	}{
		{"restricted as is", func(*PodSecurityPolicy) {}, restr, ""},
		// privileged: Baseline & Restricted: false / undefined / nil
		{"privileged true", func(p *PodSecurityPolicy) { p.Spec.Privileged = true }, priv, "privileged"},
		// defaultAddCapabilities: requirements match allowedCapabilities
		{"defaultAddCapabilities NET_RAW", func(p *PodSecurityPolicy) { p.Spec.DefaultAddCapabilities = []corev1.Capability{"NET_RAW"} }, priv, "capabilities_baseline"},
		{"defaultAddCapabilities CHOWN", func(p *PodSecurityPolicy) { p.Spec.DefaultAddCapabilities = []corev1.Capability{"CHOWN"} }, base, "capabilities_restricted"},
		// allowedCapabilities: baseline subset of the default set; restricted only NET_BIND_SERVICE
		{"allowedCapabilities *", func(p *PodSecurityPolicy) { p.Spec.AllowedCapabilities = []corev1.Capability{"*"} }, priv, "capabilities_baseline"},
		{"allowedCapabilities SYS_ADMIN", func(p *PodSecurityPolicy) { p.Spec.AllowedCapabilities = []corev1.Capability{"SYS_ADMIN"} }, priv, "capabilities_baseline"},
		{"allowedCapabilities baseline set", func(p *PodSecurityPolicy) { p.Spec.AllowedCapabilities = capList(baselineCapabilities) }, base, "capabilities_restricted"},
		{"allowedCapabilities empty", func(p *PodSecurityPolicy) { p.Spec.AllowedCapabilities = nil }, restr, ""},
		// requiredDropCapabilities: restricted must include ALL
		{"requiredDropCapabilities NET_RAW", func(p *PodSecurityPolicy) { p.Spec.RequiredDropCapabilities = []corev1.Capability{"NET_RAW"} }, base, "capabilities_restricted"},
		{"requiredDropCapabilities unset", func(p *PodSecurityPolicy) { p.Spec.RequiredDropCapabilities = nil }, base, "capabilities_restricted"},
		// volumes: baseline anything but hostPath and *; restricted a subset of the list
		{"volumes *", func(p *PodSecurityPolicy) { p.Spec.Volumes = []string{"*"} }, priv, "hostPathVolumes"},
		{"volumes hostPath", func(p *PodSecurityPolicy) { p.Spec.Volumes = append(p.Spec.Volumes, "hostPath") }, priv, "hostPathVolumes"},
		{"volumes nfs", func(p *PodSecurityPolicy) { p.Spec.Volumes = append(p.Spec.Volumes, "nfs") }, base, "restrictedVolumes"},
		{"volumes subset", func(p *PodSecurityPolicy) { p.Spec.Volumes = []string{"secret"} }, restr, ""},
		// hostNetwork, hostPorts, hostPID, hostIPC
		{"hostNetwork", func(p *PodSecurityPolicy) { p.Spec.HostNetwork = true }, priv, "hostNamespaces"},
		{"hostPorts", func(p *PodSecurityPolicy) { p.Spec.HostPorts = []HostPortRange{{Min: 80, Max: 80}} }, priv, "hostPorts"},
		{"hostPID", func(p *PodSecurityPolicy) { p.Spec.HostPID = true }, priv, "hostNamespaces"},
		{"hostIPC", func(p *PodSecurityPolicy) { p.Spec.HostIPC = true }, priv, "hostNamespaces"},
		// seLinux: MustRunAs with user, role unset and type unset or container_t, container_init_t, container_kvm_t
		{"seLinux RunAsAny", func(p *PodSecurityPolicy) { p.Spec.SELinux = SELinuxStrategyOptions{Rule: ruleRunAsAny} }, priv, "seLinuxOptions"},
		{"seLinux user", func(p *PodSecurityPolicy) { p.Spec.SELinux.SELinuxOptions.User = "system_u" }, priv, "seLinuxOptions"},
		{"seLinux role", func(p *PodSecurityPolicy) { p.Spec.SELinux.SELinuxOptions.Role = "system_r" }, priv, "seLinuxOptions"},
		{"seLinux type spc_t", func(p *PodSecurityPolicy) { p.Spec.SELinux.SELinuxOptions.Type = "spc_t" }, priv, "seLinuxOptions"},
		{"seLinux type container_kvm_t", func(p *PodSecurityPolicy) { p.Spec.SELinux.SELinuxOptions.Type = "container_kvm_t" }, restr, ""},
		// runAsUser: restricted needs MustRunAsNonRoot
		{"runAsUser RunAsAny", func(p *PodSecurityPolicy) { p.Spec.RunAsUser = RunAsUserStrategyOptions{Rule: ruleRunAsAny} }, base, "runAsNonRoot"},
		{"runAsUser MustRunAs", func(p *PodSecurityPolicy) {
			p.Spec.RunAsUser = RunAsUserStrategyOptions{Rule: ruleMustRunAs, Ranges: []IDRange{{Min: 1000, Max: 2000}}}
		}, base, "runAsNonRoot"},
		// runAsGroup, supplementalGroups, fsGroup, readOnlyRootFilesystem: no opinion
		{"runAsGroup RunAsAny", func(p *PodSecurityPolicy) { p.Spec.RunAsGroup = &RunAsGroupStrategyOptions{Rule: ruleRunAsAny} }, restr, ""},
		{"supplementalGroups MustRunAs", func(p *PodSecurityPolicy) {
			p.Spec.SupplementalGroups = GroupStrategyOptions{Rule: ruleMustRunAs, Ranges: []IDRange{{Min: 1, Max: 9}}}
		}, restr, ""},
		{"fsGroup MayRunAs", func(p *PodSecurityPolicy) {
			p.Spec.FSGroup = GroupStrategyOptions{Rule: ruleMayRunAs, Ranges: []IDRange{{Min: 1, Max: 9}}}
		}, restr, ""},
		{"readOnlyRootFilesystem", func(p *PodSecurityPolicy) { p.Spec.ReadOnlyRootFilesystem = true }, restr, ""},
		// defaultAllowPrivilegeEscalation: non-validating
		{"defaultAllowPrivilegeEscalation true", func(p *PodSecurityPolicy) { p.Spec.DefaultAllowPrivilegeEscalation = &tr }, restr, ""},
		// allowPrivilegeEscalation: restricted false (unset defaulted to true)
		{"allowPrivilegeEscalation true", func(p *PodSecurityPolicy) { p.Spec.AllowPrivilegeEscalation = &tr }, base, "allowPrivilegeEscalation"},
		{"allowPrivilegeEscalation unset", func(p *PodSecurityPolicy) { p.Spec.AllowPrivilegeEscalation = nil }, base, "allowPrivilegeEscalation"},
		{"allowPrivilegeEscalation false", func(p *PodSecurityPolicy) { p.Spec.AllowPrivilegeEscalation = &fl }, restr, ""},
		// allowedHostPaths, allowedFlexVolumes, allowedCSIDrivers: no opinion (volumes takes precedence)
		{"allowedHostPaths", func(p *PodSecurityPolicy) { p.Spec.AllowedHostPaths = []AllowedHostPath{{PathPrefix: "/var/log"}} }, restr, ""},
		{"allowedFlexVolumes", func(p *PodSecurityPolicy) { p.Spec.AllowedFlexVolumes = []AllowedFlexVolume{{Driver: "x"}} }, restr, ""},
		{"allowedCSIDrivers", func(p *PodSecurityPolicy) { p.Spec.AllowedCSIDrivers = []AllowedCSIDriver{{Name: "x"}} }, restr, ""},
		// allowedUnsafeSysctls: undefined / nil / empty (safe ones change nothing)
		{"allowedUnsafeSysctls net.*", func(p *PodSecurityPolicy) { p.Spec.AllowedUnsafeSysctls = []string{"net.*"} }, priv, "sysctls"},
		{"allowedUnsafeSysctls kernel.msgmax", func(p *PodSecurityPolicy) { p.Spec.AllowedUnsafeSysctls = []string{"kernel.msgmax"} }, priv, "sysctls"},
		{"allowedUnsafeSysctls safe", func(p *PodSecurityPolicy) { p.Spec.AllowedUnsafeSysctls = []string{"net.ipv4.tcp_syncookies"} }, restr, ""},
		// forbiddenSysctls: no opinion
		{"forbiddenSysctls", func(p *PodSecurityPolicy) { p.Spec.ForbiddenSysctls = []string{"kernel.shm_rmid_forced"} }, restr, ""},
		// allowedProcMountTypes: ["Default"] or undefined / nil / empty
		{"allowedProcMountTypes Unmasked", func(p *PodSecurityPolicy) {
			p.Spec.AllowedProcMountTypes = []corev1.ProcMountType{"Default", "Unmasked"}
		}, priv, "procMount"},
		{"allowedProcMountTypes Default", func(p *PodSecurityPolicy) { p.Spec.AllowedProcMountTypes = []corev1.ProcMountType{"Default"} }, restr, ""},
		// runtimeClass: no opinion
		{"runtimeClass", func(p *PodSecurityPolicy) {
			p.Spec.RuntimeClass = &RuntimeClassStrategyOptions{AllowedRuntimeClassNames: []string{"gvisor"}, DefaultRuntimeClassName: str("gvisor")}
		}, restr, ""},
		// seccomp allowedProfileNames: baseline "runtime/default," restricted "runtime/default", localhost/* both
		{"seccomp trailing comma", func(p *PodSecurityPolicy) { p.Annotations[AnnotationSeccompAllowed] = "runtime/default," }, base, "seccompProfile_restricted"},
		{"seccomp absent", func(p *PodSecurityPolicy) { delete(p.Annotations, AnnotationSeccompAllowed) }, base, "seccompProfile_restricted"},
		{"seccomp unconfined", func(p *PodSecurityPolicy) { p.Annotations[AnnotationSeccompAllowed] = "runtime/default,unconfined" }, priv, "seccompProfile_baseline"},
		{"seccomp *", func(p *PodSecurityPolicy) { p.Annotations[AnnotationSeccompAllowed] = "*" }, priv, "seccompProfile_baseline"},
		{"seccomp docker/default", func(p *PodSecurityPolicy) { p.Annotations[AnnotationSeccompAllowed] = "docker/default" }, restr, ""},
		{"seccomp defaultProfileName", func(p *PodSecurityPolicy) { p.Annotations[AnnotationSeccompDefault] = "unconfined" }, restr, ""},
		// AppArmor allowedProfileNames; absent admits any profile
		{"apparmor absent", func(p *PodSecurityPolicy) { delete(p.Annotations, AnnotationAppArmorAllowed) }, priv, "appArmorProfile"},
		{"apparmor unconfined", func(p *PodSecurityPolicy) { p.Annotations[AnnotationAppArmorAllowed] = "runtime/default,unconfined" }, priv, "appArmorProfile"},
		{"apparmor runtime/default", func(p *PodSecurityPolicy) { p.Annotations[AnnotationAppArmorAllowed] = "runtime/default" }, restr, ""},
		{"apparmor defaultProfileName", func(p *PodSecurityPolicy) { p.Annotations[AnnotationAppArmorDefault] = "runtime/default" }, restr, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := restrictedPSP()
			tc.edit(p)
			a := Analyze(p, podsecurity.LatestVersion())
			if a.Level != tc.level {
				t.Fatalf("level %v, want %v; requirements %+v", a.Level, tc.level, a.Requirements)
			}
			var checks []string
			for _, r := range a.Requirements {
				checks = append(checks, r.Check)
			}
			if tc.check == "" && len(checks) > 0 || tc.check != "" && !slices.Equal(checks, []string{tc.check}) {
				t.Errorf("checks %q, want [%s]", checks, tc.check)
			}
		})
	}
}

func capList(ss []string) []corev1.Capability {
	out := make([]corev1.Capability, len(ss))
	for i, s := range ss {
		out[i] = corev1.Capability(s)
	}
	return out
}

func objectMeta(name string, annotations map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Annotations: annotations}
}

var pspVersion = podsecurity.LatestVersion()
