package podsecurity

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// podGen generates pods that vary every field a check reads, with values on
// both sides of every rule. Its randomness comes from a seeded PRNG or, for
// fuzzing, from the fuzzer's bytes (then zeros once they run out).
type podGen struct {
	rng   *rand.Rand
	bytes []byte
}

func newSeededGen(seed uint64) *podGen {
	return &podGen{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func newBytesGen(b []byte) *podGen { return &podGen{bytes: b} }

// intn returns a number in [0, n).
func (g *podGen) intn(n int) int {
	if n <= 1 {
		return 0
	}
	if g.rng != nil {
		return g.rng.IntN(n)
	}
	if len(g.bytes) == 0 {
		return 0
	}
	var v uint16
	if len(g.bytes) >= 2 {
		v = binary.LittleEndian.Uint16(g.bytes)
		g.bytes = g.bytes[2:]
	} else {
		v = uint16(g.bytes[0])
		g.bytes = g.bytes[1:]
	}
	return int(v) % n
}

// chance returns true with probability 1/n.
func (g *podGen) chance(n int) bool { return g.intn(n) == 0 }

func pick[T any](g *podGen, xs ...T) T { return xs[g.intn(len(xs))] }

func (g *podGen) boolPtr() *bool {
	switch g.intn(3) {
	case 0:
		return nil
	case 1:
		b := false
		return &b
	}
	b := true
	return &b
}

var (
	genContainerNames = []string{"app", "app", "sidecar", "init", "debug", "app1", "app-x", "", "c.d", "Z"}
	genCapabilities   = []corev1.Capability{"ALL", "all", "All", "NET_RAW", "net_raw", "NET_BIND_SERVICE", "net_bind_service", "SYS_ADMIN", "CHOWN", "KILL", "SETUID", "AUDIT_WRITE", "SYS_CHROOT", "MKNOD", "SETPCAP", "BPF", "", "CAP_SYS_ADMIN"}
	genSeccompTypes   = []corev1.SeccompProfileType{"RuntimeDefault", "Localhost", "Unconfined", "", "runtimedefault", "Bogus"}
	genAppArmorTypes  = []corev1.AppArmorProfileType{"RuntimeDefault", "Localhost", "Unconfined", "", "unconfined"}
	genSELinuxTypes   = []string{"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t", "spc_t", "unconfined_t", "Container_t"}
	genSysctls        = []string{
		"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
		"net.ipv4.ip_unprivileged_port_start", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time",
		"net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem",
		"net.ipv4.tcp_wmem", "net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat",
		"kernel.msgmax", "net.core.somaxconn", "vm.swappiness", "", "kernel.shm_rmid_forced ", "NET.IPV4.TCP_SYNCOOKIES",
	}
	genAppArmorAnnotationValues = []string{"", "runtime/default", "localhost/profile", "localhost/", "unconfined", "Unconfined", "runtime/Default", "x\"y\n"}
	genSeccompAnnotationValues  = []string{"runtime/default", "docker/default", "localhost/profile", "localhost/", "unconfined", "", "localhost", "Runtime/Default"}
	genHosts                    = []string{"", "", "10.0.0.1", "example.com", "b", "a", "localhost"}
	genProcMounts               = []corev1.ProcMountType{"Default", "Unmasked", "", "default"}
)

func (g *podGen) name() string { return pick(g, genContainerNames...) }

// pod returns a new random pod.
func (g *podGen) pod() *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "pod" + strconv.Itoa(g.intn(100)), Namespace: "ns"}}
	spec := &p.Spec
	for range g.intn(3) {
		spec.InitContainers = append(spec.InitContainers, g.container())
	}
	for range 1 + g.intn(3) {
		spec.Containers = append(spec.Containers, g.container())
	}
	if g.chance(4) {
		for range 1 + g.intn(2) {
			spec.EphemeralContainers = append(spec.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon(g.container())})
		}
	}
	switch g.intn(5) {
	case 0:
		spec.OS = &corev1.PodOS{Name: corev1.Windows}
	case 1:
		spec.OS = &corev1.PodOS{Name: corev1.Linux}
	case 2:
		spec.OS = &corev1.PodOS{Name: "Windows"}
	}
	spec.HostUsers = g.boolPtr()
	spec.HostNetwork = g.chance(6)
	spec.HostPID = g.chance(8)
	spec.HostIPC = g.chance(8)
	if !g.chance(5) {
		spec.SecurityContext = g.podSecurityContext()
	}
	for i := range g.intn(5) {
		spec.Volumes = append(spec.Volumes, g.volume(i))
	}
	p.Annotations = g.annotations(spec)
	return p
}

