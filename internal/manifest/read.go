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

	"go.yaml.in/yaml/v3"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
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
// problem with a file to report in its place in the order, or a mark
// (end, skip) that only delivery looks at.
type job struct {
	file   string
	src    []byte
	line0  int
	isJSON bool
	err    *Error
	// walked is set for the jobs of a file found by walking a directory,
	// which is judged by its content (see Reader.Read) and ends with a job
	// with end set.
	walked bool
	end    bool
	// content marks err as a problem with the content, judged as a
	// document that does not parse: src holds the bad text when known,
	// reason says why the file is not a manifest. Other errors (I/O) are
	// always reported.
	content bool
	reason  string
	skip    *Skip // a file passed over unread

	// batch, when set, holds consecutive documents of one file, in order,
	// and src their whole text; the job is otherwise empty: its documents
	// are decoded and delivered in turn (see parseBatch).
	batch []*job
	// tree is the document's parse when parseBatch made it.
	tree *yaml.Node

	events []event
	doc    *doc
	class  docClass
	why    string        // why the document is not a manifest (classOther)
	broken bool          // why is a parse error
	ready  chan struct{} // closed when events are set (parallel reads)
}

// docClass is what a document says about its file being a manifest.
type docClass uint8

const (
	classBlank    docClass = iota // nothing in it: no say
	classManifest                 // a Kubernetes object: the file is a manifest
	classOther                    // something else
	classIO                       // an I/O problem: always reported, no say
)

// runJob decodes j, or each document of a batch job, with dc.
func (dc *decoder) runJob(j *job) {
	if j.batch == nil {
		dc.run(j)
		return
	}
	parseBatch(j)
	for _, d := range j.batch {
		dc.run(d)
	}
}

// run decodes j with dc, leaving the results in j.
func (dc *decoder) run(j *job) {
	dc.events, dc.doc = dc.events[:0], nil
	dc.class, dc.why, dc.broken = classBlank, "", false
	dc.walked, dc.reasonLine0 = j.walked, j.line0
	switch {
	case j.end || j.skip != nil:
	case j.err != nil:
		dc.onErr(j.err)
		switch {
		case !j.content:
			dc.class = classIO
		case j.reason != "":
			dc.class, dc.why = classOther, j.reason
		default:
			dc.brokenDoc(j.src, j.isJSON, j.err.Line, strings.TrimPrefix(msgOf(j.err), "invalid JSON: "))
		}
	default:
		file, line0 := j.file, j.line0
		if !j.isJSON {
			if f, l := sourceComment(file, j.src, line0); f != file && sourceUsable(j.file, f) {
				file, line0 = f, l
			}
		}
		// A tree from parseBatch comes from text already checked whole.
		if j.tree != nil || dc.checkDoc(file, j.src, line0, j.isJSON) == nil {
			dc.decodeDoc(file, j.src, j.tree, line0, j.isJSON)
		}
		j.tree = nil
		if line0 != j.line0 {
			// A parser may place an error before the "# Source:" line;
			// such an error is placed in the stream instead.
			for _, ev := range dc.events {
				if ev.err != nil && ev.err.Line < 1 {
					ev.err.File, ev.err.Line = j.file, ev.err.Line-line0+j.line0
				}
			}
		}
	}
	for _, ev := range dc.events {
		if ev.obj != nil {
			dc.class = classManifest
			if dc.prepare != nil {
				ev.obj.Prepared = dc.prepare(ev.obj)
			}
		}
	}
	j.events = append([]event(nil), dc.events...)
	j.doc = dc.doc
	j.class, j.why, j.broken = dc.class, dc.why, dc.broken
}

// msgOf is the message of e without its location.
func msgOf(e *Error) string {
	if e.Err == nil {
		return ""
	}
	return e.Err.Error()
}

// maxHeld bounds the errors held back while a walked file is judged.
const maxHeld = 1000

