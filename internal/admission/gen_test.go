package admission

import (
	"fmt"
	"math/rand/v2"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// gen builds random pods, workloads and namespace labels for the
// differential tests. It is deterministic for a seed.
type gen struct{ r *rand.Rand }

func newGen(seed uint64) *gen { return &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }
func (g *gen) chance(p float64) bool    { return g.r.Float64() < p }

var images = []string{"nginx:1.27", "registry.example.com/app:v2", "busybox", "ghcr.io/org/agent:1.0"}

// restrictedContainer returns a container that meets restricted:latest.
func restrictedContainer(name, image string) corev1.Container {
	return corev1.Container{
		Name:  name,
		Image: image,
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false),
			RunAsNonRoot:             ptr.To(true),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
	}
}

// podSpec returns a random pod spec: compliant with restricted, then changed
// by up to four random mutations, some of which violate baseline or restricted.
func (g *gen) podSpec(runtimeClasses []string) (map[string]string, corev1.PodSpec) {
	var annotations map[string]string
	spec := corev1.PodSpec{}
	for i := range 1 + g.r.IntN(3) {
		spec.Containers = append(spec.Containers, restrictedContainer(fmt.Sprintf("c%d", i), g.pick(images...)))
	}
	if g.chance(0.3) {
		spec.InitContainers = append(spec.InitContainers, restrictedContainer("init", g.pick(images...)))
	}
	if g.chance(0.1) {
		c := restrictedContainer("debug", g.pick(images...))
		spec.EphemeralContainers = append(spec.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon(c)})
	}
	if g.chance(0.15) && len(runtimeClasses) > 0 {
		spec.RuntimeClassName = ptr.To(g.pick(runtimeClasses...))
	}
	for range g.r.IntN(5) {
		annotations = g.mutate(&spec, annotations)
	}
	return annotations, spec
}

// container returns a random container of spec (any kind).
func (g *gen) container(spec *corev1.PodSpec) *corev1.Container {
	n := len(spec.Containers) + len(spec.InitContainers) + len(spec.EphemeralContainers)
	i := g.r.IntN(n)
	if i < len(spec.Containers) {
		return &spec.Containers[i]
	}
	i -= len(spec.Containers)
	if i < len(spec.InitContainers) {
		return &spec.InitContainers[i]
	}
	i -= len(spec.InitContainers)
	return (*corev1.Container)(&spec.EphemeralContainers[i].EphemeralContainerCommon)
}

