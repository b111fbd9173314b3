// Command bodyload measures what request bodies that announce more than they
// send cost kubeward's webhook server. It starts the server in this process
// (TLS on a loopback port, with a throwaway self-signed certificate and a
// validator that allows everything), opens -conns connections that each
// declare a Content-Length of -declared bytes and send -send bytes of it,
// holds them open for -hold while it samples the process's resident memory
// (VmRSS) and live Go heap, then closes them and exits.
//
//	go run ./hack/bodyload [-conns 500] [-declared 3145728] [-send 8] [-hold 3s]
//
// It only connects to the loopback server it started, opens at most 5000
// connections, and stops by itself after -hold (at most one minute).
package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"

	"github.com/kubeward/kubeward/internal/admission"
	"github.com/kubeward/kubeward/internal/webhook"
)

type allowAll struct{}

func (allowAll) Validate(context.Context, *admission.Request) *admission.Response {
	return &admission.Response{Allowed: true}
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bodyload: error:", err)
		os.Exit(1)
	}
}

func run() error {
	conns := flag.Int("conns", 500, "connections to open (at most 5000)")
	declared := flag.Int64("declared", 3<<20, "Content-Length each request declares")
	send := flag.Int("send", 8, "body bytes each request sends")
	hold := flag.Duration("hold", 3*time.Second, "how long to hold the connections open while sampling (at most 1m)")
	flag.Parse()
	if *conns < 1 || *conns > 5000 || *hold <= 0 || *hold > time.Minute || *send < 0 || int64(*send) > *declared {
		return errors.New("need 1 <= -conns <= 5000, 0 < -hold <= 1m and 0 <= -send <= -declared")
	}

	dir, err := os.MkdirTemp("", "bodyload")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := writeSelfSigned(certFile, keyFile); err != nil {
		return err
	}
	srv, err := webhook.New(webhook.Options{Validator: allowAll{}, CertFile: certFile, KeyFile: keyFile})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()
	addr := ln.Addr().String()

	runtime.GC()
	base := sample()
	fmt.Printf("%s go%s GOMAXPROCS=%d conns=%d declared=%d send=%d\n", time.Now().UTC().Format(time.RFC3339), strings.TrimPrefix(runtime.Version(), "go"), runtime.GOMAXPROCS(0), *conns, *declared, *send)
	fmt.Printf("before:   %s\n", base)

	cfg := &tls.Config{InsecureSkipVerify: true} // a loopback server this process started
	open := make([]net.Conn, 0, *conns)
	defer func() {
		for _, c := range open {
			_ = c.Close()
		}
	}()
	head := fmt.Sprintf("POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", addr, *declared)
	body := strings.Repeat("{", *send)
	for range *conns {
		d := net.Dialer{Timeout: 5 * time.Second}
		c, err := tls.DialWithDialer(&d, "tcp", addr, cfg)
		if err != nil {
			return fmt.Errorf("connection %d: %w", len(open)+1, err)
		}
		open = append(open, c)
		w := bufio.NewWriter(c)
		_, _ = w.WriteString(head)
		_, _ = w.WriteString(body)
		if err := w.Flush(); err != nil {
			return fmt.Errorf("connection %d: %w", len(open), err)
		}
	}
	fmt.Printf("opened:   %d connections, each waiting for %d more bytes\n", len(open), *declared-int64(*send))

	peak := sample()
	deadline := time.Now().Add(*hold)
	for time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		s := sample()
		peak.max(s)
	}
	fmt.Printf("holding:  %s (peaks over %v)\n", peak, *hold)
	fmt.Printf("growth:   rss +%s, heap +%s (%s per connection)\n",
		mib(peak.rss-base.rss), mib(peak.heap-base.heap), kib((peak.rss-base.rss)/uint64(len(open))))
	return nil
}

type memSample struct{ rss, heap uint64 }

func (s memSample) String() string {
	return fmt.Sprintf("rss %s, live heap %s", mib(s.rss), mib(s.heap))
}

func (s *memSample) max(o memSample) {
	s.rss = max(s.rss, o.rss)
	s.heap = max(s.heap, o.heap)
}

func sample() memSample {
	m := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(m)
	return memSample{rss: vmRSS(), heap: m[0].Value.Uint64()}
}

// vmRSS returns this process's resident set size from /proc/self/status (0
// where there is none).
func vmRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
func kib(b uint64) string { return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10)) }

func writeSelfSigned(certFile, keyFile string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
}