// deliverer passes the results of jobs to the callbacks in order, judging
// walked files as their documents arrive.
type deliverer struct {
	fn     func(*Object) error
	onErr  func(*Error)
	onSkip func(Skip)

	// The walked file being read: whether a manifest document was seen,
	// the errors held back until then, why it is not a manifest so far.
	manifest  bool
	held      []*Error
	more      int
	moreLine  int
	why       string
	brokenWhy string
}

// deliverJob delivers j, or each document of a batch job in turn.
func (dv *deliverer) deliverJob(j *job) error {
	if j.batch == nil {
		return dv.deliver(j)
	}
	for _, d := range j.batch {
		if err := dv.deliver(d); err != nil {
			return err
		}
	}
	return nil
}

// deliver passes j's results on and then drops the parsed tree of its
// document.
func (dv *deliverer) deliver(j *job) error {
	if j.doc != nil {
		defer j.doc.release()
	}
	switch {
	case j.skip != nil:
		if dv.onSkip != nil {
			dv.onSkip(*j.skip)
		}
		return nil
	case !j.walked || dv.manifest:
	case j.end:
		if dv.why != "" || dv.brokenWhy != "" {
			why := dv.brokenWhy
			if why == "" {
				why = dv.why
			}
			if dv.onSkip != nil {
				dv.onSkip(Skip{File: j.file, Reason: why})
			}
		}
	case j.class == classManifest:
		dv.manifest = true
		for _, e := range dv.held {
			dv.onErr(e)
		}
		if dv.more > 0 {
			dv.onErr(&Error{File: j.file, Line: dv.moreLine, Err: fmt.Errorf("%d more errors before the first object, not shown", dv.more)})
		}
		dv.held, dv.more = nil, 0
	case j.class == classOther:
		if j.broken && dv.brokenWhy == "" {
			dv.brokenWhy = j.why
		}
		if dv.why == "" {
			dv.why = j.why
		}
		for _, ev := range j.events {
			if len(dv.held) < maxHeld {
				dv.held = append(dv.held, ev.err)
			} else {
				if dv.more == 0 {
					dv.moreLine = ev.err.Line
				}
				dv.more++
			}
		}
		return nil
	}
	if j.end {
		*dv = deliverer{fn: dv.fn, onErr: dv.onErr, onSkip: dv.onSkip}
		return nil
	}
	for _, ev := range j.events {
		if ev.err != nil {
			dv.onErr(ev.err)
			continue
		}
		if err := dv.fn(ev.obj); err != nil {
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
	dv := &deliverer{fn: fn, onErr: onErr, onSkip: r.OnSkip}
	if workers == 1 {
		dc := &decoder{prepare: r.Prepare}
		return produce(func(j *job) error {
			dc.runJob(j)
			return dv.deliverJob(j)
		})
	}
	jobs := make(chan *job, workers)
	// order bounds the jobs in flight: documents, or batches of at most
	// batchDocs documents and batchBytes bytes. Delivery is in input order, so
	// one slow document holds back those decoded after it: with two per
	// worker the other workers ran dry behind it (a 5,000-object scan on
	// two cores took 7% longer than with eight per worker; more gained
	// nothing).
	order := make(chan *job, 8*workers)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			dc := &decoder{prepare: r.Prepare}
			for j := range jobs {
				dc.runJob(j)
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
		if err := dv.deliverJob(j); err != nil {
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
			if err := r.readPath(p, consumed{}, sink); err != nil {
				return err
			}
		}
		return nil
	}, fn, onErr)
}

// consumed holds the absolute paths of the files partial renderers read,
// and the directories holding them, so that the walk does not read them
// again as plain manifests.
type consumed map[string]bool

func (c consumed) has(path string) bool {
	if len(c) == 0 {
		return false // the common case: no Abs, which stats "." each time
	}
	abs, err := filepath.Abs(path)
	return err == nil && c[abs]
}

func (r *Reader) readPath(p string, used consumed, sink func(*job) error) error {
	if p == "-" {
		if r.Stdin == nil {
			return sink(&job{err: &Error{File: StdinName, Err: errors.New("no standard input to read")}})
		}
		return readStream(StdinName, r.Stdin, false, true, false, sink)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return sink(&job{err: &Error{File: p, Err: pathErr(err)}})
	}
	if !fi.IsDir() {
		return readFile(p, false, sink)
	}
	if rd := r.detect(p); rd != nil {
		partial, err := r.render(p, rd, used, false, sink)
		if err != nil || !partial {
			return err
		}
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
		if path == root {
			return nil
		}
		if len(r.Exclude) > 0 {
			if rel, err := filepath.Rel(root, path); err == nil && r.excluded(filepath.ToSlash(rel)) {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
		}
		if d.IsDir() {
			if used.has(path) {
				// A base a kustomization already rendered: not rendered
				// again, but its other files and subdirectories are read.
				return nil
			}
			if rd := r.detect(path); rd != nil {
				partial, err := r.render(path, rd, used, true, sink)
				if err != nil {
					return err
				}
				if !partial {
					return fs.SkipDir
				}
			}
			return nil
		}
		if !manifestExt(path) || used.has(path) {
			return nil
		}
		mode := d.Type()
		if mode&fs.ModeSymlink != 0 {
			fi, err := os.Stat(path)
			if err != nil {
				return sink(&job{err: &Error{File: path, Err: pathErr(err)}})
			}
			if fi.IsDir() {
				return nil // links to directories are not followed
			}
			mode = fi.Mode().Type()
		}
		if !mode.IsRegular() {
			// Opening a named pipe would wait for a writer forever.
			return sink(&job{skip: &Skip{File: path, Reason: "not a regular file (" + modeName(mode) + ")"}})
		}
		return readFile(path, true, sink)
	})
}

// modeName names the type of a file that is not regular.
func modeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeIrregular != 0:
		return "irregular file"
	}
	return "type " + m.String()
}

