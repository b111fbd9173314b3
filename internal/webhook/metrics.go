package webhook

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kubeward/kubeward/internal/admission"
	"github.com/kubeward/kubeward/internal/podsecurity"
)

// Metrics are the webhook's Prometheus metrics: Kubernetes' PodSecurity
// admission metrics, with the names, help and labels Kubernetes uses so that
// existing dashboards and alerts keep working,
//
//	pod_security_evaluations_total{decision,policy_level,policy_version,mode,request_operation,resource,subresource}
//	pod_security_exemptions_total{request_operation,resource,subresource}
//	pod_security_errors_total{fatal,request_operation,resource,subresource}
//
// and kubeward's own
//
//	kubeward_narrow_exemptions_total{exemption,request_operation,resource,subresource}
//	kubeward_webhook_request_duration_seconds{resource,decision}
//
// Metrics implements admission.Recorder; pass it to the admission decision
// and to the Server. Its methods are safe for concurrent use and do not
// allocate once a label combination has been seen. A nil *Metrics records
// nothing.
type Metrics struct {
	evaluations *prometheus.CounterVec
	exemptions  *prometheus.CounterVec
	errors      *prometheus.CounterVec
	narrow      *prometheus.CounterVec
	latency     *prometheus.HistogramVec

	mu       sync.RWMutex
	evalC    map[[7]string]prometheus.Counter
	exemptC  map[[3]string]prometheus.Counter
	latencyO map[[2]string]prometheus.Observer
}

var _ admission.Recorder = (*Metrics)(nil)

// NewMetrics creates the metrics and registers them on reg. It fails when
// reg already holds metrics of the same names.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	reqLabels := []string{"request_operation", "resource", "subresource"}
	m := &Metrics{
		evaluations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pod_security_evaluations_total",
			Help: "Number of policy evaluations that occurred, not counting ignored or exempt requests.",
		}, []string{"decision", "policy_level", "policy_version", "mode", "request_operation", "resource", "subresource"}),
		exemptions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pod_security_exemptions_total",
			Help: "Number of exempt requests, not counting ignored or out of scope requests.",
		}, reqLabels),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pod_security_errors_total",
			Help: "Number of errors preventing normal evaluation. Non-fatal errors may result in the latest restricted profile being used for evaluation.",
		}, append([]string{"fatal"}, reqLabels...)),
		narrow: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kubeward_narrow_exemptions_total",
			Help: "Number of evaluations in which a kubeward narrow exemption removed or narrowed a violation, by exemption name.",
		}, append([]string{"exemption"}, reqLabels...)),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kubeward_webhook_request_duration_seconds",
			Help: "Time from reading an admission request to writing its response, by resource (pod, namespace, controller, other) and decision (allow, deny, error).",
			// 50µs to ~0.4s: the handler itself takes tens of microseconds;
			// the upper buckets catch namespace dry-runs listing pods.
			Buckets: prometheus.ExponentialBuckets(50e-6, 2.5, 11),
		}, []string{"resource", "decision"}),
		evalC:    map[[7]string]prometheus.Counter{},
		exemptC:  map[[3]string]prometheus.Counter{},
		latencyO: map[[2]string]prometheus.Observer{},
	}
	for _, c := range []prometheus.Collector{m.evaluations, m.exemptions, m.errors, m.narrow, m.latency} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering metrics: %w", err)
		}
	}
	// Kubernetes creates these series up front, so they are exposed at 0
	// before the first such request; do the same.
	for _, op := range []string{"create", "update"} {
		m.evaluations.WithLabelValues("allow", "privileged", "latest", "enforce", op, "pod", "")
		for _, res := range []string{"pod", "controller"} {
			m.exemptions.WithLabelValues(op, res, "")
		}
	}
	return m, nil
}

func requestLabels(req *admission.Request) [3]string {
	return [3]string{admission.OperationLabel(req.Operation), admission.ResourceLabel(req.Resource), req.SubResource}
}

// RecordEvaluation implements admission.Recorder.
func (m *Metrics) RecordEvaluation(d admission.Decision, lv podsecurity.LevelVersion, mode admission.Mode, req *admission.Request) {
	if m == nil {
		return
	}
	l := admission.EvaluationLabels(d, lv, mode, req)
	m.mu.RLock()
	c, ok := m.evalC[l]
	m.mu.RUnlock()
	if !ok {
		c = m.evaluations.WithLabelValues(l[:]...)
		m.mu.Lock()
		m.evalC[l] = c
		m.mu.Unlock()
	}
	c.Inc()
}

// RecordExemption implements admission.Recorder.
func (m *Metrics) RecordExemption(req *admission.Request) {
	if m == nil {
		return
	}
	l := requestLabels(req)
	m.mu.RLock()
	c, ok := m.exemptC[l]
	m.mu.RUnlock()
	if !ok {
		c = m.exemptions.WithLabelValues(l[:]...)
		m.mu.Lock()
		m.exemptC[l] = c
		m.mu.Unlock()
	}
	c.Inc()
}

// RecordError implements admission.Recorder. Errors are rare; no cache.
func (m *Metrics) RecordError(fatal bool, req *admission.Request) {
	if m == nil {
		return
	}
	l := requestLabels(req)
	m.errors.WithLabelValues(strconv.FormatBool(fatal), l[0], l[1], l[2]).Inc()
}

// RecordNarrowExemption implements admission.Recorder.
func (m *Metrics) RecordNarrowExemption(name string, req *admission.Request) {
	if m == nil {
		return
	}
	l := requestLabels(req)
	m.narrow.WithLabelValues(name, l[0], l[1], l[2]).Inc()
}

// observeLatency records one request's handling time.
func (m *Metrics) observeLatency(resource, decision string, d time.Duration) {
	if m == nil {
		return
	}
	l := [2]string{resource, decision}
	m.mu.RLock()
	o, ok := m.latencyO[l]
	m.mu.RUnlock()
	if !ok {
		o = m.latency.WithLabelValues(resource, decision)
		m.mu.Lock()
		m.latencyO[l] = o
		m.mu.Unlock()
	}
	o.Observe(d.Seconds())
}
