package podsecurity

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func mustLV(t testing.TB, s string) LevelVersion {
	t.Helper()
	lv, err := ParseLevelVersion(s)
	if err != nil {
		t.Fatal(err)
	}
	return lv
}

// restrictedPod returns a pod meeting restricted at every version.
func restrictedPod() *corev1.Pod {
	sc := func() *corev1.SecurityContext {
		return &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptrTo(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		}
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   ptrTo(true),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			InitContainers: []corev1.Container{{Name: "init", Image: "i", SecurityContext: sc()}},
			Containers:     []corev1.Container{{Name: "app", Image: "a", SecurityContext: sc()}, {Name: "sidecar", Image: "s", SecurityContext: sc()}},
			Volumes:        []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
		},
	}
}

// TestEdgeCases pins notable behaviours by name; each case is also checked
// against the oracle.
func TestEdgeCases(t *testing.T) {
	tests := []struct {
		name   string
		lv     string
		mutate func(p *corev1.Pod)
		want   []Violation // Check, Reason, Detail and Fields compared
	}{
		{
			name:   "compliant pod meets restricted:latest",
			lv:     "restricted:latest",
			mutate: func(p *corev1.Pod) {},
		},
		{
			name: "windows pod is exempt from restricted-only Linux fields from v1.25",
			lv:   "restricted:v1.25",
			mutate: func(p *corev1.Pod) {
				p.Spec.OS = &corev1.PodOS{Name: corev1.Windows}
				p.Spec.SecurityContext.SeccompProfile = nil
				for i := range p.Spec.Containers {
					p.Spec.Containers[i].SecurityContext = nil
				}
			},
		},
		{
			name: "windows pod is not exempt before v1.25",
			lv:   "restricted:v1.24",
			mutate: func(p *corev1.Pod) {
				p.Spec.OS = &corev1.PodOS{Name: corev1.Windows}
				p.Spec.Containers[0].SecurityContext = nil
				p.Spec.Containers = p.Spec.Containers[:1]
			},
			want: []Violation{
				{Check: "allowPrivilegeEscalation", Reason: "allowPrivilegeEscalation != false",
					Detail: `container "app" must set securityContext.allowPrivilegeEscalation=false`,
					Fields: []Field{{Path: "spec.containers[0].securityContext.allowPrivilegeEscalation", Container: "app", Fix: Fix{FixSet, "false"}}}},
				{Check: "capabilities_restricted", Reason: "unrestricted capabilities",
					Detail: `container "app" must set securityContext.capabilities.drop=["ALL"]`,
					Fields: []Field{{Path: "spec.containers[0].securityContext.capabilities.drop", Container: "app", Fix: Fix{FixSet, `["ALL"]`}}}},
			},
		},
		{
			name: "hostUsers false relaxes runAsNonRoot, runAsUser and baseline procMount from v1.35",
			lv:   "restricted:v1.35",
			mutate: func(p *corev1.Pod) {
				p.Spec.HostUsers = ptrTo(false)
				p.Spec.SecurityContext.RunAsNonRoot = ptrTo(false)
				p.Spec.SecurityContext.RunAsUser = ptrTo(int64(0))
				p.Spec.Containers[0].SecurityContext.ProcMount = ptrTo(corev1.UnmaskedProcMount)
			},
			// procMount_restricted replaces procMount and keeps the rule.
			want: []Violation{{Check: "procMount_restricted", Reason: "procMount",
				Detail: `container "app" must not set securityContext.procMount to "Unmasked"`,
				Fields: []Field{{Path: "spec.containers[0].securityContext.procMount", Container: "app", Fix: Fix{FixSet, `"Default"`}}}}},
		},
		{
			name: "hostUsers false allows unmasked procMount at baseline v1.35",
			lv:   "baseline:v1.35",
			mutate: func(p *corev1.Pod) {
				p.Spec.HostUsers = ptrTo(false)
				p.Spec.Containers[0].SecurityContext.ProcMount = ptrTo(corev1.UnmaskedProcMount)
			},
		},
		{
			name: "hostUsers false does not relax runAsNonRoot before v1.35",
			lv:   "restricted:v1.34",
			mutate: func(p *corev1.Pod) {
				p.Spec.HostUsers = ptrTo(false)
				p.Spec.SecurityContext.RunAsNonRoot = nil
			},
			want: []Violation{{Check: "runAsNonRoot", Reason: "runAsNonRoot != true",
				Detail: `pod or containers "init", "app", "sidecar" must set securityContext.runAsNonRoot=true`,
				Fields: []Field{{Path: "spec.securityContext.runAsNonRoot", Fix: Fix{FixSet, "true"}}}}},
		},
		{
			name: "container runAsNonRoot=true overrides an unset pod; false on a container overrides pod true",
			lv:   "restricted:latest",
			mutate: func(p *corev1.Pod) {
				p.Spec.SecurityContext.RunAsNonRoot = nil
				for i := range p.Spec.Containers {
					p.Spec.Containers[i].SecurityContext.RunAsNonRoot = ptrTo(true)
				}
				p.Spec.InitContainers[0].SecurityContext.RunAsNonRoot = ptrTo(false)
			},
			want: []Violation{{Check: "runAsNonRoot", Reason: "runAsNonRoot != true",
				Detail: `container "init" must not set securityContext.runAsNonRoot=false`,
				Fields: []Field{{Path: "spec.initContainers[0].securityContext.runAsNonRoot", Container: "init", Fix: Fix{FixSet, "true"}}}}},
		},
		{
			name: "pod-level seccomp Unconfined is not fixed by containers' RuntimeDefault",
			lv:   "restricted:latest",
			mutate: func(p *corev1.Pod) {
				p.Spec.SecurityContext.SeccompProfile.Type = corev1.SeccompProfileTypeUnconfined
				p.Spec.Containers[0].SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
			},
			want: []Violation{{Check: "seccompProfile_restricted", Reason: "seccompProfile",
				Detail: `pod must not set securityContext.seccompProfile.type to "Unconfined"`,
				Fields: []Field{{Path: "spec.securityContext.seccompProfile.type", Fix: Fix{FixSet, `"RuntimeDefault"`}}}}},
		},
		{
			name: "legacy seccomp annotations are read up to v1.18",
			lv:   "baseline:v1.18",
			mutate: func(p *corev1.Pod) {
				p.Annotations = map[string]string{
					"seccomp.security.alpha.kubernetes.io/pod":            "unconfined",
					"container.seccomp.security.alpha.kubernetes.io/app":  "localhost/ok",
					"container.seccomp.security.alpha.kubernetes.io/init": "",
				}
			},
			want: []Violation{{Check: "seccompProfile_baseline", Reason: "seccompProfile",
				Detail: `forbidden annotations container.seccomp.security.alpha.kubernetes.io/init="", seccomp.security.alpha.kubernetes.io/pod="unconfined"`,
				Fields: []Field{
					{Path: `metadata.annotations["container.seccomp.security.alpha.kubernetes.io/init"]`, Container: "init", Fix: Fix{FixSet, `"runtime/default"`}},
					{Path: `metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]`, Fix: Fix{FixSet, `"runtime/default"`}},
				}}},
		},
		{
			name: "legacy seccomp annotations are ignored from v1.19",
			lv:   "baseline:v1.19",
			mutate: func(p *corev1.Pod) {
				p.Annotations = map[string]string{"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}
			},
		},
		{
			name: "restricted before v1.19 applies the baseline seccomp annotation check",
			lv:   "restricted:v1.0",
			mutate: func(p *corev1.Pod) {
				p.Spec.SecurityContext.SeccompProfile = nil
				p.Annotations = map[string]string{"seccomp.security.alpha.kubernetes.io/pod": "docker/default"}
			},
		},
		{
			name: "AppArmor annotation is checked at every version",
			lv:   "baseline:v1.0",
			mutate: func(p *corev1.Pod) {
				p.Annotations = map[string]string{"container.apparmor.security.beta.kubernetes.io/app": "unconfined"}
			},
			want: []Violation{{Check: "appArmorProfile", Reason: "forbidden AppArmor profile",
				Detail: `annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/app="unconfined""`,
				Fields: []Field{{Path: `metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]`, Container: "app", Fix: Fix{FixSet, `"runtime/default"`}}}}},
		},
		{
			name: "capabilities are case-sensitive: drop all does not count, add net_raw is not NET_RAW",
			lv:   "restricted:latest",
			mutate: func(p *corev1.Pod) {
				p.Spec.Containers[1].SecurityContext.Capabilities = &corev1.Capabilities{
					Drop: []corev1.Capability{"all"},
					Add:  []corev1.Capability{"NET_BIND_SERVICE", "net_raw", "SYS_ADMIN"},
				}
			},
			want: []Violation{{Check: "capabilities_restricted", Reason: "unrestricted capabilities",
				Detail: `container "sidecar" must set securityContext.capabilities.drop=["ALL"]; container "sidecar" must not include "SYS_ADMIN", "net_raw" in securityContext.capabilities.add`,
				Fields: []Field{
					{Path: "spec.containers[1].securityContext.capabilities.drop", Container: "sidecar", Fix: Fix{FixSet, `["ALL"]`}},
					{Path: "spec.containers[1].securityContext.capabilities.add[1]", Container: "sidecar", Fix: Fix{FixRemove, "net_raw"}},
					{Path: "spec.containers[1].securityContext.capabilities.add[2]", Container: "sidecar", Fix: Fix{FixRemove, "SYS_ADMIN"}},
				}}},
		},
		{
			name: "baseline capabilities before v1.22 at restricted",
			lv:   "restricted:v1.21",
			mutate: func(p *corev1.Pod) {
				p.Spec.Containers[0].SecurityContext.Capabilities = &corev1.Capabilities{Add: []corev1.Capability{"NET_RAW"}}
			},
			want: []Violation{{Check: "capabilities_baseline", Reason: "non-default capabilities",
				Detail: `container "app" must not include "NET_RAW" in securityContext.capabilities.add`,
				Fields: []Field{{Path: "spec.containers[0].securityContext.capabilities.add[0]", Container: "app", Fix: Fix{FixRemove, "NET_RAW"}}}}},
		},
		{
			name: "sysctls allowed from their version only",
			lv:   "baseline:v1.28",
			mutate: func(p *corev1.Pod) {
				p.Spec.SecurityContext.Sysctls = []corev1.Sysctl{{Name: "net.ipv4.ip_local_reserved_ports"}, {Name: "net.ipv4.tcp_keepalive_time"}}
			},
			want: []Violation{{Check: "sysctls", Reason: "forbidden sysctls", Detail: "net.ipv4.tcp_keepalive_time",
				Fields: []Field{{Path: "spec.securityContext.sysctls[1].name", Fix: Fix{FixRemove, "net.ipv4.tcp_keepalive_time"}}}}},
		},
		{
			name: "host ports sort as strings and ephemeral containers count",
			lv:   "baseline:latest",
			mutate: func(p *corev1.Pod) {
				p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug",
					Ports: []corev1.ContainerPort{{ContainerPort: 9, HostPort: 9}, {ContainerPort: 10, HostPort: 10}}}}}
			},
			want: []Violation{{Check: "hostPorts", Reason: "hostPort", Detail: `container "debug" uses hostPorts 10, 9`,
				Fields: []Field{
					{Path: "spec.ephemeralContainers[0].ports[0].hostPort", Container: "debug", Fix: Fix{Op: FixRemove}},
					{Path: "spec.ephemeralContainers[0].ports[1].hostPort", Container: "debug", Fix: Fix{Op: FixRemove}},
				}}},
		},
		{
			name: "probe host is checked from v1.34 only",
			lv:   "baseline:v1.33",
			mutate: func(p *corev1.Pod) {
				p.Spec.Containers[0].LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Host: "10.0.0.1"}}}
			},
		},
		{
			name: "volume with no source is unknown at restricted",
			lv:   "restricted:latest",
			mutate: func(p *corev1.Pod) {
				p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "empty"}, corev1.Volume{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}})
			},
			want: []Violation{{Check: "restrictedVolumes", Reason: "restricted volume types",
				Detail: `volumes "empty", "host" use restricted volume types "hostPath", "unknown"`,
				Fields: []Field{
					{Path: "spec.volumes[1].emptyDir", Fix: Fix{FixSet, "{}"}},
					{Path: "spec.volumes[2].hostPath", Fix: Fix{Op: FixRemove}},
				}}},
		},
		{
			name: "SELinux container_engine_t from v1.31",
			lv:   "baseline:v1.30",
			mutate: func(p *corev1.Pod) {
				p.Spec.SecurityContext.SELinuxOptions = &corev1.SELinuxOptions{Type: "container_engine_t", User: "u"}
			},
			want: []Violation{{Check: "seLinuxOptions", Reason: "seLinuxOptions",
				Detail: `pod set forbidden securityContext.seLinuxOptions: type "container_engine_t"; user may not be set`,
				Fields: []Field{
					{Path: "spec.securityContext.seLinuxOptions.type", Fix: Fix{FixRemove, "container_engine_t"}},
					{Path: "spec.securityContext.seLinuxOptions.user", Fix: Fix{FixRemove, "u"}},
				}}},
		},
		{
			name: "versions after the newest known behave like it",
			lv:   "baseline:v1.99",
			mutate: func(p *corev1.Pod) {
				p.Spec.SecurityContext.Sysctls = []corev1.Sysctl{{Name: "net.ipv4.tcp_notsent_lowat"}}
			},
		},
		{
			name: "privileged level allows everything",
			lv:   "privileged:latest",
			mutate: func(p *corev1.Pod) {
				p.Spec.HostPID = true
				p.Spec.Containers[0].SecurityContext.Privileged = ptrTo(true)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := restrictedPod()
			tt.mutate(p)
			lv := mustLV(t, tt.lv)
			got := Default.Evaluate(lv, &p.ObjectMeta, &p.Spec)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Evaluate(%s) mismatch (-want +got):\n%s", lv, diff)
			}
			if diff := compareWithOracle(t, Default, lv, &p.ObjectMeta, &p.Spec); diff != "" {
				t.Errorf("differs from Kubernetes: %s", diff)
			}
		})
	}
}

