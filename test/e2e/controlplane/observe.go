package controlplane

import (
	"context"
	"net/http"
	"sync"

	"k8s.io/client-go/rest"
)

// Observation collects what the API server told the client about the requests
// made with one context: the warnings (Warning headers, which is how webhook
// and admission-plugin warnings reach clients) and the audit IDs (Audit-Id
// response header), in arrival order. Safe for concurrent use.
type Observation struct {
	mu       sync.Mutex
	warnings []string
	auditIDs []string
}

// Warnings returns the warnings received so far.
func (o *Observation) Warnings() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.warnings...)
}

// AuditIDs returns the audit IDs of the responses received so far.
func (o *Observation) AuditIDs() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.auditIDs...)
}

// LastAuditID returns the audit ID of the last response, or "".
func (o *Observation) LastAuditID() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.auditIDs) == 0 {
		return ""
	}
	return o.auditIDs[len(o.auditIDs)-1]
}

type observationKey struct{}

// Observe returns a context whose requests, made through a config from
// ObservingConfig, are recorded in the returned Observation. Use one context
// per request to get per-request warnings.
func Observe(ctx context.Context) (context.Context, *Observation) {
	o := &Observation{}
	return context.WithValue(ctx, observationKey{}, o), o
}

func observationFrom(ctx context.Context) *Observation {
	o, _ := ctx.Value(observationKey{}).(*Observation)
	return o
}

// ObservingConfig returns a copy of cfg that records warnings and audit IDs
// into the Observation of each request's context (see Observe). Requests made
// with a context without an Observation are not recorded and their warnings
// are dropped (client-go would otherwise log them).
func ObservingConfig(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.WarningHandler = nil
	c.WarningHandlerWithContext = warningRecorder{}
	c.Wrap(func(rt http.RoundTripper) http.RoundTripper { return auditIDRecorder{next: rt} })
	return c
}

type warningRecorder struct{}

func (warningRecorder) HandleWarningHeaderWithContext(ctx context.Context, code int, _ string, text string) {
	if o := observationFrom(ctx); o != nil && code == 299 {
		o.mu.Lock()
		o.warnings = append(o.warnings, text)
		o.mu.Unlock()
	}
}

type auditIDRecorder struct{ next http.RoundTripper }

func (r auditIDRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if resp != nil {
		if o := observationFrom(req.Context()); o != nil {
			if id := resp.Header.Get("Audit-Id"); id != "" {
				o.mu.Lock()
				o.auditIDs = append(o.auditIDs, id)
				o.mu.Unlock()
			}
		}
	}
	return resp, err
}