func (g *podGen) podSecurityContext() *corev1.PodSecurityContext {
	sc := &corev1.PodSecurityContext{}
	sc.RunAsNonRoot = g.boolPtr()
	if g.chance(3) {
		sc.RunAsUser = ptrTo(int64(pick(g, 0, 0, 1000, 65534)))
	}
	if !g.chance(3) {
		sc.SeccompProfile = &corev1.SeccompProfile{Type: pick(g, genSeccompTypes...)}
	}
	if g.chance(4) {
		sc.AppArmorProfile = &corev1.AppArmorProfile{Type: pick(g, genAppArmorTypes...)}
	}
	if g.chance(4) {
		sc.SELinuxOptions = g.seLinux()
	}
	if g.chance(5) {
		sc.WindowsOptions = &corev1.WindowsSecurityContextOptions{HostProcess: g.boolPtr()}
	}
	for range g.intn(4) {
		if g.chance(2) {
			sc.Sysctls = append(sc.Sysctls, corev1.Sysctl{Name: pick(g, genSysctls...), Value: "1"})
		}
	}
	return sc
}

func (g *podGen) seLinux() *corev1.SELinuxOptions {
	o := &corev1.SELinuxOptions{Type: pick(g, genSELinuxTypes...), Level: pick(g, "", "s0:c1,c2")}
	if g.chance(4) {
		o.User = pick(g, "system_u", "", "u")
	}
	if g.chance(4) {
		o.Role = pick(g, "system_r", "", "r")
	}
	return o
}

func (g *podGen) container() corev1.Container {
	c := corev1.Container{Name: g.name(), Image: "registry.example/app:1.0"}
	if !g.chance(5) {
		sc := &corev1.SecurityContext{}
		sc.Privileged = g.boolPtr()
		sc.AllowPrivilegeEscalation = g.boolPtr()
		if !g.chance(3) {
			sc.Capabilities = &corev1.Capabilities{}
			for range g.intn(3) {
				sc.Capabilities.Drop = append(sc.Capabilities.Drop, pick(g, genCapabilities...))
			}
			for range g.intn(3) {
				sc.Capabilities.Add = append(sc.Capabilities.Add, pick(g, genCapabilities...))
			}
		}
		sc.RunAsNonRoot = g.boolPtr()
		if g.chance(3) {
			sc.RunAsUser = ptrTo(int64(pick(g, 0, 1000, 1)))
		}
		if g.chance(2) {
			sc.SeccompProfile = &corev1.SeccompProfile{Type: pick(g, genSeccompTypes...)}
		}
		if g.chance(5) {
			sc.AppArmorProfile = &corev1.AppArmorProfile{Type: pick(g, genAppArmorTypes...)}
		}
		if g.chance(5) {
			sc.SELinuxOptions = g.seLinux()
		}
		if g.chance(5) {
			pm := pick(g, genProcMounts...)
			sc.ProcMount = &pm
		}
		if g.chance(6) {
			sc.WindowsOptions = &corev1.WindowsSecurityContextOptions{HostProcess: g.boolPtr()}
		}
		c.SecurityContext = sc
	}
	for range g.intn(3) {
		c.Ports = append(c.Ports, corev1.ContainerPort{
			ContainerPort: int32(pick(g, 80, 8080, 9090, 443)),
			HostPort:      int32(pick(g, 0, 0, 0, 80, 8080, 9, 10, 100, -1)),
		})
	}
	if g.chance(2) {
		c.LivenessProbe = g.probe()
	}
	if g.chance(3) {
		c.ReadinessProbe = g.probe()
	}
	if g.chance(5) {
		c.StartupProbe = g.probe()
	}
	if g.chance(4) {
		c.Lifecycle = &corev1.Lifecycle{}
		if g.chance(2) {
			c.Lifecycle.PostStart = g.handler()
		}
		if g.chance(2) {
			c.Lifecycle.PreStop = g.handler()
		}
	}
	return c
}