func TestNilMetaAndSpec(t *testing.T) {
	lv := mustLV(t, "restricted:latest")
	if got := Default.Evaluate(lv, nil, nil); got != nil {
		t.Errorf("empty pod: got %v, want nil", got)
	}
	p := restrictedPod()
	if got := Default.Evaluate(lv, nil, &p.Spec); got != nil {
		t.Errorf("nil meta: got %v", got)
	}
}

func TestZeroAllocationsOnCompliantPod(t *testing.T) {
	p := restrictedPod()
	p.Annotations = map[string]string{"a": "b", "container.apparmor.security.beta.kubernetes.io/app": "runtime/default"}
	p.Spec.Containers[0].LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/"}}}
	for _, v := range allVersions() {
		for _, l := range []Level{LevelBaseline, LevelRestricted} {
			lv := LevelVersion{l, v}
			if n := testing.AllocsPerRun(50, func() {
				if Default.Evaluate(lv, &p.ObjectMeta, &p.Spec) != nil {
					t.Fatal("compliant pod fails")
				}
			}); n != 0 {
				t.Errorf("Evaluate(%s) on a compliant pod: %v allocations, want 0", lv, n)
			}
		}
	}
	if n := testing.AllocsPerRun(50, func() { Default.HighestLevel(LatestVersion(), &p.ObjectMeta, &p.Spec) }); n != 0 {
		t.Errorf("HighestLevel: %v allocations, want 0", n)
	}
}

