package render

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v4/pkg/chart/common"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
)

const demo = "testdata/charts/demo"

func TestHelmDetect(t *testing.T) {
	tests := []struct {
		dir  string
		want bool
	}{
		{demo, true},
		{"testdata/charts/demo/charts/sub", true},
		{"testdata/charts", false},
		{"testdata/kust/overlay", false},
		{"testdata/does-not-exist", false},
		{"testdata/charts/demo/Chart.yaml", false},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			if got := NewHelm(HelmOptions{}).Detect(tt.dir); got != tt.want {
				t.Errorf("Detect(%q) = %v, want %v", tt.dir, got, tt.want)
			}
		})
	}
}

func TestHelmName(t *testing.T) {
	if got := NewHelm(HelmOptions{}).Name(); got != "helm" {
		t.Errorf("Name() = %q", got)
	}
}

// row is an object and its Source, in output order.
type row struct{ ID, Source string }

func rows(ds []doc) []row {
	var out []row
	for _, d := range ds {
		out = append(out, row{id(d), d.Source})
	}
	return out
}

func TestHelmDefaultValues(t *testing.T) {
	out, err := NewHelm(HelmOptions{}).Render(demo)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "helm-demo.yaml", out)
	ds := docs(t, out)

	// What helm template prints for the chart: manifests in install order
	// (ServiceAccount, ConfigMap, Role, Service, Deployment; a file's
	// documents in file order within a kind), then the hooks, test hooks
	// included, ordered by kind. Not printed: NOTES.txt, partials, crds/
	// (no --include-crds), templates that render empty, and the disabled
	// "cache" alias of the subchart.
	want := []row{
		{"ServiceAccount/default/release-name-demo", "testdata/charts/demo/templates/rbac.yaml"},
		{"ConfigMap/default/release-name-sub", "testdata/charts/demo/charts/sub/templates/configmap.yaml"},
		{"ConfigMap/default/release-name-demo-env", "testdata/charts/demo/templates/capabilities.yaml"},
		{"Role/default/release-name-demo", "testdata/charts/demo/templates/rbac.yaml"},
		{"Service/default/release-name-demo", "testdata/charts/demo/templates/service.yaml"},
		{"Deployment/default/release-name-demo", "testdata/charts/demo/templates/deployment.yaml"},
		{"Pod/default/release-name-demo-test", "testdata/charts/demo/templates/tests/test-connection.yaml"},
		{"Job/default/release-name-demo-migrate", "testdata/charts/demo/templates/pre-install-job.yaml"},
	}
	if diff := cmp.Diff(want, rows(ds)); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}

	objs := byID(t, ds)
	checks := []struct {
		id, path string
		want     any
	}{
		{"Deployment/default/release-name-demo", "spec.replicas", 1.0},
		{"Deployment/default/release-name-demo", "spec.template.spec.securityContext.runAsNonRoot", true},
		{"Deployment/default/release-name-demo", "metadata.labels", map[string]any{
			"app.kubernetes.io/name": "demo", "app.kubernetes.io/instance": "release-name"}},
		// lookup finds nothing: no cluster is contacted.
		{"Deployment/default/release-name-demo", "metadata.annotations", map[string]any{"demo/lookup": "absent"}},
		// The parent's values reach the subchart.
		{"ConfigMap/default/release-name-sub", "data.greeting", "hello"},
		// Release and capabilities as helm template sets them.
		{"ConfigMap/default/release-name-demo-env", "data", map[string]any{
			"kubeVersion": common.DefaultCapabilities.KubeVersion.Version,
			"hasApps":     "true",
			"isInstall":   "true",
			"service":     "Helm",
		}},
		{"Job/default/release-name-demo-migrate", "metadata.annotations", map[string]any{
			"helm.sh/hook": "pre-install", "helm.sh/hook-weight": "-5"}},
	}
	for _, c := range checks {
		if got := field(objs[c.id].Obj, c.path); !cmp.Equal(got, c.want) {
			t.Errorf("%s %s = %v, want %v", c.id, c.path, got, c.want)
		}
	}
	if got := field(objs["Pod/default/release-name-demo-test"].Obj, "metadata.annotations").(map[string]any)["helm.sh/hook"]; got != "test" {
		t.Errorf("test hook annotation = %v", got)
	}
	for _, absent := range []string{"Installed release-name", "CustomResourceDefinition", "release-name-demo-extra"} {
		if strings.Contains(string(out), absent) {
			t.Errorf("output contains %q", absent)
		}
	}
}

