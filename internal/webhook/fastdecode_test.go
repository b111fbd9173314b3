package webhook

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/kubeward/kubeward/internal/podsecurity"
)

// The fast decoder must equal the complete decoder on every field it
// claims to read, and lead to the same Pod Security evaluation at every
// level and version. The corpus: our review fixtures and the ~300 pods of
// Kubernetes' own Pod Security conformance fixtures (every check's passing
// and failing cases).

// projectPod is what the fast path should produce from a completely
// decoded pod: the read fields (see fastdecode.go), with volume sources
// other than hostPath reduced to their presence.
func projectPod(in *corev1.Pod) *corev1.Pod {
	return &corev1.Pod{TypeMeta: in.TypeMeta, ObjectMeta: projectMeta(in.ObjectMeta), Spec: projectSpec(in.Spec)}
}

func projectMeta(in metav1.ObjectMeta) metav1.ObjectMeta {
	out := metav1.ObjectMeta{Name: in.Name, GenerateName: in.GenerateName, Namespace: in.Namespace, UID: in.UID,
		Labels: in.Labels, Annotations: in.Annotations}
	if in.OwnerReferences != nil {
		out.OwnerReferences = []metav1.OwnerReference{}
		for _, r := range in.OwnerReferences {
			out.OwnerReferences = append(out.OwnerReferences, metav1.OwnerReference{APIVersion: r.APIVersion, Kind: r.Kind,
				Name: r.Name, UID: r.UID, Controller: r.Controller, BlockOwnerDeletion: r.BlockOwnerDeletion})
		}
	}
	return out
}

func projectSpec(in corev1.PodSpec) corev1.PodSpec {
	out := corev1.PodSpec{HostNetwork: in.HostNetwork, HostPID: in.HostPID, HostIPC: in.HostIPC, HostUsers: in.HostUsers,
		RuntimeClassName: in.RuntimeClassName}
	if in.OS != nil {
		out.OS = &corev1.PodOS{Name: in.OS.Name}
	}
	if sc := in.SecurityContext; sc != nil {
		out.SecurityContext = &corev1.PodSecurityContext{SELinuxOptions: sc.SELinuxOptions, RunAsUser: sc.RunAsUser,
			RunAsNonRoot: sc.RunAsNonRoot, Sysctls: sc.Sysctls, SeccompProfile: sc.SeccompProfile, AppArmorProfile: sc.AppArmorProfile}
		if w := sc.WindowsOptions; w != nil {
			out.SecurityContext.WindowsOptions = &corev1.WindowsSecurityContextOptions{HostProcess: w.HostProcess}
		}
	}
	if in.Volumes != nil {
		out.Volumes = []corev1.Volume{}
		for _, v := range in.Volumes {
			pv := corev1.Volume{Name: v.Name}
			src, dst := reflect.ValueOf(&v.VolumeSource).Elem(), reflect.ValueOf(&pv.VolumeSource).Elem()
			for i := range src.NumField() {
				if f := src.Field(i); !f.IsNil() {
					dst.Field(i).Set(reflect.New(f.Type().Elem()))
				}
			}
			if v.HostPath != nil {
				pv.HostPath = &corev1.HostPathVolumeSource{Path: v.HostPath.Path, Type: v.HostPath.Type}
			}
			out.Volumes = append(out.Volumes, pv)
		}
	}
	out.InitContainers = projectContainers(in.InitContainers)
	out.Containers = projectContainers(in.Containers)
	if in.EphemeralContainers != nil {
		out.EphemeralContainers = []corev1.EphemeralContainer{}
		for _, e := range in.EphemeralContainers {
			c := projectContainer(corev1.Container(e.EphemeralContainerCommon))
			out.EphemeralContainers = append(out.EphemeralContainers, corev1.EphemeralContainer{
				EphemeralContainerCommon: corev1.EphemeralContainerCommon(c), TargetContainerName: e.TargetContainerName})
		}
	}
	return out
}

func projectContainers(in []corev1.Container) []corev1.Container {
	if in == nil {
		return nil
	}
	out := []corev1.Container{}
	for _, c := range in {
		out = append(out, projectContainer(c))
	}
	return out
}