func TestAllocationsOnFailingPod(t *testing.T) {
	p := &corev1.Pod{Spec: corev1.PodSpec{
		HostNetwork: true,
		Containers:  []corev1.Container{{Name: "a", SecurityContext: &corev1.SecurityContext{Privileged: ptrTo(true)}}, {Name: "b"}},
		Volumes:     []corev1.Volume{{Name: "h", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{}}}},
	}}
	lv := mustLV(t, "restricted:latest")
	var vs []Violation
	if n := testing.AllocsPerRun(50, func() { vs = Default.Evaluate(lv, &p.ObjectMeta, &p.Spec) }); n > 3 {
		t.Errorf("failing pod: %v allocations, want at most 3", n)
	}
	if len(vs) < 5 {
		t.Errorf("got %d violations, want several", len(vs))
	}
	dst := make([]Violation, 0, 16)
	if n := testing.AllocsPerRun(50, func() { vs = Default.AppendViolations(dst[:0], lv, &p.ObjectMeta, &p.Spec) }); n > 2 {
		t.Errorf("AppendViolations with room: %v allocations, want at most 2", n)
	}
}

func TestHighestLevel(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(p *corev1.Pod)
		want   Level
	}{
		{"restricted", func(p *corev1.Pod) {}, LevelRestricted},
		{"baseline", func(p *corev1.Pod) { p.Spec.SecurityContext = nil }, LevelBaseline},
		{"privileged", func(p *corev1.Pod) { p.Spec.HostPID = true }, LevelPrivileged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := restrictedPod()
			tt.mutate(p)
			if got := Default.HighestLevel(LatestVersion(), &p.ObjectMeta, &p.Spec); got != tt.want {
				t.Errorf("HighestLevel = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestViolationsDoNotAlias(t *testing.T) {
	// Results of one evaluation must not change when the evaluator is reused.
	a := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "first"}}}}
	b := &corev1.Pod{Spec: corev1.PodSpec{HostIPC: true, Containers: []corev1.Container{{Name: "second-container-with-long-name"}}}}
	lv := mustLV(t, "restricted:latest")
	va := Default.Evaluate(lv, &a.ObjectMeta, &a.Spec)
	before := AggregateMessage(va) + va[0].Fields[0].Path
	for range 10 {
		Default.Evaluate(lv, &b.ObjectMeta, &b.Spec)
	}
	if after := AggregateMessage(va) + va[0].Fields[0].Path; after != before {
		t.Errorf("violations changed after reuse:\n%s\n%s", before, after)
	}
}

func TestFieldsAlwaysPresent(t *testing.T) {
	g := newSeededGen(7)
	for range 500 {
		p := g.pod()
		for _, l := range []Level{LevelBaseline, LevelRestricted} {
			for _, v := range Default.Evaluate(LevelVersion{l, LatestVersion()}, &p.ObjectMeta, &p.Spec) {
				if len(v.Fields) == 0 {
					t.Fatalf("%s: no fields", v.Check)
				}
				for _, f := range v.Fields {
					if !strings.HasPrefix(f.Path, "spec.") && !strings.HasPrefix(f.Path, "metadata.annotations[") {
						t.Errorf("%s: bad path %q", v.Check, f.Path)
					}
					if f.Fix.Op != FixSet && f.Fix.Op != FixRemove {
						t.Errorf("%s: bad fix %+v", v.Check, f.Fix)
					}
					if f.Fix.Op == FixSet && f.Fix.Value == "" {
						t.Errorf("%s: set %s to nothing", v.Check, f.Path)
					}
				}
			}
		}
	}
}
