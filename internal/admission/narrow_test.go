package admission

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

const exemptionsYAML = `apiVersion: kubeward.io/v1alpha1
kind: PodSecurityExemptions
exemptions:
- name: agent-privileged
  namespace: mon
  kind: DaemonSet
  workloadName: node-agent
  checks: [privileged, hostPathVolumes]
  reason: reads host logs (SEC-1)
- name: web-debug
  namespace: mon
  kind: Deployment
  workloadName: web
  checks: [privileged]
  containers: [debug]
  reason: debug sidecar (SEC-2)
- name: tools-image
  namespace: mon
  kind: CronJob
  workloadName: backup
  checks: [privileged]
  images: ["registry.example.com/tools/*"]
  reason: backup tool needs raw devices (SEC-3)
- name: web-apparmor
  namespace: mon
  kind: Deployment
  workloadName: web
  checks: [appArmorProfile]
  containers: [debug]
  reason: debug sidecar traces syscalls (SEC-4)
- name: old
  namespace: mon
  kind: Pod
  workloadName: legacy
  checks: [privileged]
  reason: migrated by Q3
  expires: "2026-01-01T00:00:00Z"
`

func TestParseExemptions(t *testing.T) {
	c, err := ParseExemptions([]byte(exemptionsYAML))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Exemptions) != 5 || !c.Exemptions[4].ExpiresAt().Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("unexpected exemptions: %+v", c.Exemptions)
	}
	if got := c.Expired(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); !slices.Equal(got, []string{"old"}) {
		t.Errorf("Expired = %q, want [old]", got)
	}
	if got := c.Expired(time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)); len(got) != 0 {
		t.Errorf("Expired before expiry = %q", got)
	}

	bad := `apiVersion: kubeward.io/v1
kind: PodSecurityExemptions
exemptions:
- name: Bad_Name
  namespace: mon
  kind: Deployment
  workloadName: web
  checks: [privileged]
  reason: x
- name: dup
  namespace: ""
  kind: Service
  workloadName: web
  checks: [privilege, privileged, privileged]
  reason: " "
  expires: tomorrow
- name: dup
  namespace: mon
  kind: Pod
  workloadName: p
  checks: []
  containers: [Bad]
  images: ["", "a*b"]
  reason: x
`
	_, err = ParseExemptions([]byte(bad))
	if err == nil {
		t.Fatal("ParseExemptions accepted an invalid file")
	}
	want := []string{
		`apiVersion: Unsupported value: "kubeward.io/v1"`,
		`exemptions[0].name: Invalid value: "Bad_Name"`,
		`exemptions[1].namespace: Required value`,
		`exemptions[1].kind: Unsupported value: "Service"`,
		`exemptions[1].checks[0]: Invalid value: "privilege": unknown Pod Security check ID`,
		`exemptions[1].checks[2]: Duplicate value: "privileged"`,
		`exemptions[1].reason: Required value`,
		`exemptions[1].expires: Invalid value: "tomorrow"`,
		`exemptions[2].name: Duplicate value: "dup"`,
		`exemptions[2].checks: Required value`,
		`exemptions[2].containers[0]: Invalid value: "Bad"`,
		`exemptions[2].images[0]: Invalid value: ""`,
		`exemptions[2].images[1]: Invalid value: "a*b"`,
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Errorf("got %d problems, want %d:\n%v", len(lines), len(want), err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not mention %q", w)
		}
	}

	if _, err := ParseExemptions([]byte("apiVersion: kubeward.io/v1alpha1\nkind: PodSecurityExemptions\nexemptions:\n- name: a\n  bogus: 1\n")); err == nil || !strings.Contains(err.Error(), `unknown field "bogus"`) {
		t.Errorf("unknown field: got %v", err)
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "ex.yaml")
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadExemptions(path); err == nil || !strings.HasPrefix(err.Error(), path+": ") {
		t.Errorf("LoadExemptions does not name the file: %v", err)
	}
	if _, err := LoadExemptions(filepath.Join(dir, "nope.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadExemptions(missing) = %v", err)
	}
}

