package webhook

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"

	"github.com/kubeward/kubeward/internal/admission"
	"github.com/kubeward/kubeward/internal/cluster"
)

// validatorFunc adapts a function to admission.Validator.
type validatorFunc func(context.Context, *admission.Request) *admission.Response

func (f validatorFunc) Validate(ctx context.Context, r *admission.Request) *admission.Response {
	return f(ctx, r)
}

var allowAll = validatorFunc(func(context.Context, *admission.Request) *admission.Response {
	return &admission.Response{Allowed: true}
})

func newTestServer(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.Validator == nil {
		opts.Validator = allowAll
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// realValidator is kubeward's admission decision over the bench namespace.
func realValidator(t testing.TB, m *Metrics) admission.Validator {
	a, err := admission.New(admission.Options{
		Namespaces: cluster.StaticNamespaces{"shop": benchNamespace(), "default": defaultNamespace()},
		Pods:       noPods{},
		Recorder:   m,
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func post(h http.Handler, body []byte, mutate func(*http.Request)) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/?timeout=10s", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if mutate != nil {
		mutate(r)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestReviewRoundTrip(t *testing.T) {
	var got *admission.Request
	s := newTestServer(t, Options{Validator: validatorFunc(func(_ context.Context, r *admission.Request) *admission.Response {
		got = r
		return &admission.Response{Allowed: false, Warnings: []string{`would violate PodSecurity "restricted:latest": x`},
			AuditAnnotations: map[string]string{"enforce-policy": "restricted:latest", "audit-violations": "a \"b\" <c>"},
			Result: &metav1.Status{Status: metav1.StatusFailure, Code: 403, Reason: metav1.StatusReasonForbidden, Message: `pods "x" is forbidden`,
				Details: &metav1.StatusDetails{Name: "x", Kind: "pods", Causes: []metav1.StatusCause{{Type: "FieldValueForbidden", Message: "m", Field: "spec"}}}}}
	})})
	w := post(s.Handler(), readReview(t, "pod-update-image.json"), nil)
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("got %d %q: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	// What the handler writes is exactly what encoding/json makes of the
	// same response.
	var review struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Response   struct {
			UID              string            `json:"uid"`
			Allowed          bool              `json:"allowed"`
			Status           *metav1.Status    `json:"status"`
			Warnings         []string          `json:"warnings"`
			AuditAnnotations map[string]string `json:"auditAnnotations"`
		} `json:"response"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &review); err != nil {
		t.Fatal(err)
	}
	if review.APIVersion != "admission.k8s.io/v1" || review.Kind != "AdmissionReview" || review.Response.UID != "2f5c1c7e-0003-4a55-9d5f-5b3c2b1a0003" {
		t.Errorf("envelope: %+v", review)
	}
	if review.Response.Status.Message != `pods "x" is forbidden` || review.Response.Status.Code != 403 ||
		review.Response.Status.Details.Causes[0].Field != "spec" || review.Response.AuditAnnotations["audit-violations"] != "a \"b\" <c>" {
		t.Errorf("response: %+v", review.Response)
	}
	if got.Operation != "UPDATE" || got.Namespace != "shop" || got.Resource.Resource != "pods" || got.Object == nil || got.OldObject == nil ||
		got.Username != "system:serviceaccount:kube-system:replicaset-controller" || len(got.Groups) != 3 || got.DryRun {
		t.Errorf("request: %+v", got)
	}
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\" back\\slash", "ctl\x00\x1f\n\r\t", "utf8 é 世界", "bad \xff utf8", "sep \u2028 \u2029", "<>&"} {
		var want string
		if err := json.Unmarshal(appendString(nil, s), &want); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		ref, _ := json.Marshal(s)
		var refDecoded string
		_ = json.Unmarshal(ref, &refDecoded)
		if want != refDecoded {
			t.Errorf("%q decodes to %q, encoding/json round trip gives %q", s, want, refDecoded)
		}
	}
}

func TestBadRequests(t *testing.T) {
	good := readReview(t, "pod-create-compliant.json")
	var captured atomic.Pointer[admission.Request]
	s := newTestServer(t, Options{MaxBodyBytes: 64 << 10, Validator: validatorFunc(func(_ context.Context, r *admission.Request) *admission.Response {
		captured.Store(r)
		return &admission.Response{Allowed: true}
	})})
	replace := func(old, new string) []byte { return bytes.Replace(good, []byte(old), []byte(new), 1) }
	for _, tc := range []struct {
		name     string
		body     []byte
		mutate   func(*http.Request)
		wantCode int
		wantMsg  string
	}{
		{"GET", good, func(r *http.Request) { r.Method = http.MethodGet }, http.StatusMethodNotAllowed, "POST"},
		{"no content type", good, func(r *http.Request) { r.Header.Del("Content-Type") }, http.StatusUnsupportedMediaType, "not application/json"},
		{"yaml content type", good, func(r *http.Request) { r.Header.Set("Content-Type", "application/yaml") }, http.StatusUnsupportedMediaType, "not application/json"},
		{"json with charset", good, func(r *http.Request) { r.Header.Set("Content-Type", "application/json; charset=utf-8") }, http.StatusOK, ""},
		{"declared too large", good, func(r *http.Request) { r.ContentLength = 1 << 20 }, http.StatusRequestEntityTooLarge, "exceeds the limit"},
		{"chunked too large", bytes.Repeat([]byte(" "), 65<<10), func(r *http.Request) { r.ContentLength = -1 }, http.StatusRequestEntityTooLarge, "exceeds the limit"},
		{"empty", nil, nil, http.StatusBadRequest, "empty request body"},
		{"malformed JSON", good[:len(good)/2], nil, http.StatusBadRequest, "decoding JSON"},
		{"not an object", []byte(`[1,2]`), nil, http.StatusBadRequest, "decoding JSON"},
		{"v1beta1", replace(`"admission.k8s.io/v1"`, `"admission.k8s.io/v1beta1"`), nil, http.StatusBadRequest, `got apiVersion "admission.k8s.io/v1beta1"`},
		{"wrong kind", replace(`"kind":"AdmissionReview"`, `"kind":"Pod"`), nil, http.StatusBadRequest, `kind "Pod"`},
		{"no request", []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`), nil, http.StatusBadRequest, "no request"},
		{"null request", []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":null}`), nil, http.StatusBadRequest, "no request"},
		{"no uid", replace(`"uid":"2f5c1c7e-0001-4a55-9d5f-5b3c2b1a0001",`, ``), nil, http.StatusBadRequest, "no uid"},
		{"uid not a string", replace(`"uid":"2f5c1c7e-0001-4a55-9d5f-5b3c2b1a0001"`, `"uid":7`), nil, http.StatusBadRequest, "decoding JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := post(s.Handler(), tc.body, tc.mutate)
			if w.Code != tc.wantCode || !strings.Contains(w.Body.String(), tc.wantMsg) {
				t.Errorf("got %d %q, want %d containing %q", w.Code, w.Body.String(), tc.wantCode, tc.wantMsg)
			}
		})
	}

	t.Run("undecodable object reaches the decision as ObjectErr", func(t *testing.T) {
		body := replace(`"containers":[`, `"containers":7,"x":[`)
		w := post(s.Handler(), body, nil)
		r := captured.Load()
		if w.Code != http.StatusOK || r.ObjectErr == nil || r.Object != nil {
			t.Fatalf("got %d, request %+v", w.Code, r)
		}
	})
	t.Run("exec subresource object is not decoded", func(t *testing.T) {
		w := post(s.Handler(), readReview(t, "pod-exec.json"), nil)
		r := captured.Load()
		if w.Code != http.StatusOK || r.ObjectErr != nil || r.Object != nil || r.SubResource != "exec" {
			t.Fatalf("got %d, request %+v", w.Code, r)
		}
	})
	t.Run("unsupported resource", func(t *testing.T) {
		body := replace(`"resource":{"group":"","version":"v1","resource":"pods"}`, `"resource":{"group":"","version":"v1","resource":"configmaps"}`)
		w := post(s.Handler(), body, nil)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"allowed":true`) || !strings.Contains(w.Body.String(), `does not evaluate resource \"configmaps\"`) {
			t.Fatalf("got %d %s", w.Code, w.Body)
		}
	})
}

func TestUndecodablePodIsDeniedByTheDecision(t *testing.T) {
	s := newTestServer(t, Options{Validator: realValidator(t, nil)})
	body := bytes.Replace(readReview(t, "pod-create-compliant.json"), []byte(`"containers":[`), []byte(`"containers":7,"x":[`), 1)
	w := post(s.Handler(), body, nil)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"allowed":false`) || !strings.Contains(w.Body.String(), `"code":400`) {
		t.Fatalf("got %d %s", w.Code, w.Body)
	}
}

// TestUIDEchoUnderConcurrency: every response carries its own request's
// uid, however many run at once and however the decision shares responses.
func TestUIDEchoUnderConcurrency(t *testing.T) {
	s := newTestServer(t, Options{Validator: realValidator(t, nil)})
	h := s.Handler()
	bodies := [][]byte{readReview(t, "pod-create-compliant.json"), readReview(t, "pod-create-violating.json"), readReview(t, "deployment-create-violating.json")}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				uid := fmt.Sprintf("uid-%d-%d", g, i)
				b := bodies[(g+i)%len(bodies)]
				b = bytes.Replace(b, b[bytes.Index(b, []byte(`"uid":"`)):bytes.Index(b, []byte(`","kind"`))+1], []byte(`"uid":"`+uid+`"`), 1)
				w := post(h, b, nil)
				var out struct {
					Response struct{ UID string } `json:"response"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || out.Response.UID != uid {
					errs <- fmt.Errorf("sent %s, got %q (%v): %s", uid, out.Response.UID, err, w.Body)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestRequestTimeout(t *testing.T) {
	var deadline atomic.Int64
	blocking := validatorFunc(func(ctx context.Context, r *admission.Request) *admission.Response {
		d, _ := ctx.Deadline()
		deadline.Store(int64(time.Until(d)))
		<-ctx.Done()
		return &admission.Response{Result: &metav1.Status{Code: 500, Message: "timed out: " + ctx.Err().Error()}}
	})
	s := newTestServer(t, Options{Validator: blocking, RequestTimeout: 300 * time.Millisecond})
	for _, tc := range []struct {
		query string
		want  time.Duration
	}{{"", 300 * time.Millisecond}, {"timeout=50ms", 50 * time.Millisecond}, {"timeout=30s", 300 * time.Millisecond}, {"timeout=bogus", 300 * time.Millisecond}} {
		t.Run(tc.query, func(t *testing.T) {
			start := time.Now()
			w := post(s.Handler(), readReview(t, "pod-create-compliant.json"), func(r *http.Request) { r.URL.RawQuery = tc.query })
			took := time.Since(start)
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "context deadline exceeded") {
				t.Fatalf("got %d %s", w.Code, w.Body)
			}
			// The deadline is the budget, less the time the handler took to
			// reach the decision (generous: the test machine may be busy).
			if got := time.Duration(deadline.Load()); got > tc.want || got < tc.want*6/10 {
				t.Errorf("deadline %v, want about %v", got, tc.want)
			}
			if took > tc.want+time.Second {
				t.Errorf("took %v", took)
			}
		})
	}
}

func TestPanicIsRecovered(t *testing.T) {
	var logs bytes.Buffer
	s := newTestServer(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Validator: validatorFunc(func(context.Context, *admission.Request) *admission.Response {
		panic("boom")
	})})
	w := post(s.Handler(), readReview(t, "pod-create-compliant.json"), nil)
	if w.Code != http.StatusInternalServerError || !strings.Contains(logs.String(), "boom") {
		t.Fatalf("got %d %s; logs %s", w.Code, w.Body, logs.String())
	}
}

// TestAbortHandlerReachesNetHTTP: reviews run on worker goroutines
// (workers.go); http.ErrAbortHandler must still be raised on the request's
// own goroutine, where net/http aborts the response, and the process must
// keep serving.
func TestAbortHandlerReachesNetHTTP(t *testing.T) {
	// Hand every review to a worker, HTTP/1.1 too.
	defer func(f func(*http.Request) bool) { handOff = f }(handOff)
	handOff = func(*http.Request) bool { return true }
	var abort atomic.Bool
	abort.Store(true)
	s := newTestServer(t, Options{Validator: validatorFunc(func(context.Context, *admission.Request) *admission.Response {
		if abort.Load() {
			panic(http.ErrAbortHandler)
		}
		return &admission.Response{Allowed: true}
	})})
	func() {
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler", v)
			}
		}()
		post(s.Handler(), readReview(t, "pod-create-compliant.json"), nil)
		t.Error("the handler returned; want it to panic with http.ErrAbortHandler")
	}()
	abort.Store(false)
	if w := post(s.Handler(), readReview(t, "pod-create-compliant.json"), nil); w.Code != http.StatusOK {
		t.Fatalf("after an abort: got %d %s", w.Code, w.Body)
	}
}

