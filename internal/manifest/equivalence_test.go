package manifest

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kubeward/kubeward/internal/manifest/manifesttest"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	sigsyaml "sigs.k8s.io/yaml"
)

// straightforward decodes one YAML document the common way: kubectl's YAML
// to JSON conversion, then client-go's universal deserializer; kinds it does
// not know become Unstructured.
func straightforward(doc []byte) (runtime.Object, error) {
	js, err := sigsyaml.YAMLToJSON(doc)
	if err != nil {
		return nil, err
	}
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(js, nil, nil)
	if runtime.IsNotRegisteredError(err) {
		u := &unstructured.Unstructured{}
		return u, u.UnmarshalJSON(js)
	}
	return obj, err
}

// TestMatchesStraightforwardDecoding decodes every document of a generated
// corpus and of testdata both ways and requires equal objects.
func TestMatchesStraightforwardDecoding(t *testing.T) {
	sources := map[string][]byte{"corpus.yaml": manifesttest.Corpus(7, 800)}
	for _, name := range []string{"deployment.yaml", "privileged.yaml", "crd.yaml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		sources[name] = b
	}
	for name, data := range sources {
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		var docs [][]byte
		for {
			d, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, d)
		}
		var ours []runtime.Object
		err := Decode(name, data, func(o *Object) error { ours = append(ours, o.Object); return nil },
			func(e *Error) { t.Errorf("unexpected error: %v", e) })
		if err != nil {
			t.Fatal(err)
		}
		if len(ours) != len(docs) {
			t.Fatalf("%s: decoded %d objects, want %d", name, len(ours), len(docs))
		}
		for i, d := range docs {
			want, err := straightforward(d)
			if err != nil {
				t.Fatalf("%s document %d: straightforward decoding: %v", name, i, err)
			}
			if !equality.Semantic.DeepEqual(want, ours[i]) {
				t.Errorf("%s document %d differs (-straightforward +ours):\n%s", name, i, cmp.Diff(want, ours[i]))
			}
		}
	}
}

// TestMatchesStraightforwardDecodingRealWorld decodes every document of the
// real-world corpus (test/realworld/testdata: 22 projects' manifests, read
// as files, not rendered) both ways, one document at a time, and requires
// equal objects wherever both decode it to one object without a problem.
// Documents that either side rejects (templates, values files, broken
// manifests) are covered by the error goldens instead.
func TestMatchesStraightforwardDecodingRealWorld(t *testing.T) {
	root := filepath.Join("..", "..", "test", "realworld", "testdata")
	if _, err := os.Stat(root); err != nil {
		t.Skip("no real-world corpus:", err)
	}
	compared := 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !manifestExt(path) {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if isJSONName(path) {
			return nil // one value per file, covered by the JSON tests
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for i := 0; ; i++ {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return nil // not YAML the reader splits: nothing to compare
			}
			want, err := straightforward(doc)
			if err != nil || want == nil {
				continue
			}
			var ours []runtime.Object
			problems := 0
			_ = Decode("doc.yaml", doc, func(o *Object) error { ours = append(ours, o.Object); return nil },
				func(*Error) { problems++ })
			if len(ours) != 1 || problems > 0 {
				continue // a List, or a document with unknown fields or duplicate keys
			}
			compared++
			if !equality.Semantic.DeepEqual(want, ours[0]) {
				t.Errorf("%s document %d differs (-straightforward +ours):\n%s", path, i, cmp.Diff(want, ours[0]))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if compared < 1000 {
		t.Errorf("compared %d documents, want the bulk of the corpus", compared)
	}
	t.Logf("%d documents decode equally", compared)
}
