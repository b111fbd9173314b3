//go:build e2e

package e2e

import (
	"fmt"
	"math/rand/v2"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// psaGen generates pods that the API server accepts (mostly: an occasional
// combination fails validation, which both sides of the differential must
// then report identically) and that vary every field a Pod Security check
// reads, with values on both sides of each rule. Unlike a generator for
// the evaluator alone, it keeps values API validation accepts, so that the
// requests reach admission.
type psaGen struct{ rng *rand.Rand }

func newPSAGen(seed uint64) *psaGen {
	return &psaGen{rng: rand.New(rand.NewPCG(seed, seed^0x5eed))}
}

func (g *psaGen) intn(n int) int    { return g.rng.IntN(n) }
func (g *psaGen) chance(n int) bool { return g.rng.IntN(n) == 0 }

func psaPick[T any](g *psaGen, xs ...T) T { return xs[g.rng.IntN(len(xs))] }

func (g *psaGen) optBool() *bool {
	switch g.intn(3) {
	case 0:
		return nil
	case 1:
		return ptr.To(false)
	}
	return ptr.To(true)
}

// pod returns a random pod named name. runtimeClasses are names that exist in
// the cluster.
func (g *psaGen) pod(name string, runtimeClasses []string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}}
	s := &p.Spec
	for i := range g.intn(2) {
		s.InitContainers = append(s.InitContainers, g.container(fmt.Sprintf("init%d", i), false))
	}
	for i := range 1 + g.intn(3) {
		s.Containers = append(s.Containers, g.container(fmt.Sprintf("c%d", i), true))
	}
	if g.chance(10) {
		s.OS = &corev1.PodOS{Name: psaPick(g, corev1.Linux, corev1.Windows)}
	}
	s.HostNetwork = g.chance(8)
	s.HostPID = g.chance(10)
	s.HostIPC = g.chance(10)
	if g.chance(8) {
		s.HostUsers = ptr.To(false)
	}
	if !g.chance(4) {
		s.SecurityContext = g.podSecurityContext()
	}
	for i := range g.intn(4) {
		s.Volumes = append(s.Volumes, g.volume(fmt.Sprintf("v%d", i)))
	}
	if len(runtimeClasses) > 0 && g.chance(8) {
		s.RuntimeClassName = ptr.To(psaPick(g, runtimeClasses...))
	}
	g.makeValid(p)
	return p
}

// makeValid drops the combinations API validation refuses, so that most
// generated pods reach admission.
func (g *psaGen) makeValid(p *corev1.Pod) {
	s := &p.Spec
	all := func(f func(c *corev1.Container)) {
		for i := range s.InitContainers {
			f(&s.InitContainers[i])
		}
		for i := range s.Containers {
			f(&s.Containers[i])
		}
	}
	// Unmasked /proc needs a user namespace, which rules out host namespaces.
	all(func(c *corev1.Container) {
		if c.SecurityContext != nil && ptr.Deref(c.SecurityContext.ProcMount, "") == corev1.UnmaskedProcMount {
			s.HostUsers = ptr.To(false)
		}
	})
	if s.HostUsers != nil && !*s.HostUsers {
		s.HostNetwork, s.HostPID, s.HostIPC = false, false, false
	}
	if sc := s.SecurityContext; sc != nil {
		var kept []corev1.Sysctl
		for _, sy := range sc.Sysctls {
			net := strings.HasPrefix(sy.Name, "net.")
			if (net && s.HostNetwork) || (!net && s.HostIPC) {
				continue
			}
			kept = append(kept, sy)
		}
		sc.Sysctls = kept
	}
	if s.OS != nil && s.OS.Name == corev1.Windows {
		// Linux-only fields are refused on Windows pods.
		if sc := s.SecurityContext; sc != nil {
			sc.SELinuxOptions, sc.SeccompProfile, sc.AppArmorProfile, sc.Sysctls = nil, nil, nil, nil
			sc.RunAsUser = nil
		}
		s.HostUsers = nil
		all(func(c *corev1.Container) {
			if sc := c.SecurityContext; sc != nil {
				sc.SELinuxOptions, sc.SeccompProfile, sc.AppArmorProfile, sc.ProcMount = nil, nil, nil, nil
				sc.Capabilities, sc.Privileged, sc.AllowPrivilegeEscalation, sc.RunAsUser = nil, nil, nil, nil
			}
		})
	}
	if s.HostNetwork {
		// Validation: with hostNetwork, host ports equal container ports.
		for _, cs := range [][]corev1.Container{s.InitContainers, s.Containers} {
			for i := range cs {
				for j := range cs[i].Ports {
					cs[i].Ports[j].HostPort = cs[i].Ports[j].ContainerPort
				}
			}
		}
	}
}

