package manifest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"
)

// MaxDocumentSize bounds one YAML document or JSON value; larger ones are
// reported as errors rather than read into memory.
const MaxDocumentSize = 64 << 20

// manifestExt reports whether a file found in a directory is read.
func manifestExt(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// job is one unit of decoding: a document (or JSON value) of a file, or a
// problem with a file to report in its place in the order.
type job struct {
	file   string
	src    []byte
	line0  int
	isJSON bool
	err    *Error

	events []event
	doc    *doc
	ready  chan struct{} // closed when events are set (parallel reads)
}

// run decodes j with dc, leaving the results in j.
func (dc *decoder) run(j *job) {
	dc.events, dc.doc = dc.events[:0], nil
	switch {
	case j.err != nil:
		dc.onErr(j.err)
	case dc.checkDoc(j.file, j.src, j.line0) == nil:
		dc.decodeDoc(j.file, j.src, j.line0, j.isJSON)
	}
	j.events = append([]event(nil), dc.events...)
	j.doc = dc.doc
}

// deliver passes j's results to the callbacks in order and then drops the
// parsed tree of its document.
func deliver(j *job, fn func(*Object) error, onErr func(*Error)) error {
	if j.doc != nil {
		defer j.doc.release()
	}
	for _, ev := range j.events {
		if ev.err != nil {
			onErr(ev.err)
			continue
		}
		if err := fn(ev.obj); err != nil {
			return err
		}
	}
	return nil
}

// errCanceled stops the producer once the consumer has stopped.
var errCanceled = errors.New("canceled")

// workers is the number of goroutines decoding documents.
func (r *Reader) workers() int {
	if r.Workers > 0 {
		return r.Workers
	}
	return min(runtime.GOMAXPROCS(0), 8)
}

// run produces jobs with produce and delivers their results in order,
// decoding on r.workers() goroutines.
func (r *Reader) run(produce func(sink func(*job) error) error, fn func(*Object) error, onErr func(*Error)) error {
	workers := r.workers()
	if workers == 1 {
		dc := &decoder{}
		return produce(func(j *job) error {
			dc.run(j)
			return deliver(j, fn, onErr)
		})
	}
	jobs := make(chan *job, workers)
	order := make(chan *job, 2*workers) // bounds the documents in flight
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			dc := &decoder{}
			for j := range jobs {
				dc.run(j)
				close(j.ready)
			}
		})
	}
	var produceErr error
	wg.Go(func() {
		defer close(jobs)
		defer close(order)
		produceErr = produce(func(j *job) error {
			j.ready = make(chan struct{})
			select {
			case order <- j:
			case <-done:
				return errCanceled
			}
			select {
			case jobs <- j:
			case <-done:
				return errCanceled
			}
			return nil
		})
	})
	// Stop and wait for the goroutines however delivery ends, a panic in
	// fn included, so that none outlives Read.
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			close(done)
			wg.Wait()
		}
	}
	defer stop()
	for j := range order {
		<-j.ready
		if err := deliver(j, fn, onErr); err != nil {
			return err
		}
	}
	stop()
	if produceErr != nil && produceErr != errCanceled {
		return produceErr
	}
	return nil
}

func (r *Reader) read(paths []string, fn func(*Object) error, onErr func(*Error)) error {
	return r.run(func(sink func(*job) error) error {
		for _, p := range paths {
			if err := r.readPath(p, sink); err != nil {
				return err
			}
		}
		return nil
	}, fn, onErr)
}

func (r *Reader) readPath(p string, sink func(*job) error) error {
	if p == "-" {
		if r.Stdin == nil {
			return sink(&job{err: &Error{File: "-", Err: errors.New("no standard input to read")}})
		}
		return readStream("-", r.Stdin, false, sink)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return sink(&job{err: &Error{File: p, Err: pathErr(err)}})
	}
	if !fi.IsDir() {
		return readFile(p, sink)
	}
	root := p
	if lfi, err := os.Lstat(p); err == nil && lfi.Mode()&fs.ModeSymlink != 0 {
		// WalkDir does not follow a symbolic link, even as its root; a
		// trailing separator makes the link resolve.
		root = p + string(filepath.Separator)
	}
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if serr := sink(&job{err: &Error{File: path, Err: pathErr(err)}}); serr != nil {
				return serr
			}
			if d != nil && d.IsDir() && path != root {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !manifestExt(path) {
			return nil
		}
		return readFile(path, sink)
	})
}