func projectContainer(c corev1.Container) corev1.Container {
	out := corev1.Container{Name: c.Name, Image: c.Image}
	if c.Ports != nil {
		out.Ports = []corev1.ContainerPort{}
		for _, p := range c.Ports {
			out.Ports = append(out.Ports, corev1.ContainerPort{ContainerPort: p.ContainerPort, HostPort: p.HostPort})
		}
	}
	if sc := c.SecurityContext; sc != nil {
		out.SecurityContext = &corev1.SecurityContext{Capabilities: sc.Capabilities, Privileged: sc.Privileged,
			SELinuxOptions: sc.SELinuxOptions, RunAsUser: sc.RunAsUser, RunAsNonRoot: sc.RunAsNonRoot,
			AllowPrivilegeEscalation: sc.AllowPrivilegeEscalation, ProcMount: sc.ProcMount,
			SeccompProfile: sc.SeccompProfile, AppArmorProfile: sc.AppArmorProfile}
		if w := sc.WindowsOptions; w != nil {
			out.SecurityContext.WindowsOptions = &corev1.WindowsSecurityContextOptions{HostProcess: w.HostProcess}
		}
	}
	out.LivenessProbe = projectProbe(c.LivenessProbe)
	out.ReadinessProbe = projectProbe(c.ReadinessProbe)
	out.StartupProbe = projectProbe(c.StartupProbe)
	if l := c.Lifecycle; l != nil {
		out.Lifecycle = &corev1.Lifecycle{PostStart: projectHandler(l.PostStart), PreStop: projectHandler(l.PreStop)}
	}
	return out
}

func projectProbe(p *corev1.Probe) *corev1.Probe {
	if p == nil {
		return nil
	}
	out := &corev1.Probe{}
	out.HTTPGet, out.TCPSocket = projectHosts(p.HTTPGet, p.TCPSocket)
	return out
}

func projectHandler(h *corev1.LifecycleHandler) *corev1.LifecycleHandler {
	if h == nil {
		return nil
	}
	out := &corev1.LifecycleHandler{}
	out.HTTPGet, out.TCPSocket = projectHosts(h.HTTPGet, h.TCPSocket)
	return out
}

func projectHosts(h *corev1.HTTPGetAction, t *corev1.TCPSocketAction) (*corev1.HTTPGetAction, *corev1.TCPSocketAction) {
	var oh *corev1.HTTPGetAction
	var ot *corev1.TCPSocketAction
	if h != nil {
		oh = &corev1.HTTPGetAction{Host: h.Host}
	}
	if t != nil {
		ot = &corev1.TCPSocketAction{Host: t.Host}
	}
	return oh, ot
}

// evalLevels are every level/version the decision can ask for (with
// -short, the versions where checks changed most).
func evalLevels() []podsecurity.LevelVersion {
	minors := []int{0, 8, 19, 22, 25, 30, 33, 34, 37}
	if !testing.Short() {
		minors = minors[:0]
		for m := 0; m <= 37; m++ {
			minors = append(minors, m)
		}
	}
	var out []podsecurity.LevelVersion
	for _, l := range []podsecurity.Level{podsecurity.LevelBaseline, podsecurity.LevelRestricted} {
		out = append(out, podsecurity.LevelVersion{Level: l, Version: podsecurity.LatestVersion()})
		for _, minor := range minors {
			out = append(out, podsecurity.LevelVersion{Level: l, Version: podsecurity.MajorMinor(minor)})
		}
	}
	return out
}

// corpusPods returns pods as JSON: the review fixtures' objects and
// Kubernetes' conformance fixtures.
func corpusPods(tb testing.TB) map[string][]byte {
	tb.Helper()
	out := map[string][]byte{}
	for name, r := range fixtureReviews() {
		for which, raw := range map[string][]byte{"object": r.Request.Object.Raw, "oldObject": r.Request.OldObject.Raw} {
			if len(raw) > 0 && r.Request.Kind.Kind == "Pod" {
				out[name+"/"+which] = raw
			}
		}
	}
	dir := upstreamFixtureDir(tb)
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*", "*", "*.yaml"))
	for _, f := range files {
		y, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		j, err := yaml.YAMLToJSON(y)
		if err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		rel, _ := filepath.Rel(dir, f)
		out[rel] = j
	}
	return out
}

