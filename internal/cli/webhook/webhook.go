// Package webhook is the `kubeward webhook` command: it turns flags into a
// Pod Security admission decision (internal/admission) backed by a
// namespace informer (internal/cluster) and serves it over HTTPS
// (internal/webhook) until SIGTERM or SIGINT.
package webhook

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubeward/kubeward/internal/admission"
	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/cluster"
	"github.com/kubeward/kubeward/internal/webhook"
)

// Test hooks.
var (
	newClient = func(c *rest.Config) (kubernetes.Interface, error) { return kubernetes.NewForConfig(c) }
	listening = func(net.Addr) {}
)

type flags struct {
	listen               string
	certFile, keyFile    string
	kubeconfig           string
	config               string
	exemptions           string
	fullDryRun           bool
	namespaceErrorPolicy string
	maxBodyBytes         int64
	maxInFlightBytes     int64
	requestTimeout       time.Duration
	shutdownDelay        time.Duration
	shutdownTimeout      time.Duration
	syncTimeout          time.Duration
	logFormat            string
	logLevel             string
}

// NewCommand returns the `kubeward webhook` command.
func NewCommand(s clierr.Streams) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "webhook --tls-cert-file FILE --tls-private-key-file FILE [flags]",
		Short: "Serve Pod Security Admission as a validating admission webhook",
		Long: `Serve Pod Security Admission as an HTTPS validating admission webhook that
behaves as Kubernetes' built-in PodSecurity admission: namespace labels
pod-security.kubernetes.io/<enforce|audit|warn>[-version], the
PodSecurityConfiguration file Kubernetes' own webhook takes (--config), and
kubeward's narrow, auditable exemptions (--exemptions).

Namespaces are read through an informer cache; /readyz fails until it has
synced. The certificate files are re-read when they change, so rotation needs
no restart. See docs/webhook.md and deploy/.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			return run(ctx, f, s)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", ":8443", "address to serve HTTPS on")
	fl.StringVar(&f.certFile, "tls-cert-file", "", "PEM serving certificate (chain); re-read when it changes (required)")
	fl.StringVar(&f.keyFile, "tls-private-key-file", "", "PEM private key of the serving certificate; re-read when it changes (required)")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file; empty means the in-cluster service account")
	fl.StringVar(&f.config, "config", "", "PodSecurityConfiguration file (pod-security.admission.config.k8s.io/v1 or v1beta1), as Kubernetes' webhook takes; empty means Kubernetes' defaults")
	fl.StringVar(&f.exemptions, "exemptions", "", "kubeward narrow exemptions file; empty means none")
	fl.StringVar(&f.namespaceErrorPolicy, "namespace-error-policy", string(admission.NamespaceErrorFail), "a pod whose namespace cannot be read (API server unreachable, namespace unknown): Fail denies it, as Kubernetes does; Ignore admits it unchecked, with an error audit annotation and a warning")
	fl.BoolVar(&f.fullDryRun, "full-namespace-dry-run", false, "when a namespace's enforce level changes, check every pod and every workload template, without Kubernetes' 3000-pod/1s caps (needs list on workload resources)")
	fl.Int64Var(&f.maxBodyBytes, "max-request-bytes", webhook.DefaultMaxBodyBytes, "largest AdmissionReview body accepted")
	fl.Int64Var(&f.maxInFlightBytes, "max-in-flight-bytes", webhook.DefaultMaxInFlightBytes, "memory all reviews in flight may hold together (bodies and decoding); a review past it gets 429 (kube-apiserver then applies the webhook's failurePolicy)")
	fl.DurationVar(&f.requestTimeout, "request-timeout", webhook.DefaultRequestTimeout, "time budget of one review (kube-apiserver's ?timeout= applies when shorter)")
	fl.DurationVar(&f.shutdownDelay, "shutdown-delay", 5*time.Second, "on SIGTERM, keep serving this long with /readyz failing before closing the listener")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", webhook.DefaultShutdownTimeout, "on SIGTERM, wait at most this long for in-flight reviews")
	fl.DurationVar(&f.syncTimeout, "cache-sync-timeout", 0, "exit with an error if the namespace cache has not synced by then; 0 waits forever (with /readyz failing)")
	fl.StringVar(&f.logFormat, "log-format", "json", "log format: json or text")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	return cmd
}

func run(ctx context.Context, f *flags, s clierr.Streams) error {
	if f.certFile == "" || f.keyFile == "" {
		return clierr.Usage(errors.New("--tls-cert-file and --tls-private-key-file are required: the webhook serves HTTPS only"))
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return clierr.Usage(fmt.Errorf("--log-level: %w", err))
	}
	switch admission.NamespaceErrorPolicy(f.namespaceErrorPolicy) {
	case "", admission.NamespaceErrorFail, admission.NamespaceErrorIgnore:
	default:
		return clierr.Usage(fmt.Errorf("--namespace-error-policy %q: want %s or %s", f.namespaceErrorPolicy, admission.NamespaceErrorFail, admission.NamespaceErrorIgnore))
	}
	tuneGC()
	hopts := &slog.HandlerOptions{Level: level}
	// One line per review at thousands of reviews per second: batch the
	// writes (flushed every 100ms and on exit) rather than pay a write(2)
	// per line. A crash loses at most the last 100ms of request lines.
	logw := newFlushingWriter(s.Err, 100*time.Millisecond)
	defer logw.Close()
	var logger *slog.Logger
	switch f.logFormat {
	case "json":
		logger = slog.New(slog.NewJSONHandler(logw, hopts))
	case "text":
		logger = slog.New(slog.NewTextHandler(logw, hopts))
	default:
		return clierr.Usage(fmt.Errorf("--log-format %q: want json or text", f.logFormat))
	}

	// Configuration errors stop the start, each one named.
	var psConfig *admission.PodSecurityConfiguration
	if f.config != "" {
		c, err := admission.LoadConfig(f.config)
		if err != nil {
			return err
		}
		psConfig = c
	}
	var exemptions *admission.ExemptionsConfig
	if f.exemptions != "" {
		e, err := admission.LoadExemptions(f.exemptions)
		if err != nil {
			return err
		}
		exemptions = e
	}
	restCfg, err := cluster.Config(f.kubeconfig, "kubeward-webhook")
	if err != nil {
		return err
	}
	client, err := newClient(restCfg)
	if err != nil {
		return fmt.Errorf("creating Kubernetes client: %w", err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics, err := webhook.NewMetrics(reg)
	if err != nil {
		return err
	}
	namespaces := cluster.NewNamespaces(client)
	aopts := admission.Options{
		Config:              psConfig,
		Exemptions:          exemptions,
		Namespaces:          namespaces,
		Pods:                cluster.Pods{Client: client},
		Recorder:            metrics,
		FullNamespaceDryRun: f.fullDryRun,
		// Fail closed by default, as Kubernetes does; the operator may
		// choose to fail open.
		NamespaceErrorPolicy: admission.NamespaceErrorPolicy(f.namespaceErrorPolicy),
	}
	if f.fullDryRun {
		aopts.Workloads = cluster.Workloads{Client: client}
	}
	decider, err := admission.New(aopts)
	if err != nil {
		return err
	}
	srv, err := webhook.New(webhook.Options{
		Validator:        decider,
		Logger:           logger,
		CertFile:         f.certFile,
		KeyFile:          f.keyFile,
		MaxBodyBytes:     f.maxBodyBytes,
		MaxInFlightBytes: f.maxInFlightBytes,
		RequestTimeout:   f.requestTimeout,
		Ready:            namespaces.Synced,
		Registry:         reg,
		Metrics:          metrics,
		ShutdownDelay:    f.shutdownDelay,
		ShutdownTimeout:  f.shutdownTimeout,
	})
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	namespaces.Start(ctx)
	syncErr := make(chan error, 1)
	go func() {
		// Serve right away (liveness must pass while a large cluster
		// lists); readiness waits for the cache.
		wctx := ctx
		if f.syncTimeout > 0 {
			var c context.CancelFunc
			wctx, c = context.WithTimeout(ctx, f.syncTimeout)
			defer c()
		}
		if err := namespaces.WaitForSync(wctx); err != nil {
			if ctx.Err() == nil {
				syncErr <- err
				cancel()
			}
			return
		}
		logger.Info("namespace cache synced; ready")
	}()

	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", f.listen, err)
	}
	listening(ln.Addr())
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	select {
	case err := <-syncErr:
		return err
	default:
		return nil
	}
}

// defaultGCPercent is the garbage collector's target (GOGC) unless the
// environment sets GOGC. A review allocates about 15 KB, nearly all of it
// garbage once answered, while the live heap (namespace cache, metrics) is a
// few MB: at Go's default of 100 the collector ran some twenty times a
// second under load, took a tenth of the CPU and, on each run, delayed every
// review in flight. At 800 it runs an eighth as often, for a heap of up to
// nine times the live data (tens of MB); see tuneGC for the cap.
const defaultGCPercent = 800

// tuneGC sets the collector's defaults for a webhook unless the environment
// sets them: GOGC=defaultGCPercent and, in a container with a memory limit,
// GOMEMLIMIT at three quarters of that limit, so that the larger heap never
// outgrows the container (near the limit the collector runs as often as it
// must).
func tuneGC() {
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(defaultGCPercent)
	}
	if _, ok := os.LookupEnv("GOMEMLIMIT"); !ok {
		if limit, ok := cgroupMemoryLimit(os.DirFS("/")); ok {
			debug.SetMemoryLimit(limit / 4 * 3)
		}
	}
}

// cgroupMemoryLimit returns the memory limit of the cgroup the process sees
// at /sys/fs/cgroup (a container's own, under cgroup namespaces): cgroup v2's
// memory.max, else v1's memory.limit_in_bytes. ok is false without a limit.
func cgroupMemoryLimit(root fs.FS) (limit int64, ok bool) {
	for _, p := range []string{"sys/fs/cgroup/memory.max", "sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := fs.ReadFile(root, p)
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		// v2 writes "max" for no limit; v1 a number near 2^63.
		if err != nil || n <= 0 || n >= 1<<60 {
			return 0, false
		}
		return n, true
	}
	return 0, false
}

// flushingWriter buffers writes to w and flushes them every interval, when
// the buffer fills, and on Close. It is safe for concurrent use.
type flushingWriter struct {
	mu   sync.Mutex
	bw   *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

func newFlushingWriter(w io.Writer, interval time.Duration) *flushingWriter {
	f := &flushingWriter{bw: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(f.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				f.mu.Lock()
				_ = f.bw.Flush()
				f.mu.Unlock()
			case <-f.stop:
				return
			}
		}
	}()
	return f
}

func (f *flushingWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bw.Write(p)
}

// Close stops the flusher and flushes what is buffered.
func (f *flushingWriter) Close() error {
	close(f.stop)
	<-f.done
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bw.Flush()
}
