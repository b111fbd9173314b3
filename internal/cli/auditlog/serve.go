package auditlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/kubeward/kubeward/internal/auditlog"
	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/rules"
)

type serveFlags struct {
	detect       detectFlags
	listen       string
	certFile     string
	keyFile      string
	findingsFile string
	queue        int
	maxBatch     int64
	severity     string
	disable      []string
	logLevel     string
}

func newServeCommand(s clierr.Streams) *cobra.Command {
	f := &serveFlags{}
	cmd := &cobra.Command{
		Use:   "serve --tls-cert-file FILE --tls-private-key-file FILE [flags]",
		Short: "Receive kube-apiserver's audit webhook batches and run the detections live",
		Long: `Serve is an HTTPS endpoint for kube-apiserver's audit webhook backend
(--audit-webhook-config-file names a kubeconfig whose cluster server is this
endpoint). It runs the detections of 'analyze' on the posted EventList
batches as they arrive (windows included) and writes each finding as one
JSON line to stdout and, with --findings-file, appended to that file.
Prometheus metrics (events received and dropped, findings per rule) are at
/metrics; /healthz and /readyz answer probes.

Every well-formed batch is answered 200 at once: events wait in a bounded
queue (--queue-events) and are dropped, and counted, when it is full, so a
slow analysis never holds the API server. The certificate files are re-read
when they change. On SIGTERM the server stops accepting connections, drains
in-flight batches, analyses what is queued and exits. Logs go to stderr.`,
		Example: `  kubeward auditlog serve --tls-cert-file tls.crt --tls-private-key-file tls.key --findings-file /var/log/kubeward/findings.jsonl`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			return runServe(ctx, s, f)
		},
	}
	fl := cmd.Flags()
	f.detect.register(fl)
	fl.StringVar(&f.listen, "listen", ":8443", "address to serve HTTPS on")
	fl.StringVar(&f.certFile, "tls-cert-file", "", "PEM serving certificate (chain); re-read when it changes (required)")
	fl.StringVar(&f.keyFile, "tls-private-key-file", "", "PEM private key of the serving certificate; re-read when it changes (required)")
	fl.StringVar(&f.findingsFile, "findings-file", "", "file findings are appended to, one JSON object per line (besides stdout)")
	fl.IntVar(&f.queue, "queue-events", auditlog.DefaultQueueEvents, "events waiting for analysis at most; beyond it they are dropped and counted")
	fl.Int64Var(&f.maxBatch, "max-request-bytes", auditlog.DefaultMaxBatchBytes, "largest EventList batch accepted")
	fl.StringVar(&f.severity, "severity", "info", "write only findings of this severity or higher: info, low, medium, high, critical")
	fl.StringSliceVar(&f.disable, "disable", nil, "rule IDs not to write, comma-separated or repeated")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	return cmd
}

func runServe(ctx context.Context, s clierr.Streams, f *serveFlags) error {
	if f.certFile == "" || f.keyFile == "" {
		return clierr.Usage(errors.New("--tls-cert-file and --tls-private-key-file are required: kube-apiserver's webhook backend posts over HTTPS"))
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return clierr.Usage(fmt.Errorf("--log-level: %w", err))
	}
	minSev, err := finding.ParseSeverity(f.severity)
	if err != nil {
		return clierr.Usage(fmt.Errorf("--severity: %w", err))
	}
	registry := rules.Builtin()
	disabled := map[string]bool{}
	for _, id := range f.disable {
		if r, ok := registry.Lookup(id); !ok || r.Family() != auditlog.RuleFamily {
			return clierr.Usage(fmt.Errorf("cannot disable %q: not an auditlog rule (see 'kubeward rules')", id))
		}
		disabled[id] = true
	}
	opts, rbacErrs, err := f.detect.options(s, registry)
	if err != nil {
		return err
	}
	if len(rbacErrs) > 0 {
		for _, e := range rbacErrs {
			fmt.Fprintf(s.Err, "kubeward: %s:%d: %s\n", e.File, e.Line, e.Message)
		}
		return clierr.Failed()
	}
	logger := slog.New(slog.NewJSONHandler(s.Err, &slog.HandlerOptions{Level: level}))
	an, err := auditlog.NewAnalyzer(opts)
	if err != nil {
		return err
	}
	var out io.Writer = s.Out
	if f.findingsFile != "" {
		ff, err := os.OpenFile(f.findingsFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return clierr.Usage(fmt.Errorf("--findings-file: %w", err))
		}
		defer ff.Close()
		out = io.MultiWriter(s.Out, ff)
	}
	var mu sync.Mutex
	enc := json.NewEncoder(out)
	srv, err := auditlog.NewServer(auditlog.ServerOptions{
		Analyzer: an, Logger: logger, CertFile: f.certFile, KeyFile: f.keyFile,
		QueueEvents: f.queue, MaxBatchBytes: f.maxBatch,
		Findings: func(fd finding.Finding) {
			if disabled[fd.Rule] || fd.Severity.Rank() < minSev.Rank() {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if err := enc.Encode(fd); err != nil {
				logger.Error("writing finding", "error", err)
			}
		},
	})
	if err != nil {
		return clierr.Usage(err)
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return clierr.Usage(fmt.Errorf("--listen: %w", err))
	}
	return srv.Serve(ctx, ln)
}