var (
	psaGenCaps          = []corev1.Capability{"ALL", "NET_BIND_SERVICE", "NET_RAW", "SYS_ADMIN", "CHOWN", "KILL", "SETUID", "AUDIT_WRITE", "SYS_TIME", "BPF"}
	psaGenSysctls       = []string{"kernel.shm_rmid_forced", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.tcp_keepalive_time", "kernel.msgmax", "net.core.somaxconn"}
	psaGenSELinuxTypes  = []string{"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t", "spc_t", "unconfined_t"}
	psaGenSeccompTypes  = []corev1.SeccompProfileType{corev1.SeccompProfileTypeRuntimeDefault, corev1.SeccompProfileTypeUnconfined, corev1.SeccompProfileTypeLocalhost}
	psaGenAppArmorTypes = []corev1.AppArmorProfileType{corev1.AppArmorProfileTypeRuntimeDefault, corev1.AppArmorProfileTypeUnconfined, corev1.AppArmorProfileTypeLocalhost}
)

func (g *psaGen) podSecurityContext() *corev1.PodSecurityContext {
	sc := &corev1.PodSecurityContext{RunAsNonRoot: g.optBool()}
	if g.chance(3) {
		sc.RunAsUser = ptr.To(psaPick(g, int64(0), 1000, 65534))
	}
	if !g.chance(3) {
		sc.SeccompProfile = g.seccomp()
	}
	if g.chance(5) {
		sc.AppArmorProfile = g.appArmor()
	}
	if g.chance(5) {
		sc.SELinuxOptions = g.seLinux()
	}
	for range g.intn(3) {
		if g.chance(2) {
			name := psaPick(g, psaGenSysctls...)
			dup := false
			for _, s := range sc.Sysctls {
				dup = dup || s.Name == name
			}
			if !dup {
				sc.Sysctls = append(sc.Sysctls, corev1.Sysctl{Name: name, Value: "1"})
			}
		}
	}
	return sc
}

func (g *psaGen) seccomp() *corev1.SeccompProfile {
	t := psaPick(g, psaGenSeccompTypes...)
	p := &corev1.SeccompProfile{Type: t}
	if t == corev1.SeccompProfileTypeLocalhost {
		p.LocalhostProfile = ptr.To("profiles/e2e.json")
	}
	return p
}

func (g *psaGen) appArmor() *corev1.AppArmorProfile {
	t := psaPick(g, psaGenAppArmorTypes...)
	p := &corev1.AppArmorProfile{Type: t}
	if t == corev1.AppArmorProfileTypeLocalhost {
		p.LocalhostProfile = ptr.To("e2e-profile")
	}
	return p
}

func (g *psaGen) seLinux() *corev1.SELinuxOptions {
	o := &corev1.SELinuxOptions{Type: psaPick(g, psaGenSELinuxTypes...)}
	if g.chance(4) {
		o.User = "system_u"
	}
	if g.chance(4) {
		o.Role = "system_r"
	}
	if g.chance(3) {
		o.Level = "s0:c123,c456"
	}
	return o
}

func (g *psaGen) container(name string, probes bool) corev1.Container {
	c := corev1.Container{
		Name:                     name,
		Image:                    "registry.example/app:" + psaPick(g, "1", "2"),
		TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		ImagePullPolicy:          corev1.PullIfNotPresent,
	}
	if g.chance(4) {
		port := corev1.ContainerPort{ContainerPort: int32(8080 + g.intn(3)), Protocol: corev1.ProtocolTCP}
		if g.chance(2) {
			port.HostPort = port.ContainerPort
		}
		c.Ports = append(c.Ports, port)
	}
	if probes && g.chance(5) {
		c.LivenessProbe = &corev1.Probe{
			ProbeHandler:     g.handler(),
			PeriodSeconds:    10,
			TimeoutSeconds:   1,
			SuccessThreshold: 1,
			FailureThreshold: 3,
		}
	}
	if probes && g.chance(8) {
		h := g.handler()
		c.Lifecycle = &corev1.Lifecycle{PostStart: &corev1.LifecycleHandler{HTTPGet: h.HTTPGet, TCPSocket: h.TCPSocket}}
	}
	if g.chance(5) {
		return c // no security context at all
	}
	sc := &corev1.SecurityContext{
		AllowPrivilegeEscalation: g.optBool(),
		RunAsNonRoot:             g.optBool(),
	}
	if g.chance(6) {
		sc.Privileged = ptr.To(true)
		sc.AllowPrivilegeEscalation = ptr.To(true) // validation: privileged implies escalation
	}
	if g.chance(4) {
		sc.RunAsUser = ptr.To(psaPick(g, int64(0), 1000))
	}
	if !g.chance(3) {
		sc.Capabilities = &corev1.Capabilities{}
		if !g.chance(3) {
			sc.Capabilities.Drop = []corev1.Capability{"ALL"}
		}
		for range g.intn(3) {
			sc.Capabilities.Add = append(sc.Capabilities.Add, psaPick(g, psaGenCaps...))
		}
	}
	if g.chance(3) {
		sc.SeccompProfile = g.seccomp()
	}
	if g.chance(6) {
		sc.AppArmorProfile = g.appArmor()
	}
	if g.chance(6) {
		sc.SELinuxOptions = g.seLinux()
	}
	if g.chance(10) {
		sc.ProcMount = ptr.To(psaPick(g, corev1.DefaultProcMount, corev1.UnmaskedProcMount))
	}
	c.SecurityContext = sc
	return c
}

func (g *psaGen) handler() corev1.ProbeHandler {
	host := psaPick(g, "", "", "10.0.0.1", "localhost")
	if g.chance(2) {
		return corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Host: host, Path: "/healthz", Port: intstr.FromInt32(8080), Scheme: corev1.URISchemeHTTP}}
	}
	return corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Host: host, Port: intstr.FromInt32(8080)}}
}

func (g *psaGen) volume(name string) corev1.Volume {
	v := corev1.Volume{Name: name}
	switch g.intn(7) {
	case 0:
		v.HostPath = &corev1.HostPathVolumeSource{Path: "/var/log"}
	case 1:
		v.EmptyDir = &corev1.EmptyDirVolumeSource{}
	case 2:
		v.ConfigMap = &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cm"}, DefaultMode: ptr.To(int32(0o644))}
	case 3:
		v.Secret = &corev1.SecretVolumeSource{SecretName: "s", DefaultMode: ptr.To(int32(0o644))}
	case 4:
		v.PersistentVolumeClaim = &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}
	case 5:
		v.NFS = &corev1.NFSVolumeSource{Server: "nfs.example", Path: "/export"}
	default:
		v.DownwardAPI = &corev1.DownwardAPIVolumeSource{DefaultMode: ptr.To(int32(0o644)), Items: []corev1.DownwardAPIVolumeFile{{
			Path: "labels", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.labels"},
		}}}
	}
	return v
}
