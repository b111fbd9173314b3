package auditlog

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kubeward/kubeward/internal/finding"
)

func newTestServer(t testing.TB, queue int) (*Server, *[]finding.Finding, *sync.Mutex) {
	t.Helper()
	var mu sync.Mutex
	var got []finding.Finding
	s, err := NewServer(ServerOptions{Analyzer: newTestAnalyzer(t, nil), QueueEvents: queue, Registry: prometheus.NewRegistry(),
		Findings: func(f finding.Finding) { mu.Lock(); got = append(got, f); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	return s, &got, &mu
}

func TestServerBatchesLikeTheLog(t *testing.T) {
	body, err := os.ReadFile("testdata/eventlist.json")
	if err != nil {
		t.Fatal(err)
	}
	s, got, _ := newTestServer(t, 1000)
	done := make(chan struct{})
	go func() { s.Run(); close(done) }()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/audit", bytes.NewReader(body)))
	if rec.Code != 200 {
		t.Fatalf("code %d: %s", rec.Code, rec.Body)
	}
	s.Close()
	<-done
	// The same events read as a log file give the same findings.
	var want []finding.Finding
	a := newTestAnalyzer(t, nil)
	r := &Reader{}
	r.Read([]string{"../cli/testdata/script/auditlog.log"}, func(ev *Event) error {
		a.Event(ev, func(f finding.Finding) { want = append(want, f) })
		return nil
	}, func(e *InputError) { t.Error(e) })
	if len(want) == 0 || strings.Join(ruleIDs(want), ",") != strings.Join(ruleIDs(*got), ",") {
		t.Errorf("live %v\nlog  %v", ruleIDs(*got), ruleIDs(want))
	}
	if n := testutil.ToFloat64(s.m.received); n != 19 {
		t.Errorf("received %v, want 19", n)
	}
}

func TestServerDropsWhenFullAndRefusesGarbage(t *testing.T) {
	s, _, _ := newTestServer(t, 2)
	body, _ := os.ReadFile("testdata/eventlist.json")
	rec := httptest.NewRecorder()
	// No worker runs: the queue fills and the rest is dropped, answered 200.
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body)))
	if rec.Code != 200 {
		t.Fatalf("code %d", rec.Code)
	}
	if d := testutil.ToFloat64(s.m.dropped); d != 16 { // 18 final-stage events, 2 queued
		t.Errorf("dropped %v, want 16", d)
	}
	for _, tc := range []struct {
		method, body string
		code         int
	}{
		{http.MethodGet, "", 405},
		{http.MethodPost, "{", 400},
		{http.MethodPost, `{"kind":"EventList","items":[{"kind":"Pod"}]}`, 400},
		{http.MethodPost, `[]`, 400},
	} {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(tc.method, "/", strings.NewReader(tc.body)))
		if rec.Code != tc.code {
			t.Errorf("%s %q: code %d, want %d", tc.method, tc.body, rec.Code, tc.code)
		}
	}
	rec = httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `kubeward_auditlog_findings_total{rule="auditlog/pod-exec",severity="medium"} 0`) {
		t.Error("metrics lack the per-rule series")
	}
}