// upstreamFixtureDir finds k8s.io/pod-security-admission's test fixtures
// (in the module cache; the module is a test dependency, so it is there).
func upstreamFixtureDir(tb testing.TB) string {
	tb.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "k8s.io/pod-security-admission").Output()
	if err != nil {
		tb.Fatalf("locating k8s.io/pod-security-admission: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "test", "testdata")
	if _, err := os.Stat(dir); err != nil {
		tb.Fatalf("Kubernetes' Pod Security fixtures: %v", err)
	}
	return dir
}

// checkFastPod compares the fast decode of raw with the complete one. It
// returns false when the fast path declined.
func checkFastPod(t *testing.T, raw []byte) bool {
	t.Helper()
	var full corev1.Pod
	fullErr := kjson.UnmarshalCaseSensitivePreserveInts(raw, &full)
	podKind := resources[schema.GroupResource{Resource: "pods"}]
	fast, _ := fastObject(raw, podKind, nil).(*corev1.Pod)
	if fast == nil {
		return false
	}
	if fullErr != nil {
		// The one accepted difference: a type error in a field the
		// decision never reads (kube-apiserver never sends one).
		if !strings.Contains(fullErr.Error(), "cannot unmarshal") {
			t.Fatalf("fast path accepted input the complete decoder rejects: %v\n%s", fullErr, raw)
		}
		return true
	}
	if diff := cmp.Diff(projectPod(&full), fast); diff != "" {
		t.Fatalf("fast decode differs from the complete decode (-complete +fast):\n%s\ninput: %s", diff, raw)
	}
	for _, lv := range evalLevels() {
		want := podsecurity.Default.Evaluate(lv, &full.ObjectMeta, &full.Spec)
		got := podsecurity.Default.Evaluate(lv, &fast.ObjectMeta, &fast.Spec)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("evaluation at %s differs (-complete +fast):\n%s", lv, diff)
		}
	}
	return true
}

func TestFastDecodeMatchesComplete(t *testing.T) {
	pods := corpusPods(t)
	if len(pods) < 1000 {
		t.Fatalf("only %d pods in the corpus", len(pods))
	}
	declined := 0
	for name, raw := range pods {
		t.Run(name, func(t *testing.T) {
			if !checkFastPod(t, raw) {
				declined++
			}
		})
	}
	// The corpus is plain apiserver-style JSON: the fast path must take it all.
	if declined > 0 {
		t.Errorf("fast path declined %d of %d corpus pods", declined, len(pods))
	}
}

func TestFastDecodeWorkloads(t *testing.T) {
	spec := realisticPod("x", false).Spec
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"a": "b"}, Annotations: map[string]string{"c": "d"}}, Spec: spec}
	objs := []runtime.Object{
		&appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: metav1.ObjectMeta{Name: "d"}, Spec: appsv1.DeploymentSpec{Template: tmpl, Replicas: ptr(int32(0))}},
		&appsv1.ReplicaSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "ReplicaSet"}, ObjectMeta: metav1.ObjectMeta{Name: "r"}, Spec: appsv1.ReplicaSetSpec{Template: tmpl}},
		&appsv1.StatefulSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"}, ObjectMeta: metav1.ObjectMeta{Name: "s"}, Spec: appsv1.StatefulSetSpec{Template: tmpl}},
		&appsv1.DaemonSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"}, ObjectMeta: metav1.ObjectMeta{Name: "ds"}, Spec: appsv1.DaemonSetSpec{Template: tmpl}},
		&batchv1.Job{TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"}, ObjectMeta: metav1.ObjectMeta{Name: "j"}, Spec: batchv1.JobSpec{Template: tmpl}},
		&batchv1.CronJob{TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"}, ObjectMeta: metav1.ObjectMeta{Name: "cj"},
			Spec: batchv1.CronJobSpec{Schedule: "* * * * *", JobTemplate: batchv1.JobTemplateSpec{ObjectMeta: metav1.ObjectMeta{Name: "jt"}, Spec: batchv1.JobSpec{Template: tmpl}}}},
		&corev1.ReplicationController{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ReplicationController"}, ObjectMeta: metav1.ObjectMeta{Name: "rc"}, Spec: corev1.ReplicationControllerSpec{Template: &tmpl}},
		&corev1.ReplicationController{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ReplicationController"}, ObjectMeta: metav1.ObjectMeta{Name: "rc-empty"}},
		&corev1.PodTemplate{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "PodTemplate"}, ObjectMeta: metav1.ObjectMeta{Name: "pt"}, Template: tmpl},
	}
	for _, o := range objs {
		gvk := o.GetObjectKind().GroupVersionKind()
		t.Run(gvk.Kind+"/"+o.(metav1.Object).GetName(), func(t *testing.T) {
			raw, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			kind := kinds[gvk]
			fast := fastObject(raw, kind, nil)
			if fast == nil {
				t.Fatal("fast path declined")
			}
			full := kind.new()
			if err := kjson.UnmarshalCaseSensitivePreserveInts(raw, full); err != nil {
				t.Fatal(err)
			}
			wantMeta, wantT := templateOf(full)
			gotMeta, gotT := templateOf(fast)
			if diff := cmp.Diff(projectMeta(*wantMeta), *gotMeta); diff != "" {
				t.Errorf("object metadata (-complete +fast):\n%s", diff)
			}
			if (wantT == nil) != (gotT == nil) {
				t.Fatalf("template presence: complete %v, fast %v", wantT != nil, gotT != nil)
			}
			if wantT != nil {
				want := corev1.PodTemplateSpec{ObjectMeta: projectMeta(wantT.ObjectMeta), Spec: projectSpec(wantT.Spec)}
				if diff := cmp.Diff(want, *gotT); diff != "" {
					t.Errorf("template (-complete +fast):\n%s", diff)
				}
			}
		})
	}
}