// pathErr drops the path and operation from a *fs.PathError, since Error
// already names the file.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// wholeFileLimit is the size up to which a file is read into memory at
// once and split in place; larger files are streamed document by document.
var wholeFileLimit int64 = 32 << 20

func readFile(path string, sink func(*job) error) error {
	f, err := os.Open(path)
	if err != nil {
		return sink(&job{err: &Error{File: path, Err: pathErr(err)}})
	}
	defer f.Close()
	isJSON := isJSONName(path)
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() <= wholeFileLimit {
		data, err := io.ReadAll(f)
		if err != nil {
			return sink(&job{err: &Error{File: path, Err: pathErr(err)}})
		}
		return readData(path, data, isJSON, sink)
	}
	return readStream(path, f, isJSON, sink)
}

// binaryHead reports a NUL byte in the first 8 KiB: the file is not text.
func binaryHead(name string, head []byte) *Error {
	if len(head) > 8<<10 {
		head = head[:8<<10]
	}
	if i := bytes.IndexByte(head, 0); i >= 0 {
		return &Error{File: name, Line: 1 + bytes.Count(head[:i], []byte{'\n'}), Err: errors.New("binary file (NUL byte), not a manifest")}
	}
	return nil
}

// readData splits a whole file held in memory into jobs; documents are
// slices of data.
func readData(name string, data []byte, isJSON bool, sink func(*job) error) error {
	if e := binaryHead(name, data); e != nil {
		return sink(&job{err: e})
	}
	if isJSON {
		return readJSON(name, data, sink)
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	start, startLine, line := 0, 1, 1
	for i := 0; i < len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += i + 1
		}
		if isMarker(data[i:end], '-') && i > start {
			if err := sink(&job{file: name, src: data[start:i:i], line0: startLine}); err != nil {
				return err
			}
			start, startLine = i, line
		}
		line++
		if isMarker(data[i:end], '.') {
			// "..." ends a document; what follows starts another.
			if err := sink(&job{file: name, src: data[start:end:end], line0: startLine}); err != nil {
				return err
			}
			start, startLine = end, line
		}
		i = end
	}
	if start < len(data) {
		return sink(&job{file: name, src: data[start:len(data):len(data)], line0: startLine})
	}
	return nil
}

// readStream reads one file (or stdin) that is not held in memory. YAML is
// split into documents on "---" lines and decoded one document at a time;
// JSON (isJSON, or content starting with { or [ on stdin) is read whole and
// split into values.
func readStream(name string, rd io.Reader, isJSON bool, sink func(*job) error) error {
	br := bufio.NewReaderSize(rd, 64<<10)
	head, _ := br.Peek(8 << 10)
	if e := binaryHead(name, head); e != nil {
		return sink(&job{err: e})
	}
	if name == "-" && !isJSON {
		isJSON = looksJSON(head)
	}
	if isJSON {
		data, err := io.ReadAll(io.LimitReader(br, MaxDocumentSize+1))
		if err != nil {
			return sink(&job{err: &Error{File: name, Err: err}})
		}
		if len(data) > MaxDocumentSize {
			return sink(&job{err: &Error{File: name, Err: fmt.Errorf("larger than %d MiB", MaxDocumentSize>>20)}})
		}
		return readJSON(name, data, sink)
	}
	s := splitter{br: br}
	for {
		src, line0, err := s.next()
		if len(src) > 0 {
			if serr := sink(&job{file: name, src: src, line0: line0}); serr != nil {
				return serr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return sink(&job{err: &Error{File: name, Line: s.line, Err: err}})
		}
	}
}

var utf8BOM = []byte("\xef\xbb\xbf")

// checkDoc reports NUL bytes and invalid UTF-8 at their line; such a
// document is not decoded.
func (dc *decoder) checkDoc(name string, src []byte, line0 int) error {
	if i := bytes.IndexByte(src, 0); i >= 0 {
		err := errors.New("binary data (NUL byte), not a manifest")
		dc.onErr(&Error{File: name, Line: line0 + bytes.Count(src[:i], []byte{'\n'}), Err: err})
		return err
	}
	if !utf8.Valid(src) {
		i := 0
		for i < len(src) {
			r, size := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			i += size
		}
		err := errors.New("invalid UTF-8")
		dc.onErr(&Error{File: name, Line: line0 + bytes.Count(src[:i], []byte{'\n'}), Err: err})
		return err
	}
	return nil
}

// readJSON splits JSON data into one job per top-level value.
func readJSON(name string, data []byte, sink func(*job) error) error {
	if !utf8.Valid(data) {
		// Report it once for the whole file, at its line.
		return sink(&job{file: name, src: data, line0: 1, isJSON: true})
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	dec := json.NewDecoder(bytes.NewReader(data))
	line, counted := 1, 0
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			off := int(dec.InputOffset())
			var se *json.SyntaxError
			if errors.As(err, &se) {
				off = int(se.Offset)
			}
			off = min(max(off, 0), len(data))
			l := 1 + bytes.Count(data[:off], []byte{'\n'})
			if errors.Is(err, io.ErrUnexpectedEOF) {
				l = 1 + bytes.Count(bytes.TrimRight(data, " \t\r\n"), []byte{'\n'})
			}
			return sink(&job{err: &Error{File: name, Line: l, Err: fmt.Errorf("invalid JSON: %w", err)}})
		}
		end := int(dec.InputOffset())
		start := end - len(raw)
		line += bytes.Count(data[counted:start], []byte{'\n'})
		counted = start
		if err := sink(&job{file: name, src: data[start:end:end], line0: line, isJSON: true}); err != nil {
			return err
		}
	}
}

