package auditlog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kubeward/kubeward/internal/certreload"
	"github.com/kubeward/kubeward/internal/finding"
)

// Defaults of ServerOptions.
const (
	// DefaultMaxBatchBytes bounds one posted EventList (kube-apiserver's
	// webhook backend batches at most 400 events by default).
	DefaultMaxBatchBytes = 64 << 20
	// DefaultQueueEvents is how many events wait for the analyzer at most;
	// beyond it events are dropped (and counted), never the API server held.
	DefaultQueueEvents = 100_000
	// DefaultServerShutdownTimeout bounds draining in-flight posts.
	DefaultServerShutdownTimeout = 25 * time.Second
	// DefaultServerCertCheckInterval is how often, at most, the
	// certificate files are re-read on a handshake.
	DefaultServerCertCheckInterval = 10 * time.Second
)

// ServerOptions configure a Server. Analyzer is required.
type ServerOptions struct {
	// Analyzer runs the detections; the server's one worker goroutine owns
	// it from NewServer on.
	Analyzer *Analyzer
	// Findings receives each finding, from the worker goroutine. nil drops
	// them (the metrics still count them).
	Findings func(finding.Finding)
	// Logger receives the server's events; nil discards them.
	Logger *slog.Logger
	// CertFile and KeyFile are the PEM serving certificate and key, re-read
	// when they change. Required by Serve.
	CertFile, KeyFile string
	// CertCheckInterval: 0 means DefaultServerCertCheckInterval.
	CertCheckInterval time.Duration
	// MaxBatchBytes: 0 means DefaultMaxBatchBytes; a larger body gets 413.
	MaxBatchBytes int64
	// QueueEvents: 0 means DefaultQueueEvents.
	QueueEvents int
	// Registry is served at /metrics and holds the server's metrics; nil
	// means a new, private registry.
	Registry *prometheus.Registry
	// ShutdownTimeout: 0 means DefaultServerShutdownTimeout.
	ShutdownTimeout time.Duration
}

// Server receives the EventList batches of kube-apiserver's audit webhook
// backend (--audit-webhook-config-file) over HTTPS and runs the detections
// on them. It answers every well-formed batch 200 at once: events wait in
// a bounded queue for the analyzer, and when the queue is full they are
// dropped and counted (kubeward_auditlog_events_dropped_total) rather than
// slowing the API server, whose audit backend would otherwise buffer and
// then drop them itself. Routes: /healthz, /readyz, /metrics; any other
// path takes POSTed batches.
type Server struct {
	opts     ServerOptions
	logger   *slog.Logger
	queue    chan *Event
	certs    *certreload.Reloader
	metricsH http.Handler
	closing  atomic.Bool
	m        serverMetrics
	// mu guards queue against sends after it is closed.
	mu     sync.RWMutex
	closed bool
}

type serverMetrics struct {
	received, dropped, requests prometheus.Counter
	batches                     *prometheus.CounterVec
	findings                    *prometheus.CounterVec
	queued                      prometheus.GaugeFunc
}

