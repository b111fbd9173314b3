package manifest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kubeward/kubeward/internal/manifest/manifesttest"
	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"
)

// directResult is what the fast path did with one object.
type directResult int

const (
	directUntyped  directResult = iota // not a built-in kind: no fast path
	directHandled                      // decoded, equal to the JSON path's
	directDeclined                     // left to the JSON path
)

// checkDirect decodes the object mapping n both ways: when the fast path
// succeeds, the JSON path must decode it without error, strict warning or
// duplicate key, to a reflect.DeepEqual object.
func checkDirect(t *testing.T, what string, n *yaml.Node, apiVersion, kind string) directResult {
	t.Helper()
	gvk := schema.FromAPIVersionAndKind(apiVersion, kind)
	if newTyped(gvk) == nil {
		return directUntyped
	}
	return checkDirectInto(t, what, n, func() any { return newTyped(gvk) })
}

// checkDirectInto is checkDirect for the values newObj returns, pointers
// to fresh zero values.
func checkDirectInto(t *testing.T, what string, n *yaml.Node, newObj func() any) directResult {
	t.Helper()
	fast := newObj()
	dd := directDecoder{em: &emitter{}}
	fastErr := dd.decode(n, fast)
	if fastErr != nil && !errors.Is(fastErr, errNotDirect) {
		t.Errorf("%s: fast path returned %v, want nil or errNotDirect", what, fastErr)
	}

	slow := newObj()
	var em emitter
	var problems []string
	if err := em.emit(n); err != nil {
		problems = append(problems, "emit: "+err.Error())
	} else {
		for _, d := range em.dups {
			problems = append(problems, "duplicate key "+d.key)
		}
		strict, err := kjson.UnmarshalStrict(em.buf, slow, kjson.DisallowUnknownFields)
		if err != nil {
			problems = append(problems, "decode: "+err.Error())
		}
		for _, s := range strict {
			problems = append(problems, "strict: "+s.Error())
		}
	}
	if fastErr != nil {
		return directDeclined
	}
	if len(problems) > 0 {
		t.Errorf("%s: fast path decoded what the JSON path reports: %q", what, problems)
		return directHandled
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Errorf("%s: fast path differs (-json +fast):\n%s", what, cmp.Diff(slow, fast, cmp.Exporter(func(reflect.Type) bool { return true })))
	}
	return directHandled
}

// directCounts tallies checkDirect's results.
type directCounts [3]int

func (c directCounts) String() string {
	typed := c[directHandled] + c[directDeclined]
	return fmt.Sprintf("%d of %d typed objects decoded directly (%.1f%%), %d declined; %d not built-in",
		c[directHandled], typed, 100*float64(c[directHandled])/float64(max(typed, 1)), c[directDeclined], c[directUntyped])
}

// checkObjects runs checkDirect on every object of a stream as Reader
// delivers it (the JSON path), finding its mapping through its document's
// tree.
func checkObjects(t *testing.T, objs []*Object) directCounts {
	t.Helper()
	var c directCounts
	for _, o := range objs {
		if _, ok := o.Object.(*unstructured.Unstructured); ok {
			c[directUntyped]++
			continue
		}
		n := o.lines.doc.tree()
		for _, i := range o.lines.items {
			items, _ := lookup(n, "items")
			n = resolveAlias(resolveAlias(items).Content[i])
		}
		if n == nil || n.Kind != yaml.MappingNode {
			t.Fatalf("%s:%d: no mapping for the object", o.File, o.Line)
		}
		c[checkDirect(t, fmt.Sprintf("%s:%d", o.File, o.Line), n, o.APIVersion, o.Kind)]++
	}
	return c
}

// stream is everything a Reader reports, in order, without the field-line
// index.
type stream struct {
	objs   []*Object
	events []string
}