// narrowFixture returns an Admission for namespace "mon" enforcing
// restricted, with the exemptions above, at a fixed time.
func narrowFixture(t *testing.T, extra ...Options) (*Admission, *events) {
	t.Helper()
	ex, err := ParseExemptions([]byte(exemptionsYAML))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{namespaces: map[string]*corev1.Namespace{
		"mon":   {ObjectMeta: metav1.ObjectMeta{Name: "mon", Labels: map[string]string{EnforceLevelLabel: "baseline", WarnLevelLabel: "baseline"}}},
		"other": {ObjectMeta: metav1.ObjectMeta{Name: "other", Labels: map[string]string{EnforceLevelLabel: "baseline"}}},
	}}
	rec := &events{}
	o := Options{Exemptions: ex, Namespaces: ourNamespaces{w}, Pods: ourPods{w}, Recorder: rec,
		Now: func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }}
	a, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return a, rec
}

func privileged(name, image string) corev1.Container {
	return corev1.Container{Name: name, Image: image, SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}
}

func hostPathVolume() []corev1.Volume {
	return []corev1.Volume{{Name: "logs", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/log"}}}}
}

func ownedPod(ns, name string, labels map[string]string, owner metav1.OwnerReference, spec corev1.PodSpec) *corev1.Pod {
	owner.Controller = ptr.To(true)
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels, OwnerReferences: []metav1.OwnerReference{owner}}, Spec: spec}
}

func podCreate(p *corev1.Pod) *Request {
	return &Request{Name: p.Name, Namespace: p.Namespace, Operation: "CREATE", Kind: podGVK, Resource: podsGVR, Object: p}
}