func (g *gen) mutate(spec *corev1.PodSpec, annotations map[string]string) map[string]string {
	c := g.container(spec)
	sc := func() *corev1.SecurityContext {
		if c.SecurityContext == nil {
			c.SecurityContext = &corev1.SecurityContext{}
		}
		return c.SecurityContext
	}
	psc := func() *corev1.PodSecurityContext {
		if spec.SecurityContext == nil {
			spec.SecurityContext = &corev1.PodSecurityContext{}
		}
		return spec.SecurityContext
	}
	switch g.r.IntN(22) {
	case 0:
		sc().Privileged = ptr.To(g.chance(0.8))
	case 1:
		spec.HostNetwork = true
	case 2:
		spec.HostPID = g.chance(0.7)
		spec.HostIPC = g.chance(0.5)
	case 3:
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: fmt.Sprintf("h%d", len(spec.Volumes)), VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/log"}}})
	case 4:
		c.Ports = append(c.Ports, corev1.ContainerPort{ContainerPort: 80, HostPort: int32(g.r.IntN(2) * 8080)})
	case 5:
		sc().Capabilities = &corev1.Capabilities{Add: []corev1.Capability{corev1.Capability(g.pick("NET_ADMIN", "SYS_ADMIN", "NET_BIND_SERVICE", "CHOWN", "KILL"))}, Drop: []corev1.Capability{"ALL"}}
	case 6:
		sc().Capabilities = nil
	case 7:
		sc().RunAsNonRoot = nil
		if g.chance(0.5) {
			psc().RunAsNonRoot = ptr.To(g.chance(0.5))
		}
	case 8:
		sc().RunAsNonRoot = ptr.To(false)
	case 9:
		sc().RunAsUser = ptr.To(int64(g.r.IntN(2) * 1000))
	case 10:
		sc().SeccompProfile = nil
		if g.chance(0.5) {
			psc().SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileType(g.pick("RuntimeDefault", "Unconfined", "Localhost"))}
			if psc().SeccompProfile.Type == "Localhost" {
				psc().SeccompProfile.LocalhostProfile = ptr.To("p.json")
			}
		}
	case 11:
		sc().SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
	case 12:
		sc().AllowPrivilegeEscalation = nil
		if g.chance(0.5) {
			sc().AllowPrivilegeEscalation = ptr.To(true)
		}
	case 13:
		if annotations == nil {
			annotations = map[string]string{}
		}
		annotations["container.apparmor.security.beta.kubernetes.io/"+c.Name] = g.pick("unconfined", "runtime/default", "localhost/x")
	case 14:
		sc().AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileType(g.pick("Unconfined", "RuntimeDefault"))}
	case 15:
		sc().SELinuxOptions = &corev1.SELinuxOptions{Type: g.pick("container_t", "spc_t", "unconfined_t"), User: g.pick("", "", "root")}
	case 16:
		sc().ProcMount = ptr.To(corev1.ProcMountType(g.pick("Unmasked", "Default")))
	case 17:
		psc().Sysctls = append(psc().Sysctls, corev1.Sysctl{Name: g.pick("kernel.shm_rmid_forced", "net.core.somaxconn", "net.ipv4.ip_unprivileged_port_start"), Value: "1"})
	case 18:
		sc().WindowsOptions = &corev1.WindowsSecurityContextOptions{HostProcess: ptr.To(g.chance(0.7))}
		if g.chance(0.3) {
			spec.HostNetwork = true
		}
	case 19:
		c.LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Host: g.pick("", "127.0.0.1", "example.com")}}}
	case 20:
		src := g.pick("emptyDir", "configMap", "gcePersistentDisk", "nfs", "secret")
		v := corev1.Volume{Name: fmt.Sprintf("v%d", len(spec.Volumes))}
		switch src {
		case "emptyDir":
			v.EmptyDir = &corev1.EmptyDirVolumeSource{}
		case "configMap":
			v.ConfigMap = &corev1.ConfigMapVolumeSource{}
		case "gcePersistentDisk":
			v.GCEPersistentDisk = &corev1.GCEPersistentDiskVolumeSource{PDName: "d"}
		case "nfs":
			v.NFS = &corev1.NFSVolumeSource{Server: "s", Path: "/"}
		case "secret":
			v.Secret = &corev1.SecretVolumeSource{SecretName: "s"}
		}
		spec.Volumes = append(spec.Volumes, v)
	case 21:
		psc().RunAsUser = ptr.To(int64(0))
	}
	return annotations
}

// pod returns a random pod, sometimes owned by a ReplicaSet or Job.
func (g *gen) pod(ns, name string, runtimeClasses []string) *corev1.Pod {
	annotations, spec := g.podSpec(runtimeClasses)
	p := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Annotations: annotations, Labels: map[string]string{"app": name}},
		Spec:       spec,
	}
	switch g.r.IntN(4) {
	case 0:
		owner := g.pick("web", "api", "worker")
		hash := g.pick("5d4f8", "77c9b")
		p.Labels["pod-template-hash"] = hash
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: owner + "-" + hash, UID: types.UID("rs-" + owner + hash), Controller: ptr.To(true)}}
	case 1:
		owner := g.pick("backup-28391234", "report-28391240")
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: owner, UID: types.UID("job-" + owner), Controller: ptr.To(true)}}
	}
	return p
}

