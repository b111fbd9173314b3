package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/admission"
)

// bufPool recycles request and response buffers; buffers that grew past
// maxPooledBuf are dropped so one huge review does not pin memory.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

const maxPooledBuf = 256 << 10

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) > maxPooledBuf {
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

// ignoredPodSubresources are the pod subresources Kubernetes' PodSecurity
// admission allows without looking at the object (whose kind is then not a
// Pod: PodExecOptions, Binding, Eviction, ...). Their objects are not decoded.
var ignoredPodSubresources = map[string]bool{
	"exec": true, "attach": true, "binding": true, "eviction": true,
	"log": true, "portforward": true, "proxy": true, "status": true,
}

// serveReview handles one AdmissionReview.
func (s *Server) serveReview(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	wrote := false
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			// A bug, never bad input: answer 500 so kube-apiserver applies
			// the webhook's failurePolicy, and keep serving.
			s.logger.Error("panic serving admission review", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if !wrote {
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}
	}()

	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.reject(w, r, start, http.StatusMethodNotAllowed, "admission reviews must be POSTed")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			s.reject(w, r, start, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q is not application/json", ct))
			return
		}
	}
	max := s.opts.MaxBodyBytes
	if r.ContentLength > max {
		s.reject(w, r, start, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body of %d bytes exceeds the limit of %d bytes", r.ContentLength, max))
		return
	}

	// What the review holds in memory (its body, then what decoding it is
	// charged, see budget.go) is counted against the server's in-flight
	// limit until it is answered.
	bud := &decodeBudget{mem: reviewMem{gate: &s.gate}}
	defer bud.mem.release()
	// The body is not pooled: decoded strings point into it (see
	// fastdecode.go) and may outlive the request (metric label caches).
	body, err := readBody(r.Body, nil, max, r.ContentLength, &bud.mem)
	if err != nil {
		switch {
		case errors.Is(err, errBusy):
			s.busy(w, r, start)
		case errors.Is(err, errTooLarge):
			s.reject(w, r, start, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds the limit of %d bytes", max))
		default:
			s.reject(w, r, start, http.StatusBadRequest, "reading request body: "+err.Error())
		}
		return
	}
	if len(body) == 0 {
		s.reject(w, r, start, http.StatusBadRequest, "empty request body")
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), s.timeout(r))
	defer cancel()
	// Decoding is bounded by the body's size and the request's deadline
	// (budget.go).
	bud.ctx = ctx
	bud.setBody(len(body))
	var env reviewEnvelope
	if err := decodeReview(body, &env, bud); err != nil {
		if errors.Is(err, errBusy) {
			s.busy(w, r, start)
		} else {
			s.reject(w, r, start, http.StatusBadRequest, err.Error())
		}
		return
	}

	er := env.Request
	req := new(admission.Request)
	toRequest(er, req)
	resource, resp := s.decide(ctx, er, req, bud)
	if resp == nil {
		s.busy(w, r, start)
		return
	}

	out := getBuf()
	defer putBuf(out)
	*out = appendReview((*out)[:0], req.UID, resp)
	wrote = true
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(len(*out))}
	_, _ = w.Write(*out)

	decision := "allow"
	if !resp.Allowed {
		decision = "deny"
	}
	latency := time.Since(start)
	s.metrics.observeLatency(resource, decision, latency)
	s.logger.LogAttrs(ctx, slog.LevelInfo, "admission review",
		slog.String("uid", req.UID),
		slog.String("kind", req.Kind.Kind),
		slog.String("namespace", req.Namespace),
		slog.String("name", req.Name),
		slog.String("operation", req.Operation),
		slog.String("decision", decision),
		slog.Duration("latency", latency))
}

// jsonContentType is shared by every response: net/http only reads header
// values.
var jsonContentType = []string{"application/json"}