func TestNarrowExemptions(t *testing.T) {
	forbidden := func(name, msg string) *Response {
		return forbiddenResponse(&Request{Resource: podsGVR, Name: name}, msg)
	}
	withAnnotations := func(r *Response, kv ...string) *Response {
		r.AuditAnnotations = map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			r.AuditAnnotations[kv[i]] = kv[i+1]
		}
		return r
	}
	dsOwner := metav1.OwnerReference{APIVersion: "apps/v1", Kind: "DaemonSet", Name: "node-agent", UID: "ds"}
	tests := []struct {
		name   string
		req    *Request
		want   *Response
		events []string
	}{
		{
			name:   "daemonset pod: both checks exempt",
			req:    podCreate(ownedPod("mon", "node-agent-x", nil, dsOwner, corev1.PodSpec{Containers: []corev1.Container{privileged("agent", "agent:1")}, Volumes: hostPathVolume()})),
			want:   withAnnotations(&Response{Allowed: true}, AnnotationEnforcePolicy, "baseline:latest", AnnotationNarrowExemptions, "agent-privileged"),
			events: []string{`eval allow baseline:latest enforce create pod ""`, "narrow agent-privileged"},
		},
		{
			name: "daemonset pod: other violations still deny",
			req: podCreate(ownedPod("mon", "node-agent-x", nil, dsOwner, corev1.PodSpec{HostNetwork: true,
				Containers: []corev1.Container{privileged("agent", "agent:1")}})),
			want: withAnnotations(forbidden("node-agent-x", `violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true)`),
				AnnotationEnforcePolicy, "baseline:latest", AnnotationNarrowExemptions, "agent-privileged"),
			events: []string{`eval deny baseline:latest enforce create pod ""`, "narrow agent-privileged"},
		},
		{
			name: "same pod in another namespace is not exempt",
			req:  podCreate(ownedPod("other", "node-agent-x", nil, dsOwner, corev1.PodSpec{Containers: []corev1.Container{privileged("agent", "agent:1")}})),
			want: withAnnotations(forbidden("node-agent-x", `violates PodSecurity "baseline:latest": privileged (container "agent" must not set securityContext.privileged=true)`),
				AnnotationEnforcePolicy, "baseline:latest"),
			events: []string{`eval deny baseline:latest enforce create pod ""`},
		},
		{
			name: "deployment pod: only the debug container is exempt",
			req: podCreate(ownedPod("mon", "web-5d4f8-abcde", map[string]string{"pod-template-hash": "5d4f8"},
				metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-5d4f8", UID: "rs"},
				corev1.PodSpec{Containers: []corev1.Container{privileged("web", "web:1"), privileged("debug", "busybox")}})),
			want: withAnnotations(forbidden("web-5d4f8-abcde", `violates PodSecurity "baseline:latest": privileged (container "web" must not set securityContext.privileged=true)`),
				AnnotationEnforcePolicy, "baseline:latest", AnnotationNarrowExemptions, "web-debug"),
			events: []string{`eval deny baseline:latest enforce create pod ""`, "narrow web-debug"},
		},
		{
			name: "deployment pod: debug container alone is admitted",
			req: podCreate(ownedPod("mon", "web-5d4f8-abcde", map[string]string{"pod-template-hash": "5d4f8"},
				metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-5d4f8", UID: "rs"},
				corev1.PodSpec{Containers: []corev1.Container{restrictedContainer("web", "web:1"), privileged("debug", "busybox")}})),
			want:   withAnnotations(&Response{Allowed: true}, AnnotationEnforcePolicy, "baseline:latest", AnnotationNarrowExemptions, "web-debug"),
			events: []string{`eval allow baseline:latest enforce create pod ""`, "narrow web-debug"},
		},
		{
			name: "deployment pod: apparmor annotation of the exempt container only",
			req: podCreate(func() *corev1.Pod {
				p := ownedPod("mon", "web-5d4f8-abcde", map[string]string{"pod-template-hash": "5d4f8"},
					metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-5d4f8", UID: "rs"},
					corev1.PodSpec{Containers: []corev1.Container{restrictedContainer("web", "web:1"), restrictedContainer("debug", "busybox")}})
				p.Annotations = map[string]string{
					"container.apparmor.security.beta.kubernetes.io/debug": "unconfined",
					"container.apparmor.security.beta.kubernetes.io/web":   "unconfined",
				}
				return p
			}()),
			want: withAnnotations(forbidden("web-5d4f8-abcde", `violates PodSecurity "baseline:latest": forbidden AppArmor profile (annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/web="unconfined"")`),
				AnnotationEnforcePolicy, "baseline:latest", AnnotationNarrowExemptions, "web-apparmor"),
			events: []string{`eval deny baseline:latest enforce create pod ""`, "narrow web-apparmor"},
		},
		{
			name: "replicaset without the template hash is not the deployment's",
			req: podCreate(ownedPod("mon", "web-5d4f8-abcde", nil,
				metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-5d4f8", UID: "rs"},
				corev1.PodSpec{Containers: []corev1.Container{privileged("debug", "busybox")}})),
			want: withAnnotations(forbidden("web-5d4f8-abcde", `violates PodSecurity "baseline:latest": privileged (container "debug" must not set securityContext.privileged=true)`),
				AnnotationEnforcePolicy, "baseline:latest"),
			events: []string{`eval deny baseline:latest enforce create pod ""`},
		},
		{
			name: "cronjob pod: image prefix",
			req: podCreate(ownedPod("mon", "backup-28391234-xyz", nil,
				metav1.OwnerReference{APIVersion: "batch/v1", Kind: "Job", Name: "backup-28391234", UID: "job"},
				corev1.PodSpec{Containers: []corev1.Container{privileged("tool", "registry.example.com/tools/dd:1"), privileged("other", "registry.example.com/app:1")}})),
			want: withAnnotations(forbidden("backup-28391234-xyz", `violates PodSecurity "baseline:latest": privileged (container "other" must not set securityContext.privileged=true)`),
				AnnotationEnforcePolicy, "baseline:latest", AnnotationNarrowExemptions, "tools-image"),
			events: []string{`eval deny baseline:latest enforce create pod ""`, "narrow tools-image"},
		},
		{
			name: "expired exemption does not apply and is reported",
			req:  podCreate(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "legacy", Namespace: "mon"}, Spec: corev1.PodSpec{Containers: []corev1.Container{privileged("app", "app:1")}}}),
			want: withAnnotations(forbidden("legacy", `violates PodSecurity "baseline:latest": privileged (container "app" must not set securityContext.privileged=true)`),
				AnnotationEnforcePolicy, "baseline:latest", AnnotationExpiredExemptions, "old"),
			events: []string{`eval deny baseline:latest enforce create pod ""`},
		},
		{
			name:   "exemption matching a compliant pod is not recorded",
			req:    podCreate(ownedPod("mon", "node-agent-y", nil, dsOwner, corev1.PodSpec{Containers: []corev1.Container{restrictedContainer("agent", "agent:1")}})),
			want:   withAnnotations(&Response{Allowed: true}, AnnotationEnforcePolicy, "baseline:latest"),
			events: []string{`eval allow baseline:latest enforce create pod ""`},
		},
		{
			name: "daemonset request: warning dropped",
			req: &Request{Name: "node-agent", Namespace: "mon", Operation: "CREATE",
				Kind: schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "DaemonSet"}, Resource: schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "daemonsets"},
				Object: &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "node-agent", Namespace: "mon"}, Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{
					Spec: corev1.PodSpec{Containers: []corev1.Container{privileged("agent", "agent:1")}, Volumes: hostPathVolume()}}}}},
			want:   withAnnotations(&Response{Allowed: true}, AnnotationNarrowExemptions, "agent-privileged"),
			events: []string{"narrow agent-privileged"},
		},
		{
			name: "cronjob request: warning narrowed",
			req: &Request{Name: "backup", Namespace: "mon", Operation: "CREATE",
				Kind: schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "CronJob"}, Resource: schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "cronjobs"},
				Object: &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "backup", Namespace: "mon"}, Spec: batchv1.CronJobSpec{JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{
					Spec: corev1.PodSpec{Containers: []corev1.Container{privileged("tool", "registry.example.com/tools/dd:1"), privileged("x", "x")}}}}}}}},
			want: withAnnotations(&Response{Allowed: true, Warnings: []string{`would violate PodSecurity "baseline:latest": privileged (container "x" must not set securityContext.privileged=true)`}},
				AnnotationNarrowExemptions, "tools-image"),
			events: []string{`eval deny baseline:latest warn create controller ""`, "narrow tools-image"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, rec := narrowFixture(t)
			got := a.Validate(context.Background(), tt.req)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("response (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.events, rec.list); d != "" {
				t.Errorf("metric events (-want +got):\n%s", d)
			}
		})
	}
}

