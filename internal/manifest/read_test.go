package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
	utf16pkg "unicode/utf16"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// events renders what Decode or Read reported, in order: objects as
// "file:line apiVersion/kind namespace/name" (with " unstructured" for
// kinds not built in), errors as their Error() text and skipped files as
// "skipped FILE: reason".
type events []string

func (ev *events) fn(o *Object) error {
	s := fmt.Sprintf("%s:%d %s/%s %s/%s", o.File, o.Line, o.APIVersion, o.Kind, o.Namespace, o.Name)
	if _, ok := o.Object.(*unstructured.Unstructured); ok {
		s += " unstructured"
	}
	*ev = append(*ev, s)
	return nil
}

func (ev *events) onErr(e *Error) { *ev = append(*ev, e.Error()) }

func (ev *events) onSkip(s Skip) { *ev = append(*ev, "skipped "+s.File+": "+s.Reason) }

func TestDecode(t *testing.T) {
	tests := []struct {
		name, file, in string
		want           []string
	}{
		{
			name: "multi-document with blank documents",
			file: "a.yaml",
			in: `# header comment
---
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
# nothing here
---
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
...
`,
			want: []string{"a.yaml:3 v1/Namespace /shop", "a.yaml:11 v1/ServiceAccount shop/web"},
		},
		{
			name: "one bad document among three",
			file: "a.yaml",
			in: `apiVersion: v1
kind: ConfigMap
metadata: {name: one}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: two
   bad: indentation
---
apiVersion: v1
kind: ConfigMap
metadata: {name: three}
`,
			want: []string{
				"a.yaml:1 v1/ConfigMap /one",
				"a.yaml:9: invalid YAML: mapping values are not allowed in this context",
				"a.yaml:11 v1/ConfigMap /three",
			},
		},
		{
			name: "unterminated flow document",
			file: "a.yaml",
			in:   "a: [1, 2\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n",
			want: []string{
				"a.yaml:1: invalid YAML: did not find expected ',' or ']'",
				"a.yaml:3 v1/Secret /s",
			},
		},
		{
			name: "v1 List and typed list",
			file: "list.yaml",
			in: `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata:
    name: a
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: b, namespace: x}
- kind: Pod
  metadata: {name: no-version}
---
apiVersion: v1
kind: PodList
items:
  - metadata: {name: p1}
  - metadata:
      name: p2
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleList
items: []
---
apiVersion: v1
kind: List
items:
`,
			want: []string{
				"list.yaml:4 v1/Service /a",
				"list.yaml:8 apps/v1/Deployment x/b",
				"list.yaml:11: missing apiVersion",
				"list.yaml:17 v1/Pod /p1",
				"list.yaml:18 v1/Pod /p2",
			},
		},
		{
			name: "lists inside lists are expanded",
			file: "nested.yaml",
			in: `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: List
  items:
  - apiVersion: v1
    kind: PodList
    items:
    - metadata: {name: hidden}
      spec:
        hostPID: true
- apiVersion: v1
  kind: ServiceAccount
  metadata: {name: sa}
`,
			want: []string{"nested.yaml:10 v1/Pod /hidden", "nested.yaml:13 v1/ServiceAccount /sa"},
		},
		{
			name: "list items of the wrong shape",
			file: "list.yaml",
			in:   "apiVersion: v1\nkind: PodList\nitems:\n- just a string\n- metadata: {name: ok}\n---\napiVersion: v1\nkind: PodList\nitems: {a: b}\n",
			want: []string{
				"list.yaml:4: PodList item 0: expected an object, found a scalar",
				"list.yaml:5 v1/Pod /ok",
				"list.yaml:9: PodList items must be a list, found a mapping",
			},
		},
		{
			name: "JSON object",
			file: "pod.json",
			in: `{
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {"name": "j", "namespace": "n"},
  "spec": {"containers": [{"name": "c", "image": "i"}]}
}
`,
			want: []string{"pod.json:1 v1/Pod n/j"},
		},
		{
			name: "JSON List and a second value",
			file: "list.json",
			in: `{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}},
  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}}
]}

{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "c"}}
`,
			want: []string{"list.json:2 v1/ConfigMap /a", "list.json:3 v1/ConfigMap /b", "list.json:6 v1/Secret /c"},
		},
		{
			name: "invalid JSON",
			file: "bad.json",
			in:   "{\"apiVersion\": \"v1\",\n \"kind\": \"Pod\",\n \"metadata\": {\"name\": \"x\",}\n}\n",
			want: []string{"bad.json:3: invalid JSON: invalid character '}' looking for beginning of object key string"},
		},
		{
			name: "truncated JSON",
			file: "bad.json",
			in:   "{\"apiVersion\": \"v1\",\n \"kind\": \"Pod\"\n",
			want: []string{"bad.json:2: invalid JSON: unexpected EOF"},
		},
		{
			name: "JSON with duplicate keys",
			file: "dup.json",
			in:   "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\",\n \"metadata\": {\"name\": \"a\", \"name\": \"b\"}}\n",
			want: []string{"dup.json:1 v1/ConfigMap /b", `dup.json:2: warning: duplicate key "name" (first at line 2); the last value is used`},
		},
		{
			name: "missing apiVersion or kind",
			file: "m.yaml",
			in:   "kind: Pod\nmetadata: {name: a}\n---\n\napiVersion: v1\nmetadata: {name: b}\n---\nmetadata: {name: c}\n---\napiVersion: v1\nkind: [Pod]\n---\napiVersion: ~\nkind: Pod\n",
			want: []string{
				"m.yaml:1: missing apiVersion",
				"m.yaml:5: missing kind",
				"m.yaml:8: missing apiVersion and kind",
				"m.yaml:11: kind must be a string",
				"m.yaml:13: missing apiVersion",
			},
		},
		{
			name: "not an object",
			file: "n.yaml",
			in:   "- a\n- b\n---\nhello\n---\n~\n",
			want: []string{
				"n.yaml:1: expected an object with apiVersion and kind, found a sequence",
				"n.yaml:4: expected an object with apiVersion and kind, found a scalar",
				"n.yaml:6: expected an object with apiVersion and kind, found a scalar",
			},
		},
		{
			name: "fields of the wrong type",
			file: "t.yaml",
			in: `apiVersion: v1
kind: Pod
metadata: {name: a}
spec:
  containers:
  - name: c
    securityContext:
      privileged: "yes"
---
apiVersion: v1
kind: Pod
metadata: {name: b}
spec:
  containers: {}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: c}
spec:
  replicas: three
---
apiVersion: v1
kind: Pod
metadata:
  name: d
  labels:
    enabled: true
---
apiVersion: v1
kind: Pod
metadata: {name: e}
spec:
  containers:
  - name: c
    ports:
    - containerPort: 1.5
  - name: d
    securityContext:
      capabilities:
        add:
          - {x: 1}
`,
			want: []string{
				`t.yaml:8: spec.containers[0].securityContext.privileged: expected a boolean, found string "yes"`,
				`t.yaml:14: spec.containers: expected a list, found an object`,
				`t.yaml:20: spec.replicas: expected an integer, found string "three"`,
				`t.yaml:27: metadata.labels.enabled: expected a string, found boolean true`,
				`t.yaml:36: spec.containers[0].ports[0].containerPort: expected an integer, found number 1.5`,
			},
		},
		{
			name: "yaml 1.1 booleans reach typed fields as kubectl sends them",
			file: "y.yaml",
			in:   "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  hostNetwork: yes\n  containers:\n  - name: c\n    securityContext: {privileged: on}\n",
			want: []string{"y.yaml:1 v1/Pod /a"},
		},
		{
			name: "unknown fields are reported after the object",
			file: "u.yaml",
			in: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  lables: {a: b}
spec:
  template:
    spec:
      containers:
      - name: c
        securityContex:
          privileged: true
`,
			want: []string{
				"u.yaml:1 apps/v1/Deployment /web",
				`u.yaml:5: unknown field "metadata.lables"`,
				`u.yaml:11: unknown field "spec.template.spec.containers[0].securityContex"`,
			},
		},
		{
			name: "field names are case-sensitive",
			file: "c.yaml",
			in:   "apiVersion: v1\nkind: Pod\nmetadata: {Name: a}\n",
			want: []string{"c.yaml:1 v1/Pod /", `c.yaml:3: unknown field "metadata.Name"`},
		},
		{
			name: "duplicate keys",
			file: "d.yaml",
			in:   "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  namespace: x\n  name: b\n",
			want: []string{"d.yaml:1 v1/Pod x/b", `d.yaml:6: warning: duplicate key "name" (first at line 4); the last value is used`},
		},
		{
			name: "kinds not built in are unstructured",
			file: "crd.yaml",
			in:   "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c, namespace: ns}\nspec: {anything: [1, 2]}\n---\napiVersion: apps/v1beta9\nkind: Deployment\nmetadata: {name: d}\n---\napiVersion: example.com/v1\nkind: WidgetList\nitems:\n- metadata: {name: w}\n",
			want: []string{
				"crd.yaml:1 cert-manager.io/v1/Certificate ns/c unstructured",
				"crd.yaml:6 apps/v1beta9/Deployment /d unstructured",
				"crd.yaml:13 example.com/v1/Widget /w unstructured",
			},
		},
		{
			name: "NUL byte",
			file: "bin.yaml",
			in:   "apiVersion: v1\nkind: Pod\x00\x01\x02",
			want: []string{"bin.yaml:2: binary file (NUL byte), not a manifest"},
		},
		{
			name: "invalid UTF-8 in one document",
			file: "l1.yaml",
			in:   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: caf\xe9}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
			want: []string{"l1.yaml:4: invalid UTF-8", "l1.yaml:6 v1/ConfigMap /b"},
		},
		{
			name: "separator line with content, CRLF and BOM",
			file: "s.yaml",
			in:   "\ufeffapiVersion: v1\r\nkind: ConfigMap\r\nmetadata: {name: a}\r\n--- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\r\n--- # comment\r\napiVersion: v1\r\nkind: ConfigMap\r\nmetadata: {name: c}\r\n",
			want: []string{"s.yaml:1 v1/ConfigMap /a", "s.yaml:4 v1/ConfigMap /b", "s.yaml:6 v1/ConfigMap /c"},
		},
		{
			name: "document end markers",
			file: "dots.yaml",
			in:   cm("a") + "...\n" + cm("b") + "... # end\n---\n" + cm("c") + "...",
			want: []string{"dots.yaml:1 v1/ConfigMap /a", "dots.yaml:6 v1/ConfigMap /b", "dots.yaml:12 v1/ConfigMap /c"},
		},
		{
			name: "no final newline",
			file: "e.yaml",
			in:   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---",
			want: []string{"e.yaml:1 v1/ConfigMap /a"},
		},
		{
			name: "anchors across objects of a List",
			file: "anchors.yaml",
			in:   "apiVersion: v1\nkind: List\nitems:\n- &cm\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- *cm\n",
			want: []string{"anchors.yaml:4 v1/ConfigMap /a", "anchors.yaml:8 v1/ConfigMap /a"},
		},
		{
			name: "values JSON cannot hold",
			file: "nan.yaml",
			in:   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nx: .nan\n",
			want: []string{"nan.yaml:4: unsupported value .nan (JSON has no NaN or infinity)"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got events
			if err := Decode(tc.file, []byte(tc.in), got.fn, got.onErr); err != nil {
				t.Fatalf("Decode() = %v", err)
			}
			if diff := cmp.Diff(tc.want, []string(got)); diff != "" {
				t.Errorf("Decode() events (-want +got):\n%s", diff)
			}
		})
	}
}

// writeFiles creates files (path → content) under dir; content "->target"
// makes a symbolic link.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(c, "->"); ok {
			if err := os.Symlink(target, full); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func cm(name string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n"
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"b.yaml":            cm("b"),
		"a/z.yml":           cm("z"),
		"a/y/x.json":        `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}`,
		"a/notes.txt":       "not a manifest",
		"a/Chart.YAML":      cm("chart"),
		"c.yaml":            "---\n" + cm("c1") + "---\n" + cm("c2"),
		"dangling.yaml":     "->missing-target",
		"explicit.txt":      cm("explicit"),
		"empty/.keep":       "",
		"d/broken.yaml":     "a: [\n",
		"d/after-error.yml": cm("after"),
		"e/z.yml":           cm("z"),
	})
	if err := os.Symlink(filepath.Join(dir, "e"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	rel := func(p string) string { return filepath.Join(dir, p) }
	tests := []struct {
		name  string
		paths []string
		stdin string
		want  []string
	}{
		{
			name:  "directory walked recursively in lexical order",
			paths: []string{dir},
			want: []string{
				rel("a/Chart.YAML") + ":1 v1/ConfigMap /chart",
				rel("a/y/x.json") + ":1 v1/ConfigMap /x",
				rel("a/z.yml") + ":1 v1/ConfigMap /z",
				rel("b.yaml") + ":1 v1/ConfigMap /b",
				rel("c.yaml") + ":2 v1/ConfigMap /c1",
				rel("c.yaml") + ":7 v1/ConfigMap /c2",
				rel("d/after-error.yml") + ":1 v1/ConfigMap /after",
				"skipped " + rel("d/broken.yaml") + ": not YAML a manifest parser accepts: line 1: did not find expected node content",
				rel("dangling.yaml") + ": no such file or directory",
				rel("e/z.yml") + ":1 v1/ConfigMap /z",
			},
		},
		{
			name:  "files in the order given, whatever their extension",
			paths: []string{rel("explicit.txt"), rel("b.yaml"), rel("does/not/exist.yaml")},
			want: []string{
				rel("explicit.txt") + ":1 v1/ConfigMap /explicit",
				rel("b.yaml") + ":1 v1/ConfigMap /b",
				rel("does/not/exist.yaml") + ": no such file or directory",
			},
		},
		{
			name:  "symbolic link to a directory given as a path",
			paths: []string{rel("link")},
			want:  []string{rel("link/z.yml") + ":1 v1/ConfigMap /z"},
		},
		{
			name:  "stdin",
			paths: []string{"-"},
			stdin: "# from a pipe\n" + cm("in"),
			want:  []string{"STDIN:2 v1/ConfigMap /in"},
		},
		{
			name:  "JSON on stdin",
			paths: []string{"-"},
			stdin: `  {"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}}]}`,
			want:  []string{"STDIN:1 v1/ConfigMap /j"},
		},
	}
	for _, tc := range tests {
		for _, workers := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/workers=%d", tc.name, workers), func(t *testing.T) {
				var got events
				r := Reader{Workers: workers, OnSkip: got.onSkip}
				if tc.stdin != "" {
					r.Stdin = strings.NewReader(tc.stdin)
				}
				if err := r.Read(tc.paths, got.fn, got.onErr); err != nil {
					t.Fatalf("Read() = %v", err)
				}
				if diff := cmp.Diff(tc.want, []string(got)); diff != "" {
					t.Errorf("Read() events (-want +got):\n%s", diff)
				}
			})
		}
	}

	t.Run("stdin not set", func(t *testing.T) {
		var got events
		if err := (&Reader{}).Read([]string{"-"}, got.fn, got.onErr); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"STDIN: no standard input to read"}, []string(got)); diff != "" {
			t.Error(diff)
		}
	})

	for _, workers := range []int{1, 4} {
		t.Run(fmt.Sprintf("error from fn stops the walk/workers=%d", workers), func(t *testing.T) {
			stop := errors.New("stop")
			calls := 0
			before := runtime.NumGoroutine()
			err := (&Reader{Workers: workers}).Read([]string{dir, dir, dir}, func(*Object) error { calls++; return stop }, func(*Error) {})
			if !errors.Is(err, stop) || calls != 1 {
				t.Errorf("Read() = %v after %d calls, want %v after 1", err, calls, stop)
			}
			checkGoroutines(t, before)
		})
	}

	t.Run("stdin streamed in order with many workers", func(t *testing.T) {
		var in strings.Builder
		var want []string
		line := 1
		for i := range 500 {
			in.WriteString("---\n" + cm(fmt.Sprint("cm-", i)))
			want = append(want, fmt.Sprintf("STDIN:%d v1/ConfigMap /cm-%d", line+1, i))
			line += 5
		}
		var got events
		r := Reader{Workers: 8, Stdin: strings.NewReader(in.String())}
		if err := r.Read([]string{"-"}, got.fn, got.onErr); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, []string(got)); diff != "" {
			t.Errorf("Read() events (-want +got):\n%s", diff)
		}
	})

	t.Run("errors are typed", func(t *testing.T) {
		var errs []*Error
		(&Reader{}).Read([]string{rel("d/broken.yaml")}, func(*Object) error { return nil }, func(e *Error) { errs = append(errs, e) })
		if len(errs) != 1 || errs[0].File != rel("d/broken.yaml") || errs[0].Line != 1 {
			t.Fatalf("errors = %v", errs)
		}
	})
}

