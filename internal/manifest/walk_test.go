package manifest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// repo is a repository as found in the wild: manifests beside Helm charts,
// kustomize configuration, CI workflows and application configuration.
var repo = map[string]string{
	".github/workflows/ci.yml": `name: ci
on:
  push:
    branches: [main]
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
`,
	".github/dependabot.yml": "version: 2\nupdates:\n  - package-ecosystem: gomod\n    directory: /\n    schedule: {interval: weekly}\n",
	".pre-commit-config.yaml": `repos:
  - repo: https://github.com/pre-commit/pre-commit-hooks
    rev: v4.6.0
    hooks:
      - id: trailing-whitespace
      - id: check-yaml
        args: [--allow-multiple-documents]
`,
	"docker-compose.yml": `services:
  web:
    image: nginx:1.27
    ports: ["8080:80"]
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: example
`,
	"api/openapi.yaml": `openapi: 3.0.3
info:
  title: Shop API
  version: 1.4.0
paths:
  /carts/{id}:
    get:
      responses:
        "200": {description: the cart}
`,
	"api/swagger.json": `{"swagger": "2.0", "info": {"title": "Shop", "version": "1.0"}, "paths": {}}`,
	"config/app.yaml":  "server:\n  port: 8080\nlog:\n  level: debug\nfeatures: [carts, search]\n",
	"package.json":     "{\n  \"name\": \"shop-ui\",\n  \"version\": \"1.0.0\",\n  \"scripts\": {\"build\": \"vite build\"}\n}\n",
	"tsconfig.json":    "{\n  // comments make this not JSON\n  \"compilerOptions\": {\"strict\": true}\n}\n",
	"charts/shop/Chart.yaml": `apiVersion: v2
name: shop
description: The shop
type: application
version: 0.3.1
appVersion: "1.4.0"
dependencies:
  - name: redis
    version: 19.x.x
    repository: oci://registry-1.docker.io/bitnamicharts
`,
	"charts/shop/Chart.lock": "dependencies:\n- name: redis\n  repository: oci://registry-1.docker.io/bitnamicharts\n  version: 19.6.4\ndigest: sha256:0c5a\ngenerated: \"2024-08-01T10:00:00Z\"\n",
	"charts/shop/values.yaml": `replicaCount: 2
image:
  repository: ghcr.io/acme/shop
  tag: ""
serviceAccount:
  create: true
podSecurityContext: {}
`,
	"charts/shop/ci/ct-values.yaml": "replicaCount: 1\n",
	"charts/shop/templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "shop.fullname" . }}
  labels:
    {{- include "shop.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  template:
    spec:
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
`,
	"charts/shop/templates/serviceaccount.yaml": `{{- if .Values.serviceAccount.create -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "shop.serviceAccountName" . }}
{{- end }}
`,
	"charts/shop/templates/configmap.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}
data:
  level: info
`,
	"kustomize/base/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
images:
  - name: shop
    newTag: 1.4.0
`,
	"kustomize/base/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  selector:
    matchLabels: {app: shop}
  template:
    metadata:
      labels: {app: shop}
    spec:
      containers:
        - name: shop
          image: shop
`,
	"kustomize/components/tls/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n  - path: tls.yaml\n",
	"kustomize/overlays/prod/kustomization.yml":   "resources:\n  - ../../base\nnamePrefix: prod-\n",
	"flux/shop.yaml": `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: shop
  namespace: flux-system
spec:
  interval: 10m
  path: ./kustomize/overlays/prod
  sourceRef: {kind: GitRepository, name: shop}
`,
	"deploy/broken.yaml": `apiVersion: v1
kind: Service
metadata:
  name: shop
 spec:
  ports: [{port: 80}]
`,
	"deploy/mixed.yaml": `# settings for the deploy script, then the namespace
registry: ghcr.io/acme
---
apiVersion: v1
kind: Namespace
metadata:
  name: shop
`,
	"deploy/empty.yaml":   "# nothing yet\n",
	"deploy/partial.yaml": "kind: Pod\nmetadata: {name: no-version}\n",
	"deploy/list.yaml":    "apiVersion: v1\nkind: List\nitems: []\n",
}

// skips and errors of Read on repo, by file relative to the walked root.
var repoWant = []string{
	"skipped .github/dependabot.yml: no document has apiVersion and kind (line 1: missing apiVersion and kind)",
	"skipped .github/workflows/ci.yml: no document has apiVersion and kind (line 1: missing apiVersion and kind)",
	"skipped .pre-commit-config.yaml: no document has apiVersion and kind (line 1: missing apiVersion and kind)",
	"skipped api/openapi.yaml: no document has apiVersion and kind (line 1: missing apiVersion and kind)",
	"skipped api/swagger.json: no document has apiVersion and kind (line 1: missing apiVersion and kind)",
	"skipped charts/shop/Chart.yaml: no document has apiVersion and kind (line 1: missing kind)",
	"skipped charts/shop/ci/ct-values.yaml: no document has apiVersion and kind (line 1: missing apiVersion and kind)",
	`skipped charts/shop/templates/configmap.yaml: unrendered template ("{{" at line 4)`,
	`skipped charts/shop/templates/deployment.yaml: not YAML a manifest parser accepts: line 5: did not find expected node content (unrendered template: "{{" at line 4)`,
	`skipped charts/shop/templates/serviceaccount.yaml: not YAML a manifest parser accepts: line 1: did not find expected node content (unrendered template: "{{" at line 1)`,
	"skipped charts/shop/values.yaml: no document has apiVersion and kind (line 1: missing apiVersion and kind)",
	"skipped config/app.yaml: no document has apiVersion and kind (line 1: missing apiVersion and kind)",
	"deploy/broken.yaml:4: invalid YAML: did not find expected key",
	"deploy/mixed.yaml:2: missing apiVersion and kind",
	"deploy/mixed.yaml:4 v1/Namespace /shop",
	"skipped deploy/partial.yaml: no document has apiVersion and kind (line 1: missing apiVersion)",
	"skipped docker-compose.yml: no document has apiVersion and kind (line 1: missing apiVersion and kind)",
	"flux/shop.yaml:1 kustomize.toolkit.fluxcd.io/v1/Kustomization flux-system/shop unstructured",
	"kustomize/base/deployment.yaml:1 apps/v1/Deployment /shop",
	"skipped kustomize/base/kustomization.yaml: kustomize configuration (kustomize.config.k8s.io/v1beta1 Kustomization), not a Kubernetes object",
	"skipped kustomize/components/tls/kustomization.yaml: kustomize configuration (kustomize.config.k8s.io/v1alpha1 Component), not a Kubernetes object",
	"skipped kustomize/overlays/prod/kustomization.yml: no document has apiVersion and kind (line 1: missing apiVersion and kind)",
	"skipped package.json: no document has apiVersion and kind (line 1: missing apiVersion and kind)",
	"skipped tsconfig.json: not JSON a manifest parser accepts: line 2: invalid character '/' looking for beginning of object key string",
}

// relEvents records events with paths relative to dir.
type relEvents struct {
	dir string
	events
}

func (ev *relEvents) rel(s string) string {
	return strings.ReplaceAll(s, ev.dir+string(filepath.Separator), "")
}
func (ev *relEvents) fn(o *Object) error { ev.events.fn(o); ev.fix(); return nil }
func (ev *relEvents) onErr(e *Error)     { ev.events.onErr(e); ev.fix() }
func (ev *relEvents) onSkip(s Skip)      { ev.events.onSkip(s); ev.fix() }
func (ev *relEvents) fix()               { ev.events[len(ev.events)-1] = ev.rel(ev.events[len(ev.events)-1]) }

func TestReadSkipsWhatIsNotManifests(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, repo)
	want := repoWant
	for _, workers := range []int{1, 3} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			got := relEvents{dir: dir}
			r := Reader{Workers: workers, OnSkip: got.onSkip}
			if err := r.Read([]string{dir}, got.fn, got.onErr); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, []string(got.events)); diff != "" {
				t.Errorf("Read() events (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("nil OnSkip drops skips", func(t *testing.T) {
		got := relEvents{dir: dir}
		if err := (&Reader{}).Read([]string{dir}, got.fn, got.onErr); err != nil {
			t.Fatal(err)
		}
		var w []string
		for _, s := range want {
			if !strings.HasPrefix(s, "skipped ") {
				w = append(w, s)
			}
		}
		if diff := cmp.Diff(w, []string(got.events)); diff != "" {
			t.Errorf("Read() events (-want +got):\n%s", diff)
		}
	})

	// Given by name, a file that is not a manifest is an error, as before.
	explicit := []struct {
		file string
		want []string
	}{
		{"charts/shop/values.yaml", []string{"charts/shop/values.yaml:1: missing apiVersion and kind"}},
		{"charts/shop/templates/serviceaccount.yaml", []string{"charts/shop/templates/serviceaccount.yaml:1: invalid YAML: did not find expected node content"}},
		{"kustomize/base/kustomization.yaml", []string{"kustomize/base/kustomization.yaml:1: kustomize configuration (kustomize.config.k8s.io/v1beta1 Kustomization), not a Kubernetes object"}},
		{"tsconfig.json", []string{"tsconfig.json:2: invalid JSON: invalid character '/' looking for beginning of object key string"}},
		{"deploy/empty.yaml", nil},
	}
	for _, tc := range explicit {
		t.Run("given "+tc.file, func(t *testing.T) {
			got := relEvents{dir: dir}
			r := Reader{OnSkip: got.onSkip}
			if err := r.Read([]string{filepath.Join(dir, tc.file)}, got.fn, got.onErr); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, []string(got.events)); diff != "" {
				t.Errorf("Read() events (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadJudgesWalkedFiles covers the rule that decides whether a walked
// file is a manifest, one file at a time.
func TestReadJudgesWalkedFiles(t *testing.T) {
	tests := []struct {
		name, file, in string
		want           []string
	}{
		{
			name: "bad document before the first object is reported",
			file: "a.yaml",
			in:   "- just\n- a list\n---\n" + cm("x") + "---\nfoo: bar\n",
			want: []string{
				"a.yaml:1: expected an object with apiVersion and kind, found a sequence",
				"a.yaml:4 v1/ConfigMap /x",
				"a.yaml:9: missing apiVersion and kind",
			},
		},
		{
			name: "manifest with wrong types is a manifest",
			file: "a.yaml",
			in:   "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: three\n",
			want: []string{`a.yaml:5: spec.replicas: expected an integer, found string "three"`},
		},
		{
			name: "parse error in a document naming apiVersion and kind",
			file: "a.yaml",
			in:   "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n   namespace: x\n",
			want: []string{"a.yaml:5: invalid YAML: mapping values are not allowed in this context"},
		},
		{
			name: "parse error in a file of values",
			file: "values.yaml",
			in:   "image:\n  tag: [1.0\nreplicas: 2\n",
			want: []string{"skipped values.yaml: not YAML a manifest parser accepts: line 1: did not find expected ',' or ']'"},
		},
		{
			name: "the parse error is named even after other documents",
			file: "x.yaml",
			in:   "a: 1\n---\nb: [\n",
			want: []string{"skipped x.yaml: not YAML a manifest parser accepts: line 3: did not find expected node content"},
		},
		{
			name: "template that decodes is a manifest",
			file: "t.yaml",
			in:   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  summary: \"{{ $labels.instance }} is down\"\n",
			want: []string{"t.yaml:1 v1/ConfigMap /x"},
		},
		{
			name: "binary file",
			file: "b.yaml",
			in:   "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
			want: []string{"skipped b.yaml: binary file (NUL byte at line 3)"},
		},
		{
			name: "invalid UTF-8 in a manifest",
			file: "l.yaml",
			in:   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n",
			want: []string{"l.yaml:3: invalid UTF-8"},
		},
		{
			name: "invalid UTF-8 elsewhere",
			file: "l.yaml",
			in:   "title: caf\xe9\n",
			want: []string{"skipped l.yaml: not YAML a manifest parser accepts: line 1: invalid UTF-8"},
		},
		{
			name: "scalar document",
			file: "s.yaml",
			in:   "just some text\n",
			want: []string{"skipped s.yaml: no document has apiVersion and kind (line 1: a scalar)"},
		},
		{
			name: "kind of the wrong type",
			file: "k.yaml",
			in:   "apiVersion: v1\nkind: [Pod]\n",
			want: []string{"skipped k.yaml: no document has apiVersion and kind (line 2: kind must be a string)"},
		},
		{
			name: "JSON manifest cut short is an error",
			file: "p.json",
			in:   "{\"apiVersion\": \"v1\", \"kind\": \"Pod\",\n \"metadata\": {\"name\": \"p\"\n",
			want: []string{"p.json:2: invalid JSON: unexpected EOF"},
		},
		{
			name: "blank documents only",
			file: "e.yaml",
			in:   "---\n# to do\n---\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{tc.file: tc.in})
			got := relEvents{dir: dir}
			r := Reader{OnSkip: got.onSkip}
			if err := r.Read([]string{dir}, got.fn, got.onErr); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, []string(got.events)); diff != "" {
				t.Errorf("Read() events (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadHeldErrorsBounded checks that a walked file whose first object
// comes after very many bad documents still reports them, the surplus
// counted in one error.
func TestReadHeldErrorsBounded(t *testing.T) {
	var b strings.Builder
	for range maxHeld + 5 {
		b.WriteString("---\nfoo: bar\n")
	}
	b.WriteString("---\n" + cm("late"))
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"many.yaml": b.String()})
	var errs []*Error
	var objs int
	r := Reader{OnSkip: func(s Skip) { t.Errorf("skipped %v", s) }}
	if err := r.Read([]string{dir}, func(*Object) error { objs++; return nil }, func(e *Error) { errs = append(errs, e) }); err != nil {
		t.Fatal(err)
	}
	if objs != 1 || len(errs) != maxHeld+1 {
		t.Fatalf("%d objects, %d errors; want 1 and %d", objs, len(errs), maxHeld+1)
	}
	last := errs[len(errs)-1]
	if want := fmt.Sprintf("%s:%d: 5 more errors before the first object, not shown", filepath.Join(dir, "many.yaml"), 2*maxHeld+2); last.Error() != want {
		t.Errorf("last error = %q, want %q", last, want)
	}
}

func TestReadExclude(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"deploy/app.yaml":                    cm("app"),
		"deploy/testdata/bad.yaml":           cm("testdata"),
		"pkg/x/testdata/fixtures/pod.yaml":   cm("fixture"),
		"charts/shop/ci/values.yaml":         cm("ci"),
		"charts/shop/ci/nested/values.yaml":  cm("ci-nested"),
		"charts/shop/templates/extra.yaml":   cm("extra"),
		".github/workflows/ci.yml":           cm("gh"),
		"vendor/github.com/x/y/example.yaml": cm("vendored"),
		"docs/example.yml":                   cm("docs-yml"),
		"docs/example.yaml":                  cm("docs-yaml"),
	})
	tests := []struct {
		name    string
		exclude []string
		want    []string
	}{
		{"nothing excluded", nil, []string{".github", "charts/shop/ci/nested", "charts/shop/ci", "charts/shop/templates", "deploy/app", "deploy/testdata", "docs/yaml", "docs/yml", "pkg/x/testdata", "vendor"}},
		{"double star around a directory", []string{"**/testdata/**"}, []string{".github", "charts/shop/ci/nested", "charts/shop/ci", "charts/shop/templates", "deploy/app", "docs/yaml", "docs/yml", "vendor"}},
		{"single star in a path", []string{"charts/*/ci/*.yaml"}, []string{".github", "charts/shop/ci/nested", "charts/shop/templates", "deploy/app", "deploy/testdata", "docs/yaml", "docs/yml", "pkg/x/testdata", "vendor"}},
		{"base name of a directory", []string{".github", "vendor"}, []string{"charts/shop/ci/nested", "charts/shop/ci", "charts/shop/templates", "deploy/app", "deploy/testdata", "docs/yaml", "docs/yml", "pkg/x/testdata"}},
		{"base name of files", []string{"*.yml"}, []string{"charts/shop/ci/nested", "charts/shop/ci", "charts/shop/templates", "deploy/app", "deploy/testdata", "docs/yaml", "pkg/x/testdata", "vendor"}},
		{"directory with trailing slash and dot", []string{"./charts/shop/"}, []string{".github", "deploy/app", "deploy/testdata", "docs/yaml", "docs/yml", "pkg/x/testdata", "vendor"}},
		{"double star at the end", []string{"charts/**"}, []string{".github", "deploy/app", "deploy/testdata", "docs/yaml", "docs/yml", "pkg/x/testdata", "vendor"}},
		{"double star in the middle", []string{"charts/**/values.yaml"}, []string{".github", "charts/shop/templates", "deploy/app", "deploy/testdata", "docs/yaml", "docs/yml", "pkg/x/testdata", "vendor"}},
		{"no match", []string{"nothing/*"}, []string{".github", "charts/shop/ci/nested", "charts/shop/ci", "charts/shop/templates", "deploy/app", "deploy/testdata", "docs/yaml", "docs/yml", "pkg/x/testdata", "vendor"}},
	}
	names := map[string]string{
		"app": "deploy/app", "testdata": "deploy/testdata", "fixture": "pkg/x/testdata", "ci": "charts/shop/ci",
		"ci-nested": "charts/shop/ci/nested", "extra": "charts/shop/templates", "gh": ".github", "vendored": "vendor",
		"docs-yml": "docs/yml", "docs-yaml": "docs/yaml",
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			r := Reader{Exclude: tc.exclude, OnSkip: func(s Skip) { t.Errorf("skipped %v", s) }}
			err := r.Read([]string{dir}, func(o *Object) error { got = append(got, names[o.Name]); return nil }, func(e *Error) { t.Error(e) })
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("objects read (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("a path given is never excluded", func(t *testing.T) {
		n := 0
		r := Reader{Exclude: []string{"*.yml", "testdata"}}
		if err := r.Read([]string{filepath.Join(dir, "docs/example.yml"), filepath.Join(dir, "deploy/testdata")}, func(*Object) error { n++; return nil }, func(e *Error) { t.Error(e) }); err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("read %d objects, want 2", n)
		}
	})

	t.Run("an excluded directory is not descended", func(t *testing.T) {
		writeFiles(t, dir, map[string]string{"skip/me/x.yaml": cm("x"), "skip/me/too/y.yaml": cm("y")})
		rd := &fakeRenderer{name: "spy", marker: "none"}
		var detected []string
		spy := detectSpy{rd, &detected}
		r := Reader{Exclude: []string{"skip"}, Renderers: []Renderer{spy}}
		if err := r.Read([]string{dir}, func(o *Object) error {
			if o.Name == "x" || o.Name == "y" {
				t.Errorf("read %s from an excluded directory", o.Name)
			}
			return nil
		}, func(e *Error) { t.Error(e) }); err != nil {
			t.Fatal(err)
		}
		for _, d := range detected {
			if strings.Contains(d, "skip") {
				t.Errorf("descended into %s", d)
			}
		}
		if len(detected) == 0 {
			t.Error("no directory was looked at")
		}
	})
}

// detectSpy records the directories a Reader asks it about.
type detectSpy struct {
	Renderer
	dirs *[]string
}

func (s detectSpy) Detect(dir string) bool {
	*s.dirs = append(*s.dirs, dir)
	return s.Renderer.Detect(dir)
}

func TestValidate(t *testing.T) {
	tests := []struct {
		exclude []string
		want    string
	}{
		{nil, ""},
		{[]string{"**/testdata/**", "charts/*/ci/*.yaml", ".github", "[abc]/x", `a\*b`}, ""},
		{[]string{"ok", "[", ""}, "exclude pattern \"[\": syntax error in pattern\nexclude pattern is empty"},
		{[]string{"a/[z-a/b"}, `exclude pattern "a/[z-a/b": syntax error in pattern`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.exclude, ","), func(t *testing.T) {
			r := &Reader{Exclude: tc.exclude}
			err := r.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Fatalf("Validate() = %q, want %q", got, tc.want)
			}
			if rerr := r.Read([]string{t.TempDir()}, func(*Object) error { return nil }, func(e *Error) { t.Error(e) }); (rerr == nil) != (err == nil) {
				t.Errorf("Read() = %v, Validate() = %v", rerr, err)
			}
		})
	}
}

func TestReadFIFO(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.yaml": cm("a"), "z.yaml": cm("z")})
	fifo := filepath.Join(dir, "m.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := os.Symlink("m.yaml", filepath.Join(dir, "n.yaml")); err != nil {
		t.Fatal(err)
	}

	t.Run("met while walking, skipped", func(t *testing.T) {
		done := make(chan events, 1)
		go func() {
			var got events
			r := Reader{OnSkip: got.onSkip}
			if err := r.Read([]string{dir}, got.fn, got.onErr); err != nil {
				t.Error(err)
			}
			done <- got
		}()
		select {
		case got := <-done:
			want := []string{
				fifo[:len(fifo)-6] + "a.yaml:1 v1/ConfigMap /a",
				"skipped " + fifo + ": not a regular file (named pipe)",
				"skipped " + filepath.Join(dir, "n.yaml") + ": not a regular file (named pipe)",
				filepath.Join(dir, "z.yaml") + ":1 v1/ConfigMap /z",
			}
			if diff := cmp.Diff(want, []string(got)); diff != "" {
				t.Errorf("Read() events (-want +got):\n%s", diff)
			}
		case <-time.After(10 * time.Second):
			// Unblock the reader so that the test binary can finish.
			if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
				f.Close()
			}
			t.Fatal("Read() blocked on a named pipe met while walking")
		}
	})

	t.Run("given, read as a stream", func(t *testing.T) {
		go func() {
			f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err != nil {
				t.Error(err)
				return
			}
			f.WriteString("# piped\n" + cm("piped"))
			f.Close()
		}()
		var got events
		if err := (&Reader{}).Read([]string{fifo}, got.fn, got.onErr); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{fifo + ":2 v1/ConfigMap /piped"}, []string(got)); diff != "" {
			t.Errorf("Read() events (-want +got):\n%s", diff)
		}
	})

	t.Run("given, JSON recognized by its content", func(t *testing.T) {
		go func() {
			f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err != nil {
				t.Error(err)
				return
			}
			// A key longer than 1024 characters: valid JSON that YAML
			// parsers reject.
			f.WriteString(`{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}, "data": {"` + strings.Repeat("k", 2000) + `": "v"}}`)
			f.Close()
		}()
		var got events
		if err := (&Reader{}).Read([]string{fifo}, got.fn, got.onErr); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{fifo + ":1 v1/ConfigMap /j"}, []string(got)); diff != "" {
			t.Errorf("Read() events (-want +got):\n%s", diff)
		}
	})
}

