package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

func TestKustomizeDetect(t *testing.T) {
	tmp := t.TempDir()
	if err := os.Mkdir(filepath.Join(tmp, "kustomization.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		dir  string
		want bool
	}{
		{"testdata/kust/overlay", true},           // kustomization.yaml
		{"testdata/kust/user-origin", true},       // kustomization.yml
		{"testdata/kust/remote-nested", false},    // only subdirectories
		{"testdata/charts/demo", false},           // a chart
		{"testdata/does-not-exist", false},        // missing
		{"testdata/kust/base/deploy.yaml", false}, // a file
		{tmp, false}, // a directory named kustomization.yaml
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			if got := (Kustomize{}).Detect(tt.dir); got != tt.want {
				t.Errorf("Detect(%q) = %v, want %v", tt.dir, got, tt.want)
			}
		})
	}

	t.Run("Kustomization", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "Kustomization"), []byte("resources: []\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if !(Kustomize{}).Detect(dir) {
			t.Errorf("Detect(%q) = false for a Kustomization file", dir)
		}
	})
}

func TestKustomizeName(t *testing.T) {
	if got := (Kustomize{}).Name(); got != "kustomize" {
		t.Errorf("Name() = %q", got)
	}
}

func TestKustomizeOverlay(t *testing.T) {
	out, err := Kustomize{}.Render("testdata/kust/overlay")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "kust-overlay.yaml", out)
	ds := docs(t, out)

	// Order and sources: the legacy order of kubectl kustomize (ServiceAccount,
	// ConfigMap, Service, Deployment); each object named by the file it came
	// from, the generated ConfigMap by the kustomization that generates it.
	type row struct{ ID, Source string }
	var got []row
	for _, d := range ds {
		got = append(got, row{id(d), d.Source})
	}
	want := []row{
		{"ServiceAccount/shop/prod-web", "testdata/kust/overlay/serviceaccount.yaml"},
		{"ConfigMap/shop/prod-web-config-hf678c7m2b", "testdata/kust/base/kustomization.yaml"},
		{"Service/shop/prod-web", "testdata/kust/base/service.yaml"},
		{"Deployment/shop/prod-web", "testdata/kust/base/deploy.yaml"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}

	objs := byID(t, ds)
	dep := objs["Deployment/shop/prod-web"].Obj
	checks := []struct {
		path string
		want any
	}{
		// The strategic merge patch of the overlay.
		{"spec.replicas", 3.0},
		{"spec.template.spec.securityContext.runAsNonRoot", true},
		{"spec.template.spec.securityContext.seccompProfile.type", "RuntimeDefault"},
		// Name references follow the prefix and the generated hash.
		{"spec.template.spec.serviceAccountName", "prod-web"},
		// labels without includeSelectors: metadata only.
		{"metadata.labels.env", "prod"},
		{"spec.selector.matchLabels.env", nil},
		// The origin annotation used for Source is gone.
		{"metadata.annotations", nil},
	}
	for _, c := range checks {
		if got := field(dep, c.path); !cmp.Equal(got, c.want) {
			t.Errorf("Deployment %s = %v, want %v", c.path, got, c.want)
		}
	}
	ctr := field(dep, "spec.template.spec.containers").([]any)[0].(map[string]any)
	if diff := cmp.Diff(map[string]any{
		"allowPrivilegeEscalation": false,
		"capabilities":             map[string]any{"drop": []any{"ALL"}},
	}, ctr["securityContext"]); diff != "" {
		t.Errorf("container securityContext (-want +got):\n%s", diff)
	}
	if got := field(ctr["envFrom"].([]any)[0].(map[string]any), "configMapRef.name"); got != "prod-web-config-hf678c7m2b" {
		t.Errorf("envFrom configMapRef = %v", got)
	}
	if strings.Contains(string(out), originAnnotation) {
		t.Errorf("output keeps %s", originAnnotation)
	}
}