func TestDecodeCustomValueErrors(t *testing.T) {
	in := `apiVersion: v1
kind: Pod
metadata: {name: a}
spec:
  containers:
  - name: c
    resources:
      limits:
        cpu: 1 core
---
apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  ports:
  - port: 80
    targetPort: {name: http}
---
apiVersion: v1
kind: Secret
metadata: {name: s}
data:
  password: "not base64!"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: c
  creationTimestamp: yesterday
---
apiVersion: v1
kind: Service
metadata: {name: ok}
spec:
  ports:
  - port: 80
    targetPort: true
`
	want := []string{
		`t.yaml:9: spec.containers[0].resources.limits.cpu: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
		`t.yaml:17: spec.ports[0].targetPort: cannot unmarshal object into Go value of type int32`,
		`t.yaml:23: data.password: illegal base64 data at input byte 3`,
		`t.yaml:29: metadata.creationTimestamp: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"`,
		`t.yaml:37: spec.ports[0].targetPort: cannot unmarshal bool into Go value of type int32`,
	}
	var got events
	if err := Decode("t.yaml", []byte(in), got.fn, got.onErr); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, []string(got)); diff != "" {
		t.Errorf("Decode() events (-want +got):\n%s", diff)
	}
}

// TestReadStreamed covers files too large to read at once and lines longer
// than the read buffer: the streaming splitter must agree with the in-memory
// one.
func TestReadStreamed(t *testing.T) {
	long := strings.Repeat("x", 200<<10)
	in := "# c\n" + cm("a") + "  annotations: {k: " + long + "}\n--- " + "{apiVersion: v1, kind: ConfigMap, metadata: {name: b, annotations: {k: " + long + "}}}\n---\n---\n" + cm("c") + "...\n" + cm("d") + "---"
	want := []string{"%s:2 v1/ConfigMap /a", "%s:7 v1/ConfigMap /b", "%s:10 v1/ConfigMap /c", "%s:15 v1/ConfigMap /d"}
	dir := t.TempDir()
	path := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(path, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	defer func(old int64) { wholeFileLimit = old }(wholeFileLimit)
	for _, limit := range []int64{0, 1 << 30} {
		wholeFileLimit = limit
		for _, src := range []string{path, "-"} {
			var got events
			r := Reader{Stdin: strings.NewReader(in)}
			if err := r.Read([]string{src}, got.fn, got.onErr); err != nil {
				t.Fatal(err)
			}
			name := src
			if src == "-" {
				name = StdinName
			}
			var w []string
			for _, s := range want {
				w = append(w, fmt.Sprintf(s, name))
			}
			if diff := cmp.Diff(w, []string(got)); diff != "" {
				t.Errorf("limit %d, %s: events (-want +got):\n%s", limit, src, diff)
			}
		}
	}
}

// TestDecodeJSONBeyondYAML covers valid JSON that YAML parsers reject.
func TestDecodeJSONBeyondYAML(t *testing.T) {
	long := strings.Repeat("k", 2000)
	in := `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"},
 "data": {"` + long + `": "v", "emoji": "\ud83d\ude00\u00e9\/", "yes": "on"}}
{"apiVersion": "v1", "kind": "ConfigMap",
 "metadata": {"name": "b", "labels": {"x": 1}}}`
	var objs []*Object
	var got events
	err := Decode("x.json", []byte(in), func(o *Object) error { objs = append(objs, o); return got.fn(o) }, got.onErr)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"x.json:1 v1/ConfigMap /a", `x.json:4: metadata.labels.x: expected a string, found number 1`}
	if diff := cmp.Diff(want, []string(got)); diff != "" {
		t.Fatalf("events (-want +got):\n%s", diff)
	}
	data := objs[0].Object.(*corev1.ConfigMap).Data
	if data[long] != "v" || data["emoji"] != "😀é/" || data["yes"] != "on" {
		t.Errorf("data = %q", data)
	}
	if l := objs[0].FieldLine(`data["emoji"]`); l != 2 {
		t.Errorf("FieldLine = %d, want 2", l)
	}
}

