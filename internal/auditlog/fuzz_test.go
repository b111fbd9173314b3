package auditlog

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/kubeward/kubeward/internal/finding"
)

func seeds(f *testing.F) {
	for _, p := range []string{"testdata/eventlist.json", "../cli/testdata/script/auditlog.log"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		for _, l := range bytes.Split(b, []byte("\n")) {
			f.Add(l)
		}
	}
}

// FuzzDecodeAndAnalyze: any line decodes or fails cleanly, and the
// analyzer never panics on what decodes.
func FuzzDecodeAndAnalyze(f *testing.F) {
	seeds(f)
	a := newTestAnalyzer(f, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &Reader{Stdin: bytes.NewReader(data)}
		_ = r.Read([]string{"-"}, func(ev *Event) error {
			a.Event(ev, func(finding.Finding) {})
			return nil
		}, func(*InputError) {})
	})
}

// FuzzHandler: any body gets 200 or a 4xx, never a panic.
func FuzzHandler(f *testing.F) {
	seeds(f)
	s, _, _ := newTestServer(f, 64)
	go s.Run()
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body)))
		if rec.Code != 200 && (rec.Code < 400 || rec.Code >= 500) {
			t.Fatalf("code %d for %q", rec.Code, body)
		}
	})
}