func templateOf(o runtime.Object) (*metav1.ObjectMeta, *corev1.PodTemplateSpec) {
	switch o := o.(type) {
	case *appsv1.Deployment:
		return &o.ObjectMeta, &o.Spec.Template
	case *appsv1.ReplicaSet:
		return &o.ObjectMeta, &o.Spec.Template
	case *appsv1.StatefulSet:
		return &o.ObjectMeta, &o.Spec.Template
	case *appsv1.DaemonSet:
		return &o.ObjectMeta, &o.Spec.Template
	case *batchv1.Job:
		return &o.ObjectMeta, &o.Spec.Template
	case *batchv1.CronJob:
		return &o.ObjectMeta, &o.Spec.JobTemplate.Spec.Template
	case *corev1.ReplicationController:
		return &o.ObjectMeta, o.Spec.Template
	case *corev1.PodTemplate:
		return &o.ObjectMeta, &o.Template
	}
	panic("unexpected type")
}

// TestFastDecodeDeclines lists inputs the fast path must leave to the
// complete decoder, because their meaning needs its exact rules.
func TestFastDecodeDeclines(t *testing.T) {
	for name, in := range map[string]string{
		"duplicate spec":      `{"spec":{"hostPID":true},"spec":{"hostIPC":true}}`,
		"null spec":           `{"spec":null}`,
		"float port":          `{"spec":{"containers":[{"ports":[{"hostPort":80.0}]}]}}`,
		"overflowing port":    `{"spec":{"containers":[{"ports":[{"hostPort":4294967296}]}]}}`,
		"null volume source":  `{"spec":{"volumes":[{"name":"v","configMap":null}]}}`,
		"bad JSON in skipped": `{"spec":{"nodeName":tru}}`,
		"trailing data":       `{"spec":{}} x`,
		"invalid UTF-8":       "{\"metadata\":{\"name\":\"\xff\"}}",
		"deep nesting":        `{"x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`,
		"string for bool":     `{"spec":{"hostPID":"true"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if o := fastObject([]byte(in), resources[schema.GroupResource{Resource: "pods"}], nil); o != nil {
				t.Errorf("fast path accepted %q", in)
			}
		})
	}
}

// TestFastDecodeEscapes: escaped names and strings are unquoted by jsontext
// on the fast path, to what the complete decoder makes of them.
func TestFastDecodeEscapes(t *testing.T) {
	for name, in := range map[string]string{
		"escaped key":       `{"metadata":{"n\u0061me":"x"}}`,
		"escaped value":     `{"metadata":{"name":"\u0078"}}`,
		"escaped image":     `{"spec":{"containers":[{"name":"c","image":"r\/i:\"1\"\n"}]}}`,
		"escaped label":     `{"metadata":{"labels":{"a\tb":"\u00e9\ud83d\ude00"}}}`,
		"escaped field key": `{"spec":{"host\u0050ID":true,"containers":[{"name":"c","securityContext":{"privil\u0065ged":true}}]}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if !checkFastPod(t, []byte(in)) {
				t.Fatalf("fast path declined %q", in)
			}
		})
	}
}

