package auditlog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"container/heap"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// Defaults of Reader.
const (
	// DefaultReorderEvents is how many final-stage events a Reader holds to
	// put a file's events in stageTimestamp order.
	DefaultReorderEvents = 4096
	// DefaultReorderSlack: an event is released once an event at least this
	// much newer has been read.
	DefaultReorderSlack = 5 * time.Second
	// DefaultMaxLineBytes bounds one line (RequestResponse events carry
	// whole objects; etcd's limit is 1.5 MiB per object).
	DefaultMaxLineBytes = 16 << 20
)

// InputError is a problem with the input: a file that cannot be read, or a
// line (1-based) that is not an audit event. Reading goes on after it.
type InputError struct {
	File string
	Line int
	Err  error
}

func (e *InputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// Reader reads audit logs: files of JSON lines (one audit.k8s.io/v1 Event
// per line, as kube-apiserver's log backend writes them, an EventList on a
// line also works), gzip-compressed or not, and EventList documents (one
// JSON object over several lines, as the webhook backend posts them). The
// zero value is usable; it is not safe for concurrent use.
type Reader struct {
	// Stdin is read for the path "-".
	Stdin io.Reader
	// ReorderEvents and ReorderSlack bound the buffer that restores
	// stageTimestamp order within a file (0: the defaults). An event that
	// arrives after a newer one was released is still delivered.
	ReorderEvents int
	ReorderSlack  time.Duration
	// MaxLineBytes bounds a line; a longer one is an input error (0:
	// DefaultMaxLineBytes).
	MaxLineBytes int

	// Events counts every event read (all stages).
	Events int64
	// Lines counts the lines read.
	Lines int64

	pool []*Event
	dec  *jsontext.Decoder
	br   bytes.Reader
}

// Read reads paths in the order their first events were recorded (so
// rotated files, audit-2026-01-02T….log.gz beside audit.log, are read
// oldest first, whatever the order given; "-" and files without events
// keep their place before the others) and calls fn with each final-stage
// event (Event.Final) of each file in stageTimestamp order. fn must not
// keep ev after it returns. Malformed lines and unreadable files go to
// onError and reading goes on. The returned error is fn's, which stops
// reading.
func (r *Reader) Read(paths []string, fn func(ev *Event) error, onError func(*InputError)) error {
	paths = r.orderFiles(paths)
	for _, p := range paths {
		if err := r.readFile(p, fn, onError); err != nil {
			return err
		}
	}
	return nil
}

// orderFiles sorts files by the time of their first event.
func (r *Reader) orderFiles(paths []string) []string {
	if len(paths) < 2 {
		return paths
	}
	type keyed struct {
		path string
		t    time.Time
	}
	ks := make([]keyed, len(paths))
	for i, p := range paths {
		ks[i] = keyed{path: p, t: firstEventTime(p)}
	}
	sort.SliceStable(ks, func(i, j int) bool { return ks[i].t.Before(ks[j].t) })
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.path
	}
	return out
}

// firstEventTime returns the time of the first event of the file at p that
// decodes among its first lines; zero for stdin and files without one.
func firstEventTime(p string) time.Time {
	if p == "-" {
		return time.Time{}
	}
	f, err := os.Open(p)
	if err != nil {
		return time.Time{}
	}
	defer f.Close()
	br, err := decompress(bufio.NewReaderSize(f, 64<<10))
	if err != nil {
		return time.Time{}
	}
	var ev Event
	if doc, err := isDocument(br); err == nil && doc {
		v, err := jsontext.NewDecoder(br, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)).ReadValue()
		if err != nil || DecodeEvent(v, &ev) != nil {
			return time.Time{}
		}
		if len(ev.Items) > 0 && DecodeEvent(ev.Items[0], &ev) != nil {
			return time.Time{}
		}
		return ev.Time()
	}
	for i := 0; i < 100; i++ {
		line, err := br.ReadSlice('\n')
		if len(bytes.TrimSpace(line)) > 0 && DecodeEvent(line, &ev) == nil {
			if t := ev.Time(); !t.IsZero() {
				return t
			}
		}
		if err != nil {
			break
		}
	}
	return time.Time{}
}

// decompress returns a reader of br's content, gunzipped when it starts
// with the gzip magic number.
func decompress(br *bufio.Reader) (*bufio.Reader, error) {
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("reading gzip header: %w", err)
		}
		return bufio.NewReaderSize(zr, 256<<10), nil
	}
	return br, nil
}

