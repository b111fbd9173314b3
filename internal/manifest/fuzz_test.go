package manifest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	sigsyaml "sigs.k8s.io/yaml"
)

// FuzzDecode feeds arbitrary bytes to Decode: it must not panic, every
// error must be located in the file, every typed object must survive a
// JSON round trip through Decode unchanged, and decoding with the fast path
// (direct.go) and without must report the same and give equal objects.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, p := range files {
		if p == filepath.Join("testdata", "fuzz") {
			continue // Go's own corpus
		}
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, filepath.Ext(p) == ".json")
	}
	f.Add([]byte(fieldDoc), false)
	f.Add([]byte("a: &a [*a]\n"), false)
	f.Add([]byte("apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: a}\n"), false)
	f.Add([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  hostPID: true\n  hostPID: false\n  containers: []\n  hostPID: true\n"), false)
	f.Add([]byte("apiVersion: v1\nkind: List\nitems: []\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a, name: b}}\n"), false)
	f.Add([]byte("{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"a\", \"name\": \"b\"}}\n"), true)
	f.Add(utf16("apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: café\r\n", false), false)
	f.Add(utf16("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n", true), false)
	f.Add(utf16(`{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}}`, false), true)
	f.Add([]byte(`{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}`+"\n"+`{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b",}}`+"\n"+`{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}`+"\n"), true)
	f.Add([]byte("{\"apiVersion\": \"v1\"\n{\"kind\": [\n[1,\n{}\n"), true)
	f.Add([]byte(helmOutput), false)
	f.Fuzz(func(t *testing.T, data []byte, isJSON bool) {
		name := "f.yaml"
		if isJSON {
			name = "f.json"
		}
		var objs []*Object
		err := Decode(name, data, func(o *Object) error {
			objs = append(objs, o)
			o.FieldLine("spec.template.spec.containers[0].securityContext.privileged")
			return nil
		}, func(e *Error) {
			if (e.File != name && !namedBySource(data, e.File)) || e.Line < 0 || e.Err == nil {
				t.Errorf("malformed error %#v", e)
			}
		})
		if err != nil {
			t.Fatalf("Decode() = %v", err)
		}
		// The fast path must not change what is reported, and what it
		// decodes must equal the JSON path's objects.
		compareStreams(t, func(r *Reader, fn func(*Object) error, onErr func(*Error)) error {
			return r.ReadBytes(name, data, fn, onErr)
		})
		for _, o := range objs {
			if o.Line < 1 || o.APIVersion == "" || o.Kind == "" || (o.File != name && !namedBySource(data, o.File)) {
				t.Errorf("object without provenance: %+v", o)
			}
			if _, ok := o.Object.(*unstructured.Unstructured); ok {
				continue // ints and floats do not round trip through JSON
			}
			js, err := json.Marshal(o.Object)
			if err != nil {
				t.Fatalf("json.Marshal(%T) = %v", o.Object, err)
			}
			var again []runtime.Object
			err = Decode("again.json", js, func(o *Object) error { again = append(again, o.Object); return nil },
				func(e *Error) { t.Errorf("re-decoding %s: %v", js, e) })
			if err != nil {
				t.Fatal(err)
			}
			if len(again) != 1 {
				t.Fatalf("re-decoding %s gave %d objects", js, len(again))
			}
			if !equality.Semantic.DeepEqual(o.Object, again[0]) {
				t.Errorf("round trip changed the object (-first +again):\n%s", cmp.Diff(o.Object, again[0]))
			}
		}
	})
}

// namedBySource reports whether a "# Source:" comment line of data names
// file, spaces around the path aside (see sourceComment).
func namedBySource(data []byte, file string) bool {
	for _, l := range bytes.Split(data, []byte("\n")) {
		if p, ok := bytes.CutPrefix(bytes.TrimLeft(l, " \t"), []byte("# Source: ")); ok && string(bytes.TrimSpace(p)) == file {
			return true
		}
	}
	return false
}

// FuzzToJSON compares the node-tree YAML to JSON conversion with
// sigs.k8s.io/yaml (kubectl's) on arbitrary single documents: when we
// convert, the reference must convert to the same value (duplicate keys
// included: the last wins), except where keys of different YAML types give
// one JSON key, which the reference resolves in map iteration order. A
// mapping is also decoded into a few typed objects whatever its kind, and
// into dOuter (embedded structs), with the fast path and the JSON way (see
// checkDirect).
func FuzzToJSON(f *testing.F) {
	for _, s := range []string{
		"a: yes\nb: [1, 0x1F, 1e3, ~]\n",
		"base: &b {x: 1}\nm: {<<: *b, y: 2}\n",
		"1: a\n2.5: b\ntrue: c\n",
		"a: !!str 1\nb: !!binary aGk=\nc: 2001-01-01\n",
		"a: |\n  text\nb: >-\n  more\n",
		fieldDoc,
		"b: s\nd: x\nnamed: {a: x, b: 1}\np: 5\nf32: 1.5\nu8: 255\nbytes: aGk=\ng: x\n",
		"metadata: {name: a, labels: {x: y}, creationTimestamp: 2020-01-02T03:04:05Z}\nspec:\n  replicas: 0x1F\n  containers:\n  - name: c\n    resources: {limits: {cpu: 100m, memory: 1e3}}\n    ports: [{containerPort: 80}]\n  ports: [{port: 80, targetPort: http}]\ndata: {a: aGk=}\nrevision: 3\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err == nil && doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode {
			for _, tk := range directFuzzKinds {
				checkDirect(t, tk[1], doc.Content[0], tk[0], tk[1])
			}
			checkDirectInto(t, "dOuter", doc.Content[0], func() any { return new(dOuter) })
		}
		if bytes.Contains(data, []byte("\n---")) || bytes.HasPrefix(data, []byte("---")) || bytes.Contains(data, []byte("...")) || nonSpecificTag(data) {
			return // one document; the non-specific tag "!" is indistinguishable from none in yaml.v3's tree
		}
		var n yaml.Node
		if err := yaml.Unmarshal(data, &n); err != nil {
			return
		}
		var e emitter
		e.setDocument(&n)
		if err := e.emit(&n); err != nil || e.crossType {
			return // keys of different types collide: the reference picks at random
		}
		got := e.buf
		var want any
		if err := sigsyaml.Unmarshal(data, &want); err != nil {
			t.Fatalf("we converted %q to %s, sigs.k8s.io/yaml failed: %v", data, got, err)
		}
		var have any
		if err := json.Unmarshal(got, &have); err != nil {
			t.Fatalf("our JSON %s is invalid: %v", got, err)
		}
		if diff := cmp.Diff(want, have); diff != "" {
			t.Errorf("%q differs from sigs.k8s.io/yaml (-want +got):\n%s", data, diff)
		}
	})
}

