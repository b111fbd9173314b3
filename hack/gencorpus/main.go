// Command gencorpus writes a generated manifest corpus (the one the scan
// benchmarks use) into a directory, for measuring kubeward scan end to end:
//
//	go run ./hack/gencorpus -objects 100000 -per-file 100 /tmp/corpus
//	/usr/bin/time -v go run ./cmd/kubeward scan --format json /tmp/corpus > /dev/null
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kubeward/kubeward/internal/manifest/manifesttest"
)

func main() {
	objects := flag.Int("objects", 5000, "number of objects")
	perFile := flag.Int("per-file", 100, "documents per file")
	seed := flag.Int64("seed", 1, "generator seed")
	flag.Parse()
	if flag.NArg() != 1 || *perFile < 1 {
		fmt.Fprintln(os.Stderr, "usage: gencorpus [-objects N] [-per-file N] [-seed N] DIR")
		os.Exit(2)
	}
	if err := write(flag.Arg(0), *objects, *perFile, *seed); err != nil {
		fmt.Fprintf(os.Stderr, "gencorpus: error: %v\n", err)
		os.Exit(1)
	}
}

func write(dir string, objects, perFile int, seed int64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	docs := bytes.Split(manifesttest.Corpus(seed, objects), []byte("---\n"))
	var size int
	for i := 0; i < len(docs); i += perFile {
		data := bytes.Join(docs[i:min(i+perFile, len(docs))], []byte("---\n"))
		size += len(data)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%06d.yaml", i/perFile)), data, 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("%d objects, %d files, %.1f MB in %s\n", len(docs), (len(docs)+perFile-1)/perFile, float64(size)/1e6, dir)
	return nil
}