// TestFastDecodePointsIntoInput: strings read on the fast path are not
// copied; they point into the request body (jsontext parses a bytes.Buffer
// in place). This is what keeps the fast path at a few allocations.
func TestFastDecodePointsIntoInput(t *testing.T) {
	raw := []byte(`{"metadata":{"name":"web"},"spec":{"containers":[{"name":"c","image":"nginx"}]}}`)
	pod, _ := fastObject(raw, resources[schema.GroupResource{Resource: "pods"}], nil).(*corev1.Pod)
	if pod == nil {
		t.Fatal("fast path declined")
	}
	start := uintptr(unsafe.Pointer(&raw[0]))
	for _, s := range []string{pod.Name, pod.Spec.Containers[0].Image} {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		if p < start || p >= start+uintptr(len(raw)) {
			t.Errorf("%q was copied out of the input", s)
		}
	}
}

// FuzzReviewEnvelope: whenever the fast path decodes a review body, the
// complete decoder decodes it too, to the same envelope; an object the fast
// path decoded in the same pass equals the object decoded from its bytes.
//
//	go test ./internal/webhook -run '^$' -fuzz FuzzReviewEnvelope -fuzztime 60s
func FuzzReviewEnvelope(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "reviews", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","userInfo":{"groups":[]},"object":null,"dryRun":true}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast reviewEnvelope
		if !fastReview(body, &fast, nil) {
			return
		}
		var full reviewEnvelope
		if err := kjson.UnmarshalCaseSensitivePreserveInts(body, &full); err != nil {
			t.Fatalf("fast path accepted a body the complete decoder rejects (%v): %q", err, body)
		}
		if diff := cmp.Diff(full, fast, cmpopts.IgnoreUnexported(requestEnvelope{})); diff != "" {
			t.Fatalf("envelopes differ (-complete +fast):\n%s\nbody: %q", diff, body)
		}
		if fast.Request == nil {
			return
		}
		kind := resources[schema.GroupResource{Group: full.Request.Resource.Group, Resource: full.Request.Resource.Resource}]
		for _, o := range []struct {
			name string
			raw  []byte
			got  runtime.Object
		}{{"object", full.Request.Object, fast.Request.object}, {"oldObject", full.Request.OldObject, fast.Request.oldObject}} {
			if o.got == nil {
				continue
			}
			want := fastObject(o.raw, kind, nil)
			if want == nil {
				t.Fatalf("%s decoded in the envelope's pass but not from its bytes: %q", o.name, body)
			}
			if diff := cmp.Diff(want, o.got); diff != "" {
				t.Fatalf("%s differs (-from its bytes +in the envelope's pass):\n%s\nbody: %q", o.name, diff, body)
			}
		}
	})
}

// FuzzFastDecode: on any input the fast path accepts, it agrees with the
// complete decoder (projected) and with its evaluation.
//
//	go test ./internal/webhook -run '^$' -fuzz FuzzFastDecode -fuzztime 60s
func FuzzFastDecode(f *testing.F) {
	for _, raw := range corpusPods(f) {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkFastPod(t, raw)
	})
}

// TestFastDecodeChecksConsumption: a member or element mapping that reads
// less or more than its one value makes the fast path give up instead of
// reading the next member's name as a value or the reverse.
func TestFastDecodeChecksConsumption(t *testing.T) {
	for name, tc := range map[string]struct {
		in  string
		obj func(d *fastDec)
	}{
		"member value left unread": {`{"a":"x","b":"y"}`, func(d *fastDec) { d.obj(func(string) {}) }},
		"member read past its value": {`{"a":"x","b":"y"}`, func(d *fastDec) {
			d.obj(func(string) { d.skip(); d.skip() })
		}},
		"element left unread": {`["x","y"]`, func(d *fastDec) { d.arr(func() {}) }},
		"element read past":   {`["x","y","z"]`, func(d *fastDec) { d.arr(func() { d.skip(); d.skip() }) }},
	} {
		t.Run(name, func(t *testing.T) {
			d := newFastDec([]byte(tc.in), nil)
			defer d.release()
			tc.obj(d)
			if !d.bad {
				t.Errorf("fast path accepted a mapping that did not read exactly one value")
			}
		})
	}
	d := newFastDec([]byte(`{"a":["x",{"b":1}],"c":"y"}`), nil)
	defer d.release()
	d.obj(func(k string) {
		if k == "a" {
			d.arr(func() { d.skip() })
			return
		}
		d.skip()
	})
	d.end()
	if d.bad {
		t.Errorf("fast path gave up on a mapping that read every value once (at offset %d)", d.failAt)
	}
}