// detect returns the first renderer that detects dir, or nil.
func (r *Reader) detect(dir string) Renderer {
	for _, rd := range r.Renderers {
		if rd.Detect(dir) {
			return rd
		}
	}
	return nil
}

// render reads what rd renders of dir as a file named dir. For a
// PartialRenderer it records the files the rendering read in used and
// reports partial, so that the caller walks dir's other files.
//
// A directory that cannot be rendered offline (the renderer's error has an
// Offline() bool method returning true: a Helm chart whose dependencies
// were never fetched into charts/, a kustomization with a remote base) is
// an input error when it was given by name; met while walking, like a file
// that is not a manifest, it is a warning that says its files are not
// checked, so that the rest of the repository is judged without a failing
// exit code. Any other rendering error (a broken template) is an error.
func (r *Reader) render(dir string, rd Renderer, used consumed, walked bool, sink func(*job) error) (partial bool, err error) {
	var data []byte
	if pr, ok := rd.(PartialRenderer); ok {
		var read []string
		data, read, err = pr.RenderRead(dir)
		if err == nil {
			partial = true
			for _, f := range read {
				used[f] = true
				used[filepath.Dir(f)] = true
			}
			if abs, aerr := filepath.Abs(dir); aerr == nil {
				delete(used, abs) // the directory itself is still walked
			}
		}
	} else {
		data, err = rd.Render(dir)
	}
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{File: dir, Err: fmt.Errorf("rendering with %s: %w", rd.Name(), err)}
		}
		var off interface{ Offline() bool }
		if walked && errors.As(err, &off) && off.Offline() {
			w := *e
			w.Warning = true
			w.Err = fmt.Errorf("%w (not rendered, so not checked)", e.Err)
			e = &w
		}
		return false, sink(&job{err: e})
	}
	return partial, readData(dir, data, false, false, sink)
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

// readFile reads the file at path; walked says it was found by walking a
// directory, so that it is judged by its content.
func readFile(path string, walked bool, sink func(*job) error) error {
	if err := readFileContent(path, walked, sink); err != nil {
		return err
	}
	if walked {
		return sink(&job{file: path, walked: true, end: true})
	}
	return nil
}

