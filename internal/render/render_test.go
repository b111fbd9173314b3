package render

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// doc is one document of a rendered stream.
type doc struct {
	Source string
	Obj    map[string]any
}

// docs splits a rendered stream into its documents, failing the test on a
// document without a "# Source:" comment or that does not parse.
func docs(t *testing.T, out []byte) []doc {
	t.Helper()
	var res []doc
	for i, chunk := range strings.Split("\n"+string(out), "\n---\n") {
		if i == 0 {
			if strings.TrimSpace(chunk) != "" {
				t.Fatalf("stream does not start with ---: %q", chunk)
			}
			continue
		}
		first, rest, _ := strings.Cut(chunk, "\n")
		src, ok := strings.CutPrefix(first, sourceComment)
		if !ok {
			t.Fatalf("document %d does not start with %q: %q", i, sourceComment, first)
		}
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(rest), &obj); err != nil {
			t.Fatalf("document %d (%s): %v\n%s", i, src, err, rest)
		}
		res = append(res, doc{Source: src, Obj: obj})
	}
	return res
}

// field returns the value at a dotted path of obj, or nil.
func field(obj map[string]any, path string) any {
	var cur any = obj
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

// id is "Kind/name" or "Kind/namespace/name".
func id(d doc) string {
	ns, _ := field(d.Obj, "metadata.namespace").(string)
	name, _ := field(d.Obj, "metadata.name").(string)
	kind, _ := d.Obj["kind"].(string)
	if ns == "" {
		return kind + "/" + name
	}
	return kind + "/" + ns + "/" + name
}

// byID indexes documents by id, failing on duplicates.
func byID(t *testing.T, ds []doc) map[string]doc {
	t.Helper()
	m := map[string]doc{}
	for _, d := range ds {
		if _, dup := m[id(d)]; dup {
			t.Fatalf("duplicate object %s", id(d))
		}
		m[id(d)] = d
	}
	return m
}

// golden compares got with testdata/golden/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (-want +got):\n%s", p, cmp.Diff(string(want), string(got)))
	}
}

func TestDisplayPath(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in, want string
	}{
		{"relative stays relative", "testdata/kust/base/deploy.yaml", "testdata/kust/base/deploy.yaml"},
		{"cleaned", "testdata/kust/overlay/../base/deploy.yaml", "testdata/kust/base/deploy.yaml"},
		{"absolute below cwd becomes relative", filepath.Join(wd, "testdata", "x.yaml"), "testdata/x.yaml"},
		{"outside cwd becomes absolute", "../x.yaml", filepath.Join(filepath.Dir(wd), "x.yaml")},
		{"cwd itself", wd, "."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := displayPath(tt.in); got != filepath.FromSlash(tt.want) {
				t.Errorf("displayPath(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
