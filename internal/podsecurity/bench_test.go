package podsecurity

import (
	"math/rand/v2"
	"runtime"
	"strconv"
	"syscall"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/pod-security-admission/policy"
)

// benchCorpusSize is the number of pods in the benchmark corpus.
const benchCorpusSize = 1200

// benchCorpus returns a deterministic corpus of realistic pods, about half of
// which meet restricted:latest: Deployment-like metadata, one to three
// containers, init containers, probes, ports, volumes of the usual kinds and
// the securityContexts seen in practice, from none at all to fully hardened.
func benchCorpus() []*corev1.Pod {
	rng := rand.New(rand.NewPCG(42, 1337))
	pods := make([]*corev1.Pod, benchCorpusSize)
	for i := range pods {
		pods[i] = realisticPod(rng, i)
	}
	return pods
}

func realisticPod(rng *rand.Rand, i int) *corev1.Pod {
	app := []string{"web", "api", "worker", "cache", "gateway", "billing", "search", "auth"}[rng.IntN(8)]
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:      app + "-7d9f8c6b5-" + strconv.Itoa(10000+i),
			Namespace: []string{"shop", "payments", "platform", "default"}[rng.IntN(4)],
			Labels: map[string]string{
				"app.kubernetes.io/name":      app,
				"app.kubernetes.io/instance":  app + "-prod",
				"app.kubernetes.io/version":   "1." + strconv.Itoa(rng.IntN(20)) + ".0",
				"app.kubernetes.io/component": "server",
				"app.kubernetes.io/part-of":   "shop",
				"pod-template-hash":           "7d9f8c6b5",
			},
			Annotations: map[string]string{
				"kubectl.kubernetes.io/restartedAt": "2026-01-12T10:00:00Z",
				"checksum/config":                   "3f2a9c1e0b7d4e5f6a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f",
				"prometheus.io/scrape":              "true",
				"prometheus.io/port":                "9090",
			},
		},
	}
	spec := &p.Spec
	spec.ServiceAccountName = app
	spec.TerminationGracePeriodSeconds = ptrTo(int64(30))

	// Hardening profile: half fully restricted, the rest the usual shortfalls.
	profile := rng.IntN(20)
	hardened := profile < 10
	if hardened || profile < 14 {
		spec.SecurityContext = &corev1.PodSecurityContext{
			RunAsNonRoot: ptrTo(true),
			RunAsUser:    ptrTo(int64(10001)),
			RunAsGroup:   ptrTo(int64(10001)),
			FSGroup:      ptrTo(int64(10001)),
		}
		if hardened || profile == 10 {
			spec.SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
		}
	}
	mk := func(name string, port int32) corev1.Container {
		c := corev1.Container{
			Name:  name,
			Image: "registry.example.com/" + app + "/" + name + ":1.4.2",
			Args:  []string{"--config=/etc/" + app + "/config.yaml", "--log-level=info"},
			Env: []corev1.EnvVar{
				{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
				{Name: "LOG_FORMAT", Value: "json"},
			},
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
			},
			VolumeMounts: []corev1.VolumeMount{{Name: "config", MountPath: "/etc/" + app}, {Name: "tmp", MountPath: "/tmp"}},
		}
		if port != 0 {
			c.Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: port}, {Name: "metrics", ContainerPort: 9090}}
			c.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/readyz", Port: intstr.FromString("http")}}, PeriodSeconds: 5}
			c.LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}}, InitialDelaySeconds: 10}
			if rng.IntN(4) == 0 {
				c.StartupProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(port)}}}
			}
		}
		switch {
		case hardened:
			c.SecurityContext = &corev1.SecurityContext{
				AllowPrivilegeEscalation: ptrTo(false),
				ReadOnlyRootFilesystem:   ptrTo(true),
				Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			}
			if port != 0 && port < 1024 {
				c.SecurityContext.Capabilities.Add = []corev1.Capability{"NET_BIND_SERVICE"}
			}
		case profile < 13:
			// Hardened but missing one thing.
			c.SecurityContext = &corev1.SecurityContext{ReadOnlyRootFilesystem: ptrTo(true)}
			if profile != 11 {
				c.SecurityContext.AllowPrivilegeEscalation = ptrTo(false)
			}
			if profile != 12 {
				c.SecurityContext.Capabilities = &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}
			}
		case profile < 17:
			// No securityContext at all: the most common case in the wild.
		case profile < 19:
			c.SecurityContext = &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN", "SYS_TIME"}}}
		default:
			c.SecurityContext = &corev1.SecurityContext{Privileged: ptrTo(true), RunAsUser: ptrTo(int64(0))}
		}
		return c
	}
	spec.Containers = append(spec.Containers, mk(app, []int32{8080, 80, 3000, 8443}[rng.IntN(4)]))
	for n := rng.IntN(3); n > 0; n-- {
		spec.Containers = append(spec.Containers, mk([]string{"envoy", "log-shipper", "metrics-exporter"}[n-1], int32(15000+n)))
	}
	if rng.IntN(3) == 0 {
		spec.InitContainers = append(spec.InitContainers, mk("migrate", 0))
	}
	spec.Volumes = []corev1.Volume{
		{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: app + "-config"}}}},
		{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		{Name: "kube-api-access", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}}}}}},
	}
	if rng.IntN(4) == 0 {
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: app + "-tls"}}})
	}
	if rng.IntN(5) == 0 {
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: app + "-data"}}})
	}
	if !hardened && profile >= 17 {
		// Node agents: host namespaces and host paths.
		spec.HostNetwork = profile == 19
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: "varlog", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/log"}}})
	}
	return p
}

