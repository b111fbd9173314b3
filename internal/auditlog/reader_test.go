package auditlog

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func lines(evs ...*ev) []byte {
	var b bytes.Buffer
	for _, e := range evs {
		b.Write(e.line())
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func readAll(t *testing.T, r *Reader, paths ...string) (ids []string, errs []string) {
	t.Helper()
	err := r.Read(paths, func(e *Event) error { ids = append(ids, e.AuditID); return nil },
		func(e *InputError) { errs = append(errs, e.Error()) })
	if err != nil {
		t.Fatal(err)
	}
	return ids, errs
}

func TestReaderLinesOrderAndErrors(t *testing.T) {
	dir := t.TempDir()
	a := mk("a", "get", "pods", "x", "p", 200, 2*time.Second).id("late")
	b := mk("a", "get", "pods", "x", "p", 200, time.Second).id("early")
	rr := mk("a", "get", "pods", "x", "p", 0, 0).id("received").stage(StageRequestReceived)
	data := append(lines(rr, a), []byte("{not json\n\n")...)
	data = append(data, lines(b)...)
	data = append(data, []byte(`{"kind":"ConfigMap","apiVersion":"v1"}`+"\n")...)
	p := filepath.Join(dir, "audit.log")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r := &Reader{}
	ids, errs := readAll(t, r, p)
	if diff := cmp.Diff([]string{"early", "late"}, ids); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if len(errs) != 2 || !strings.HasPrefix(errs[0], p+":3: not an audit event") || !strings.HasPrefix(errs[1], p+":6: not an audit event: kind \"ConfigMap\"") {
		t.Errorf("errors: %q", errs)
	}
	if r.Events != 3 {
		t.Errorf("Events = %d, want 3", r.Events)
	}
}

func TestReaderGzipRotatedAndDocuments(t *testing.T) {
	dir := t.TempDir()
	// The rotated file holds the older events; it is read first whatever
	// the order of the arguments.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(lines(mk("a", "get", "pods", "x", "p", 200, 0).id("old1"), mk("a", "get", "pods", "x", "p", 200, time.Second).id("old2")))
	zw.Close()
	rotated := filepath.Join(dir, "audit-2026-12-04T10-00-05.000.log.gz")
	current := filepath.Join(dir, "audit.log")
	os.WriteFile(rotated, gz.Bytes(), 0o644)
	os.WriteFile(current, lines(mk("a", "get", "pods", "x", "p", 200, time.Minute).id("new")), 0o644)
	// An EventList document over several lines, as the webhook posts it.
	doc := `{
  "kind": "EventList", "apiVersion": "audit.k8s.io/v1",
  "items": [` + string(mk("a", "get", "pods", "x", "p", 200, 2*time.Minute).id("doc1").line()) + `,
    ` + string(mk("a", "get", "pods", "x", "p", 200, 3*time.Minute).id("doc2").line()) + `]
}
`
	list := filepath.Join(dir, "list.json")
	os.WriteFile(list, []byte(doc), 0o644)
	ids, errs := readAll(t, &Reader{}, current, list, rotated)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if diff := cmp.Diff([]string{"old1", "old2", "new", "doc1", "doc2"}, ids); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// An EventList on one line, and stdin.
	one := `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[` + string(mk("a", "get", "pods", "x", "p", 200, 0).id("l1").line()) + `]}` + "\n"
	ids, errs = readAll(t, &Reader{Stdin: strings.NewReader(one)}, "-")
	if len(errs) > 0 || len(ids) != 1 || ids[0] != "l1" {
		t.Errorf("stdin EventList: ids %v errors %v", ids, errs)
	}
	_, errs = readAll(t, &Reader{}, filepath.Join(dir, "missing.log"))
	if len(errs) != 1 || !strings.Contains(errs[0], "missing.log") {
		t.Errorf("missing file: %v", errs)
	}
}

func TestReaderLongLine(t *testing.T) {
	big := mk("a", "create", "configmaps", "x", "c", 201, 0).req(map[string]any{"data": map[string]string{"k": strings.Repeat("x", 600<<10)}}).id("big")
	small := mk("a", "get", "pods", "x", "p", 200, time.Second).id("small")
	r := &Reader{Stdin: bytes.NewReader(lines(big, small)), MaxLineBytes: 1 << 20}
	ids, errs := readAll(t, r, "-")
	if len(errs) > 0 || len(ids) != 2 {
		t.Fatalf("ids %v errors %v", ids, errs)
	}
	r = &Reader{Stdin: bytes.NewReader(lines(big, small)), MaxLineBytes: 300 << 10}
	ids, errs = readAll(t, r, "-")
	if len(errs) != 1 || !strings.Contains(errs[0], "<stdin>:1: line longer than") || len(ids) != 1 || ids[0] != "small" {
		t.Fatalf("ids %v errors %v", ids, errs)
	}
}