func TestNewRejectsInvalidOptions(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Defaults.Enforce = "strict"
	cfg.Exemptions.Usernames = []string{""}
	_, err := New(Options{Config: cfg, Exemptions: &ExemptionsConfig{APIVersion: ExemptionsAPIVersion, Kind: ExemptionsKind,
		Exemptions: []NarrowExemption{{Name: "x"}}}, FullNamespaceDryRun: true})
	if err == nil {
		t.Fatal("New accepted invalid options")
	}
	for _, w := range []string{`defaults.enforce: Invalid value: "strict"`, "exemptions.usernames[0]", "exemptions[0].namespace: Required value",
		"namespace getter is required", "pod lister is required", "workload lister is required"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not mention %q:\n%v", w, err)
		}
	}
	// A hand-built configuration is defaulted, and the caller's value is not modified.
	w := &world{}
	in := &PodSecurityConfiguration{Defaults: PodSecurityDefaults{Enforce: "baseline"}}
	a, err := New(Options{Config: in, Namespaces: ourNamespaces{w}, Pods: ourPods{w}})
	if err != nil {
		t.Fatal(err)
	}
	if p := a.DefaultPolicy(); lvString(p.Enforce) != "baseline:latest" || lvString(p.Warn) != "privileged:latest" {
		t.Errorf("default policy = %+v", p)
	}
	if in.Defaults.Warn != "" {
		t.Errorf("New modified the caller's configuration")
	}
}

type workloads []runtime.Object

func (w workloads) ListWorkloads(context.Context, string) ([]runtime.Object, error) { return w, nil }

