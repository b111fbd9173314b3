package auditlog

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/auditlog/auditlogtest"
	"github.com/kubeward/kubeward/internal/finding"
)

// BenchmarkAnalyzeLog reads, decodes and analyses a generated realistic
// log of 1,000,000 events (make it with hack/auditlog-gen; kept on disk
// between runs in the test cache directory). ns/op is per event.
func BenchmarkAnalyzeLog(b *testing.B) {
	const n = 1_000_000
	path := filepath.Join(os.TempDir(), "kubeward-auditlog-bench-1m.log")
	if _, err := os.Stat(path); err != nil {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := auditlogtest.Generate(f, n, 1, time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	b.ReportAllocs()
	b.ResetTimer()
	events := 0
	findings := 0
	for done := 0; done < b.N; done += n {
		a := newTestAnalyzer(b, func(o *Options) {
			o.SecretsThreshold = DefaultSecretsThreshold
			o.AuthFailuresThreshold = DefaultAuthFailuresThreshold
		})
		r := &Reader{}
		if err := r.Read([]string{path}, func(ev *Event) error {
			a.Event(ev, func(finding.Finding) { findings++ })
			return nil
		}, func(e *InputError) { b.Fatal(e) }); err != nil {
			b.Fatal(err)
		}
		events += int(r.Events)
	}
	b.StopTimer()
	// Report per event whatever b.N was.
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(findings)/float64(events)*1e6, "findings/Mevents")
}

// BenchmarkDecodeEvent is the decoding of one Metadata-level event.
func BenchmarkDecodeEvent(b *testing.B) {
	var buf bytes.Buffer
	auditlogtest.Generate(&buf, 2, 1, time.Now())
	line, _ := buf.ReadBytes('\n')
	line, _ = buf.ReadBytes('\n')
	var ev Event
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if err := DecodeEvent(line, &ev); err != nil {
			b.Fatal(err)
		}
	}
	_ = io.Discard
}