var benchSink int

// BenchmarkEvaluate compares our evaluator with Kubernetes' on the same
// corpus, and on its pods that meet restricted:latest (-compliant) and those
// that do not (-noncompliant). One op evaluates the whole set; ns/pod,
// cpu-ns/pod, B/pod and allocs/pod are per pod. The oracle runs EvaluatePod then AggregateCheckResults, as
// Kubernetes' admission does, to get the failing checks' reasons and details.
func BenchmarkEvaluate(b *testing.B) {
	corpus := benchCorpus()
	var compliant, failing []*corev1.Pod
	for _, p := range corpus {
		if Default.Allowed(LevelVersion{LevelRestricted, LatestVersion()}, &p.ObjectMeta, &p.Spec) {
			compliant = append(compliant, p)
		} else {
			failing = append(failing, p)
		}
	}
	oracle := oracleEvaluator
	for _, l := range []Level{LevelRestricted, LevelBaseline} {
		lv := LevelVersion{l, LatestVersion()}
		alv := toAPI(lv)
		for _, set := range []struct {
			suffix string
			pods   []*corev1.Pod
		}{{"", corpus}, {"-compliant", compliant}, {"-noncompliant", failing}} {
			pods := set.pods
			b.Run("kubeward/"+l.String()+set.suffix, func(b *testing.B) {
				runPerPod(b, len(pods), func() {
					for _, p := range pods {
						benchSink += len(Default.Evaluate(lv, &p.ObjectMeta, &p.Spec))
					}
				})
			})
			// kubeward-reasons is what admission runs: the same reasons and
			// details as the oracle produces, without fields and fixes.
			b.Run("kubeward-reasons/"+l.String()+set.suffix, func(b *testing.B) {
				runPerPod(b, len(pods), func() {
					for _, p := range pods {
						benchSink += len(Default.EvaluateReasons(lv, &p.ObjectMeta, &p.Spec))
					}
				})
			})
			b.Run("oracle/"+l.String()+set.suffix, func(b *testing.B) {
				runPerPod(b, len(pods), func() {
					for _, p := range pods {
						agg := policy.AggregateCheckResults(oracle.EvaluatePod(alv, &p.ObjectMeta, &p.Spec))
						benchSink += len(agg.ForbiddenReasons)
					}
				})
			})
		}
	}
}

// runPerPod runs op (which evaluates n pods) b.N times and reports per-pod
// figures. Besides wall time (ns/pod) it reports the process's CPU time per
// pod (cpu-ns/pod, garbage collection included), which stays meaningful on
// a machine shared with other work.
func runPerPod(b *testing.B, n int, op func()) {
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	cpuBefore := processCPU()
	for b.Loop() {
		op()
	}
	b.StopTimer()
	cpu := processCPU() - cpuBefore
	runtime.ReadMemStats(&after)
	pods := float64(b.N) * float64(n)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/pods, "ns/pod")
	if cpu > 0 {
		b.ReportMetric(float64(cpu)/pods, "cpu-ns/pod")
	}
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/pods, "B/pod")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/pods, "allocs/pod")
}

// processCPU returns the user and system CPU time the process has used, in
// nanoseconds, or 0 where it cannot be read.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// TestBenchCorpus checks the corpus is what the benchmark says it is.
func TestBenchCorpus(t *testing.T) {
	corpus := benchCorpus()
	compliant := 0
	for _, p := range corpus {
		if Default.Allowed(LevelVersion{LevelRestricted, LatestVersion()}, &p.ObjectMeta, &p.Spec) {
			compliant++
		}
		for _, l := range []Level{LevelBaseline, LevelRestricted} {
			if diff := compareWithOracle(t, Default, LevelVersion{l, LatestVersion()}, &p.ObjectMeta, &p.Spec); diff != "" {
				t.Fatalf("%s: %s", p.Name, diff)
			}
		}
	}
	t.Logf("%d pods, %d meet restricted:latest", len(corpus), compliant)
	if len(corpus) < 1000 || compliant < len(corpus)*4/10 || compliant > len(corpus)*6/10 {
		t.Errorf("corpus has %d pods, %d compliant; want >= 1000, about half", len(corpus), compliant)
	}
}