func readFileContent(path string, walked bool, sink func(*job) error) error {
	f, err := os.Open(path)
	if err != nil {
		return sink(&job{err: &Error{File: path, Err: pathErr(err)}, walked: walked})
	}
	defer f.Close()
	isJSON := isJSONName(path)
	fi, err := f.Stat()
	if err == nil && fi.Mode().IsRegular() && fi.Size() <= wholeFileLimit {
		// Sized to the file, so that reading it takes one allocation
		// (io.ReadAll grows its buffer from 512 bytes).
		buf := bytes.NewBuffer(make([]byte, 0, int(fi.Size())+bytes.MinRead))
		_, err := buf.ReadFrom(f)
		data := buf.Bytes()
		if err != nil {
			return sink(&job{err: &Error{File: path, Err: pathErr(err)}, walked: walked})
		}
		return readData(path, data, isJSON, walked, sink)
	}
	// A pipe's name says nothing of its content: look at it, as on stdin.
	sniff := err == nil && !fi.Mode().IsRegular()
	return readStream(path, f, isJSON, sniff, walked, sink)
}

// binaryHead reports a NUL byte in the first 8 KiB: the file is not text.
func binaryHead(name string, head []byte, walked bool) *job {
	if len(head) > 8<<10 {
		head = head[:8<<10]
	}
	if i := bytes.IndexByte(head, 0); i >= 0 {
		line := 1 + bytes.Count(head[:i], []byte{'\n'})
		return &job{
			err:     &Error{File: name, Line: line, Err: errors.New("binary file (NUL byte), not a manifest")},
			walked:  walked,
			content: true,
			reason:  fmt.Sprintf("binary file (NUL byte at line %d)", line),
		}
	}
	return nil
}

// utf16Decoder returns a decoder to UTF-8 when data starts with a UTF-16
// byte order mark, else nil. The decoder drops the mark.
func utf16Decoder(data []byte) *encoding.Decoder {
	var e unicode.Endianness
	switch {
	case len(data) >= 2 && data[0] == 0xff && data[1] == 0xfe:
		e = unicode.LittleEndian
	case len(data) >= 2 && data[0] == 0xfe && data[1] == 0xff:
		e = unicode.BigEndian
	default:
		return nil
	}
	return unicode.UTF16(e, unicode.ExpectBOM).NewDecoder()
}

// readData splits a whole file held in memory into jobs; documents are
// slices of data.
func readData(name string, data []byte, isJSON, walked bool, sink func(*job) error) error {
	if dec := utf16Decoder(data); dec != nil {
		u, err := dec.Bytes(data)
		if err != nil {
			return sink(&job{err: &Error{File: name, Err: fmt.Errorf("reading UTF-16: %w", err)}, walked: walked, content: true, reason: "not UTF-16 text"})
		}
		data = u
	}
	if j := binaryHead(name, data, walked); j != nil {
		return sink(j)
	}
	if isJSON {
		return readJSON(name, data, walked, sink)
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	b := batcher{sink: sink, data: data}
	start, startLine, line := 0, 1, 1
	for i := 0; i < len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += i + 1
		}
		if isMarker(data[i:end], '-') && i > start {
			if err := b.add(&job{file: name, src: data[start:i:i], line0: startLine, walked: walked}, start); err != nil {
				return err
			}
			start, startLine = i, line
		}
		line++
		if isMarker(data[i:end], '.') {
			// "..." ends a document; what follows starts another.
			if err := b.add(&job{file: name, src: data[start:end:end], line0: startLine, walked: walked}, start); err != nil {
				return err
			}
			start, startLine = end, line
		}
		i = end
	}
	if start < len(data) {
		if err := b.add(&job{file: name, src: data[start:len(data):len(data)], line0: startLine, walked: walked}, start); err != nil {
			return err
		}
	}
	return b.flush()
}

// Batches of consecutive YAML documents of a file, parsed together (see
// parseBatch): at most batchDocs documents and batchBytes bytes each.
// batchDocs is a variable so that tests can compare reading with batches
// and without (1).
var batchDocs = 8

const batchBytes = 128 << 10