func (r *Reader) readFile(path string, fn func(*Event) error, onError func(*InputError)) error {
	var in io.Reader
	name := path
	if path == "-" {
		if r.Stdin == nil {
			onError(&InputError{File: "-", Err: errors.New("no standard input")})
			return nil
		}
		in, name = r.Stdin, "<stdin>"
	} else {
		f, err := os.Open(path)
		if err != nil {
			onError(&InputError{File: path, Err: err})
			return nil
		}
		defer f.Close()
		in = f
	}
	br, err := decompress(bufio.NewReaderSize(in, 256<<10))
	if err != nil {
		onError(&InputError{File: name, Err: err})
		return nil
	}
	o := &orderer{r: r, fn: fn, max: r.ReorderEvents, slack: r.ReorderSlack}
	if o.max <= 0 {
		o.max = DefaultReorderEvents
	}
	if o.slack <= 0 {
		o.slack = DefaultReorderSlack
	}
	if doc, err := isDocument(br); err != nil {
		onError(&InputError{File: name, Err: err})
		return nil
	} else if doc {
		err = r.readDocuments(name, br, o, onError)
	} else {
		err = r.readLines(name, br, o, onError)
	}
	if err != nil {
		return err
	}
	return o.flush()
}

// isDocument reports whether the input is a JSON document spread over
// several lines (an EventList as the webhook backend posts it) rather than
// JSON lines: its first non-blank line is not a JSON value by itself.
func isDocument(br *bufio.Reader) (bool, error) {
	for n := 4096; ; n *= 2 {
		buf, err := br.Peek(n)
		if i := bytes.IndexByte(buf, '\n'); i >= 0 || err != nil {
			if i < 0 {
				i = len(buf)
			}
			line := bytes.TrimSpace(buf[:i])
			if len(line) == 0 {
				// A blank first line: look at the first non-blank one.
				rest := bytes.TrimLeft(buf, " \t\r\n")
				if len(rest) == 0 {
					return false, nil
				}
				j := bytes.IndexByte(rest, '\n')
				if j < 0 {
					j = len(rest)
				}
				line = bytes.TrimSpace(rest[:j])
			}
			return line[0] == '{' && !jsontext.Value(line).IsValid(), nil
		}
		if n >= br.Size() {
			// A first line longer than the buffer: JSON lines.
			return false, nil
		}
	}
}

func (r *Reader) readLines(name string, br *bufio.Reader, o *orderer, onError func(*InputError)) error {
	maxLine := r.MaxLineBytes
	if maxLine <= 0 {
		maxLine = DefaultMaxLineBytes
	}
	var long []byte
	lineNo := 0
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: gather it, up to maxLine.
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				if len(long) <= maxLine {
					long = append(long, line...)
				}
			}
			line = long
		}
		if len(line) > 0 {
			lineNo++
			r.Lines++
			if len(line) > maxLine {
				onError(&InputError{File: name, Line: lineNo, Err: fmt.Errorf("line longer than %d bytes", maxLine)})
			} else if ferr := r.line(name, lineNo, line, o, onError); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			onError(&InputError{File: name, Line: lineNo + 1, Err: err})
			return nil
		}
	}
}

// line decodes one line: an Event, or an EventList whose items are events.
func (r *Reader) line(name string, lineNo int, line []byte, o *orderer, onError func(*InputError)) error {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return nil
	}
	if r.requestReceived(line) {
		// No detection reads this stage: a syntax check, no decoding.
		if jsontext.Value(line).IsValid(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)) {
			r.Events++
			return nil
		}
	}
	ev := r.get()
	if err := DecodeEvent(line, ev); err != nil {
		r.put(ev)
		onError(&InputError{File: name, Line: lineNo, Err: fmt.Errorf("not an audit event: %w", err)})
		return nil
	}
	if ev.Kind == "EventList" || ev.Items != nil {
		items := ev.Items
		r.put(ev)
		for i, item := range items {
			if err := r.item(item, o); err != nil {
				onError(&InputError{File: name, Line: lineNo, Err: fmt.Errorf("items[%d]: %w", i, err)})
			}
		}
		return o.err
	}
	if err := checkEvent(ev); err != nil {
		r.put(ev)
		onError(&InputError{File: name, Line: lineNo, Err: err})
		return nil
	}
	r.Events++
	o.push(ev)
	return o.err
}

// checkEvent refuses JSON that is not an audit event.
func checkEvent(ev *Event) error {
	if ev.Kind != "" && ev.Kind != "Event" {
		return fmt.Errorf("not an audit event: kind %q", ev.Kind)
	}
	if ev.AuditID == "" || ev.Stage == "" {
		return errors.New("not an audit event: no auditID or stage")
	}
	return nil
}