func (g *podGen) probe() *corev1.Probe {
	h := g.handler()
	return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: h.Exec, HTTPGet: h.HTTPGet, TCPSocket: h.TCPSocket}}
}

func (g *podGen) handler() *corev1.LifecycleHandler {
	h := &corev1.LifecycleHandler{}
	switch g.intn(4) {
	case 0:
		h.HTTPGet = &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080), Host: pick(g, genHosts...)}
	case 1:
		h.TCPSocket = &corev1.TCPSocketAction{Port: intstr.FromInt32(8080), Host: pick(g, genHosts...)}
	case 2:
		h.HTTPGet = &corev1.HTTPGetAction{Path: "/", Port: intstr.FromInt32(80), Host: pick(g, genHosts...)}
		h.TCPSocket = &corev1.TCPSocketAction{Port: intstr.FromInt32(80), Host: pick(g, genHosts...)}
	default:
		h.Exec = &corev1.ExecAction{Command: []string{"true"}}
	}
	return h
}

// volume returns a volume of a random type, sometimes with no source.
func (g *podGen) volume(i int) corev1.Volume {
	v := corev1.Volume{Name: "vol" + strconv.Itoa(pick(g, i, i, 0))}
	s := &v.VolumeSource
	switch g.intn(32) {
	case 0:
		s.HostPath = &corev1.HostPathVolumeSource{Path: "/var/run"}
	case 1:
		s.GCEPersistentDisk = &corev1.GCEPersistentDiskVolumeSource{}
	case 2:
		s.AWSElasticBlockStore = &corev1.AWSElasticBlockStoreVolumeSource{}
	case 3:
		s.GitRepo = &corev1.GitRepoVolumeSource{}
	case 4:
		s.NFS = &corev1.NFSVolumeSource{}
	case 5:
		s.ISCSI = &corev1.ISCSIVolumeSource{}
	case 6:
		s.Glusterfs = &corev1.GlusterfsVolumeSource{}
	case 7:
		s.RBD = &corev1.RBDVolumeSource{}
	case 8:
		s.FlexVolume = &corev1.FlexVolumeSource{}
	case 9:
		s.Cinder = &corev1.CinderVolumeSource{}
	case 10:
		s.CephFS = &corev1.CephFSVolumeSource{}
	case 11:
		s.Flocker = &corev1.FlockerVolumeSource{}
	case 12:
		s.FC = &corev1.FCVolumeSource{}
	case 13:
		s.AzureFile = &corev1.AzureFileVolumeSource{}
	case 14:
		s.VsphereVolume = &corev1.VsphereVirtualDiskVolumeSource{}
	case 15:
		s.Quobyte = &corev1.QuobyteVolumeSource{}
	case 16:
		s.AzureDisk = &corev1.AzureDiskVolumeSource{}
	case 17:
		s.PhotonPersistentDisk = &corev1.PhotonPersistentDiskVolumeSource{}
	case 18:
		s.PortworxVolume = &corev1.PortworxVolumeSource{}
	case 19:
		s.ScaleIO = &corev1.ScaleIOVolumeSource{}
	case 20:
		s.StorageOS = &corev1.StorageOSVolumeSource{}
	case 21:
		// no source
	case 22:
		s.ConfigMap = &corev1.ConfigMapVolumeSource{}
	case 23:
		s.CSI = &corev1.CSIVolumeSource{Driver: "csi.example"}
	case 24:
		s.DownwardAPI = &corev1.DownwardAPIVolumeSource{}
	case 25:
		s.Ephemeral = &corev1.EphemeralVolumeSource{}
	case 26:
		s.Image = &corev1.ImageVolumeSource{Reference: "img"}
	case 27:
		s.PersistentVolumeClaim = &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "c"}
	case 28:
		s.Projected = &corev1.ProjectedVolumeSource{}
	case 29:
		s.Secret = &corev1.SecretVolumeSource{SecretName: "s"}
	case 30:
		s.HostPath = &corev1.HostPathVolumeSource{Path: "/"}
		s.NFS = &corev1.NFSVolumeSource{}
	default:
		s.EmptyDir = &corev1.EmptyDirVolumeSource{}
		s.HostPath = &corev1.HostPathVolumeSource{Path: "/"}
	}
	return v
}

