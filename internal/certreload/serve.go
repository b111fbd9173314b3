package certreload

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Drain says how Serve shuts down once its context ends.
type Drain struct {
	// Stopping runs first, for example to turn readiness off.
	Stopping func()
	// Delay is waited before draining, so that endpoints that still route
	// to the server see it become unready first.
	Delay time.Duration
	// Timeout bounds draining the requests in flight; after it the
	// remaining connections are closed.
	Timeout time.Duration
}

// Serve serves srv over TLS with r's certificate on ln until ctx ends or
// serving fails, then shuts srv down as d says. It sets srv.TLSConfig, and
// gives srv's unset ReadHeaderTimeout (10 s), IdleTimeout (120 s) and
// ErrorLog (r's logger at debug level) defaults. A clean shutdown returns
// nil.
func (r *Reloader) Serve(ctx context.Context, ln net.Listener, srv *http.Server, d Drain) error {
	srv.TLSConfig = r.TLSConfig()
	if srv.ReadHeaderTimeout == 0 {
		srv.ReadHeaderTimeout = 10 * time.Second
	}
	if srv.IdleTimeout == 0 {
		srv.IdleTimeout = 120 * time.Second
	}
	if srv.ErrorLog == nil {
		srv.ErrorLog = slog.NewLogLogger(r.logger.Handler(), slog.LevelDebug)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	if d.Stopping != nil {
		d.Stopping()
	}
	r.logger.Info("shutting down", "delay", d.Delay.String())
	if d.Delay > 0 {
		time.Sleep(d.Delay)
	}
	sctx, cancel := context.WithTimeout(context.Background(), d.Timeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("draining in-flight requests: %w", err)
	}
	<-errc // http.ErrServerClosed
	return nil
}
