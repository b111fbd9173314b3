// Package webhook serves Pod Security Admission as a validating admission
// webhook: an HTTPS server that reads admission.k8s.io/v1 AdmissionReviews,
// decodes the embedded object once into its typed Kubernetes struct, asks an
// admission.Validator for the decision and writes the AdmissionReview
// response. It also serves /healthz, /readyz and Prometheus /metrics.
//
// The decision itself lives in internal/admission; this package knows HTTP,
// TLS and the AdmissionReview wire format, and nothing of policy.
//
// Routes (Server.Handler):
//
//	/healthz   200 while the process serves
//	/readyz    200 once Options.Ready reports true, 503 before and while shutting down
//	/metrics   Prometheus exposition of Options.Registry
//	any other  POST an AdmissionReview (Content-Type application/json)
//
// Bad requests never panic the process: a body that is not a usable
// AdmissionReview gets a 4xx with a plain-text reason; a review whose object
// cannot be decoded, or would take too much memory to decode, gets a
// well-formed AdmissionResponse with a status. Memory follows the bytes
// received, and in-flight reviews together hold at most
// Options.MaxInFlightBytes (more are answered 429).
package webhook

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kubeward/kubeward/internal/admission"
	"github.com/kubeward/kubeward/internal/certreload"
)

// Defaults for the zero values of Options.
const (
	// DefaultMaxBodyBytes is Kubernetes' own webhook's limit (3 MiB); etcd's
	// object size limit is 1.5 MiB and a review carries object and oldObject.
	DefaultMaxBodyBytes = 3 << 20
	// DefaultRequestTimeout bounds one review; kube-apiserver's own limit
	// (timeoutSeconds in the webhook configuration, at most 30s) also
	// arrives as the ?timeout= query parameter and applies when shorter.
	DefaultRequestTimeout = 10 * time.Second
	// DefaultShutdownTimeout bounds draining in-flight requests.
	DefaultShutdownTimeout = 25 * time.Second
	// DefaultCertCheckInterval is how often, at most, the certificate files
	// are re-read on a TLS handshake.
	DefaultCertCheckInterval = 10 * time.Second
)

// Options configure a Server. Validator is required; every other field has a
// usable zero value.
type Options struct {
	// Validator decides each review. It must honour the context's deadline.
	Validator admission.Validator
	// Logger receives one line per review and the server's own events. nil
	// discards them.
	Logger *slog.Logger
	// CertFile and KeyFile are the PEM serving certificate (chain) and key.
	// Required by Serve, unused by Handler. They are re-read when they
	// change (see CertCheckInterval), so rotation needs no restart.
	CertFile, KeyFile string
	// CertCheckInterval: 0 means DefaultCertCheckInterval.
	CertCheckInterval time.Duration
	// MaxBodyBytes limits a review's body; larger bodies get 413. 0 means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxInFlightBytes bounds the memory all in-flight reviews hold
	// together: their bodies as the bytes arrive, and what decoding and
	// evaluating them is estimated to take (at most 1 MiB plus 4 bytes per
	// body byte each). A review that would go past it is answered 429 Too
	// Many Requests with Retry-After: 1, at once. 0 means
	// DefaultMaxInFlightBytes; a value below what one review of
	// MaxBodyBytes may take is raised to that.
	MaxInFlightBytes int64
	// RequestTimeout bounds one review; 0 means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// Ready reports whether the decision's inputs are ready (the namespace
	// informer has synced); /readyz fails until it returns true. nil means
	// always ready. It is called on every /readyz request and must be cheap.
	Ready func() bool
	// Registry is served at /metrics; the request latency histogram is
	// registered on it unless Metrics is given. nil means a new, private
	// registry.
	Registry *prometheus.Registry
	// Metrics, if not nil, must have been created with NewMetrics on
	// Registry; it is usually also the Validator's metrics recorder.
	Metrics *Metrics
	// ShutdownDelay is how long Serve keeps serving after its context is
	// done while /readyz already fails, so that endpoints stop routing to
	// this replica before it closes its listener. 0 means none.
	ShutdownDelay time.Duration
	// ShutdownTimeout bounds draining in-flight requests; 0 means
	// DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
}

