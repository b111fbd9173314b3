package manifest

import (
	"bufio"
	"bytes"
	"sync"
	"testing"

	"github.com/kubeward/kubeward/internal/manifest/manifesttest"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

const benchObjects = 5000

var benchCorpus = sync.OnceValue(func() []byte { return manifesttest.Corpus(1, benchObjects) })

// BenchmarkDecode decodes the corpus with this package.
func BenchmarkDecode(b *testing.B) {
	data := benchCorpus()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	objects := 0
	for b.Loop() {
		objects = 0
		err := Decode("corpus.yaml", data, func(*Object) error { objects++; return nil }, func(e *Error) { b.Fatal(e) })
		if err != nil {
			b.Fatal(err)
		}
	}
	if objects != benchObjects {
		b.Fatalf("decoded %d objects, want %d", objects, benchObjects)
	}
	b.ReportMetric(float64(objects)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
	b.ReportMetric(0, "ns/op") // per-op time is reported as MB/s and objects/s
}

// BenchmarkDecodeStraightforward decodes the corpus the common way: split
// documents, sigs.k8s.io/yaml to JSON, then the client-go universal
// deserializer. It gives no lines and no strict checking.
func BenchmarkDecodeStraightforward(b *testing.B) {
	data := benchCorpus()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	objects := 0
	dec := scheme.Codecs.UniversalDeserializer()
	for b.Loop() {
		objects = 0
		r := utilyaml.NewYAMLReader(bufioReader(data))
		for {
			doc, err := r.Read()
			if err != nil {
				break
			}
			js, err := yaml.YAMLToJSON(doc)
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := dec.Decode(js, nil, nil); err != nil {
				b.Fatal(err)
			}
			objects++
		}
	}
	if objects != benchObjects {
		b.Fatalf("decoded %d objects, want %d", objects, benchObjects)
	}
	b.ReportMetric(float64(objects)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
	b.ReportMetric(0, "ns/op")
}

func bufioReader(data []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(data)) }