// fakeRenderer renders directories holding a file named marker into out
// (or fails with err).
type fakeRenderer struct {
	name, marker string
	out          func(dir string) string
	err          error
	rendered     []string
}

func (f *fakeRenderer) Name() string { return f.name }
func (f *fakeRenderer) Detect(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, f.marker))
	return err == nil
}
func (f *fakeRenderer) Render(dir string) ([]byte, error) {
	f.rendered = append(f.rendered, dir)
	if f.err != nil {
		return nil, f.err
	}
	return []byte(f.out(dir)), nil
}

// offlineError is a rendering problem that needs what is not on disk.
type offlineError struct{ error }

func (offlineError) Offline() bool { return true }

func TestReadRenderers(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.yaml":                           cm("a"),
		"charts/shop/Chart.yaml":           "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
		"charts/shop/templates/cm.yaml":    "kind: {{ .Values.kind }}\n",
		"charts/shop/charts/sub/Chart.yml": "apiVersion: v2\n",
		"kustomize/kustomization.yaml":     "resources: [cm.yaml]\n",
		"kustomize/cm.yaml":                cm("not-read"),
		"kustomize/charts/Chart.yaml":      "apiVersion: v2\n",
		"plain/z.yaml":                     cm("z"),
	})
	p := func(s string) string { return filepath.Join(dir, s) }
	helm := &fakeRenderer{name: "helm", marker: "Chart.yaml", out: func(dir string) string {
		name := filepath.Base(dir)
		return "---\n# Source: " + name + "/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  nmespace: x\n"
	}}
	kustomize := &fakeRenderer{name: "kustomize", marker: "kustomization.yaml", out: func(string) string {
		return cm("built") + "---\n" + "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: '!!'}\n"
	}}
	failing := &fakeRenderer{name: "helm", marker: "Chart.yaml", err: errors.New("template: shop/templates/cm.yaml:1:8: executing: nil pointer")}
	located := &fakeRenderer{name: "helm", marker: "Chart.yaml", err: fmt.Errorf("helm template: %w", &Error{File: p("charts/shop/templates/cm.yaml"), Line: 1, Err: errors.New("nil pointer evaluating .Values.kind")})}
	offline := &fakeRenderer{name: "helm", marker: "Chart.yaml", err: offlineError{errors.New("missing in charts/ directory: redis")}}
	offlineNamed := &fakeRenderer{name: "helm", marker: "Chart.yaml", err: offline.err}
	tests := []struct {
		name       string
		renderers  []Renderer
		paths      []string
		want       []string
		wantRender []string
	}{
		{
			name:       "offline problem while walking: a warning",
			renderers:  []Renderer{offline},
			paths:      []string{p("charts")},
			want:       []string{p("charts/shop") + ": warning: rendering with helm: missing in charts/ directory: redis (not rendered, so not checked)"},
			wantRender: []string{p("charts/shop")},
		},
		{
			name:       "offline problem given by name: an error",
			renderers:  []Renderer{offlineNamed},
			paths:      []string{p("charts/shop")},
			want:       []string{p("charts/shop") + ": rendering with helm: missing in charts/ directory: redis"},
			wantRender: []string{p("charts/shop")},
		},
		{
			name:      "found while walking, not descended",
			renderers: []Renderer{helm, kustomize},
			paths:     []string{dir},
			want: []string{
				p("a.yaml") + ":1 v1/ConfigMap /a",
				"shop/templates/cm.yaml:1 v1/ConfigMap /shop",
				`shop/templates/cm.yaml:5: unknown field "metadata.nmespace"`,
				p("kustomize") + ":1 v1/ConfigMap /built",
				p("kustomize") + ":9: data.k: illegal base64 data at input byte 0",
				p("plain/z.yaml") + ":1 v1/ConfigMap /z",
			},
			wantRender: []string{p("charts/shop"), p("kustomize")},
		},
		{
			name:      "first match wins",
			renderers: []Renderer{kustomize, helm},
			paths:     []string{p("kustomize")},
			want: []string{
				p("kustomize") + ":1 v1/ConfigMap /built",
				p("kustomize") + ":9: data.k: illegal base64 data at input byte 0",
			},
			wantRender: []string{p("kustomize")},
		},
		{
			name:       "given as a path",
			renderers:  []Renderer{helm},
			paths:      []string{p("charts/shop")},
			want:       []string{"shop/templates/cm.yaml:1 v1/ConfigMap /shop", `shop/templates/cm.yaml:5: unknown field "metadata.nmespace"`},
			wantRender: []string{p("charts/shop")},
		},
		{
			name:       "render error",
			renderers:  []Renderer{failing},
			paths:      []string{p("charts")},
			want:       []string{p("charts/shop") + ": rendering with helm: template: shop/templates/cm.yaml:1:8: executing: nil pointer"},
			wantRender: []string{p("charts/shop")},
		},
		{
			name:       "render error naming a file",
			renderers:  []Renderer{located},
			paths:      []string{p("charts/shop")},
			want:       []string{p("charts/shop/templates/cm.yaml") + ":1: nil pointer evaluating .Values.kind"},
			wantRender: []string{p("charts/shop")},
		},
		{
			name:       "excluded directories are not rendered",
			renderers:  []Renderer{helm, kustomize},
			paths:      []string{dir},
			want:       []string{p("a.yaml") + ":1 v1/ConfigMap /a", p("plain/z.yaml") + ":1 v1/ConfigMap /z"},
			wantRender: nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			helm.rendered, kustomize.rendered, failing.rendered, located.rendered = nil, nil, nil, nil
			var got events
			r := Reader{Renderers: tc.renderers, OnSkip: got.onSkip}
			if tc.name == "excluded directories are not rendered" {
				r.Exclude = []string{"charts", "kustomize"}
			}
			if err := r.Read(tc.paths, got.fn, got.onErr); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, []string(got)); diff != "" {
				t.Errorf("Read() events (-want +got):\n%s", diff)
			}
			var rendered []string
			for _, rd := range tc.renderers {
				rendered = append(rendered, rd.(*fakeRenderer).rendered...)
			}
			if diff := cmp.Diff(tc.wantRender, rendered); diff != "" {
				t.Errorf("rendered (-want +got):\n%s", diff)
			}
		})
	}
}