// Server is an admission webhook server. Create it with New. Its methods
// are safe for concurrent use.
type Server struct {
	opts         Options
	logger       *slog.Logger
	metrics      *Metrics
	registry     *prometheus.Registry
	metricsH     http.Handler
	certs        *certreload.Reloader
	gate         memGate
	shuttingDown atomic.Bool
}

// New validates opts and builds a Server. When CertFile and KeyFile are set
// the pair is loaded now, so a bad certificate fails here, not on the first
// handshake.
func New(opts Options) (*Server, error) {
	if opts.Validator == nil {
		return nil, errors.New("webhook: no validator")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxInFlightBytes <= 0 {
		opts.MaxInFlightBytes = DefaultMaxInFlightBytes
	}
	opts.MaxInFlightBytes = max(opts.MaxInFlightBytes, reviewWorstCase(opts.MaxBodyBytes))
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.CertCheckInterval <= 0 {
		opts.CertCheckInterval = DefaultCertCheckInterval
	}
	s := &Server{opts: opts, logger: opts.Logger, registry: opts.Registry, metrics: opts.Metrics}
	s.gate.limit = opts.MaxInFlightBytes
	if s.registry == nil {
		s.registry = prometheus.NewRegistry()
	}
	if s.metrics == nil {
		m, err := NewMetrics(s.registry)
		if err != nil {
			return nil, err
		}
		s.metrics = m
	}
	s.metricsH = promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	if (opts.CertFile == "") != (opts.KeyFile == "") {
		return nil, errors.New("webhook: give both a certificate file and a key file, or neither")
	}
	if opts.CertFile != "" {
		c, err := certreload.New(opts.CertFile, opts.KeyFile, opts.CertCheckInterval, s.logger)
		if err != nil {
			return nil, err
		}
		s.certs = c
	}
	return s, nil
}

// Metrics returns the server's metrics (Options.Metrics or the ones New
// created).
func (s *Server) Metrics() *Metrics { return s.metrics }

// Handler returns the server's HTTP handler (all routes, without TLS). Use it
// to serve behind your own listener or in tests.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.route) }

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/healthz", "/livez":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	case "/readyz":
		s.serveReady(w)
	case "/metrics":
		s.metricsH.ServeHTTP(w, r)
	default:
		// Like Kubernetes' webhook, every other path takes reviews, so the
		// webhook configuration's service path is free.
		s.serveReviewOnWorker(w, r)
	}
}

func (s *Server) serveReady(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	switch {
	case s.shuttingDown.Load():
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("shutting down\n"))
	case s.opts.Ready != nil && !s.opts.Ready():
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("namespace cache not synced\n"))
	default:
		_, _ = w.Write([]byte("ok\n"))
	}
}

// Serve serves HTTPS (TLS 1.2+) on ln until ctx is done, then fails /readyz,
// waits ShutdownDelay, stops accepting connections and drains in-flight
// reviews for at most ShutdownTimeout. It returns nil after a clean drain and
// closes ln in every case.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.certs == nil {
		_ = ln.Close()
		return errors.New("webhook: serving needs a certificate and key file")
	}
	srv := &http.Server{
		Handler: s.Handler(),
		// Bodies are read within the request timeout; writes get a margin.
		ReadTimeout:  s.opts.RequestTimeout + 5*time.Second,
		WriteTimeout: s.opts.RequestTimeout + 5*time.Second,
		BaseContext:  func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	s.logger.Info("serving admission reviews", "address", ln.Addr().String())
	err := s.certs.Serve(ctx, ln, srv, certreload.Drain{
		Stopping: func() { s.shuttingDown.Store(true) },
		Delay:    s.opts.ShutdownDelay,
		Timeout:  s.opts.ShutdownTimeout,
	})
	if err != nil {
		return err
	}
	s.logger.Info("shut down")
	return nil
}
