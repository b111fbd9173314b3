package scan

import (
	"bytes"
	"testing"

	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/report"
)

// TestReadParallelMatchesSequential checks that evaluating objects on the
// reader's decoding goroutines (Reader.Prepare) and judging bundles
// concurrently in Finish report exactly what one goroutine reports, on the
// real-world corpus with every rule family: same findings in the same
// order, same errors, warnings and sections.
func TestReadParallelMatchesSequential(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the real-world corpus")
	}
	dir := "../../test/realworld/testdata"
	render := func(workers int) []byte {
		s := newTestScanner(t, "restricted", Options{})
		rep := s.Read(&manifest.Reader{Workers: workers}, []string{dir})
		var b bytes.Buffer
		if err := report.Write(&b, report.FormatJSON, rep, report.Options{}); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	want := render(1)
	if len(want) < 100000 {
		t.Fatalf("the corpus gave a %d-byte report; is %s there?", len(want), dir)
	}
	for _, workers := range []int{2, 4, 8} {
		if got := render(workers); !bytes.Equal(got, want) {
			t.Errorf("%d workers: the report differs from one worker's (%d vs %d bytes)", workers, len(got), len(want))
		}
	}
}