func (g *podGen) annotations(spec *corev1.PodSpec) map[string]string {
	if g.chance(3) {
		return nil
	}
	a := map[string]string{"app.kubernetes.io/name": "web", "kubectl.kubernetes.io/restartedAt": "2024-01-01T00:00:00Z"}
	names := append([]string{"app", "app1", "app-x", "sidecar", "ghost", ""}, genContainerNames...)
	for range g.intn(4) {
		a[corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix+pick(g, names...)] = pick(g, genAppArmorAnnotationValues...)
	}
	if g.chance(3) {
		a[seccompPodAnnotation] = pick(g, genSeccompAnnotationValues...)
	}
	for range g.intn(3) {
		a[seccompContainerAnnotationPrefix+pick(g, names...)] = pick(g, genSeccompAnnotationValues...)
	}
	return a
}

func ptrTo[T any](v T) *T { return &v }

// mixedPod returns a fully random pod a quarter of the time and otherwise a
// pod that meets restricted:latest with zero to three random mutations, so
// that passing pods and pods failing one check are common too.
func (g *podGen) mixedPod() *corev1.Pod {
	if g.chance(4) {
		return g.pod()
	}
	p := g.compliantPod()
	for range g.intn(4) {
		g.mutate(p)
	}
	return p
}

// compliantPod returns a random pod that meets restricted at every version.
func (g *podGen) compliantPod() *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", Labels: map[string]string{"app": "web"}}}
	spec := &p.Spec
	spec.SecurityContext = &corev1.PodSecurityContext{
		RunAsNonRoot:   ptrTo(true),
		SeccompProfile: &corev1.SeccompProfile{Type: pick(g, corev1.SeccompProfileTypeRuntimeDefault, corev1.SeccompProfileTypeLocalhost)},
	}
	mk := func() corev1.Container {
		c := corev1.Container{Name: g.name(), Image: "registry.example/app:1.0"}
		c.SecurityContext = &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptrTo(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		}
		if g.chance(3) {
			c.SecurityContext.Capabilities.Add = []corev1.Capability{"NET_BIND_SERVICE"}
		}
		if g.chance(2) {
			c.Ports = []corev1.ContainerPort{{ContainerPort: 8080}}
			c.LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: intstr.FromInt32(8080)}}}
		}
		return c
	}
	for range g.intn(2) {
		spec.InitContainers = append(spec.InitContainers, mk())
	}
	for range 1 + g.intn(3) {
		spec.Containers = append(spec.Containers, mk())
	}
	if g.chance(8) {
		spec.EphemeralContainers = append(spec.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon(mk())})
	}
	for i := range g.intn(3) {
		v := corev1.Volume{Name: "vol" + strconv.Itoa(i)}
		switch g.intn(3) {
		case 0:
			v.EmptyDir = &corev1.EmptyDirVolumeSource{}
		case 1:
			v.ConfigMap = &corev1.ConfigMapVolumeSource{}
		default:
			v.Projected = &corev1.ProjectedVolumeSource{}
		}
		spec.Volumes = append(spec.Volumes, v)
	}
	return p
}