func TestReadPanicInFnLeavesNoGoroutines(t *testing.T) {
	var in strings.Builder
	for i := range 200 {
		in.WriteString("---\n" + cm(fmt.Sprint("cm-", i)))
	}
	before := runtime.NumGoroutine()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic in fn did not reach the caller")
			}
		}()
		Decode("p.yaml", []byte(in.String()), func(*Object) error { panic("boom") }, func(*Error) {})
	}()
	checkGoroutines(t, before)
}

// checkGoroutines fails when more than before goroutines remain; a finished
// goroutine may take a moment to exit, so it polls briefly.
func checkGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines before, %d after", before, after)
	}
}

// TestReadJSONStreamResumes checks that a malformed value in a JSON stream
// is reported at its line and the values after it are still read.
func TestReadJSONStreamResumes(t *testing.T) {
	obj := func(name string) string {
		return `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "` + name + `"}}`
	}
	tests := []struct {
		name, in string
		want     []string
	}{
		{
			name: "JSON lines, the middle one broken",
			in:   obj("a") + "\n" + `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b",}}` + "\n" + obj("c") + "\n",
			want: []string{
				"%s:1 v1/ConfigMap /a",
				"%s:2: invalid JSON: invalid character '}' looking for beginning of object key string",
				"%s:3 v1/ConfigMap /c",
			},
		},
		{
			name: "JSON lines, a line cut short",
			in:   obj("a") + "\n" + `{"apiVersion": "v1", "kind": "Config` + "\n" + obj("c") + "\n",
			want: []string{
				"%s:1 v1/ConfigMap /a",
				"%s:2: invalid JSON: invalid character '\\n' in string literal",
				"%s:3 v1/ConfigMap /c",
			},
		},
		{
			name: "JSON lines, an object not closed",
			in:   obj("a") + "\n" + `{"apiVersion": "v1", "kind": "ConfigMap"` + "\n\n" + obj("c") + "\n",
			want: []string{
				"%s:1 v1/ConfigMap /a",
				"%s:2: invalid JSON: value not closed before line 4",
				"%s:4 v1/ConfigMap /c",
			},
		},
		{
			name: "pretty-printed values",
			in:   "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"ConfigMap\",\n  \"metadata\": {\"name\": \"a\"}\n}\n{\n  \"apiVersion\": \"v1\"\n  \"kind\": \"ConfigMap\"\n}\n" + obj("c") + "\n",
			want: []string{
				"%s:1 v1/ConfigMap /a",
				"%s:8: invalid JSON: invalid character '\"' after object key:value pair",
				"%s:10 v1/ConfigMap /c",
			},
		},
		{
			name: "garbage between values",
			in:   obj("a") + "\nnot json\n" + obj("b") + "\n",
			want: []string{
				"%s:1 v1/ConfigMap /a",
				"%s:2: invalid JSON: invalid character 'o' in literal null (expecting 'u')",
				"%s:3 v1/ConfigMap /b",
			},
		},
		{
			name: "truncated at the end",
			in:   obj("a") + "\n" + `{"apiVersion": "v1",` + "\n",
			want: []string{"%s:1 v1/ConfigMap /a", "%s:2: invalid JSON: unexpected EOF"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "s.json")
			if err := os.WriteFile(path, []byte(tc.in), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, src := range []string{path, "-"} {
				name := src
				if src == "-" {
					name = StdinName
				}
				var got events
				r := Reader{Stdin: strings.NewReader(tc.in)}
				if err := r.Read([]string{src}, got.fn, got.onErr); err != nil {
					t.Fatal(err)
				}
				var want []string
				for _, w := range tc.want {
					want = append(want, fmt.Sprintf(w, name))
				}
				if diff := cmp.Diff(want, []string(got)); diff != "" {
					t.Errorf("%s: events (-want +got):\n%s", src, diff)
				}
			}
		})
	}
}