// NewServer validates opts and builds a server; a bad certificate fails here.
func NewServer(opts ServerOptions) (*Server, error) {
	if opts.Analyzer == nil {
		return nil, errors.New("auditlog: no analyzer")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBatchBytes <= 0 {
		opts.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if opts.QueueEvents <= 0 {
		opts.QueueEvents = DefaultQueueEvents
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultServerShutdownTimeout
	}
	if opts.CertCheckInterval <= 0 {
		opts.CertCheckInterval = DefaultServerCertCheckInterval
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	s := &Server{opts: opts, logger: opts.Logger, queue: make(chan *Event, opts.QueueEvents)}
	s.m = serverMetrics{
		received: prometheus.NewCounter(prometheus.CounterOpts{Name: "kubeward_auditlog_events_received_total", Help: "Audit events received (every stage)."}),
		dropped:  prometheus.NewCounter(prometheus.CounterOpts{Name: "kubeward_auditlog_events_dropped_total", Help: "Final-stage audit events dropped because the analysis queue was full."}),
		requests: prometheus.NewCounter(prometheus.CounterOpts{Name: "kubeward_auditlog_requests_analyzed_total", Help: "Requests analysed (final-stage events, each audit ID once)."}),
		batches:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kubeward_auditlog_batches_total", Help: "EventList batches posted, by response code."}, []string{"code"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kubeward_auditlog_findings_total", Help: "Findings, by rule and severity."}, []string{"rule", "severity"}),
		queued: prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kubeward_auditlog_queue_events", Help: "Events waiting for the analyzer."},
			func() float64 { return float64(len(s.queue)) }),
	}
	for _, c := range []prometheus.Collector{s.m.received, s.m.dropped, s.m.requests, s.m.batches, s.m.findings, s.m.queued} {
		if err := opts.Registry.Register(c); err != nil {
			return nil, fmt.Errorf("registering metrics: %w", err)
		}
	}
	// Every rule has a series from the start, so that rate() works from 0.
	for _, r := range Rules() {
		if rule, ok := opts.Analyzer.rules[r.ID]; ok {
			s.m.findings.WithLabelValues(rule.ID, string(rule.Severity))
		}
	}
	s.metricsH = promhttp.HandlerFor(opts.Registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	if (opts.CertFile == "") != (opts.KeyFile == "") {
		return nil, errors.New("auditlog: give both a certificate file and a key file, or neither")
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

// Handler returns every route, without TLS (tests, or your own listener).
// Batches it accepts are analysed only while Run (or Serve) runs.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.route) }

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/healthz", "/livez":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	case "/readyz":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if s.closing.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("shutting down\n"))
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	case "/metrics":
		s.metricsH.ServeHTTP(w, r)
	default:
		s.serveBatch(w, r)
	}
}

func (s *Server) fail(w http.ResponseWriter, code int, msg string) {
	s.m.batches.WithLabelValues(fmt.Sprint(code)).Inc()
	http.Error(w, msg, code)
}

// serveBatch decodes one EventList and queues its final-stage events.
func (s *Server) serveBatch(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.fail(w, http.StatusMethodNotAllowed, "POST an audit.k8s.io/v1 EventList")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBatchBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.fail(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("batch larger than %d bytes", s.opts.MaxBatchBytes))
			return
		}
		s.fail(w, http.StatusBadRequest, "reading body: "+err.Error())
		return
	}
	events, err := DecodeBatch(body)
	if err != nil {
		s.fail(w, http.StatusBadRequest, err.Error())
		return
	}
	s.m.received.Add(float64(len(events)))
	s.mu.RLock()
	for _, ev := range events {
		if !ev.Final() {
			continue
		}
		if s.closed {
			s.m.dropped.Inc()
			continue
		}
		select {
		case s.queue <- ev:
		default:
			s.m.dropped.Inc()
		}
	}
	s.mu.RUnlock()
	s.m.batches.WithLabelValues("200").Inc()
	w.WriteHeader(http.StatusOK)
}

// DecodeBatch decodes a webhook backend's body: an audit.k8s.io/v1
// EventList (or a single Event). Every item must be an audit event.
func DecodeBatch(body []byte) ([]*Event, error) {
	var list Event
	if err := DecodeEvent(body, &list); err != nil {
		return nil, fmt.Errorf("not an audit EventList: %w", err)
	}
	if list.Kind != "EventList" && list.Items == nil {
		if err := checkEvent(&list); err != nil {
			return nil, err
		}
		return []*Event{&list}, nil
	}
	events := make([]*Event, 0, len(list.Items))
	for i, item := range list.Items {
		ev := new(Event)
		if err := DecodeEvent(item, ev); err != nil {
			return nil, fmt.Errorf("items[%d]: not an audit event: %w", i, err)
		}
		if err := checkEvent(ev); err != nil {
			return nil, fmt.Errorf("items[%d]: %w", i, err)
		}
		events = append(events, ev)
	}
	return events, nil
}

// Run analyses queued events until Close has been called and the queue is
// drained. Call it once, from one goroutine.
func (s *Server) Run() {
	for ev := range s.queue {
		before := s.opts.Analyzer.stats.Requests
		s.opts.Analyzer.Event(ev, func(f finding.Finding) {
			s.m.findings.WithLabelValues(f.Rule, string(f.Severity)).Inc()
			if s.opts.Findings != nil {
				s.opts.Findings(f)
			}
		})
		if s.opts.Analyzer.stats.Requests > before {
			s.m.requests.Inc()
		}
	}
}

// Close stops queueing (later batches are answered but their events
// counted as dropped) and lets Run return once the queue is drained.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.queue)
	}
}

// Serve serves HTTPS on ln and analyses the batches until ctx is done;
// then it fails /readyz, stops accepting connections, drains in-flight
// posts (at most ShutdownTimeout), analyses what is queued and returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.certs == nil {
		_ = ln.Close()
		return errors.New("auditlog: serving needs a certificate and key file")
	}
	done := make(chan struct{})
	go func() { s.Run(); close(done) }()
	srv := &http.Server{Handler: s.Handler(), ReadTimeout: time.Minute, WriteTimeout: time.Minute}
	s.logger.Info("serving audit webhook", "address", ln.Addr().String())
	serveErr := s.certs.Serve(ctx, ln, srv, certreload.Drain{
		Stopping: func() { s.closing.Store(true) },
		Timeout:  s.opts.ShutdownTimeout,
	})
	s.Close()
	<-done
	s.logger.Info("shut down", "requests", s.opts.Analyzer.stats.Requests)
	return serveErr
}
