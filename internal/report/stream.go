package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"runtime"
	"strings"
	"sync"
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
// by elem; null when isNil, as encoding/json writes a nil slice. elem is
// called in order on the calling goroutine; large arrays are encoded on
// several goroutines (see encodeParallel).
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
	if workers := min(runtime.GOMAXPROCS(0), maxEncoders); workers > 1 && n >= 2*chunkElems {
		if err := s.encodeParallel(depth+1, n, elem, workers); err != nil {
			return err
		}
	} else {
		for i := range n {
			if i > 0 {
				s.raw(",")
			}
			s.raw("\n" + indent)
			if err := s.value(depth+1, elem(i)); err != nil {
				return err
			}
		}
	}
	s.raw("\n" + strings.Repeat("  ", depth) + "]")
	return nil
}

// Parallel encoding: elements in chunks of chunkElems, on up to maxEncoders
// goroutines, with at most two chunks per goroutine encoded ahead of the
// writer, so memory stays bounded by the chunks in flight.
const (
	chunkElems  = 128
	maxEncoders = 4
)

// chunk is a run of consecutive array elements and, once done is closed,
// their encoding with the separators before each (or the error of the
// first element that failed, and the encoding of those before it).
type chunk struct {
	first int // index of vals[0] in the array
	vals  []any
	buf   bytes.Buffer
	err   error
	done  chan struct{}
}

// encode writes c's elements as array elements depth levels deep, exactly
// as the serial loop of array does.
func (c *chunk) encode(depth int) {
	defer close(c.done)
	enc := json.NewEncoder(&c.buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent(strings.Repeat("  ", depth), "  ")
	sep := "\n" + strings.Repeat("  ", depth)
	for i, v := range c.vals {
		if c.first+i > 0 {
			c.buf.WriteString(",")
		}
		c.buf.WriteString(sep)
		if err := enc.Encode(v); err != nil {
			c.err = err
			return
		}
		c.buf.Truncate(c.buf.Len() - 1) // Encode's newline
	}
}

// encodeParallel writes the n elements of an array (after its "[") with
// workers goroutines encoding chunks while this one gets the elements, in
// order, and writes the encoded chunks, in order. On an error it writes
// what precedes the failing element, as the serial loop does, and returns
// the error.
func (s *streamWriter) encodeParallel(depth, n int, elem func(i int) any, workers int) error {
	work := make(chan *chunk, 2*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for c := range work {
				c.encode(depth)
			}
		})
	}
	defer wg.Wait()
	defer close(work)
	var pending []*chunk // sent, not yet written, oldest first
	// Written chunks are used again, so that their buffers, grown to a
	// chunk's size, are not grown from nothing for every chunk.
	var spare []*chunk
	write := func() error {
		c := pending[0]
		pending = pending[1:]
		<-c.done
		s.bw.Write(c.buf.Bytes())
		spare = append(spare, c)
		return c.err
	}
	for first := 0; first < n; first += chunkElems {
		m := min(chunkElems, n-first)
		c := &chunk{}
		if k := len(spare); k > 0 {
			c, spare = spare[k-1], spare[:k-1]
			c.buf.Reset()
		}
		if cap(c.vals) < m {
			c.vals = make([]any, m)
		}
		c.first, c.vals, c.done = first, c.vals[:m], make(chan struct{})
		for i := range c.vals {
			c.vals[i] = elem(first + i)
		}
		if len(pending) == cap(work) {
			if err := write(); err != nil {
				return err
			}
		}
		work <- c
		pending = append(pending, c)
	}
	for len(pending) > 0 {
		if err := write(); err != nil {
			return err
		}
	}
	return nil
}

func (s *streamWriter) flush() error { return s.bw.Flush() }