func readEvents(t *testing.T, direct bool, read func(r *Reader, fn func(*Object) error, onErr func(*Error)) error) stream {
	t.Helper()
	defer func(old bool) { directDecode = old }(directDecode)
	directDecode = direct
	var s stream
	err := read(&Reader{Workers: 1}, func(o *Object) error {
		s.objs = append(s.objs, o)
		s.events = append(s.events, fmt.Sprintf("object %s %s %s/%s at %s:%d", o.APIVersion, o.Kind, o.Namespace, o.Name, o.File, o.Line))
		return nil
	}, func(e *Error) {
		s.events = append(s.events, fmt.Sprintf("error %s:%d warning=%v: %v", e.File, e.Line, e.Warning, e.Err))
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// compareStreams reads the same input with the fast path off and on: the
// objects must be reflect.DeepEqual and the errors and warnings identical.
// It returns the fast path's tally over the stream.
func compareStreams(t *testing.T, read func(r *Reader, fn func(*Object) error, onErr func(*Error)) error) directCounts {
	t.Helper()
	slow := readEvents(t, false, read)
	fast := readEvents(t, true, read)
	if diff := cmp.Diff(slow.events, fast.events); diff != "" {
		t.Fatalf("reports differ (-json +direct):\n%s", diff)
	}
	for i, o := range slow.objs {
		if !reflect.DeepEqual(o.Object, fast.objs[i].Object) {
			t.Errorf("%s:%d differs (-json +direct):\n%s", o.File, o.Line, cmp.Diff(o.Object, fast.objs[i].Object))
		}
	}
	return checkObjects(t, slow.objs)
}

// TestDirectMatchesJSON decodes generated corpora, testdata and the
// real-world corpus with and without the fast path.
func TestDirectMatchesJSON(t *testing.T) {
	bytesOf := func(name string, data []byte) func(r *Reader, fn func(*Object) error, onErr func(*Error)) error {
		return func(r *Reader, fn func(*Object) error, onErr func(*Error)) error {
			return r.ReadBytes(name, data, fn, onErr)
		}
	}
	for _, seed := range []int64{1, 2, 7, 42} {
		t.Run(fmt.Sprintf("gencorpus/seed=%d", seed), func(t *testing.T) {
			c := compareStreams(t, bytesOf("corpus.yaml", manifesttest.Corpus(seed, 1000)))
			t.Log(c)
			if c[directHandled] < 9*(c[directHandled]+c[directDeclined])/10 {
				t.Errorf("fast path handles too little of the corpus: %v", c)
			}
		})
	}
	t.Run("testdata", func(t *testing.T) {
		files, _ := filepath.Glob(filepath.Join("testdata", "*"))
		var total directCounts
		for _, p := range files {
			if p == filepath.Join("testdata", "fuzz") {
				continue
			}
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			c := compareStreams(t, bytesOf(p, data))
			for i := range total {
				total[i] += c[i]
			}
		}
		t.Log(total)
	})
	t.Run("realworld", func(t *testing.T) {
		if testing.Short() {
			t.Skip("reads 22 MB")
		}
		dir := filepath.Join("..", "..", "test", "realworld", "testdata")
		c := compareStreams(t, func(r *Reader, fn func(*Object) error, onErr func(*Error)) error {
			return r.Read([]string{dir}, fn, onErr)
		})
		t.Log(c)
		if c[directHandled] < 3*(c[directHandled]+c[directDeclined])/4 {
			t.Errorf("fast path handles too little of the real-world corpus: %v", c)
		}
	})
}

// TestDirectCases holds one case per reason the fast path declines, and
// values it must get exactly right. fast says whether it must decode the
// document (true), must decline it (false), or either (nil).
func TestDirectCases(t *testing.T) {
	yes, no := new(bool), new(bool)
	*yes = true
	pod := func(spec string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n" + spec
	}
	ctr := func(fields string) string {
		return pod("  containers:\n  - name: c\n    image: i\n" + fields)
	}
	meta := func(fields string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n" + fields
	}
	deploy := func(spec string) string {
		return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n" + spec
	}
	svc := func(port string) string {
		return "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n  - port: 80\n    targetPort: " + port + "\n"
	}
	secret := func(data string) string {
		return "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n" + data
	}
	limits := func(q string) string {
		return ctr("    resources:\n      limits:\n        cpu: " + q + "\n")
	}
	cases := []struct {
		name string
		doc  string
		fast *bool
	}{
		{"plain", ctr(""), yes},
		{"json", `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}, "data": {"a": "1"}}`, yes},
		{"alias", meta("  name: &n x\n  namespace: *n\n"), no},
		{"anchor only", meta("  name: &n x\n"), no},
		{"merge", meta("  <<: {name: x}\n"), no},
		{"merge alias", "base: &b {name: x}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  <<: *b\n", no},
		{"tag str", meta("  name: !!str 1\n"), no},
		{"tag int", deploy("  replicas: !!int 3\n"), no},
		{"local tag", meta("  name: !foo x\n"), no},
		{"tagged mapping", meta("  labels: !!map {a: b}\n"), no},
		{"binary tag", secret("  a: !!binary aGk=\n"), no},
		{"duplicate field", meta("  name: a\n  name: b\n"), no},
		{"duplicate map key", meta("  name: a\n  labels: {x: a, x: b}\n"), no},
		{"duplicate quoted key", meta("  name: a\n  labels: {x: a, \"x\": b}\n"), no},
		{"duplicate in raw", "apiVersion: apps/v1\nkind: ControllerRevision\nmetadata: {name: r}\nrevision: 1\ndata: {a: 1, a: 2}\n", no},
		{"unknown field", pod("  foo: 1\n"), no},
		{"field case", meta("  Name: x\n"), no},
		{"float to int", deploy("  replicas: 1.5\n"), no},
		{"exponent to int", deploy("  replicas: 1e3\n"), no},
		{"overflow int32", deploy("  replicas: 3000000000\n"), no},
		{"overflow int64", pod("  containers: []\n  activeDeadlineSeconds: 99999999999999999999\n"), no},
		{"negative", deploy("  replicas: -3\n"), yes},
		{"hex int", deploy("  replicas: 0x1F\n"), yes},
		{"octal int", deploy("  replicas: 017\n"), yes},
		{"0o octal", deploy("  replicas: 0o17\n"), yes},
		{"underscore int", deploy("  replicas: 1_000\n"), yes},
		{"binary int", deploy("  replicas: 0b101\n"), yes},
		{"plus int", deploy("  replicas: +4\n"), yes},
		{"quoted int", deploy("  replicas: \"3\"\n"), no},
		{"string to int", deploy("  replicas: three\n"), no},
		{"bool to int", deploy("  replicas: true\n"), no},
		{"hex into string", meta("  name: 0x1F\n"), no},
		{"octal into string", meta("  name: 017\n"), no},
		{"quoted hex into string", meta("  name: \"0x1F\"\n"), yes},
		{"yes into string", meta("  name: yes\n"), no},
		{"quoted yes", meta("  name: \"yes\"\n"), yes},
		{"on into bool", pod("  containers: []\n  hostPID: on\n"), yes},
		{"yes into bool", pod("  containers: []\n  hostPID: yes\n"), yes},
		{"N into bool", pod("  containers: []\n  hostPID: N\n"), yes},
		{"quoted bool", pod("  containers: []\n  hostPID: \"true\"\n"), no},
		{"timestamp into string", meta("  name: a\n  annotations: {t: 2001-01-01}\n"), yes},
		{"float into string", meta("  name: 1.5\n"), no},
		{"empty value", meta("  name:\n"), yes},
		{"tilde string", meta("  name: ~\n"), yes},
		{"null map", meta("  name: a\n  labels: null\n"), yes},
		{"null slice", pod("  containers: ~\n"), yes},
		{"null pointer", ctr("    securityContext: ~\n"), yes},
		{"null struct", "apiVersion: v1\nkind: Pod\nmetadata: ~\nspec: ~\n", yes},
		{"null int pointer", deploy("  replicas: ~\n"), yes},
		{"null bool", pod("  containers: []\n  hostPID: ~\n"), yes},
		{"null int", "apiVersion: apps/v1\nkind: ControllerRevision\nmetadata: {name: r}\nrevision: ~\n", yes},
		{"null map value", meta("  name: a\n  labels: {x: ~}\n") + "data: {z: }\n", yes},
		{"null quantity", limits("~"), yes},
		{"null time", meta("  name: a\n  creationTimestamp: ~\n"), yes},
		{"null intorstring", svc("~"), yes},
		{"null bytes", secret("  a: ~\n"), yes},
		{"empty map", meta("  name: a\n  labels: {}\n"), yes},
		{"empty slice", pod("  containers: []\n"), yes},
		{"base64", secret("  a: aGk=\n  b: \"\"\n"), yes},
		{"bad base64", secret("  a: not base64!\n"), no},
		{"base64 int", secret("  a: 1234\n"), no},
		{"quantity milli", limits("100m"), yes},
		{"quantity quoted", limits("\"1\""), yes},
		{"quantity int", limits("2"), yes},
		{"quantity float", limits("0.5"), yes},
		{"quantity exponent", limits("1e3"), yes},
		{"quantity hex", limits("0x10"), yes},
		{"quantity binary SI", "apiVersion: v1\nkind: LimitRange\nmetadata: {name: l}\nspec:\n  limits:\n  - type: Container\n    max: {memory: 1Gi}\n", yes},
		{"bad quantity", limits("lots"), no},
		{"quantity bool", limits("yes"), no},
		{"intorstring int", svc("8080"), yes},
		{"intorstring string", svc("http"), yes},
		{"intorstring quoted int", svc("\"8080\""), yes},
		{"intorstring hex", svc("0x1F"), yes},
		{"intorstring float", svc("1.5"), no},
		{"intorstring bool", svc("on"), no},
		{"time", meta("  name: a\n  creationTimestamp: 2020-01-02T03:04:05Z\n"), yes},
		{"time quoted", meta("  name: a\n  creationTimestamp: \"2020-01-02T03:04:05Z\"\n"), yes},
		{"time date only", meta("  name: a\n  creationTimestamp: 2020-01-02\n"), no},
		{"time int", meta("  name: a\n  creationTimestamp: 5\n"), no},
		{"duration", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec:\n  scaleTargetRef: {kind: Deployment, name: d}\n  maxReplicas: 3\n", yes},
		{"raw extension", "apiVersion: apps/v1\nkind: ControllerRevision\nmetadata: {name: r}\nrevision: 1\ndata: {a: [1, yes, 0x1F, 1e3, ~, \"s\"], b: {c: {}}}\n", yes},
		{"raw extension alias", "apiVersion: apps/v1\nkind: ControllerRevision\nmetadata: {name: &n r}\nrevision: 1\ndata: {a: *n}\n", no},
		{"raw extension anchor", "apiVersion: apps/v1\nkind: ControllerRevision\nmetadata: {name: r}\nrevision: 1\ndata: {a: &x [1], b: *x}\n", no},
		{"raw extension merge", "apiVersion: apps/v1\nkind: ControllerRevision\nmetadata: {name: r}\nrevision: 1\ndata: {<<: {a: 1}, b: 2}\n", no},
		{"raw extension tag", "apiVersion: apps/v1\nkind: ControllerRevision\nmetadata: {name: r}\nrevision: 1\ndata: {a: !!str 1}\n", no},
		{"raw extension bomb", "apiVersion: apps/v1\nkind: ControllerRevision\nmetadata: {name: r}\nrevision: 1\ndata:\n  a: &a [1,1,1,1,1,1,1,1,1,1]\n  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n  e: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n", no},
		{"raw extension scalar", "apiVersion: apps/v1\nkind: ControllerRevision\nmetadata: {name: r}\nrevision: 1\ndata: 5\n", nil},
		{"fields v1", meta("  name: a\n  managedFields:\n  - manager: m\n    fieldsType: FieldsV1\n    fieldsV1: {\"f:data\": {\"f:a\": {}}}\n"), yes},
		{"bool key", meta("  name: a\n  labels: {yes: a}\n"), no},
		{"int key", meta("  name: a\n  labels: {1: a}\n"), no},
		{"quoted int key", meta("  name: a\n  labels: {\"1\": a}\n"), yes},
		{"null key", meta("  name: a\n  labels: {~: a}\n"), no},
		{"sequence key", meta("  name: a\n  labels: {[a]: a}\n"), no},
		{"sequence for struct", pod("  - a\n"), no},
		{"mapping for string", meta("  name: {a: b}\n"), no},
		{"mapping for slice", pod("  containers: {a: b}\n"), no},
		{"int into string map", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: 1}\n", no},
		{"escapes", meta("  name: \"caf\\u00e9\\t\\x41\"\n"), yes},
		{"literal block", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: |\n    line\n    yes\n  b: >-\n    folded\n    text\n", yes},
		{"NaN", limits(".nan"), no},
		{"infinity into quantity", limits(".inf"), no},
		{"typed list item", "apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: a}\n  spec: {containers: []}\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: b, name: c}\n", nil},
		{"list", "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}, data: {x: 1}}\n", nil},
		{"unstructured", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {a: 1.5}\n", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := "c.yaml"
			if strings.HasPrefix(tc.doc, "{") {
				name = "c.json"
			}
			c := compareStreams(t, func(r *Reader, fn func(*Object) error, onErr func(*Error)) error {
				return r.ReadBytes(name, []byte(tc.doc), fn, onErr)
			})
			// Objects the JSON path rejects are not delivered, so check
			// the document's mapping directly as well.
			root, err := parseDoc([]byte(tc.doc), name == "c.json")
			if err != nil {
				t.Fatal(err)
			}
			n := root.Content[0]
			apiVersion, kind, _ := typeOf(n)
			got := checkDirect(t, tc.name, n, apiVersion, kind)
			if tc.fast != nil {
				want := directDeclined
				if *tc.fast {
					want = directHandled
				}
				if got != want {
					t.Errorf("fast path result %d, want %d (%v)", got, want, c)
				}
			}
		})
	}
}

// Types for TestDirectFieldRules: encoding/json's rules for embedded
// structs, which the Kubernetes types barely exercise.
type (
	dInner struct {
		A string `json:"a"`
		B int    `json:"b"`
		D string `json:"d"`
	}
	dOther struct {
		A string `json:"a"`
		C string
	}
	dLevel2 struct {
		D string // untagged: hidden by dInner's tagged d at the same depth
		E string `json:"e"`
	}
	dDeep     struct{ dLevel2 }
	dExported struct {
		F string `json:"f"`
	}
	// DEmbedded is exported so that an embedded pointer to it can be
	// allocated.
	DEmbedded struct {
		G string `json:"g"`
	}
	dOuter struct {
		dInner  `json:",inline"`
		*dOther // unexported embedded pointer: its fields cannot be set
		dDeep
		*dExported
		*DEmbedded
		Named    dInner  `json:"named"`
		B        string  `json:"b"` // shallower than dInner's b
		Q        int     `json:"q,string"`
		Skip     string  `json:"-"`
		Any      any     `json:"any"`
		Arr      [2]int  `json:"arr"`
		P        *int32  `json:"p"`
		F32      float32 `json:"f32"`
		U8       uint8   `json:"u8"`
		Bytes    []byte  `json:"bytes"`
		untagged string
	}
)

// TestDirectFieldRules decodes documents into dOuter both ways: the fast
// path must give the JSON path's object, or decline.
func TestDirectFieldRules(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		fast bool
	}{
		{"b: s\n", true},
		{"a: x\n", false}, // ambiguous between dInner and dOther: unknown
		{"C: y\n", false}, // behind an unexported embedded pointer
		{"d: x\ne: z\n", true},
		{"D: x\n", true},  // not d: a name of its own
		{"e: y\n", false}, // y is a YAML 1.1 boolean
		{"f: x\n", false}, // behind an unexported embedded pointer
		{"g: x\n", true},  // allocates the embedded *DEmbedded
		{"named: {a: x, b: 1}\n", true},
		{"q: 1\n", false},
		{"Skip: x\n", false},
		{"untagged: x\n", false},
		{"any: 1\n", false},
		{"arr: [1, 2]\n", false},
		{"p: 5\n", true},
		{"p: ~\n", true},
		{"f32: 1.5\n", true},
		{"f32: 3\n", true},
		{"f32: 1e39\n", false},
		{"f32: 0.1\n", true},
		{"u8: 255\n", true},
		{"u8: 256\n", false},
		{"u8: -1\n", false},
		{"bytes: [1, 2]\n", true},
		{"bytes: aGk=\n", true},
		{"bytes: \"\"\n", true},
		{"B: s\n", false}, // case matters
	} {
		var root yaml.Node
		if err := yaml.Unmarshal([]byte(tc.doc), &root); err != nil {
			t.Fatal(err)
		}
		got := checkDirectInto(t, fmt.Sprintf("%q", tc.doc), root.Content[0], func() any { return new(dOuter) })
		if (got == directHandled) != tc.fast {
			t.Errorf("%q: fast path result %d, want success %v", tc.doc, got, tc.fast)
		}
	}
}