// utf16 encodes s as UTF-16 with a byte order mark, the way Windows tools
// (PowerShell's Out-File, Notepad's "Unicode") write text files.
func utf16(s string, bigEndian bool) []byte {
	var b []byte
	put := func(u uint16) {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	put(0xfeff)
	for _, u := range utf16pkg.Encode([]rune(s)) {
		put(u)
	}
	return b
}

func TestReadUTF16(t *testing.T) {
	doc := "# exported from PowerShell\r\n" + "apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: café\r\ndata:\r\n  emoji: \"😀\"\r\n---\r\napiVersion: v1\r\nkind: Pod\r\nmetadata: {name: p}\r\nspec:\r\n  hostNetwork: true\r\n  bogus: 1\r\n"
	jsonDoc := `{"apiVersion": "v1", "kind": "ConfigMap",` + "\n" + ` "metadata": {"name": "j"}}`
	tests := []struct {
		name, file string
		data       []byte
		want       []string
	}{
		{"YAML, little endian", "le.yaml", utf16(doc, false), []string{"%s:2 v1/ConfigMap /café", "%s:9 v1/Pod /p", `%s:14: unknown field "spec.bogus"`}},
		{"YAML, big endian", "be.yaml", utf16(doc, true), []string{"%s:2 v1/ConfigMap /café", "%s:9 v1/Pod /p", `%s:14: unknown field "spec.bogus"`}},
		{"JSON, little endian", "le.json", utf16(jsonDoc, false), []string{"%s:1 v1/ConfigMap /j"}},
	}
	defer func(old int64) { wholeFileLimit = old }(wholeFileLimit)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, tc.file)
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, limit := range []int64{0, 1 << 30} {
				wholeFileLimit = limit
				for _, src := range []string{path, "-", dir} {
					name := src
					switch src {
					case "-":
						name = StdinName
					case dir:
						name = path
					}
					var got events
					var objs []*Object
					r := Reader{Stdin: bytes.NewReader(tc.data), OnSkip: got.onSkip}
					err := r.Read([]string{src}, func(o *Object) error { objs = append(objs, o); return got.fn(o) }, got.onErr)
					if err != nil {
						t.Fatal(err)
					}
					var want []string
					for _, w := range tc.want {
						want = append(want, fmt.Sprintf(w, name))
					}
					if diff := cmp.Diff(want, []string(got)); diff != "" {
						t.Errorf("%s, limit %d: events (-want +got):\n%s", src, limit, diff)
					}
					if cm, ok := objs[0].Object.(*corev1.ConfigMap); ok && tc.name != "JSON, little endian" {
						if cm.Data["emoji"] != "😀" {
							t.Errorf("data = %q", cm.Data)
						}
						if l := objs[0].FieldLine("data.emoji"); l != 7 {
							t.Errorf("FieldLine(data.emoji) = %d, want 7", l)
						}
					}
				}
			}
		})
	}
}