// splitter cuts a YAML stream into documents at lines starting with "---".
// A document keeps its "---" line so that the parser sees it (it may carry
// content such as "--- !tag" or a flow mapping).
type splitter struct {
	br      *bufio.Reader
	line    int    // newlines consumed so far
	midLine bool   // the last byte consumed was not a newline
	buf     []byte // scratch for the document being read
	pending int    // length of the "---" line prefix of buf that starts the next document
}

// isMarker reports whether line l is a document marker: "---" (c '-')
// starting a document or "..." (c '.') ending one, alone or followed by
// blanks.
func isMarker(l []byte, c byte) bool {
	return len(l) >= 3 && l[0] == c && l[1] == c && l[2] == c &&
		(len(l) == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r' || l[3] == '\n')
}

// next returns the next document (possibly blank) in a fresh slice and the
// line its first byte has in the stream. err is io.EOF after the last
// document.
func (s *splitter) next() (doc []byte, line0 int, err error) {
	line0 = s.line + 1
	if s.pending > 0 {
		s.buf = s.buf[:s.pending]
		s.pending = 0
		line0 = s.line
		if s.midLine {
			line0++
		}
	} else {
		s.buf = s.buf[:0]
	}
	for {
		l, rerr := s.br.ReadSlice('\n')
		if len(l) > 0 {
			atStart := !s.midLine
			if atStart {
				if s.line == 0 {
					l = bytes.TrimPrefix(l, utf8BOM)
				}
				if isMarker(l, '-') && len(s.buf) > 0 {
					doc = bytes.Clone(s.buf)
					s.buf = append(s.buf[:0], l...)
					s.pending = len(l)
					s.count(l)
					if rerr == bufio.ErrBufferFull {
						rerr = nil
					}
					if rerr != nil && rerr != io.EOF {
						return doc, line0, rerr
					}
					return doc, line0, nil
				}
			}
			s.buf = append(s.buf, l...)
			s.count(l)
			if len(s.buf) > MaxDocumentSize {
				return nil, line0, fmt.Errorf("document larger than %d MiB", MaxDocumentSize>>20)
			}
			if atStart && rerr != bufio.ErrBufferFull && isMarker(l, '.') {
				// "..." ends a document; what follows starts another.
				if rerr == io.EOF {
					rerr = nil
				}
				return bytes.Clone(s.buf), line0, rerr
			}
		}
		if rerr == bufio.ErrBufferFull {
			continue
		}
		if rerr != nil {
			return bytes.Clone(s.buf), line0, rerr
		}
	}
}

func (s *splitter) count(l []byte) {
	if n := bytes.Count(l, []byte{'\n'}); n > 0 {
		s.line += n
	}
	s.midLine = l[len(l)-1] != '\n'
}

func isJSONName(name string) bool { return strings.EqualFold(filepath.Ext(name), ".json") }

// looksJSON reports whether data starts (after a BOM and blanks) with { or [.
func looksJSON(data []byte) bool {
	t := bytes.TrimLeft(bytes.TrimPrefix(data, utf8BOM), " \t\r\n")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}
