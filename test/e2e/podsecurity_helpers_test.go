//go:build e2e

// Package e2e holds kubeward's end-to-end tests: they run against a real
// kube-apiserver and etcd started by test/e2e/controlplane. Run them with
// hack/e2e.sh (or go test -tags e2e ./test/e2e/...).
package e2e

import (
	"context"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// Pod Security namespace labels.
const (
	psaEnforce        = "pod-security.kubernetes.io/enforce"
	psaEnforceVersion = "pod-security.kubernetes.io/enforce-version"
	psaAudit          = "pod-security.kubernetes.io/audit"
	psaAuditVersion   = "pod-security.kubernetes.io/audit-version"
	psaWarn           = "pod-security.kubernetes.io/warn"
	psaWarnVersion    = "pod-security.kubernetes.io/warn-version"
)

// Names configured in testdata/podsecurity-config.yaml.
const (
	psaExemptUser         = "e2e-exempt-user"
	psaExemptNamespace    = "e2e-exempt-ns"
	psaExemptRuntimeClass = "e2e-exempt-rc"
)

// psaConfigFile returns the absolute path of testdata/podsecurity-config.yaml.
func psaConfigFile(t testing.TB) string {
	t.Helper()
	return psaTestdata(t, "podsecurity-config.yaml")
}

func psaTestdata(t testing.TB, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// psaAdmissionConfig is the AdmissionConfiguration that hands the
// PodSecurityConfiguration file at path to kube-apiserver's built-in plugin.
func psaAdmissionConfig(path string) string {
	return `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  path: ` + path + "\n"
}

// psaPod returns a pod with one container "c" and no security settings
// (baseline: compliant; restricted: four violations), changed by muts.
func psaPod(name string, muts ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "c", Image: "registry.example/app:1"}},
		},
	}
	for _, m := range muts {
		m(p)
	}
	return p
}

// psaRestricted makes a pod compliant with restricted:latest.
func psaRestricted(p *corev1.Pod) {
	p.Spec.SecurityContext = &corev1.PodSecurityContext{
		RunAsNonRoot:   ptr.To(true),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	for i := range p.Spec.Containers {
		p.Spec.Containers[i].SecurityContext = &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		}
	}
}

// psaPrivileged makes the first container privileged (violates baseline).
func psaPrivileged(p *corev1.Pod) {
	if p.Spec.Containers[0].SecurityContext == nil {
		p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{}
	}
	p.Spec.Containers[0].SecurityContext.Privileged = ptr.To(true)
}

func psaNamespace(name string, labels map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

// psaCreateRuntimeClasses creates the RuntimeClasses pods in the tests name
// (the RuntimeClass admission plugin rejects pods naming a missing one).
func psaCreateRuntimeClasses(t testing.TB, cs kubernetes.Interface, names ...string) {
	t.Helper()
	for _, n := range names {
		rc := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: n}, Handler: "runc"}
		if _, err := cs.NodeV1().RuntimeClasses().Create(context.Background(), rc, metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating RuntimeClass %s: %v", n, err)
		}
	}
}

// Message parts of a psaPod (one container "c", nothing set) at restricted.
const psaRestrictedViolations = `allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ` +
	`unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ` +
	`runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ` +
	`seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`
