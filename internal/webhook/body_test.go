package webhook

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"testing/iotest"
	"time"
)

// TestReadBody: bodies of every size read whole, in buffers that grow with
// the bytes received whatever size was declared.
func TestReadBody(t *testing.T) {
	const limit = 3 << 20
	for _, tc := range []struct {
		name     string
		n        int   // bytes sent
		declared int64 // Content-Length, -1 unknown
		oneByte  bool  // the reader returns one byte per Read
		wantErr  error
	}{
		{name: "empty", n: 0, declared: 0},
		{name: "small", n: 5000, declared: 5000},
		{name: "small unknown size", n: 5000, declared: -1},
		{name: "exactly the first buffer", n: minBodyBuf, declared: minBodyBuf},
		{name: "large", n: 2 << 20, declared: 2 << 20},
		{name: "large unknown size", n: 2<<20 + 7, declared: -1},
		{name: "at the limit", n: limit, declared: limit},
		{name: "over the limit", n: limit + 1, declared: -1, wantErr: errTooLarge},
		{name: "declares 3 MiB, sends 8 bytes", n: 8, declared: limit},
		{name: "declares 3 MiB, sends 100 KiB", n: 100 << 10, declared: limit},
		{name: "declares 3 MiB, sends 100 KiB a byte at a time", n: 100 << 10, declared: limit, oneByte: true},
		{name: "sends more than declared", n: 40 << 10, declared: 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := bytes.Repeat([]byte("0123456789abcdef"), tc.n/16+1)[:tc.n]
			var r io.Reader = bytes.NewReader(want)
			if tc.oneByte {
				r = iotest.OneByteReader(r)
			}
			got, err := readBody(r, nil, limit, tc.declared, nil)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("read %d bytes, want %d", len(got), len(want))
			}
			// The buffer is at most twice what arrived, after the first one.
			if c := cap(got); c > max(2*len(got), minBodyBuf)+1 {
				t.Errorf("buffer of %d bytes for a body of %d bytes (declared %d)", c, len(got), tc.declared)
			}
		})
	}
}

// TestBodyMemoryFollowsBytesReceived: connections that declare a 3 MiB body
// and send 8 bytes of it cost the server about what they sent, not what
// they declared.
func TestBodyMemoryFollowsBytesReceived(t *testing.T) {
	const conns = 50
	s := newTestServer(t, Options{})
	reading := make(chan struct{}, conns)
	h := s.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = &firstReadSignal{ReadCloser: r.Body, c: reading}
		h.ServeHTTP(w, r)
	}))
	defer ts.Close()

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for range conns {
		c, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
		fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"apiVer", DefaultMaxBodyBytes)
	}
	// Every handler is in its body's first Read, so its buffer is made.
	timeout := time.After(30 * time.Second)
	for range conns {
		select {
		case <-reading:
		case <-timeout:
			t.Fatal("handlers did not start reading their bodies")
		}
	}
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	// Each connection's own state (net/http's buffers, goroutines, the
	// recorder) is a few KiB; its body buffer must not be megabytes.
	const perConn = 128 << 10
	t.Logf("%d connections declaring %d bytes and sending 8: heap +%d bytes (%d per connection)", conns, DefaultMaxBodyBytes, grew, grew/conns)
	if grew > conns*perConn {
		t.Errorf("heap grew by %d bytes for %d connections that sent 8 bytes each, want at most %d", grew, conns, conns*perConn)
	}
}

// firstReadSignal sends on c when its body is first read.
type firstReadSignal struct {
	io.ReadCloser
	c    chan<- struct{}
	once sync.Once
}

func (f *firstReadSignal) Read(p []byte) (int, error) {
	f.once.Do(func() { f.c <- struct{}{} })
	return f.ReadCloser.Read(p)
}
