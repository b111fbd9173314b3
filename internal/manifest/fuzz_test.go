package manifest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// FuzzDecode feeds arbitrary bytes to Decode: it must not panic, every
// error must be located in the file, and every typed object must survive a
// JSON round trip through Decode unchanged.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, filepath.Ext(p) == ".json")
	}
	f.Add([]byte(fieldDoc), false)
	f.Add([]byte("a: &a [*a]\n"), false)
	f.Add([]byte("apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: a}\n"), false)
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
			if e.File != name || e.Line < 0 || e.Err == nil {
				t.Errorf("malformed error %#v", e)
			}
		})
		if err != nil {
			t.Fatalf("Decode() = %v", err)
		}
		for _, o := range objs {
			if o.Line < 1 || o.APIVersion == "" || o.Kind == "" {
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