func TestHelmOptions(t *testing.T) {
	h := NewHelm(HelmOptions{
		// Later files win; --set wins over files; --set applies in order.
		ValueFiles:  []string{"testdata/values/more.yaml", "testdata/values/prod.yaml"},
		Set:         []string{"extra=x,service.port=8443", "cache.greeting=set-by-flag"},
		ReleaseName: "shop",
		Namespace:   "prod",
		KubeVersion: "v1.31.4",
	})
	out, err := h.Render(demo)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "helm-demo-options.yaml", out)
	ds := docs(t, out)
	want := []row{
		{"ServiceAccount/prod/shop-demo", "testdata/charts/demo/templates/rbac.yaml"},
		// The alias enabled by prod.yaml renders the same template file.
		{"ConfigMap/prod/shop-cache", "testdata/charts/demo/charts/sub/templates/configmap.yaml"},
		{"ConfigMap/prod/shop-sub", "testdata/charts/demo/charts/sub/templates/configmap.yaml"},
		{"ConfigMap/prod/shop-demo-env", "testdata/charts/demo/templates/capabilities.yaml"},
		{"ConfigMap/shop-demo-extra", "testdata/charts/demo/templates/disabled.yaml"},
		{"Role/prod/shop-demo", "testdata/charts/demo/templates/rbac.yaml"},
		{"Service/prod/shop-demo", "testdata/charts/demo/templates/service.yaml"},
		{"Deployment/prod/shop-demo", "testdata/charts/demo/templates/deployment.yaml"},
		{"Pod/prod/shop-demo-test", "testdata/charts/demo/templates/tests/test-connection.yaml"},
		{"Job/prod/shop-demo-migrate", "testdata/charts/demo/templates/pre-install-job.yaml"},
	}
	if diff := cmp.Diff(want, rows(ds)); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	objs := byID(t, ds)
	checks := []struct {
		id, path string
		want     any
	}{
		{"Deployment/prod/shop-demo", "spec.replicas", 5.0},
		{"ConfigMap/prod/shop-cache", "data.greeting", "set-by-flag"},
		{"ConfigMap/prod/shop-sub", "data.greeting", "hello"},
		{"ConfigMap/prod/shop-demo-env", "data.kubeVersion", "v1.31.4"},
		{"ConfigMap/shop-demo-extra", "data.extra", "x"},
	}
	for _, c := range checks {
		if got := field(objs[c.id].Obj, c.path); !cmp.Equal(got, c.want) {
			t.Errorf("%s %s = %v, want %v", c.id, c.path, got, c.want)
		}
	}
	ctr := field(objs["Deployment/prod/shop-demo"].Obj, "spec.template.spec.containers").([]any)[0].(map[string]any)
	if got := ctr["image"]; got != "registry.example.com/nginx:1.27-prod" {
		t.Errorf("image = %v (more.yaml sets the repository, prod.yaml the tag)", got)
	}
	svcPorts := field(objs["Service/prod/shop-demo"].Obj, "spec.ports").([]any)
	if got := svcPorts[0].(map[string]any)["port"]; got != 8443.0 {
		t.Errorf("service port = %v, want 8443 from --set", got)
	}
}

func TestHelmOptionsNotShared(t *testing.T) {
	opts := HelmOptions{Set: []string{"replicaCount=2"}}
	h := NewHelm(opts)
	opts.Set[0] = "replicaCount=9"
	out, err := h.Render(demo)
	if err != nil {
		t.Fatal(err)
	}
	if got := field(byID(t, docs(t, out))["Deployment/default/release-name-demo"].Obj, "spec.replicas"); got != 2.0 {
		t.Errorf("replicas = %v: NewHelm must copy its options", got)
	}
}

func TestHelmAbsoluteAndOutsideCwd(t *testing.T) {
	abs, err := filepath.Abs(demo)
	if err != nil {
		t.Fatal(err)
	}
	out, err := NewHelm(HelmOptions{}).Render(abs)
	if err != nil {
		t.Fatal(err)
	}
	if got := docs(t, out)[0].Source; got != "testdata/charts/demo/templates/rbac.yaml" {
		t.Errorf("absolute dir below cwd: Source = %q", got)
	}
}