// directFuzzKinds are the types FuzzToJSON decodes mappings into: their
// fields cover strings, integers, booleans, pointers, slices, maps,
// quantities, int-or-strings, times, base64 and raw JSON.
var directFuzzKinds = [][2]string{
	{"v1", "Pod"}, {"apps/v1", "Deployment"}, {"v1", "Service"}, {"v1", "Secret"},
	{"v1", "ConfigMap"}, {"apps/v1", "ControllerRevision"}, {"v1", "LimitRange"},
}

// nonSpecificTag reports whether data may use the tag "!" alone.
func nonSpecificTag(data []byte) bool {
	for i, c := range data {
		if c != '!' {
			continue
		}
		if i+1 == len(data) {
			return true
		}
		n := data[i+1]
		if n != '!' && n != '<' && !(n >= 'a' && n <= 'z' || n >= 'A' && n <= 'Z') {
			return true
		}
	}
	return false
}

// FuzzReadWalked writes arbitrary bytes to a file in a directory and reads
// it both ways: walked, the file is either skipped with nothing else
// reported, or yields exactly what reading it by name yields.
func FuzzReadWalked(f *testing.F) {
	for _, s := range repo {
		f.Add([]byte(s), false)
	}
	f.Add([]byte(helmOutput), false)
	f.Add([]byte("foo: bar\n---\n"+cm("x")), false)
	f.Add([]byte("{\"a\": 1}\n{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"x\"}}\n"), true)
	f.Add(utf16("replicas: 2\n", false), false)
	f.Fuzz(func(t *testing.T, data []byte, isJSON bool) {
		dir := t.TempDir()
		name := filepath.Join(dir, "f.yaml")
		if isJSON {
			name = filepath.Join(dir, "f.json")
		}
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var walked, given events
		var skips []Skip
		r := Reader{Workers: 2, OnSkip: func(s Skip) { skips = append(skips, s) }}
		if err := r.Read([]string{dir}, walked.fn, walked.onErr); err != nil {
			t.Fatal(err)
		}
		objects := 0
		if err := r.Read([]string{name}, func(o *Object) error { objects++; return given.fn(o) }, given.onErr); err != nil {
			t.Fatal(err)
		}
		switch {
		case len(skips) > 1:
			t.Fatalf("skipped more than once: %v", skips)
		case len(skips) == 1:
			if skips[0].File != name || skips[0].Reason == "" {
				t.Errorf("malformed skip %+v", skips[0])
			}
			if len(walked) > 0 {
				t.Errorf("skipped, yet reported %q", walked)
			}
			if objects > 0 {
				t.Errorf("skipped a file that yields objects: %q", given)
			}
		case len(given) <= maxHeld:
			if diff := cmp.Diff([]string(given), []string(walked)); diff != "" {
				t.Errorf("walked differs from given (-given +walked):\n%s", diff)
			}
		}
	})
}
