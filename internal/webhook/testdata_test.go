package webhook

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var update = flag.Bool("update", false, "rewrite testdata/reviews from the Go definitions in testdata_test.go")

// The review fixtures are AdmissionReviews shaped as kube-apiserver sends
// them: objects after defaulting (terminationMessagePath, dnsPolicy,
// tolerations, the service account token volume, managedFields, ...), so
// that decoding cost is representative.

func ptr[T any](v T) *T { return &v }

// realisticPod is a defaulted pod as kube-apiserver stores it, created by a
// ReplicaSet. restricted selects a pod meeting restricted:latest; otherwise
// it runs privileged as root with a hostPath volume.
func realisticPod(name string, restricted bool) *corev1.Pod {
	sc := &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr(false),
		RunAsNonRoot:             ptr(true),
		RunAsUser:                ptr(int64(10001)),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		ReadOnlyRootFilesystem:   ptr(true),
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	volumes := []corev1.Volume{
		{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: "web-config"}, DefaultMode: ptr(int32(420))}}},
		{Name: "kube-api-access-7xk2p", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			DefaultMode: ptr(int32(420)),
			Sources: []corev1.VolumeProjection{
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{ExpirationSeconds: ptr(int64(3607)), Path: "token"}},
				{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
					Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
				{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{
					{Path: "namespace", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}}}}},
			}}}},
	}
	if !restricted {
		sc = &corev1.SecurityContext{Privileged: ptr(true), RunAsUser: ptr(int64(0)),
			Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN", "SYS_TIME"}}}
		volumes = append(volumes, corev1.Volume{Name: "host-logs", VolumeSource: corev1.VolumeSource{
			HostPath: &corev1.HostPathVolumeSource{Path: "/var/log", Type: ptr(corev1.HostPathDirectory)}}})
	}
	probe := &corev1.Probe{
		ProbeHandler:     corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080), Scheme: corev1.URISchemeHTTP}},
		TimeoutSeconds:   1,
		PeriodSeconds:    10,
		SuccessThreshold: 1,
		FailureThreshold: 3,
	}
	container := func(cname, image string) corev1.Container {
		return corev1.Container{
			Name:  cname,
			Image: image,
			Args:  []string{"--listen=:8080", "--log-level=info"},
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
			Env: []corev1.EnvVar{
				{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}},
				{Name: "GOMAXPROCS", Value: "2"},
			},
			Resources: corev1.ResourceRequirements{
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
			},
			VolumeMounts: []corev1.VolumeMount{
				{Name: "config", MountPath: "/etc/web", ReadOnly: true},
				{Name: "kube-api-access-7xk2p", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true},
			},
			LivenessProbe:            probe,
			ReadinessProbe:           probe,
			TerminationMessagePath:   "/dev/termination-log",
			TerminationMessagePolicy: corev1.TerminationMessageReadFile,
			ImagePullPolicy:          corev1.PullIfNotPresent,
			SecurityContext:          sc,
		}
	}
	podSC := &corev1.PodSecurityContext{}
	if restricted {
		podSC = &corev1.PodSecurityContext{RunAsNonRoot: ptr(true), FSGroup: ptr(int64(10001)),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}}
	}
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name:              name,
			GenerateName:      "web-7d9c6b5f4-",
			Namespace:         "shop",
			UID:               types.UID("5b1d3c2e-8f0a-4c1b-9d2e-3f4a5b6c7d8e"),
			CreationTimestamp: metav1.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC),
			Labels:            map[string]string{"app.kubernetes.io/name": "web", "app.kubernetes.io/part-of": "shop", "pod-template-hash": "7d9c6b5f4"},
			Annotations:       map[string]string{"kubectl.kubernetes.io/restartedAt": "2026-11-25T10:00:00Z", "prometheus.io/scrape": "true"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-7d9c6b5f4",
				UID: types.UID("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"), Controller: ptr(true), BlockOwnerDeletion: ptr(true)}},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate,
				APIVersion: "v1", Time: ptr(metav1.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)), FieldsType: "FieldsV1",
				FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:metadata":{"f:generateName":{},"f:labels":{".":{},"f:app.kubernetes.io/name":{},"f:pod-template-hash":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\"}":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{},"f:name":{},"f:ports":{}}}}}`)}}},
		},
		Spec: corev1.PodSpec{
			Volumes:                       volumes,
			Containers:                    []corev1.Container{container("web", "registry.example.com/shop/web:1.42.0"), container("metrics", "registry.example.com/shop/exporter:0.9.1")},
			RestartPolicy:                 corev1.RestartPolicyAlways,
			TerminationGracePeriodSeconds: ptr(int64(30)),
			DNSPolicy:                     corev1.DNSClusterFirst,
			ServiceAccountName:            "web",
			DeprecatedServiceAccount:      "web",
			SecurityContext:               podSC,
			SchedulerName:                 "default-scheduler",
			Tolerations: []corev1.Toleration{
				{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr(int64(300))},
				{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr(int64(300))},
			},
			Priority:           ptr(int32(0)),
			EnableServiceLinks: ptr(true),
			PreemptionPolicy:   ptr(corev1.PreemptLowerPriority),
		},
		Status: corev1.PodStatus{Phase: corev1.PodPending, QOSClass: corev1.PodQOSBurstable},
	}
}

func review(uid string, op admissionv1.Operation, gvk metav1.GroupVersionKind, gvr metav1.GroupVersionResource, sub, ns, name string, obj, old runtime.Object) *admissionv1.AdmissionReview {
	raw := func(o runtime.Object) runtime.RawExtension {
		if o == nil {
			return runtime.RawExtension{}
		}
		b, err := json.Marshal(o)
		if err != nil {
			panic(err)
		}
		return runtime.RawExtension{Raw: b}
	}
	return &admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID: types.UID(uid), Kind: gvk, Resource: gvr, SubResource: sub,
			RequestKind: &gvk, RequestResource: &gvr, RequestSubResource: sub,
			Name: name, Namespace: ns, Operation: op,
			UserInfo: authnv1.UserInfo{Username: "system:serviceaccount:kube-system:replicaset-controller",
				UID: "8c2a6f3e-1b4d-4e5f-9a6b-7c8d9e0f1a2b", Groups: []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"}},
			Object: raw(obj), OldObject: raw(old), DryRun: ptr(false),
			Options: runtime.RawExtension{Raw: []byte(`{"kind":"CreateOptions","apiVersion":"meta.k8s.io/v1"}`)},
		},
	}
}

var (
	podGVK        = metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}
	podGVR        = metav1.GroupVersionResource{Version: "v1", Resource: "pods"}
	deploymentGVK = metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
	deploymentGVR = metav1.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	namespaceGVK  = metav1.GroupVersionKind{Version: "v1", Kind: "Namespace"}
	namespaceGVR  = metav1.GroupVersionResource{Version: "v1", Resource: "namespaces"}
)

// fixtureReviews are the review fixtures by file name.
func fixtureReviews() map[string]*admissionv1.AdmissionReview {
	compliant := realisticPod("web-7d9c6b5f4-x2x9k", true)
	violating := realisticPod("web-7d9c6b5f4-x2x9k", false)
	updated := compliant.DeepCopy()
	updated.Spec.Containers[0].Image = "registry.example.com/shop/web:1.43.0"
	ephemeral := compliant.DeepCopy()
	ephemeral.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
		Name: "debugger", Image: "busybox:1.36", Stdin: true, TTY: true,
		SecurityContext: &corev1.SecurityContext{Privileged: ptr(true)}}, TargetContainerName: "web"}}
	deploy := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", Labels: map[string]string{"app.kubernetes.io/name": "web"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(int32(3)),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": "web"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app.kubernetes.io/name": "web"}}, Spec: violating.Spec},
		},
	}
	nsOld := &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: map[string]string{"kubernetes.io/metadata.name": "shop"}}}
	nsNew := nsOld.DeepCopy()
	nsNew.Labels["pod-security.kubernetes.io/enforce"] = "restricted"
	return map[string]*admissionv1.AdmissionReview{
		"pod-create-compliant.json": review("2f5c1c7e-0001-4a55-9d5f-5b3c2b1a0001", admissionv1.Create, podGVK, podGVR, "", "shop", compliant.Name, compliant, nil),
		"pod-create-violating.json": review("2f5c1c7e-0002-4a55-9d5f-5b3c2b1a0002", admissionv1.Create, podGVK, podGVR, "", "shop", violating.Name, violating, nil),
		"pod-update-image.json":     review("2f5c1c7e-0003-4a55-9d5f-5b3c2b1a0003", admissionv1.Update, podGVK, podGVR, "", "shop", compliant.Name, updated, compliant),
		"pod-ephemeralcontainers.json": review("2f5c1c7e-0004-4a55-9d5f-5b3c2b1a0004", admissionv1.Update, podGVK, podGVR, "ephemeralcontainers",
			"shop", compliant.Name, ephemeral, compliant),
		"deployment-create-violating.json": review("2f5c1c7e-0005-4a55-9d5f-5b3c2b1a0005", admissionv1.Create, deploymentGVK, deploymentGVR, "", "shop", "web", deploy, nil),
		"namespace-update-enforce.json":    review("2f5c1c7e-0006-4a55-9d5f-5b3c2b1a0006", admissionv1.Update, namespaceGVK, namespaceGVR, "", "", "shop", nsNew, nsOld),
		// An unlabelled namespace is privileged: Kubernetes answers with a
		// shared response object (whose uid it overwrites per request).
		"pod-create-privileged-ns.json": review("2f5c1c7e-0008-4a55-9d5f-5b3c2b1a0008", admissionv1.Create, podGVK, podGVR, "", "default", compliant.Name, inNamespace(compliant, "default"), nil),
		"pod-exec.json": review("2f5c1c7e-0007-4a55-9d5f-5b3c2b1a0007", admissionv1.Connect, metav1.GroupVersionKind{Version: "v1", Kind: "PodExecOptions"}, podGVR, "exec", "shop", compliant.Name,
			&corev1.PodExecOptions{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "PodExecOptions"}, Stdin: true, TTY: true, Container: "web", Command: []string{"sh"}}, nil),
	}
}

func inNamespace(p *corev1.Pod, ns string) *corev1.Pod {
	p = p.DeepCopy()
	p.Namespace = ns
	return p
}

func TestFixtures(t *testing.T) {
	dir := filepath.Join("testdata", "reviews")
	for name, r := range fixtureReviews() {
		want, err := json.Marshal(r) // compact, as kube-apiserver sends it
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		path := filepath.Join(dir, name)
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run TestFixtures -update)", err)
		}
		if string(got) != string(want) {
			t.Errorf("%s is stale; run go test -run TestFixtures -update", path)
		}
	}
}
