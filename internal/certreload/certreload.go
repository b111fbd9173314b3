// Package certreload serves a TLS certificate and key from files and picks up
// new contents without a restart, and serves HTTPS with it until a context
// ends, draining gracefully. The admission webhook and the audit log webhook
// receiver share it.
package certreload

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Reloader serves a certificate and key from files and picks up new
// contents without a restart: cert-manager and kubelet's secret volumes
// replace the files in place (an atomic symlink swap), so on a handshake at
// most every interval the files are re-read and, when their bytes changed,
// parsed again. A pair that does not parse (e.g. the certificate written but
// not yet the key) keeps the previous certificate in service — failing open
// to the old, still valid certificate rather than refusing every handshake —
// and is retried at the next check.
type Reloader struct {
	certFile, keyFile string
	interval          time.Duration
	logger            *slog.Logger

	cur       atomic.Pointer[tls.Certificate]
	nextCheck atomic.Int64 // unix nanoseconds

	mu              sync.Mutex // serialises reloads
	certPEM, keyPEM []byte
}

// New loads the pair once; an error here is a configuration error. On a
// handshake the files are checked again at most every interval. logger
// receives reloads and reload failures; it must not be nil.
func New(certFile, keyFile string, interval time.Duration, logger *slog.Logger) (*Reloader, error) {
	r := &Reloader{certFile: certFile, keyFile: keyFile, interval: interval, logger: logger}
	changed, err := r.reload()
	if err != nil {
		return nil, err
	}
	if !changed {
		return nil, fmt.Errorf("loading certificate %s", certFile)
	}
	return r, nil
}

// reload re-reads the files and swaps in the pair if it changed and parses.
func (r *Reloader) reload() (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	certPEM, err := os.ReadFile(r.certFile)
	if err != nil {
		return false, fmt.Errorf("reading TLS certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(r.keyFile)
	if err != nil {
		return false, fmt.Errorf("reading TLS private key: %w", err)
	}
	if bytes.Equal(certPEM, r.certPEM) && bytes.Equal(keyPEM, r.keyPEM) {
		return false, nil
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return false, fmt.Errorf("loading TLS key pair %s, %s: %w", r.certFile, r.keyFile, err)
	}
	r.certPEM, r.keyPEM = certPEM, keyPEM
	r.cur.Store(&cert)
	return true, nil
}

// GetCertificate is tls.Config.GetCertificate. It is safe for concurrent use.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	now := time.Now().UnixNano()
	if next := r.nextCheck.Load(); now >= next && r.nextCheck.CompareAndSwap(next, now+int64(r.interval)) {
		changed, err := r.reload()
		switch {
		case err != nil:
			r.logger.Error("keeping the current TLS certificate", "error", err)
		case changed:
			r.logger.Info("loaded new TLS certificate", "certFile", r.certFile)
		}
	}
	return r.cur.Load(), nil
}

// TLSConfig returns the server TLS configuration: TLS 1.2 or later, HTTP/1.1
// and h2, certificates from r.
func (r *Reloader) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: r.GetCertificate,
		NextProtos:     []string{"h2", "http/1.1"},
	}
}
