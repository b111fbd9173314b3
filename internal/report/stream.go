package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"strings"
)

// streamWriter writes a JSON document exactly as a json.Encoder with
// two-space indentation and HTML escaping off writes it, but value by value:
// the caller writes the document's skeleton and streams the elements of its
// large arrays, so the whole encoding (34 MB for a 100,000-object scan) is
// never held in memory, only one element's at a time.
type streamWriter struct {
	bw  *bufio.Writer
	buf bytes.Buffer
	enc *json.Encoder
}

func newStreamWriter(w io.Writer) *streamWriter {
	s := &streamWriter{bw: bufio.NewWriterSize(w, 64<<10)}
	s.enc = json.NewEncoder(&s.buf)
	s.enc.SetEscapeHTML(false)
	return s
}

// raw writes s as is.
func (s *streamWriter) raw(str string) { s.bw.WriteString(str) }

// member writes the start of an object member at depth: a new line, the
// indentation and the quoted name.
func (s *streamWriter) member(depth int, name string) {
	s.bw.WriteString("\n" + strings.Repeat("  ", depth) + `"` + name + `": `)
}

// value writes v's encoding for a value nested depth levels deep (the
// cursor already indented).
func (s *streamWriter) value(depth int, v any) error {
	s.buf.Reset()
	s.enc.SetIndent(strings.Repeat("  ", depth), "  ")
	if err := s.enc.Encode(v); err != nil {
		return err
	}
	_, err := s.bw.Write(bytes.TrimSuffix(s.buf.Bytes(), []byte("\n")))
	return err
}

// array writes an array of n elements nested depth levels deep, each given
// by elem; null when isNil, as encoding/json writes a nil slice.
func (s *streamWriter) array(depth, n int, isNil bool, elem func(i int) any) error {
	switch {
	case isNil:
		s.raw("null")
		return nil
	case n == 0:
		s.raw("[]")
		return nil
	}
	s.raw("[")
	indent := strings.Repeat("  ", depth+1)
	for i := range n {
		if i > 0 {
			s.raw(",")
		}
		s.raw("\n" + indent)
		if err := s.value(depth+1, elem(i)); err != nil {
			return err
		}
	}
	s.raw("\n" + strings.Repeat("  ", depth) + "]")
	return nil
}

func (s *streamWriter) flush() error { return s.bw.Flush() }