func TestHelmArchivedSubchart(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"Chart.yaml":        "apiVersion: v2\nname: top\nversion: 1.0.0\ndependencies:\n- name: lib\n  version: 0.2.0\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: top\n",
	})
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, data := range map[string]string{
		"lib/Chart.yaml":          "apiVersion: v2\nname: lib\nversion: 0.2.0\n",
		"lib/templates/sa.yaml":   "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {{ .Chart.Name }}\n",
		"lib/templates/_h.tpl":    "{{- define \"x\" }}{{ end }}\n",
		"lib/templates/NOTES.txt": "sub notes\n",
	} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "charts", "lib-0.2.0.tgz")
	if err := os.MkdirAll(filepath.Dir(archive), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(archive, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	out, err := NewHelm(HelmOptions{}).Render(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []row{
		// Outside the working directory: absolute paths; inside an archive:
		// the archive's path, then the file's path in the chart.
		{"ServiceAccount/lib", filepath.Join(archive, "templates", "sa.yaml")},
		{"ConfigMap/top", filepath.Join(dir, "templates", "cm.yaml")},
	}
	if diff := cmp.Diff(want, rows(docs(t, out))); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
}

func TestHelmErrors(t *testing.T) {
	tests := []struct {
		name string
		dir  string
		opts HelmOptions
		want []string // substrings of the error
	}{
		{"template syntax error", "testdata/charts/bad-syntax", HelmOptions{},
			[]string{"helm chart testdata/charts/bad-syntax:", "parse error at (testdata/charts/bad-syntax/templates/configmap.yaml:5)"}},
		{"template execution error", demo, HelmOptions{Set: []string{"image.tag=null"}},
			[]string{"helm chart testdata/charts/demo:", "execution error at (testdata/charts/demo/templates/deployment.yaml:26:", "image.tag is required"}},
		{"rendered YAML does not parse", "testdata/charts/bad-yaml", HelmOptions{},
			[]string{"YAML parse error on testdata/charts/bad-yaml/templates/configmap.yaml", "line 6"}},
		{"dependency not vendored", "testdata/charts/missing-dep", HelmOptions{},
			[]string{"helm chart testdata/charts/missing-dep:", "missing in charts/ directory: postgresql"}},
		{"library chart", "testdata/charts/library", HelmOptions{},
			[]string{"library charts are not installable"}},
		{"kubeVersion constraint", demo, HelmOptions{KubeVersion: "1.19"},
			[]string{"chart requires kubeVersion: >=1.20.0-0 which is incompatible with Kubernetes v1.19"}},
		{"bad --set", demo, HelmOptions{Set: []string{"list[abc]=1"}},
			[]string{`parsing --set "list[abc]=1"`, "error parsing index"}},
		{"bad kube version", demo, HelmOptions{KubeVersion: "banana"},
			[]string{`kube version "banana"`}},
		{"bad release name", demo, HelmOptions{ReleaseName: "Not_Valid"},
			[]string{`release name "Not_Valid"`}},
		{"missing values file", demo, HelmOptions{ValueFiles: []string{"testdata/values/nope.yaml"}},
			[]string{"reading values file", "testdata/values/nope.yaml"}},
		{"malformed values file", demo, HelmOptions{ValueFiles: []string{"testdata/values/broken.yaml"}},
			[]string{"parsing values file testdata/values/broken.yaml"}},
		{"not a chart", "testdata/kust/base", HelmOptions{},
			[]string{"helm chart testdata/kust/base:", "Chart.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := NewHelm(tt.opts).Render(tt.dir)
			if err == nil {
				t.Fatalf("Render succeeded:\n%s", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestHelmOptionsValidate(t *testing.T) {
	if err := (HelmOptions{Set: []string{"a=1,b.c=2", "d[0]=x"}, ReleaseName: "ok", KubeVersion: "1.30"}).Validate(); err != nil {
		t.Errorf("Validate() = %v, want nil", err)
	}
	err := HelmOptions{Set: []string{"list[abc]=1", "ok=1", "novalue"}, ReleaseName: "Bad_Name", KubeVersion: "x"}.Validate()
	if err == nil {
		t.Fatal("Validate() = nil, want errors")
	}
	for _, w := range []string{`--set "list[abc]=1"`, `--set "novalue"`, `release name "Bad_Name"`, `kube version "x"`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
	if strings.Contains(err.Error(), `"ok=1"`) {
		t.Errorf("error %q names a valid --set", err)
	}
}

func TestMergeValues(t *testing.T) {
	a := map[string]any{"x": 1, "m": map[string]any{"a": 1, "b": 2}, "r": map[string]any{"k": 1}}
	b := map[string]any{"y": 2, "m": map[string]any{"b": 3, "c": 4}, "r": "scalar"}
	got := mergeValues(a, b)
	want := map[string]any{"x": 1, "y": 2, "m": map[string]any{"a": 1, "b": 3, "c": 4}, "r": "scalar"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mergeValues (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"a": 1, "b": 2}, a["m"]); diff != "" {
		t.Errorf("mergeValues changed its input (-want +got):\n%s", diff)
	}
}

// TestHelmSchemeSideEffect documents a side effect of linking Helm's chart
// package: at init it registers apiextensions.k8s.io v1 and v1beta1 in
// client-go's scheme.Scheme, which internal/manifest consults to decide
// which kinds are built in. Should Helm stop doing so, this test says so.
func TestHelmSchemeSideEffect(t *testing.T) {
	for _, v := range []string{"v1", "v1beta1"} {
		gvk := schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: v, Kind: "CustomResourceDefinition"}
		if !scheme.Scheme.Recognizes(gvk) {
			t.Errorf("client-go scheme does not recognize %s", gvk)
		}
	}
}
