package podsecurity

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// everythingPod violates every check at once.
func everythingPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "bad", Annotations: map[string]string{
			"container.apparmor.security.beta.kubernetes.io/app":    "unconfined",
			"seccomp.security.alpha.kubernetes.io/pod":              "unconfined",
			"container.seccomp.security.alpha.kubernetes.io/setup":  "localhost/ok",
			"container.seccomp.security.alpha.kubernetes.io/app":    "docker/unknown",
			"container.seccomp.security.alpha.kubernetes.io/absent": "unconfined",
		}},
		Spec: corev1.PodSpec{
			HostNetwork: true,
			HostPID:     true,
			HostUsers:   ptrTo(true),
			SecurityContext: &corev1.PodSecurityContext{
				RunAsUser:       ptrTo(int64(0)),
				SeccompProfile:  &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined},
				AppArmorProfile: &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined},
				SELinuxOptions:  &corev1.SELinuxOptions{Role: "sysadm_r"},
				WindowsOptions:  &corev1.WindowsSecurityContextOptions{HostProcess: ptrTo(true)},
				Sysctls:         []corev1.Sysctl{{Name: "kernel.shm_rmid_forced"}, {Name: "vm.swappiness"}},
			},
			InitContainers: []corev1.Container{{
				Name: "setup",
				SecurityContext: &corev1.SecurityContext{
					Privileged:   ptrTo(true),
					RunAsNonRoot: ptrTo(false),
					ProcMount:    ptrTo(corev1.UnmaskedProcMount),
				},
			}},
			Containers: []corev1.Container{{
				Name:  "app",
				Ports: []corev1.ContainerPort{{ContainerPort: 8080, HostPort: 8080}},
				LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
					HTTPGet: &corev1.HTTPGetAction{Host: "10.0.0.1", Port: intstr.FromInt32(8080)}}},
				SecurityContext: &corev1.SecurityContext{
					Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN"}},
				},
			}},
			Volumes: []corev1.Volume{{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}},
		},
	}
}

var update = flag.Bool("update", false, "rewrite golden files")

// TestGoldenViolations pins every violation of a pod that breaks every
// check, with its fields and fixes, at a few levels and versions. Run with
// -update to rewrite testdata/violations.golden after reviewing the change.
func TestGoldenViolations(t *testing.T) {
	p := everythingPod()
	var b strings.Builder
	for _, s := range []string{"baseline:v1.18", "baseline:latest", "restricted:v1.18", "restricted:latest"} {
		lv := mustLV(t, s)
		b.WriteString("== " + s + "\n")
		for _, v := range Default.Evaluate(lv, &p.ObjectMeta, &p.Spec) {
			b.WriteString(v.Check + ": " + v.Message() + "\n")
			for _, f := range v.Fields {
				b.WriteString("    " + f.Path)
				if f.Container != "" {
					b.WriteString(" (container " + f.Container + ")")
				}
				b.WriteString(": " + string(f.Fix.Op))
				if f.Fix.Value != "" {
					b.WriteString(" " + f.Fix.Value)
				}
				b.WriteString("\n")
			}
		}
		if diff := compareWithOracle(t, Default, lv, &p.ObjectMeta, &p.Spec); diff != "" {
			t.Errorf("differs from Kubernetes: %s", diff)
		}
	}
	golden := filepath.Join("testdata", "violations.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("violations differ from %s (-want +got):\n%s", golden, diff)
	}
}