func TestHealthAndReady(t *testing.T) {
	var ready atomic.Bool
	s := newTestServer(t, Options{Ready: ready.Load})
	get := func(path string) int {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		return w.Code
	}
	if c := get("/healthz"); c != 200 {
		t.Errorf("/healthz before sync: %d", c)
	}
	if c := get("/readyz"); c != 503 {
		t.Errorf("/readyz before sync: %d", c)
	}
	ready.Store(true)
	if c := get("/readyz"); c != 200 {
		t.Errorf("/readyz after sync: %d", c)
	}
	s.shuttingDown.Store(true)
	if c := get("/readyz"); c != 503 {
		t.Errorf("/readyz while shutting down: %d", c)
	}
}

func TestMetricsExposition(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, Options{Validator: realValidator(t, m), Registry: reg, Metrics: m})
	for _, f := range []string{"pod-create-violating.json", "pod-create-violating.json", "pod-create-compliant.json", "deployment-create-violating.json"} {
		post(s.Handler(), readReview(t, f), nil)
	}
	undecodable := bytes.Replace(readReview(t, "pod-create-compliant.json"), []byte(`"containers":[`), []byte(`"containers":7,"x":[`), 1)
	post(s.Handler(), undecodable, nil)
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	out := w.Body.String()
	for _, want := range []string{
		`pod_security_evaluations_total{decision="deny",mode="enforce",policy_level="restricted",policy_version="latest",request_operation="create",resource="pod",subresource=""} 2`,
		`pod_security_evaluations_total{decision="allow",mode="enforce",policy_level="restricted",policy_version="latest",request_operation="create",resource="pod",subresource=""} 1`,
		`pod_security_evaluations_total{decision="deny",mode="warn",policy_level="restricted",policy_version="latest",request_operation="create",resource="controller",subresource=""} 1`,
		`pod_security_exemptions_total{request_operation="create",resource="pod",subresource=""} 0`,
		`pod_security_errors_total{fatal="true",request_operation="create",resource="pod",subresource=""} 1`,
		`kubeward_webhook_request_duration_seconds_count{decision="deny",resource="pod"} 3`,
		`kubeward_webhook_request_duration_seconds_count{decision="allow",resource="controller"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
}

// writeCert writes a fresh self-signed serving certificate for 127.0.0.1
// and returns it.
func writeCert(t *testing.T, certFile, keyFile string, serial int64) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "kubeward-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// Write then rename, as kubelet's atomic writer does.
	for _, f := range []struct {
		path string
		blk  *pem.Block
	}{{certFile, &pem.Block{Type: "CERTIFICATE", Bytes: der}}, {keyFile, &pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}}} {
		if err := os.WriteFile(f.path+".tmp", pem.EncodeToMemory(f.blk), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(f.path+".tmp", f.path); err != nil {
			t.Fatal(err)
		}
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

func startServing(t *testing.T, s *Server) (addr string, cancel context.CancelFunc, done chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done = make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	return ln.Addr().String(), cancel, done
}

func handshakeSerial(t *testing.T, addr string, cfg *tls.Config) (int64, error) {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64(), nil
}

func TestServeTLSWithCertificateReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	writeCert(t, certFile, keyFile, 1)
	s := newTestServer(t, Options{CertFile: certFile, KeyFile: keyFile, CertCheckInterval: 20 * time.Millisecond})
	addr, cancel, done := startServing(t, s)
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	insecure := &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the test inspects the served certificate itself

	if serial, err := handshakeSerial(t, addr, insecure); err != nil || serial != 1 {
		t.Fatalf("first certificate: serial %d, %v", serial, err)
	}
	if _, err := handshakeSerial(t, addr, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11}); err == nil { //nolint:gosec
		t.Error("TLS 1.1 handshake succeeded")
	}

	// Rotation: the next handshake after the check interval serves the new pair.
	writeCert(t, certFile, keyFile, 2)
	waitFor(t, func() bool { s, err := handshakeSerial(t, addr, insecure); return err == nil && s == 2 })

	// A broken pair (cert written, key not yet) keeps the last good one.
	if err := os.WriteFile(keyFile, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if serial, err := handshakeSerial(t, addr, insecure); err != nil || serial != 2 {
		t.Fatalf("after a broken key: serial %d, %v", serial, err)
	}

	// A review over real HTTPS, verifying the served certificate.
	c3 := writeCert(t, certFile, keyFile, 3)
	pool := x509.NewCertPool()
	pool.AddCert(c3)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	waitFor(t, func() bool {
		resp, err := client.Post("https://"+addr+"/", "application/json", bytes.NewReader(readReview(t, "pod-create-compliant.json")))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == 200 && bytes.Contains(b, []byte(`"allowed":true`))
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestNewRejectsBadCertificate(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, []byte("y"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{Validator: allowAll, CertFile: certFile, KeyFile: keyFile}); err == nil {
		t.Error("New accepted an invalid key pair")
	}
	if _, err := New(Options{Validator: allowAll, CertFile: certFile}); err == nil {
		t.Error("New accepted a certificate without a key")
	}
	if _, err := New(Options{}); err == nil {
		t.Error("New accepted no validator")
	}
}

// TestGracefulShutdownDrains: a review in flight when the server is told to
// stop completes; new connections are refused; Serve returns nil.
func TestGracefulShutdownDrains(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	writeCert(t, certFile, keyFile, 1)
	entered, release := make(chan struct{}), make(chan struct{})
	slow := validatorFunc(func(context.Context, *admission.Request) *admission.Response {
		close(entered)
		<-release
		return &admission.Response{Allowed: true}
	})
	s := newTestServer(t, Options{Validator: slow, CertFile: certFile, KeyFile: keyFile, ShutdownDelay: time.Second})
	addr, cancel, done := startServing(t, s)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec

	type result struct {
		code int
		body string
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := client.Post("https://"+addr+"/", "application/json", bytes.NewReader(readReview(t, "pod-create-compliant.json")))
		if err != nil {
			res <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		res <- result{code: resp.StatusCode, body: string(b)}
	}()
	<-entered
	cancel() // SIGTERM
	time.Sleep(100 * time.Millisecond)
	// During the shutdown delay readiness fails but the listener still serves.
	resp, err := client.Get("https://" + addr + "/readyz")
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz during shutdown delay: %v %v", resp, err)
	}
	if resp != nil {
		resp.Body.Close()
	}
	time.Sleep(1200 * time.Millisecond) // past the delay: draining now
	select {
	case err := <-done:
		t.Fatalf("Serve returned with a review in flight: %v", err)
	default:
	}
	close(release)
	r := <-res
	if r.err != nil || r.code != 200 || !strings.Contains(r.body, `"allowed":true`) {
		t.Fatalf("in-flight review: %+v", r)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Error("listener still accepts connections after shutdown")
	}
}

// FuzzHandler: any body yields either a well-formed AdmissionReview answer
// echoing the request's uid, or a 4xx — never a 5xx or a panic.
//
//	go test ./internal/webhook -run '^$' -fuzz FuzzHandler -fuzztime 60s
func FuzzHandler(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "reviews", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","resource":{"resource":"pods"},"object":{"spec":{"containers":[{}]}}}}`))
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		f.Fatal(err)
	}
	s, err := New(Options{Validator: realValidator(f, m), Registry: reg, Metrics: m})
	if err != nil {
		f.Fatal(err)
	}
	h := s.Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		w := post(h, body, nil)
		if w.Code >= 400 && w.Code < 500 {
			return
		}
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		var in struct {
			Request struct {
				UID string `json:"uid"`
			} `json:"request"`
		}
		_ = kjson.UnmarshalCaseSensitivePreserveInts(body, &in)
		var out struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Response   *struct {
				UID     string `json:"uid"`
				Allowed *bool  `json:"allowed"`
			} `json:"response"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || out.Response == nil || out.Response.Allowed == nil ||
			out.APIVersion != "admission.k8s.io/v1" || out.Kind != "AdmissionReview" {
			t.Fatalf("malformed response %s (%v)", w.Body, err)
		}
		if in.Request.UID != "" && out.Response.UID != in.Request.UID && json.Valid(body) {
			t.Fatalf("response uid %q, request uid %q", out.Response.UID, in.Request.UID)
		}
	})
}