func TestFullNamespaceDryRun(t *testing.T) {
	w := &world{pods: map[string][]*corev1.Pod{}}
	for i := range DefaultNamespaceMaxPodsToCheck + 5 {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p%05d", i), Namespace: "shop"},
			Spec: corev1.PodSpec{Containers: []corev1.Container{restrictedContainer("c", "x")}}}
		if i == DefaultNamespaceMaxPodsToCheck+4 { // the last pod: beyond Kubernetes' limit
			p.Spec.HostNetwork = true
		}
		w.pods["shop"] = append(w.pods["shop"], p)
	}
	tmpl := func(spec corev1.PodSpec) corev1.PodTemplateSpec { return corev1.PodTemplateSpec{Spec: spec} }
	bad := corev1.PodSpec{Containers: []corev1.Container{privileged("c", "x")}}
	wl := workloads{
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "idle"}, Spec: appsv1.DeploymentSpec{Replicas: ptr.To(int32(0)), Template: tmpl(bad)}},
		&batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "nightly"}, Spec: batchv1.CronJobSpec{JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: tmpl(bad)}}}},
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "good"}, Spec: appsv1.DeploymentSpec{Template: tmpl(corev1.PodSpec{Containers: []corev1.Container{restrictedContainer("c", "x")}})}},
		&corev1.ReplicationController{ObjectMeta: metav1.ObjectMeta{Name: "empty"}},
	}
	req := &Request{Name: "shop", Namespace: "shop", Kind: nsGVK, Resource: nsGVR, Operation: "UPDATE",
		Object:    &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: map[string]string{EnforceLevelLabel: "restricted"}}},
		OldObject: &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}},
	}
	t.Run("kubernetes limits", func(t *testing.T) {
		a, err := New(Options{Namespaces: ourNamespaces{w}, Pods: ourPods{w}})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"new PodSecurity enforce level only checked against the first 3000 of 3005 existing pods"}
		if d := cmp.Diff(want, a.Validate(context.Background(), req).Warnings); d != "" {
			t.Errorf("warnings (-want +got):\n%s", d)
		}
	})
	t.Run("full", func(t *testing.T) {
		a, err := New(Options{Namespaces: ourNamespaces{w}, Pods: ourPods{w}, Workloads: wl, FullNamespaceDryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			`existing pods in namespace "shop" violate the new PodSecurity enforce level "restricted:latest"`,
			"p03004: host namespaces",
			`existing workloads in namespace "shop" violate the new PodSecurity enforce level "restricted:latest"`,
			"CronJob nightly (and 1 other workload): privileged, allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile",
		}
		if d := cmp.Diff(want, a.Validate(context.Background(), req).Warnings); d != "" {
			t.Errorf("warnings (-want +got):\n%s", d)
		}
	})
}

func TestNarrowExemptionsInNamespaceDryRun(t *testing.T) {
	ex, err := ParseExemptions([]byte(exemptionsYAML))
	if err != nil {
		t.Fatal(err)
	}
	dsOwner := metav1.OwnerReference{APIVersion: "apps/v1", Kind: "DaemonSet", Name: "node-agent", UID: "ds"}
	w := &world{pods: map[string][]*corev1.Pod{"mon": {
		ownedPod("mon", "node-agent-a", nil, dsOwner, corev1.PodSpec{Containers: []corev1.Container{privileged("agent", "agent:1")}, Volumes: hostPathVolume()}),
		{ObjectMeta: metav1.ObjectMeta{Name: "stray", Namespace: "mon"}, Spec: corev1.PodSpec{Containers: []corev1.Container{privileged("x", "x")}}},
	}}}
	a, err := New(Options{Exemptions: ex, Namespaces: ourNamespaces{w}, Pods: ourPods{w}})
	if err != nil {
		t.Fatal(err)
	}
	req := &Request{Name: "mon", Namespace: "mon", Kind: nsGVK, Resource: nsGVR, Operation: "UPDATE",
		Object:    &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "mon", Labels: map[string]string{EnforceLevelLabel: "baseline"}}},
		OldObject: &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "mon"}},
	}
	want := []string{
		`existing pods in namespace "mon" violate the new PodSecurity enforce level "baseline:latest"`,
		"stray: privileged",
	}
	if d := cmp.Diff(want, a.Validate(context.Background(), req).Warnings); d != "" {
		t.Errorf("warnings (-want +got):\n%s", d)
	}
}
