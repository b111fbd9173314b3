package manifest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/manifest/manifesttest"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	sigsyaml "sigs.k8s.io/yaml"
)

const benchObjects = 5000

var benchCorpus = sync.OnceValue(func() []byte { return manifesttest.Corpus(1, benchObjects) })

// BenchmarkDecode decodes a 10 MB corpus of 5,000 objects (about 1,000 of
// them workloads) with this package, sequentially and on GOMAXPROCS
// goroutines, and the straightforward way: split documents, sigs.k8s.io/yaml
// to JSON, client-go's universal deserializer (no lines, no strict checks).
// Compare runs with benchstat; objects/s and MB/s are per run.
//
//	go test ./internal/manifest/ -run '^$' -bench Decode -benchtime 10x -count 5
func BenchmarkDecode(b *testing.B) {
	data := benchCorpus()
	run := func(b *testing.B, decode func() (int, error)) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		objects := 0
		cpu0 := cpuTime()
		for b.Loop() {
			n, err := decode()
			if err != nil {
				b.Fatal(err)
			}
			objects += n
		}
		if objects != benchObjects*b.N {
			b.Fatalf("decoded %d objects in %d runs, want %d per run", objects, b.N, benchObjects)
		}
		b.ReportMetric(float64(objects)/b.Elapsed().Seconds(), "objects/s")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(objects), "ns/object")
		// CPU time (all threads, GC included) is steadier than wall time on
		// a loaded machine, and shows what parallel decoding costs.
		b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(objects), "cpu-ns/object")
	}
	for _, workers := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("manifest/workers=%d", workers), func(b *testing.B) {
			r := &Reader{Workers: workers}
			run(b, func() (int, error) {
				n := 0
				var bad error
				err := r.ReadBytes("corpus.yaml", data, func(*Object) error { n++; return nil }, func(e *Error) { bad = e })
				return n, errors.Join(err, bad)
			})
		})
	}
	// Each document parsed alone, as before parseBatch.
	b.Run(fmt.Sprintf("manifest/workers=%d/unbatched", runtime.GOMAXPROCS(0)), func(b *testing.B) {
		defer func(n int) { batchDocs = n }(batchDocs)
		batchDocs = 1
		r := &Reader{}
		run(b, func() (int, error) {
			n := 0
			var bad error
			err := r.ReadBytes("corpus.yaml", data, func(*Object) error { n++; return nil }, func(e *Error) { bad = e })
			return n, errors.Join(err, bad)
		})
	})
	b.Run("straightforward", func(b *testing.B) {
		dec := scheme.Codecs.UniversalDeserializer()
		run(b, func() (int, error) {
			n := 0
			r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
			for {
				doc, err := r.Read()
				if err == io.EOF {
					return n, nil
				}
				if err != nil {
					return n, err
				}
				js, err := sigsyaml.YAMLToJSON(doc)
				if err != nil {
					return n, err
				}
				if _, _, err := dec.Decode(js, nil, nil); err != nil {
					return n, err
				}
				n++
			}
		})
	})
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
