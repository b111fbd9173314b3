package admission

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// benchPods returns a pod meeting restricted:latest and one failing seven of
// its checks, as the API server would send them on create.
func benchPods() (compliant, violating *corev1.Pod) {
	compliant = &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   ptr.To(true),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{
				restrictedContainer("web", "nginx:1.27"),
				restrictedContainer("sidecar", "envoy:1.30"),
			},
		},
	}
	violating = compliant.DeepCopy()
	violating.Spec.SecurityContext = nil
	violating.Spec.HostNetwork = true
	violating.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true)}
	violating.Spec.Containers[1].SecurityContext = nil
	violating.Spec.Volumes = []corev1.Volume{{Name: "logs", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/log"}}}}
	return compliant, violating
}

// BenchmarkValidate measures a pod create in a namespace enforcing
// restricted:latest, for kubeward and, on identical requests, for
// Kubernetes' PodSecurity admission.
func BenchmarkValidate(b *testing.B) {
	compliant, violating := benchPods()
	w := &world{namespaces: map[string]*corev1.Namespace{
		"shop": {ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: map[string]string{EnforceLevelLabel: "restricted"}}},
	}}
	cfg := DefaultConfig()
	ours := newOurs(b, cfg, w, NopRecorder{})
	theirs := newOracle(b, cfg, w, &nopOracleRecorder{})
	ctx := context.Background()
	for _, pc := range []struct {
		name string
		pod  *corev1.Pod
	}{{"compliant", compliant}, {"violating", violating}} {
		req := &Request{UID: "1", Name: pc.pod.Name, Namespace: "shop", Operation: "CREATE", Username: "bob",
			Kind: podGVK, Resource: podsGVR, Object: pc.pod}
		attrs := oracleAttrs(req)
		b.Run(pc.name+"/kubeward", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if r := ours.Validate(ctx, req); r.Allowed != (pc.pod == compliant) {
					b.Fatal("unexpected decision")
				}
			}
		})
		b.Run(pc.name+"/kubernetes", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if r := theirs.Validate(ctx, attrs); r.Allowed != (pc.pod == compliant) {
					b.Fatal("unexpected decision")
				}
			}
		})
	}
}

// BenchmarkValidateNamespaceDryRun measures tightening a namespace with 1000
// existing pods (a third of them violating restricted) to restricted:latest.
func BenchmarkValidateNamespaceDryRun(b *testing.B) {
	compliant, violating := benchPods()
	w := &world{namespaces: map[string]*corev1.Namespace{}, pods: map[string][]*corev1.Pod{}}
	for i := range 1000 {
		p := compliant.DeepCopy()
		if i%3 == 0 {
			p = violating.DeepCopy()
		}
		p.Name = fmt.Sprintf("web-%04d", i)
		p.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "web", UID: types.UID(fmt.Sprintf("rs-%d", i%10)), Controller: ptr.To(true)}}
		w.pods["shop"] = append(w.pods["shop"], p)
	}
	req := &Request{Name: "shop", Namespace: "shop", Kind: nsGVK, Resource: nsGVR, Operation: "UPDATE",
		Object:    &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: map[string]string{EnforceLevelLabel: "restricted"}}},
		OldObject: &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}},
	}
	cfg := DefaultConfig()
	ours := newOurs(b, cfg, w, NopRecorder{})
	theirs := newOracle(b, cfg, w, &nopOracleRecorder{})
	attrs := oracleAttrs(req)
	ctx := context.Background()
	b.Run("kubeward", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if r := ours.Validate(ctx, req); len(r.Warnings) != 2 {
				b.Fatalf("warnings: %q", r.Warnings)
			}
		}
	})
	b.Run("kubernetes", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if r := theirs.Validate(ctx, attrs); len(r.Warnings) != 2 {
				b.Fatalf("warnings: %q", r.Warnings)
			}
		}
	})
}