func (r *Reader) item(item jsontext.Value, o *orderer) error {
	ev := r.get()
	if err := DecodeEvent(item, ev); err != nil {
		r.put(ev)
		return fmt.Errorf("not an audit event: %w", err)
	}
	if err := checkEvent(ev); err != nil {
		r.put(ev)
		return err
	}
	r.Events++
	o.push(ev)
	return nil
}

// readDocuments reads JSON documents (EventLists or Events) one after the
// other; a syntax error ends the file (there is no line to resume at).
func (r *Reader) readDocuments(name string, br *bufio.Reader, o *orderer, onError func(*InputError)) error {
	dec := jsontext.NewDecoder(br, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	for doc := 1; ; doc++ {
		v, err := dec.ReadValue()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			onError(&InputError{File: name, Err: fmt.Errorf("document %d: %w", doc, err)})
			return nil
		}
		ev := r.get()
		if err := DecodeEvent(v, ev); err != nil {
			r.put(ev)
			onError(&InputError{File: name, Err: fmt.Errorf("document %d: not an audit event: %w", doc, err)})
			continue
		}
		if ev.Kind == "EventList" || ev.Items != nil {
			items := ev.Items
			r.put(ev)
			for i, item := range items {
				if err := r.item(item, o); err != nil {
					onError(&InputError{File: name, Err: fmt.Errorf("document %d: items[%d]: %w", doc, i, err)})
				}
				if o.err != nil {
					return o.err
				}
			}
			continue
		}
		if err := checkEvent(ev); err != nil {
			r.put(ev)
			onError(&InputError{File: name, Err: fmt.Errorf("document %d: %w", doc, err)})
			continue
		}
		r.Events++
		o.push(ev)
		if o.err != nil {
			return o.err
		}
	}
}

// requestReceived reports whether line is an audit Event at the
// RequestReceived stage, reading its top-level members (with jsontext's
// tokenizer, skipping values) only until "stage": kube-apiserver writes it
// fifth, so half of a typical log is passed over without decoding.
func (r *Reader) requestReceived(line []byte) bool {
	if r.dec == nil {
		r.dec = jsontext.NewDecoder(&r.br, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	}
	r.br.Reset(line)
	r.dec.Reset(&r.br, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if tok, err := r.dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return false
	}
	for i := 0; i < 8; i++ {
		name, err := r.dec.ReadToken()
		if err != nil || name.Kind() != '"' {
			return false
		}
		if name.String() == "stage" {
			v, err := r.dec.ReadToken()
			return err == nil && v.Kind() == '"' && v.String() == StageRequestReceived
		}
		if name.String() == "items" {
			return false
		}
		if err := r.dec.SkipValue(); err != nil {
			return false
		}
	}
	return false
}

func (r *Reader) get() *Event {
	if n := len(r.pool); n > 0 {
		ev := r.pool[n-1]
		r.pool = r.pool[:n-1]
		return ev
	}
	return new(Event)
}

func (r *Reader) put(ev *Event) { r.pool = append(r.pool, ev) }

// orderer releases final-stage events in stageTimestamp order: it holds
// up to max of them and releases the oldest once an event slack newer has
// arrived or the buffer is full. Other stages are dropped at once.
type orderer struct {
	r      *Reader
	fn     func(*Event) error
	max    int
	slack  time.Duration
	h      eventHeap
	newest time.Time
	err    error
}

func (o *orderer) push(ev *Event) {
	if o.err != nil || !ev.Final() {
		o.r.put(ev)
		return
	}
	t := ev.Time()
	if t.After(o.newest) {
		o.newest = t
	}
	heap.Push(&o.h, ev)
	for o.h.Len() > 0 && (o.h.Len() > o.max || o.h[0].Time().Add(o.slack).Before(o.newest)) {
		o.release()
		if o.err != nil {
			return
		}
	}
}

func (o *orderer) release() {
	ev := heap.Pop(&o.h).(*Event)
	o.err = o.fn(ev)
	o.r.put(ev)
}

func (o *orderer) flush() error {
	for o.h.Len() > 0 && o.err == nil {
		o.release()
	}
	for o.h.Len() > 0 {
		o.r.put(heap.Pop(&o.h).(*Event))
	}
	return o.err
}

type eventHeap []*Event

func (h eventHeap) Len() int           { return len(h) }
func (h eventHeap) Less(i, j int) bool { return h[i].Time().Before(h[j].Time()) }
func (h eventHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)        { *h = append(*h, x.(*Event)) }
func (h *eventHeap) Pop() any {
	old := *h
	ev := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return ev
}