// decide decodes the request's objects and asks the validator. It returns
// the resource label and the response, nil only when the server was too
// busy to decode the objects (errBusy).
func (s *Server) decide(ctx context.Context, er *requestEnvelope, req *admission.Request, bud *decodeBudget) (string, *admission.Response) {
	gr := req.Resource.GroupResource()
	kind, ok := resources[gr]
	if !ok {
		// Fail open: a resource outside Pod Security's scope carries no pod
		// this webhook could check; it reaches us only through a webhook
		// configuration that lists it by mistake. Say so in the audit log.
		return "other", &admission.Response{
			Allowed: true,
			AuditAnnotations: map[string]string{
				"error": fmt.Sprintf("kubeward does not evaluate resource %q", gr.String()),
			},
		}
	}
	// Decode the objects the decision reads, once. Subresource requests
	// other than a pod's own (ephemeralcontainers, resize) carry other kinds
	// and are decided without their object, as Kubernetes does. A decoding
	// error goes to the decision, which reports it where Kubernetes would:
	// after exemptions and the namespace lookup (pods and namespaces are then
	// denied with 400, workloads admitted with an "error" annotation).
	// kube-apiserver only sends objects it encoded itself, so only hand-made
	// requests get there.
	//
	// An object that would take more memory to decode than the review's
	// budget (budget.go), or is still decoding at the request's deadline, is
	// such an error too, and takes the same way: pods and namespaces are
	// denied (fail closed: what cannot be read cannot be checked, and
	// kube-apiserver can store no pod that large), workloads admitted with
	// an "error" audit annotation (fail open, as for any workload Kubernetes
	// cannot decode: their pods are checked when they are created).
	if req.SubResource == "" || (kind.label == "pod" && !ignoredPodSubresources[req.SubResource]) {
		req.Object, req.ObjectErr = decodeObject(er.Object, er.object, er.objectErr, kind, bud)
		if kind.oldObject && req.Operation == "UPDATE" {
			req.OldObject, req.OldObjectErr = decodeObject(er.OldObject, er.oldObject, er.oldObjectErr, kind, bud)
		}
		// Not a decision about the object: the server is out of memory
		// for it now; kube-apiserver applies the failurePolicy.
		if errors.Is(req.ObjectErr, errBusy) || errors.Is(req.OldObjectErr, errBusy) {
			return kind.label, nil
		}
	}
	resp := s.opts.Validator.Validate(ctx, req)
	if resp == nil {
		// A validator bug. Fail closed for what Kubernetes enforces (pods,
		// namespaces), open for workloads, which it never denies.
		s.logger.Error("validator returned no response", "uid", req.UID)
		if kind.label == "controller" {
			return kind.label, &admission.Response{Allowed: true, AuditAnnotations: map[string]string{"error": "internal error: no decision"}}
		}
		return kind.label, &admission.Response{Result: &metav1.Status{
			Status: metav1.StatusFailure, Code: http.StatusInternalServerError,
			Reason: metav1.StatusReasonInternalError, Message: "internal error: no decision",
		}}
	}
	return kind.label, resp
}

// timeout returns the request's deadline budget: RequestTimeout, or the
// ?timeout= kube-apiserver appends when it is shorter.
func (s *Server) timeout(r *http.Request) time.Duration {
	d := s.opts.RequestTimeout
	q := r.URL.RawQuery
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		if v, ok := strings.CutPrefix(kv, "timeout="); ok {
			if t, err := time.ParseDuration(v); err == nil && t > 0 && t < d {
				d = t
			}
		}
	}
	return d
}

// busy answers a review that would take the in-flight reviews past their
// memory limit. kube-apiserver takes it as a failed call and applies the
// webhook's failurePolicy (deploy/: Fail for pods and namespaces, whose
// requests then fail and are retried by their clients; Ignore for
// workloads).
func (s *Server) busy(w http.ResponseWriter, r *http.Request, start time.Time) {
	w.Header().Set("Retry-After", "1")
	s.reject(w, r, start, http.StatusTooManyRequests, errBusy.Error())
}

// reject answers a request that is not a usable AdmissionReview.
func (s *Server) reject(w http.ResponseWriter, r *http.Request, start time.Time, code int, msg string) {
	http.Error(w, msg, code)
	latency := time.Since(start)
	s.metrics.observeLatency("other", "error", latency)
	s.logger.LogAttrs(r.Context(), slog.LevelWarn, "bad admission request",
		slog.Int("code", code), slog.String("error", msg), slog.String("remote", r.RemoteAddr), slog.Duration("latency", latency))
}

var errTooLarge = errors.New("request body too large")

// minBodyBuf is the first buffer a body is read into (or size+1 when the
// declared size is smaller): most reviews fit it.
const minBodyBuf = 16 << 10

// readBody reads r into buf (reusing its capacity), failing with
// errTooLarge past maxBytes bytes. size is the declared Content-Length, -1
// if unknown. The buffers it makes are taken from mem (nil: no limit); it
// fails with errBusy when mem's gate is full.
//
// Memory follows the bytes received, not the bytes declared: a client may
// announce a large body and then send little or nothing, and a buffer sized
// from its word alone would let a few hundred such connections hold
// gigabytes. The buffer starts at minBodyBuf and doubles only when it is
// full, so it never holds more than twice what has arrived; the declared
// size (net/http stops the body there) and max only cap the doubling, so
// that a body of exactly the declared size needs no last, larger buffer.
func readBody(r io.Reader, buf []byte, maxBytes, size int64, mem *reviewMem) ([]byte, error) {
	// limit is the largest buffer the declared size calls for: one byte
	// past the body, to see its end without another growth.
	limit := maxBytes + 1
	if size >= 0 && size < maxBytes {
		limit = size + 1
	}
	if cap(buf) == 0 {
		c := min(limit, minBodyBuf)
		if !mem.take(c) {
			return nil, errBusy
		}
		buf = make([]byte, 0, c)
	}
	for {
		if len(buf) == cap(buf) {
			c := max(2*int64(cap(buf)), minBodyBuf)
			if int64(cap(buf)) < limit {
				c = min(c, limit)
			} else {
				// More than declared (a reader that does not stop there).
				c = min(c, maxBytes+1)
			}
			if !mem.take(c) {
				return buf, errBusy
			}
			grown := make([]byte, len(buf), c)
			copy(grown, buf)
			mem.give(int64(cap(buf)))
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > maxBytes {
			return buf, errTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
