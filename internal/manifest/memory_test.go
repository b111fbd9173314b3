package manifest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/manifest/manifesttest"
)

// TestMemoryBounded reads a directory of 100,000 objects and checks that the
// live heap stays small: Read holds one document at a time, not the tree.
func TestMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 100,000 objects")
	}
	dir := t.TempDir()
	const files, perFile = 100, 1000
	for f := range files {
		var b strings.Builder
		for i := range perFile {
			fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d-%d\n  namespace: ns-%d\ndata:\n  key: value-%d\n", f, i, f%7, i)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%03d.yaml", f)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var maxHeap uint64
	n := 0
	err := (&Reader{}).Read([]string{dir}, func(o *Object) error {
		n++
		if n%10000 == 0 {
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			maxHeap = max(maxHeap, ms.HeapAlloc)
		}
		return nil
	}, func(e *Error) { t.Error(e) })
	if err != nil {
		t.Fatal(err)
	}
	if n != files*perFile {
		t.Fatalf("read %d objects, want %d", n, files*perFile)
	}
	t.Logf("live heap at most %.1f MiB over %d objects", float64(maxHeap)/(1<<20), n)
	if maxHeap > 32<<20 {
		t.Errorf("live heap reached %.1f MiB, want under 32 MiB", float64(maxHeap)/(1<<20))
	}
}

func heapMiB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20)
}

// TestRetainedMemory keeps every object of the corpus, as a consumer
// building a cross-object index would, and checks that looking up field
// lines afterwards does not pin the parsed trees (about nine times the
// source) to the objects. Run with -v to see the figures.
func TestRetainedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes a 10 MB corpus")
	}
	data := manifesttest.Corpus(1, 5000)
	h0 := heapMiB()
	var objs []*Object
	if err := Decode("c.yaml", data, func(o *Object) error { objs = append(objs, o); return nil }, func(e *Error) { t.Error(e) }); err != nil {
		t.Fatal(err)
	}
	h1 := heapMiB()
	start := time.Now()
	for _, o := range objs {
		o.FieldLine("spec.template.spec.containers[0].securityContext.privileged")
		o.FieldLine("spec.template.spec.hostNetwork")
	}
	d := time.Since(start)
	h2 := heapMiB()
	t.Logf("corpus %.1f MiB: %d objects retained %.1f MiB; after two FieldLine calls each (%v) %+.1f MiB",
		float64(len(data))/(1<<20), len(objs), h1-h0, d, h2-h1)
	if h2-h1 > 8 {
		t.Errorf("FieldLine after Read retained %.1f MiB", h2-h1)
	}
	runtime.KeepAlive(objs)
}