// workload wraps a random pod template in a random workload kind.
func (g *gen) workload(ns, name string, runtimeClasses []string) (runtime.Object, schema.GroupVersionResource, schema.GroupVersionKind) {
	annotations, spec := g.podSpec(runtimeClasses)
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Annotations: annotations, Labels: map[string]string{"app": name}}, Spec: spec}
	om := metav1.ObjectMeta{Name: name, Namespace: ns}
	switch g.r.IntN(9) {
	case 0:
		return &appsv1.Deployment{ObjectMeta: om, Spec: appsv1.DeploymentSpec{Replicas: ptr.To(int32(g.r.IntN(3))), Template: tmpl}},
			schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
	case 1:
		return &appsv1.ReplicaSet{ObjectMeta: om, Spec: appsv1.ReplicaSetSpec{Template: tmpl}},
			schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}, schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "ReplicaSet"}
	case 2:
		return &appsv1.StatefulSet{ObjectMeta: om, Spec: appsv1.StatefulSetSpec{Template: tmpl}},
			schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}, schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "StatefulSet"}
	case 3:
		return &appsv1.DaemonSet{ObjectMeta: om, Spec: appsv1.DaemonSetSpec{Template: tmpl}},
			schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "daemonsets"}, schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "DaemonSet"}
	case 4:
		return &batchv1.Job{ObjectMeta: om, Spec: batchv1.JobSpec{Template: tmpl}},
			schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}, schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "Job"}
	case 5:
		return &batchv1.CronJob{ObjectMeta: om, Spec: batchv1.CronJobSpec{Schedule: "@hourly", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: tmpl}}}},
			schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "cronjobs"}, schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "CronJob"}
	case 6:
		rc := &corev1.ReplicationController{ObjectMeta: om}
		if g.chance(0.9) {
			rc.Spec.Template = &tmpl
		}
		return rc, schema.GroupVersionResource{Version: "v1", Resource: "replicationcontrollers"}, schema.GroupVersionKind{Version: "v1", Kind: "ReplicationController"}
	case 7:
		return &corev1.PodTemplate{ObjectMeta: om, Template: tmpl},
			schema.GroupVersionResource{Version: "v1", Resource: "podtemplates"}, schema.GroupVersionKind{Version: "v1", Kind: "PodTemplate"}
	default:
		return &appsv1.Deployment{ObjectMeta: om, Spec: appsv1.DeploymentSpec{Replicas: ptr.To(int32(0)), Template: tmpl}},
			schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
	}
}

// level returns a random level label value, sometimes invalid.
func (g *gen) level() string {
	return g.pick("privileged", "baseline", "restricted", "restricted", "baseline", "Restricted", "", "bogus")
}

// version returns a random version label value, sometimes invalid or newer
// than the newest known version.
func (g *gen) version() string {
	return g.pick("latest", "latest", "v1.0", "v1.22", "v1.23", "v1.25", "v1.30", "v1.37", "v1.38", "v1.999", "v1.01", "1.25", "v2.0", "", "v1.")
}

// labels returns random namespace labels: each Pod Security label absent,
// valid or invalid, plus an unrelated label.
func (g *gen) labels() map[string]string {
	if g.chance(0.1) {
		return nil
	}
	l := map[string]string{"team": "x"}
	for _, k := range []string{EnforceLevelLabel, AuditLevelLabel, WarnLevelLabel} {
		if g.chance(0.5) {
			l[k] = g.level()
		}
	}
	for _, k := range []string{EnforceVersionLabel, AuditVersionLabel, WarnVersionLabel} {
		if g.chance(0.35) {
			l[k] = g.version()
		}
	}
	return l
}

// validLevel and validVersion return random valid configuration values.
func (g *gen) validLevel() string {
	return g.pick("privileged", "privileged", "baseline", "restricted")
}
func (g *gen) validVersion() string {
	return g.pick("latest", "latest", "v1.0", "v1.24", "v1.37", "v1.40")
}