// helmOutput is what helm template writes for a small chart: every
// document opens with "---" and a "# Source:" comment naming its template.
const helmOutput = `---
# Source: shop/charts/redis/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
automountServiceAccountToken: false
metadata:
  name: shop-redis
  namespace: "default"
---
# Source: shop/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: shop
  labels:
    helm.sh/chart: shop-0.3.1
    app.kubernetes.io/name: shop
spec:
  type: ClusterIP
  ports:
    - port: 80
      targetPort: http
      protocol: TCP
      name: http
  selector:
    app.kubernetes.io/name: shop
---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: shop
  template:
    metadata:
      labels:
        app.kubernetes.io/name: shop
    spec:
      serviceAccountName: shop
      securityContext:
        {}
      containers:
        - name: shop
          securityContext:
            privileged: true
          image: "ghcr.io/acme/shop:1.4.0"
          imagePullPolicy: IfNotPresent
          ports:
            - name: http
              containerPort: 80
              protocol: TCP
          resources:
            limits: {cpu: 1 core}
---
# Source: shop/templates/tests/test-connection.yaml
# hooks come last
apiVersion: v1
kind: Pod
metadata:
  name: "shop-test-connection"
  annotations:
    "helm.sh/hook": test
spec:
  containers:
    - name: wget
      image: busybox
      command: ['wget']
      args: ['shop:80']
  restartPolicy: Never
---
apiVersion: v1
kind: ConfigMap
metadata: {name: no-source}
`

