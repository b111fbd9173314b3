package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/rest"
	psaload "k8s.io/pod-security-admission/admission/api/load"
	upstream "k8s.io/pod-security-admission/cmd/webhook/server"

	"github.com/kubeward/kubeward/internal/admission"
	"github.com/kubeward/kubeward/internal/cluster"
)

// benchNamespace is the namespace the review fixtures live in: restricted
// for every mode, so that a violating pod is denied and warned about.
func benchNamespace() *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: map[string]string{
		"kubernetes.io/metadata.name":        "shop",
		"pod-security.kubernetes.io/enforce": "restricted",
		"pod-security.kubernetes.io/audit":   "restricted",
		"pod-security.kubernetes.io/warn":    "restricted",
	}}}
}

// defaultNamespace is an unlabelled (privileged) namespace.
func defaultNamespace() *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default", Labels: map[string]string{"kubernetes.io/metadata.name": "default"}}}
}

type noPods struct{}

func (noPods) ListPods(context.Context, string) ([]*corev1.Pod, error) { return nil, nil }

// newBenchServer is kubeward's webhook as `kubeward webhook` builds it:
// admission decision with metrics, JSON request log (to io.Discard), a
// namespace getter that answers from memory as the informer cache does.
func newBenchServer(tb testing.TB) http.Handler {
	tb.Helper()
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		tb.Fatal(err)
	}
	a, err := admission.New(admission.Options{
		Namespaces: cluster.StaticNamespaces{"shop": benchNamespace(), "default": defaultNamespace()},
		Pods:       noPods{},
		Recorder:   m,
	})
	if err != nil {
		tb.Fatal(err)
	}
	s, err := New(Options{Validator: a, Registry: reg, Metrics: m, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	return s.Handler()
}

// newUpstreamServer is Kubernetes' own webhook (k8s.io/pod-security-admission
// cmd/webhook/server v0.37.2) built with its own Setup, default
// PodSecurityConfiguration, and its namespace informer's cache holding the
// bench namespace — the state its informer reaches once synced. Its client
// points nowhere: a cache miss would fail, so the benchmark measures only
// cache hits, as ours does.
func newUpstreamServer(tb testing.TB) http.Handler {
	tb.Helper()
	cfg, err := psaload.LoadFromData(nil) // Kubernetes' defaults
	if err != nil {
		tb.Fatal(err)
	}
	s, err := upstream.Setup(&upstream.Config{
		SecureServing:     &apiserver.SecureServingInfo{},
		KubeConfig:        &rest.Config{Host: "https://127.0.0.1:1"},
		PodSecurityConfig: cfg,
	})
	if err != nil {
		tb.Fatal(err)
	}
	// Setup keeps its informer factory unexported and only starts it in
	// Start (which also binds a port); fill the namespace cache directly.
	f := reflect.ValueOf(s).Elem().FieldByName("informerFactory")
	factory := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(informers.SharedInformerFactory)
	for _, ns := range []*corev1.Namespace{benchNamespace(), defaultNamespace()} {
		if err := factory.Core().V1().Namespaces().Informer().GetIndexer().Add(ns); err != nil {
			tb.Fatal(err)
		}
	}
	return http.HandlerFunc(s.HandleValidate)
}

func readReview(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "reviews", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// bodyReader is a reusable request body.
type bodyReader struct{ bytes.Reader }

func (*bodyReader) Close() error { return nil }

// recorder is a minimal reusable http.ResponseWriter.
type recorder struct {
	h    http.Header
	code int
	buf  bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.h }
func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.buf.Write(b)
}
func (r *recorder) WriteHeader(code int) { r.code = code }
func (r *recorder) reset() {
	clear(r.h)
	r.code = 0
	r.buf.Reset()
}

// serveOnce runs h on body as kube-apiserver would post it.
func serveOnce(h http.Handler, body []byte) (int, []byte) {
	rec := &recorder{h: http.Header{}}
	req := newReviewRequest(body)
	h.ServeHTTP(rec, req)
	return rec.code, rec.buf.Bytes()
}

func newReviewRequest(body []byte) *http.Request {
	u, _ := url.Parse("https://kubeward.kubeward.svc:443/?timeout=10s")
	br := &bodyReader{}
	br.Reset(body)
	return (&http.Request{
		Method: http.MethodPost, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json, */*"}},
		Body:          br,
		ContentLength: int64(len(body)),
		Host:          "kubeward.kubeward.svc:443",
		RemoteAddr:    "10.0.0.1:51234",
	}).WithContext(context.Background())
}

// decision is what kube-apiserver takes from a response.
type decision struct {
	UID              string
	Allowed          bool
	Code             int32
	Message          string
	Warnings         []string
	AuditAnnotations map[string]string
}

func decodeDecision(tb testing.TB, body []byte) decision {
	tb.Helper()
	var r admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &r); err != nil {
		tb.Fatalf("decoding response %q: %v", body, err)
	}
	if r.Response == nil {
		tb.Fatalf("no response in %s", body)
	}
	d := decision{UID: string(r.Response.UID), Allowed: r.Response.Allowed, Warnings: r.Response.Warnings, AuditAnnotations: r.Response.AuditAnnotations}
	if s := r.Response.Result; s != nil {
		d.Code, d.Message = s.Code, s.Message
	}
	return d
}

var benchCases = []string{"pod-create-compliant.json", "pod-create-violating.json", "deployment-create-violating.json", "pod-update-image.json"}

// TestBenchHandlersAgree makes sure the benchmark compares equal work: both
// handlers reach the same decision on every benchmarked review.
func TestBenchHandlersAgree(t *testing.T) {
	ours, theirs := newBenchServer(t), newUpstreamServer(t)
	// (Not namespace-update-enforce.json: upstream's pod list has no API server here.)
	for _, name := range append(benchCases, "pod-ephemeralcontainers.json", "pod-exec.json", "pod-create-privileged-ns.json") {
		t.Run(name, func(t *testing.T) {
			body := readReview(t, name)
			code, got := serveOnce(ours, body)
			ucode, want := serveOnce(theirs, body)
			if code != http.StatusOK || ucode != http.StatusOK {
				t.Fatalf("status: ours %d, upstream %d", code, ucode)
			}
			if diff := cmp.Diff(decodeDecision(t, want), decodeDecision(t, got)); diff != "" {
				t.Errorf("decision differs from upstream (-upstream +ours):\n%s", diff)
			}
		})
	}
}

// BenchmarkHandler measures one review end to end in process: request bytes
// in, response bytes out, through the full HTTP handler, for kubeward and
// for Kubernetes' own webhook handler side by side.
//
//	go test ./internal/webhook -run '^$' -bench Handler -benchtime 2s -count 5
func BenchmarkHandler(b *testing.B) {
	for _, impl := range []struct {
		name string
		new  func(testing.TB) http.Handler
	}{{"impl=kubeward", newBenchServer}, {"impl=upstream", newUpstreamServer}} {
		for _, name := range benchCases {
			b.Run(fmt.Sprintf("%s/review=%s", impl.name, name[:len(name)-len(".json")]), func(b *testing.B) {
				h := impl.new(b)
				body := readReview(b, name)
				req := newReviewRequest(body)
				br := req.Body.(*bodyReader)
				rec := &recorder{h: http.Header{}}
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					br.Reset(body)
					rec.reset()
					h.ServeHTTP(rec, req)
				}
				if rec.code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.code, rec.buf.Bytes())
				}
			})
		}
	}
}
