// Command auditlog-gen writes a realistic audit log (JSON lines) for
// benchmarking kubeward auditlog analyze:
//
//	go run ./hack/auditlog-gen -n 1000000 > /tmp/audit.log
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/kubeward/kubeward/internal/auditlog/auditlogtest"
)

func main() {
	n := flag.Int("n", 1_000_000, "number of events")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if err := auditlogtest.Generate(os.Stdout, *n, *seed, time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)); err != nil {
		fmt.Fprintln(os.Stderr, "auditlog-gen:", err)
		os.Exit(1)
	}
}