// mutate changes one field a check reads to a random value.
func (g *podGen) mutate(p *corev1.Pod) {
	spec := &p.Spec
	all := make([]*corev1.Container, 0)
	for i := range spec.InitContainers {
		all = append(all, &spec.InitContainers[i])
	}
	for i := range spec.Containers {
		all = append(all, &spec.Containers[i])
	}
	for i := range spec.EphemeralContainers {
		all = append(all, (*corev1.Container)(&spec.EphemeralContainers[i].EphemeralContainerCommon))
	}
	c := all[g.intn(len(all))]
	r := g.container()
	if c.SecurityContext == nil {
		c.SecurityContext = &corev1.SecurityContext{}
	}
	if r.SecurityContext == nil {
		r.SecurityContext = &corev1.SecurityContext{}
	}
	psc := spec.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
		spec.SecurityContext = psc
	}
	rp := g.podSecurityContext()
	switch g.intn(26) {
	case 0:
		c.SecurityContext.Privileged = r.SecurityContext.Privileged
	case 1:
		c.SecurityContext.AllowPrivilegeEscalation = r.SecurityContext.AllowPrivilegeEscalation
	case 2:
		c.SecurityContext.Capabilities = r.SecurityContext.Capabilities
	case 3:
		c.SecurityContext.RunAsNonRoot = r.SecurityContext.RunAsNonRoot
	case 4:
		c.SecurityContext.RunAsUser = ptrTo(int64(pick(g, 0, 1000)))
	case 5:
		c.SecurityContext.SeccompProfile = r.SecurityContext.SeccompProfile
	case 6:
		c.SecurityContext.AppArmorProfile = &corev1.AppArmorProfile{Type: pick(g, genAppArmorTypes...)}
	case 7:
		c.SecurityContext.SELinuxOptions = g.seLinux()
	case 8:
		pm := pick(g, genProcMounts...)
		c.SecurityContext.ProcMount = &pm
	case 9:
		c.SecurityContext.WindowsOptions = &corev1.WindowsSecurityContextOptions{HostProcess: g.boolPtr()}
	case 10:
		c.Ports = r.Ports
	case 11:
		c.LivenessProbe, c.ReadinessProbe, c.StartupProbe, c.Lifecycle = r.LivenessProbe, r.ReadinessProbe, r.StartupProbe, r.Lifecycle
	case 12:
		c.SecurityContext = nil
	case 13:
		psc.RunAsNonRoot = rp.RunAsNonRoot
	case 14:
		psc.RunAsUser = ptrTo(int64(pick(g, 0, 1000)))
	case 15:
		psc.SeccompProfile = rp.SeccompProfile
	case 16:
		psc.AppArmorProfile = &corev1.AppArmorProfile{Type: pick(g, genAppArmorTypes...)}
	case 17:
		psc.SELinuxOptions = g.seLinux()
	case 18:
		psc.Sysctls = rp.Sysctls
		if len(psc.Sysctls) == 0 {
			psc.Sysctls = []corev1.Sysctl{{Name: pick(g, genSysctls...)}}
		}
	case 19:
		psc.WindowsOptions = &corev1.WindowsSecurityContextOptions{HostProcess: g.boolPtr()}
	case 20:
		spec.HostNetwork, spec.HostPID, spec.HostIPC = g.chance(2), g.chance(2), g.chance(2)
	case 21:
		spec.Volumes = append(spec.Volumes, g.volume(len(spec.Volumes)))
	case 22:
		spec.OS = &corev1.PodOS{Name: pick(g, corev1.Windows, corev1.Linux)}
	case 23:
		spec.HostUsers = g.boolPtr()
	case 24:
		p.Annotations = g.annotations(spec)
	default:
		spec.SecurityContext = nil
	}
}