func TestReadHelmSourceComments(t *testing.T) {
	want := []string{
		"shop/charts/redis/templates/serviceaccount.yaml:1 v1/ServiceAccount default/shop-redis",
		"shop/templates/service.yaml:1 v1/Service /shop",
		`shop/templates/deployment.yaml:29: spec.template.spec.containers[0].resources.limits.cpu: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
		"shop/templates/tests/test-connection.yaml:2 v1/Pod /shop-test-connection",
		"%s:75 v1/ConfigMap /no-source",
	}
	lines := map[string]int{ // field → line in its template's coordinates
		"shop-test-connection spec.containers[0].image": 11,
		"shop metadata.labels":                          5,
		"no-source metadata.name":                       77,
	}
	// A checked-in rendering is named after its templates when they exist
	// (here, created beside it in the working directory); see
	// TestReadHelmSourceMissingTemplates for when they do not.
	dir := t.TempDir()
	t.Chdir(dir)
	path := "rendered.yaml"
	if err := os.WriteFile(path, []byte(helmOutput), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tpl := range []string{"shop/charts/redis/templates/serviceaccount.yaml", "shop/templates/service.yaml", "shop/templates/deployment.yaml", "shop/templates/tests/test-connection.yaml"} {
		if err := os.MkdirAll(filepath.Dir(tpl), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(tpl, []byte("# template\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, src := range []string{"-", path} {
		name := StdinName
		if src == path {
			name = path
		}
		var got events
		var objs []*Object
		r := Reader{Stdin: strings.NewReader(helmOutput)}
		if err := r.Read([]string{src}, func(o *Object) error { objs = append(objs, o); return got.fn(o) }, got.onErr); err != nil {
			t.Fatal(err)
		}
		var w []string
		for _, s := range want {
			w = append(w, strings.Replace(s, "%s", name, 1))
		}
		if diff := cmp.Diff(w, []string(got)); diff != "" {
			t.Errorf("%s: events (-want +got):\n%s", src, diff)
		}
		for _, o := range objs {
			for k, l := range lines {
				obj, field, _ := strings.Cut(k, " ")
				if o.Name == obj {
					if got := o.FieldLine(field); got != l {
						t.Errorf("%s: %s FieldLine(%s) = %d, want %d", src, obj, field, got, l)
					}
				}
			}
		}
	}

	t.Run("only leading comments count", func(t *testing.T) {
		in := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n# Source: not/leading.yaml\n---\n--- # Source: on/the/marker.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n"
		var got events
		if err := Decode("x.yaml", []byte(in), got.fn, got.onErr); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"x.yaml:1 v1/ConfigMap /a", "x.yaml:7 v1/ConfigMap /b"}, []string(got)); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
	})
}

// TestDuplicateKeysDecodeAsKubectl decodes manifests with duplicate keys
// both ways: the object must equal what kubectl's decoding gives (the last
// value wins), with a warning per duplicate, and FieldLine must point at
// the key that won.
func TestDuplicateKeysDecodeAsKubectl(t *testing.T) {
	tests := []struct {
		name, file, in string
		warnings       []string
		field          string
		fieldLine      int
	}{
		{
			name: "container field repeated",
			file: "d.yaml",
			in: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx
          securityContext:
            privileged: true
            runAsNonRoot: true
            privileged: false
          image: nginx:1.27
`,
			warnings: []string{
				`d.yaml:17: warning: duplicate key "privileged" (first at line 15); the last value is used`,
				`d.yaml:18: warning: duplicate key "image" (first at line 13); the last value is used`,
			},
			field:     "spec.template.spec.containers[0].securityContext.privileged",
			fieldLine: 17,
		},
		{
			name:      "top-level key repeated",
			file:      "s.yaml",
			in:        "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {type: NodePort}\nmetadata: {name: b, namespace: x}\n",
			warnings:  []string{`s.yaml:5: warning: duplicate key "metadata" (first at line 3); the last value is used`},
			field:     "metadata.namespace",
			fieldLine: 5,
		},
		{
			name:      "JSON",
			file:      "p.json",
			in:        "{\"apiVersion\": \"v1\", \"kind\": \"Pod\",\n \"metadata\": {\"name\": \"a\"},\n \"spec\": {\"hostPID\": true,\n  \"hostPID\": false}}\n",
			warnings:  []string{`p.json:4: warning: duplicate key "hostPID" (first at line 3); the last value is used`},
			field:     "spec.hostPID",
			fieldLine: 4,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var objs []*Object
			var got []string
			err := Decode(tc.file, []byte(tc.in), func(o *Object) error { objs = append(objs, o); return nil }, func(e *Error) {
				if !e.Warning {
					t.Errorf("not a warning: %v", e)
				}
				got = append(got, e.Error())
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.warnings, got); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			if len(objs) != 1 {
				t.Fatalf("%d objects, want 1", len(objs))
			}
			want, err := straightforward([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if !equality.Semantic.DeepEqual(want, objs[0].Object) {
				t.Errorf("differs from kubectl's decoding (-kubectl +ours):\n%s", cmp.Diff(want, objs[0].Object))
			}
			if l := objs[0].FieldLine(tc.field); l != tc.fieldLine {
				t.Errorf("FieldLine(%s) = %d, want %d", tc.field, l, tc.fieldLine)
			}
		})
	}

	t.Run("a warning comes after the error that stopped the object", func(t *testing.T) {
		var got events
		in := "apiVersion: v1\nkind: Pod\nmetadata: {name: a, name: b}\nspec: {hostPID: maybe}\n"
		if err := Decode("w.yaml", []byte(in), got.fn, got.onErr); err != nil {
			t.Fatal(err)
		}
		want := []string{
			`w.yaml:4: spec.hostPID: expected a boolean, found string "maybe"`,
			`w.yaml:3: warning: duplicate key "name" (first at line 3); the last value is used`,
		}
		if diff := cmp.Diff(want, []string(got)); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
	})

	t.Run("List keys", func(t *testing.T) {
		var got events
		in := "apiVersion: v1\nkind: List\nitems: []\nitems:\n- " + strings.ReplaceAll(strings.TrimSpace(cm("x")), "\n", "\n  ") + "\n"
		if err := Decode("l.yaml", []byte(in), got.fn, got.onErr); err != nil {
			t.Fatal(err)
		}
		want := []string{
			`l.yaml:4: warning: duplicate key "items" (first at line 3); the last value is used`,
			"l.yaml:5 v1/ConfigMap /x",
		}
		if diff := cmp.Diff(want, []string(got)); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
	})
}

func TestReadHelmSourceParseErrorBeforeComment(t *testing.T) {
	// yaml.v3 may place an error before the "# Source:" line (the line
	// where a node starts, or no line at all); such errors stay in the
	// stream's coordinates.
	tests := []struct{ in, want string }{
		{"---\n# Source: chart/templates/a.yaml\n- a\nb: c\n", "out.yaml:8: invalid YAML: did not find expected '-' indicator"},
		{"---\n# Source: chart/templates/a.yaml\na: *unknown\n", "out.yaml:7: invalid YAML: unknown anchor 'unknown' referenced"},
		{"---\n# Source: chart/templates/a.yaml\nimage:\n  tag: [1.0\n", "chart/templates/a.yaml:1: invalid YAML: did not find expected ',' or ']'"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			var got events
			in := cm("first") + "---\n\n" + tc.in
			if err := Decode("out.yaml", []byte(in), got.fn, got.onErr); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"out.yaml:1 v1/ConfigMap /first", tc.want}, []string(got)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadHelmSourceMissingTemplates: rendered output committed to a
// repository whose templates are not there is named after itself, with
// its own lines, so that a report points at a file that exists.
func TestReadHelmSourceMissingTemplates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rendered.yaml")
	if err := os.WriteFile(path, []byte(helmOutput), 0o644); err != nil {
		t.Fatal(err)
	}
	var files []string
	err := (&Reader{}).Read([]string{path}, func(o *Object) error {
		files = append(files, fmt.Sprintf("%s:%d", o.File, o.Line))
		return nil
	}, func(*Error) {})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no objects")
	}
	for _, f := range files {
		if !strings.HasPrefix(f, path+":") {
			t.Errorf("object at %s, want in %s", f, path)
		}
	}
}
