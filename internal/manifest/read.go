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
	"strings"
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

func (r *Reader) read(paths []string, fn func(*Object) error, onErr func(*Error)) error {
	dc := &decoder{fn: fn, onErr: onErr}
	for _, p := range paths {
		if err := r.readPath(dc, p); err != nil {
			var stop errStop
			if errors.As(err, &stop) {
				return stop.err
			}
			return err
		}
	}
	return nil
}

func (r *Reader) readPath(dc *decoder, p string) error {
	if p == "-" {
		if r.Stdin == nil {
			dc.onErr(&Error{File: "-", Err: errors.New("no standard input to read")})
			return nil
		}
		return dc.readStream("-", r.Stdin, false)
	}
	fi, err := os.Stat(p)
	if err != nil {
		dc.onErr(&Error{File: p, Err: pathErr(err)})
		return nil
	}
	if !fi.IsDir() {
		return dc.readFile(p)
	}
	return filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			dc.onErr(&Error{File: path, Err: pathErr(err)})
			if d != nil && d.IsDir() && path != p {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !manifestExt(path) {
			return nil
		}
		return dc.readFile(path)
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

func (dc *decoder) readFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		dc.onErr(&Error{File: path, Err: pathErr(err)})
		return nil
	}
	defer f.Close()
	return dc.readStream(path, f, strings.EqualFold(filepath.Ext(path), ".json"))
}

// readStream reads one file (or stdin). YAML is split into documents on
// "---" lines and decoded one document at a time; JSON (isJSON, or content
// starting with { or [ on stdin) is read whole and split into values.
func (dc *decoder) readStream(name string, rd io.Reader, isJSON bool) error {
	br := bufio.NewReaderSize(rd, 64<<10)
	head, _ := br.Peek(8 << 10)
	if i := bytes.IndexByte(head, 0); i >= 0 {
		dc.onErr(&Error{File: name, Line: 1 + bytes.Count(head[:i], []byte{'\n'}), Err: errors.New("binary file (NUL byte), not a manifest")})
		return nil
	}
	if name == "-" && !isJSON {
		t := bytes.TrimLeft(bytes.TrimPrefix(head, utf8BOM), " \t\r\n")
		isJSON = len(t) > 0 && (t[0] == '{' || t[0] == '[')
	}
	if isJSON {
		return dc.readJSON(name, br)
	}
	s := splitter{br: br}
	for {
		src, line0, err := s.next()
		if len(src) > 0 {
			if derr := dc.checkDoc(name, src, line0); derr == nil {
				if err := dc.decodeDoc(name, src, line0, false); err != nil {
					return err
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			dc.onErr(&Error{File: name, Line: s.line, Err: err})
			return nil
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

func (dc *decoder) readJSON(name string, br *bufio.Reader) error {
	data, err := io.ReadAll(io.LimitReader(br, MaxDocumentSize+1))
	if err != nil {
		dc.onErr(&Error{File: name, Err: err})
		return nil
	}
	if len(data) > MaxDocumentSize {
		dc.onErr(&Error{File: name, Err: fmt.Errorf("larger than %d MiB", MaxDocumentSize>>20)})
		return nil
	}
	if dc.checkDoc(name, data, 1) != nil {
		return nil
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
			dc.onErr(&Error{File: name, Line: l, Err: fmt.Errorf("invalid JSON: %w", err)})
			return nil
		}
		end := int(dec.InputOffset())
		start := end - len(raw)
		line += bytes.Count(data[counted:start], []byte{'\n'})
		counted = start
		if err := dc.decodeDoc(name, data[start:end:end], line, true); err != nil {
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

func isSeparator(l []byte) bool {
	return len(l) >= 3 && l[0] == '-' && l[1] == '-' && l[2] == '-' &&
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
			if !s.midLine {
				if s.line == 0 {
					l = bytes.TrimPrefix(l, utf8BOM)
				}
				if isSeparator(l) && len(s.buf) > 0 {
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