func TestKustomizeBaseUnchanged(t *testing.T) {
	// Rendering must not alter the kustomization file it reads.
	before, err := os.ReadFile("testdata/kust/base/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Kustomize{}.Render("testdata/kust/base")
	if err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile("testdata/kust/base/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Errorf("kustomization.yaml changed on disk")
	}
	type row struct{ ID, Source string }
	var got []row
	for _, d := range docs(t, out) {
		got = append(got, row{id(d), d.Source})
	}
	want := []row{
		{"ConfigMap/web-config-hf678c7m2b", "testdata/kust/base/kustomization.yaml"},
		{"Service/web", "testdata/kust/base/service.yaml"},
		{"Deployment/web", "testdata/kust/base/deploy.yaml"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
}

func TestKustomizeUserOriginAnnotations(t *testing.T) {
	// A kustomization that asks for origin annotations keeps them, as
	// kubectl kustomize prints them.
	out, err := Kustomize{}.Render("testdata/kust/user-origin")
	if err != nil {
		t.Fatal(err)
	}
	ds := docs(t, out)
	if len(ds) != 1 {
		t.Fatalf("got %d documents, want 1", len(ds))
	}
	if ds[0].Source != "testdata/kust/user-origin/service.yaml" {
		t.Errorf("Source = %q", ds[0].Source)
	}
	if got, _ := field(ds[0].Obj, "metadata.annotations").(map[string]any); got[originAnnotation] != "path: service.yaml\n" {
		t.Errorf("annotations = %v, want the origin annotation kept", got)
	}
}

func TestKustomizeAbsoluteAndOutsideCwd(t *testing.T) {
	abs, err := filepath.Abs("testdata/kust/overlay")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Kustomize{}.Render(abs)
	if err != nil {
		t.Fatal(err)
	}
	if got := docs(t, out)[3].Source; got != "testdata/kust/base/deploy.yaml" {
		t.Errorf("absolute dir below cwd: Source = %q, want it relative to cwd", got)
	}

	tmp := t.TempDir()
	writeFiles(t, tmp, map[string]string{
		"kustomization.yaml": "resources: [cm.yaml]\nnamespace: ns\n",
		"cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
	})
	out, err = Kustomize{}.Render(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := docs(t, out)[0].Source, filepath.Join(tmp, "cm.yaml"); got != want {
		t.Errorf("dir outside cwd: Source = %q, want %q", got, want)
	}
}

func TestKustomizeSortOptions(t *testing.T) {
	// sortOptions in the kustomization win over the legacy order.
	tmp := t.TempDir()
	writeFiles(t, tmp, map[string]string{
		"kustomization.yaml": "sortOptions:\n  order: fifo\nresources: [deploy.yaml, ns.yaml]\n",
		"deploy.yaml":        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n",
		"ns.yaml":            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n",
	})
	out, err := Kustomize{}.Render(tmp)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range docs(t, out) {
		got = append(got, id(d))
	}
	if diff := cmp.Diff([]string{"Deployment/d", "Namespace/n"}, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestKustomizeErrors(t *testing.T) {
	tmp := t.TempDir()
	writeFiles(t, tmp, map[string]string{
		"outside/kustomization.yaml":  "resources: [../secret.yaml]\n",
		"secret.yaml":                 "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n",
		"helm/kustomization.yaml":     "helmCharts:\n- name: x\n  repo: https://charts.example.com\n",
		"badyaml/kustomization.yaml":  "resources: [a\n",
		"patchurl/kustomization.yaml": "resources: [cm.yaml]\npatches:\n- path: https://example.com/p.yaml\n",
		"patchurl/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
	})
	tests := []struct {
		name, dir string
		want      []string // substrings of the error
	}{
		{"missing base", "testdata/kust/missing-base",
			[]string{"kustomization testdata/kust/missing-base/kustomization.yaml:", "../does-not-exist"}},
		{"remote base", "testdata/kust/remote",
			[]string{"kustomization testdata/kust/remote/kustomization.yaml:", `resources entry "https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.4.3" is remote`, "not fetched"}},
		{"remote base in a local base", "testdata/kust/remote-nested/overlay",
			[]string{"kustomization testdata/kust/remote-nested/base/kustomization.yaml:", `"github.com/example/platform/base?ref=v1" is remote`}},
		{"remote patch file", filepath.Join(tmp, "patchurl"),
			[]string{filepath.Join(tmp, "patchurl", "kustomization.yaml"), `patches entry "https://example.com/p.yaml" is remote`}},
		{"file outside the root", filepath.Join(tmp, "outside"),
			[]string{filepath.Join(tmp, "outside", "kustomization.yaml"), "is not in or below"}},
		{"helm inflation is off", filepath.Join(tmp, "helm"),
			[]string{filepath.Join(tmp, "helm", "kustomization.yaml"), "--enable-helm"}},
		{"malformed kustomization", filepath.Join(tmp, "badyaml"),
			[]string{filepath.Join(tmp, "badyaml", "kustomization.yaml")}},
		{"no kustomization", "testdata/charts/demo",
			[]string{"testdata/charts/demo: no kustomization file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Kustomize{}.Render(tt.dir)
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

func TestIsRemote(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"../base", false},
		{"deploy.yaml", false},
		{"overlays/prod", false},
		{"github-stuff/base", false},
		{"user@host/not-scp", false},
		{"", false},
		{"https://github.com/org/repo//base?ref=v1", true},
		{"HTTP://example.com/x.yaml", true},
		{"ssh://git@github.com/org/repo", true},
		{"file:///srv/repo//base", true},
		{"git::https://gitlab.com/org/repo", true},
		{"github.com/org/repo/base?ref=v1", true},
		{"github.com:org/repo", true},
		{"git@github.com:org/repo.git", true},
		{"git@gitlab.example.com:org/repo//base", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := isRemote(tt.in); got != tt.want {
				t.Errorf("isRemote(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestWithOriginAnnotations(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantMeta []string // buildMetadata after; nil: unchanged input
		wantUser bool
	}{
		{"added", "resources: [a.yaml]\n", []string{"originAnnotations"}, false},
		{"appended", "buildMetadata: [managedByLabel]\n", []string{"managedByLabel", "originAnnotations"}, false},
		{"already there", "buildMetadata:\n- originAnnotations\n", nil, true},
		{"not a mapping", "- a\n- b\n", nil, false},
		{"malformed", "resources: [a\n", nil, false},
		{"buildMetadata not a list", "buildMetadata: x\n", nil, false},
		{"two documents", "a: 1\n---\nb: 2\n", nil, false},
		{"explicit empty tag kept by re-encoding fails, append works", "a: !\nb: 1", []string{"originAnnotations"}, false},
		{"trailing document marker", "resources: [a.yaml]\n---\n", nil, false}, // left to kustomize
		{"flow mapping", "{resources: [a.yaml]}", []string{"originAnnotations"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, user := withOriginAnnotations([]byte(tt.in))
			if user != tt.wantUser {
				t.Errorf("user = %v, want %v", user, tt.wantUser)
			}
			if tt.wantMeta == nil {
				if string(out) != tt.in {
					t.Errorf("changed input %q to %q", tt.in, out)
				}
				return
			}
			var k struct {
				Resources     []string `json:"resources"`
				BuildMetadata []string `json:"buildMetadata"`
			}
			if err := yaml.Unmarshal(out, &k); err != nil {
				t.Fatalf("output does not parse: %v\n%s", err, out)
			}
			if diff := cmp.Diff(tt.wantMeta, k.BuildMetadata); diff != "" {
				t.Errorf("buildMetadata (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWithOriginAnnotationsAppends(t *testing.T) {
	// Where a line can be appended the lines above are kept, so that
	// kustomize's messages about the file keep their line numbers.
	in := "# comment\nresources:\n  - a.yaml # trailing\npatches:\n  - patch: |-\n      x: 1\n"
	out, _ := withOriginAnnotations([]byte(in))
	if want := in + "buildMetadata: [originAnnotations]\n"; string(out) != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

func FuzzWithOriginAnnotations(f *testing.F) {
	for _, s := range []string{
		"resources: [a.yaml]\n",
		"buildMetadata: [managedByLabel]\n",
		"buildMetadata:\n- originAnnotations\n",
		"patches:\n- patch: |-\n    - op: add\n      path: /x\n      value: 1\n",
		"{}",
		"- a\n",
		"a: &x {b: 1}\nc: *x\n",
	} {
		f.Add([]byte(s))
	}
	for _, name := range []string{"testdata/kust/base/kustomization.yaml", "testdata/kust/overlay/kustomization.yaml"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, user := withOriginAnnotations(in)
		if user || string(out) == string(in) {
			return
		}
		// A rewrite keeps every other key and adds originAnnotations.
		var before, after map[string]any
		if err := yaml.Unmarshal(in, &before); err != nil {
			return // sigs.k8s.io/yaml is stricter than yaml.v3 on some inputs
		}
		if err := yaml.Unmarshal(out, &after); err != nil {
			t.Fatalf("rewrite does not parse: %v\nin: %q\nout: %q", err, in, out)
		}
		meta, _ := after["buildMetadata"].([]any)
		if len(meta) == 0 || meta[len(meta)-1] != "originAnnotations" {
			t.Fatalf("buildMetadata = %v\nin: %q\nout: %q", after["buildMetadata"], in, out)
		}
		delete(before, "buildMetadata")
		delete(after, "buildMetadata")
		if diff := cmp.Diff(before, after); diff != "" {
			t.Fatalf("rewrite changed other keys (-before +after):\n%s", diff)
		}
	})
}

// writeFiles writes files (slash-separated paths relative to dir).
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