// batcher groups the document jobs of a file into batch jobs: runs of
// consecutive documents, whose text is one slice. The documents of a file
// held in memory are slices of it (data); those of a stream are copied
// into one buffer when the batch is complete.
type batcher struct {
	sink  func(*job) error
	data  []byte // the file, when held in memory
	docs  []*job
	size  int // bytes in docs
	start int // offset in data of docs[0]
}

// add adds the document j, which starts at offset start of data (-1 for a
// stream's document, which follows the previous one).
func (b *batcher) add(j *job, start int) error {
	if len(b.docs) > 0 && (len(b.docs) == batchDocs || b.size+len(j.src) > batchBytes) {
		if err := b.flush(); err != nil {
			return err
		}
	}
	if len(b.docs) == 0 {
		b.start, b.size = start, 0
	}
	b.docs = append(b.docs, j)
	b.size += len(j.src)
	return nil
}

// flush sinks the documents added since the last flush: one job alone, or
// a batch job.
func (b *batcher) flush() error {
	docs := b.docs
	b.docs = nil
	switch len(docs) {
	case 0:
		return nil
	case 1:
		return b.sink(docs[0])
	}
	var src []byte
	if b.start >= 0 {
		src = b.data[b.start : b.start+b.size : b.start+b.size]
	} else {
		src = make([]byte, 0, b.size)
		for _, d := range docs {
			n := len(src)
			src = append(src, d.src...)
			d.src = src[n:len(src):len(src)]
		}
	}
	return b.sink(&job{file: docs[0].file, walked: docs[0].walked, src: src, batch: docs})
}

// readStream reads one file (or stdin) that is not held in memory. YAML is
// split into documents on "---" lines and decoded one document at a time;
// JSON (isJSON, or content starting with { or [ when sniff is set) is read
// whole and split into values.
func readStream(name string, rd io.Reader, isJSON, sniff, walked bool, sink func(*job) error) error {
	br := bufio.NewReaderSize(rd, 64<<10)
	if bom, _ := br.Peek(2); utf16Decoder(bom) != nil {
		br = bufio.NewReaderSize(transform.NewReader(br, utf16Decoder(bom)), 64<<10)
	}
	head, _ := br.Peek(8 << 10)
	if j := binaryHead(name, head, walked); j != nil {
		return sink(j)
	}
	if sniff && !isJSON {
		isJSON = looksJSON(head)
	}
	if isJSON {
		data, err := io.ReadAll(io.LimitReader(br, MaxDocumentSize+1))
		if err != nil {
			return sink(&job{err: &Error{File: name, Err: err}, walked: walked})
		}
		if len(data) > MaxDocumentSize {
			return sink(&job{err: &Error{File: name, Err: fmt.Errorf("larger than %d MiB", MaxDocumentSize>>20)}, walked: walked})
		}
		return readJSON(name, data, walked, sink)
	}
	s := splitter{br: br}
	b := batcher{sink: sink}
	for {
		src, line0, err := s.next()
		if len(src) > 0 {
			if serr := b.add(&job{file: name, src: src, line0: line0, walked: walked}, -1); serr != nil {
				return serr
			}
		}
		if err == io.EOF {
			return b.flush()
		}
		if err != nil {
			if ferr := b.flush(); ferr != nil {
				return ferr
			}
			return sink(&job{err: &Error{File: name, Line: s.line, Err: err}, walked: walked})
		}
	}
}

var utf8BOM = []byte("\xef\xbb\xbf")

// checkDoc reports NUL bytes and invalid UTF-8 at their line; such a
// document is not decoded.
func (dc *decoder) checkDoc(name string, src []byte, line0 int, isJSON bool) error {
	if i := bytes.IndexByte(src, 0); i >= 0 {
		err := errors.New("binary data (NUL byte), not a manifest")
		rel := bytes.Count(src[:i], []byte{'\n'})
		dc.onErr(&Error{File: name, Line: line0 + rel, Err: err})
		dc.brokenDoc(src, isJSON, dc.reasonLine0+rel, "NUL byte")
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
		rel := bytes.Count(src[:i], []byte{'\n'})
		dc.onErr(&Error{File: name, Line: line0 + rel, Err: err})
		dc.brokenDoc(src, isJSON, dc.reasonLine0+rel, "invalid UTF-8")
		return err
	}
	return nil
}

// readJSON splits JSON data into one job per top-level value. After a
// malformed value it reports the error and resumes at the next line that
// starts with { or [ (see resumeAt).
func readJSON(name string, data []byte, walked bool, sink func(*job) error) error {
	if !utf8.Valid(data) {
		// Report it once for the whole file, at its line.
		return sink(&job{file: name, src: data, line0: 1, isJSON: true, walked: walked})
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	lines := lineIndex{data: data, line: 1}
	for pos := 0; pos < len(data); {
		dec := json.NewDecoder(bytes.NewReader(data[pos:]))
		prev := pos // where the last value read ended
		for {
			var raw json.RawMessage
			err := dec.Decode(&raw)
			if err == io.EOF {
				return nil
			}
			if err != nil {
				start := prev
				for start < len(data) && isSpace(data[start]) {
					start++
				}
				resume := resumeAt(data, start)
				var l int
				var msg string
				var se *json.SyntaxError
				switch {
				case errors.As(err, &se) && pos+int(se.Offset)-1 < resume:
					l, msg = lines.at(max(pos+int(se.Offset)-1, start)), err.Error()
				case resume < len(data):
					// The value runs into the next one (a line of a
					// JSON-lines stream cut short).
					l = lines.at(lastNonSpace(data, start, resume))
					msg = fmt.Sprintf("value not closed before line %d", lines.at(resume))
				default:
					l, msg = lines.at(lastNonSpace(data, start, resume)), err.Error()
				}
				e := &Error{File: name, Line: l, Err: errors.New("invalid JSON: " + msg)}
				if serr := sink(&job{err: e, file: name, src: data[start:resume:resume], isJSON: true, walked: walked, content: true}); serr != nil {
					return serr
				}
				pos = resume
				break
			}
			end := pos + int(dec.InputOffset())
			start := end - len(raw)
			if err := sink(&job{file: name, src: data[start:end:end], line0: lines.at(start), isJSON: true, walked: walked}); err != nil {
				return err
			}
			prev = end
		}
	}
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// resumeAt returns the offset of the first line after the one holding
// offset start whose first byte is { or [, or len(data): where reading
// resumes after a malformed value starting at start. In a JSON-lines stream
// that is the next line; in pretty-printed JSON, the next value written
// from the first column.
func resumeAt(data []byte, start int) int {
	for i := start; i < len(data); {
		nl := bytes.IndexByte(data[i:], '\n')
		if nl < 0 {
			return len(data)
		}
		i += nl + 1
		if i < len(data) && (data[i] == '{' || data[i] == '[') {
			return i
		}
	}
	return len(data)
}

// lastNonSpace returns the offset of the last byte in data[start:end] that
// is not a blank, or start.
func lastNonSpace(data []byte, start, end int) int {
	for i := end - 1; i > start; i-- {
		if !isSpace(data[i]) {
			return i
		}
	}
	return start
}

// lineIndex gives the 1-based line of offsets in data, counting newlines
// from the last offset asked for (offsets mostly come in increasing order).
type lineIndex struct {
	data []byte
	off  int
	line int
}

func (x *lineIndex) at(off int) int {
	off = min(max(off, 0), len(x.data))
	if off < x.off {
		x.off, x.line = 0, 1
	}
	x.line += bytes.Count(x.data[x.off:off], []byte{'\n'})
	x.off = off
	return x.line
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

// sourceUsable reports whether a document of stream may be named after the
// "# Source:" path src: always for standard input and renderings (their
// paths are the files the user wrote), and for a checked-in file only when
// src exists, since rendered output committed to a repository usually names
// chart templates that are not in it; the file itself, with its own lines,
// is then the better location.
func sourceUsable(stream, src string) bool {
	if stream == StdinName {
		return true
	}
	if fi, err := os.Stat(stream); err != nil || fi.IsDir() {
		return true
	}
	_, err := os.Stat(src)
	return err == nil
}
