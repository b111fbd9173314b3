package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// bigSpec says what bigReview builds.
type bigSpec struct {
	kind, group, version, resource string
	operation                      string
	// fallback puts a null hostNetwork before the containers, which sends
	// the object to the complete decoder.
	fallback bool
	// old puts the many containers in oldObject (UPDATE only), and one in
	// object.
	old bool
	// managedFields gives the object the managedFields entry kube-apiserver
	// writes for each container of apiserverContainer.
	managedFields bool
}

var bigPod = bigSpec{kind: "Pod", version: "v1", resource: "pods", operation: "CREATE"}

// bigReview is an AdmissionReview in namespace shop (restricted) whose
// object (or old object) has n containers, each written by container(i),
// and an annotation of pad bytes.
func bigReview(s bigSpec, n int, container func(b *bytes.Buffer, i int), pad int) []byte {
	var b bytes.Buffer
	obj := func(n int) {
		apiVersion := s.version
		if s.group != "" {
			apiVersion = s.group + "/" + s.version
		}
		fmt.Fprintf(&b, `{"apiVersion":"%s","kind":"%s","metadata":{"name":"p","namespace":"shop","annotations":{"pad":"%s"}`,
			apiVersion, s.kind, strings.Repeat("x", pad))
		if s.managedFields {
			b.WriteString(`,"managedFields":[{"manager":"kubectl-create","operation":"Update","apiVersion":"v1","time":"2026-01-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:containers":{`)
			for i := range n {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, `"k:{\"name\":\"%s\"}":{".":{},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:resources":{},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}`, base36(i))
			}
			b.WriteString(`}}}}]`)
		}
		b.WriteString(`},"spec":{`)
		if s.kind != "Pod" {
			b.WriteString(`"template":{"spec":{`)
		}
		if s.fallback {
			b.WriteString(`"hostNetwork":null,`)
		}
		b.WriteString(`"containers":[`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			container(&b, i)
		}
		b.WriteString(`]}}`)
		if s.kind != "Pod" {
			b.WriteString(`}}`)
		}
	}
	fmt.Fprintf(&b, `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-big",`+
		`"kind":{"group":"%s","version":"%s","kind":"%s"},"resource":{"group":"%s","version":"%s","resource":"%s"},`+
		`"name":"p","namespace":"shop","operation":"%s","userInfo":{"username":"alice","groups":["system:authenticated"]},"object":`,
		s.group, s.version, s.kind, s.group, s.version, s.resource, s.operation)
	if s.old {
		obj(1)
		b.WriteString(`,"oldObject":`)
		obj(n)
	} else {
		obj(n)
		if s.operation == "UPDATE" {
			b.WriteString(`,"oldObject":`)
			obj(n)
		}
	}
	b.WriteString(`}}`)
	return b.Bytes()
}

func emptyContainer(b *bytes.Buffer, _ int) { b.WriteString("{}") }

// apiserverContainer is about the smallest container kube-apiserver
// writes: a short unique name, an image and the fields it defaults. With
// it kube-apiserver writes a managedFields entry (bigSpec.managedFields).
func apiserverContainer(b *bytes.Buffer, i int) {
	fmt.Fprintf(b, `{"name":"%s","image":"b","resources":{},"terminationMessagePath":"/","terminationMessagePolicy":"File","imagePullPolicy":"Never"}`,
		base36(i))
}

func base36(i int) string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	s := ""
	for {
		s = string(digits[i%36]) + s
		if i /= 36; i == 0 {
			return s
		}
	}
}

// measured is what serving one review cost.
type measured struct {
	alloc, peak uint64 // bytes allocated; peak live heap above the start
	took        time.Duration
	d           decision
}

func (m measured) String() string {
	return fmt.Sprintf("allocated %.1f MB, peak live heap +%.1f MB, %v", float64(m.alloc)/1e6, float64(m.peak)/1e6, m.took.Round(time.Millisecond))
}

// serveMeasured serves body on h and measures it. The live heap (garbage
// not yet collected included) is sampled by another goroutine every
// millisecond, so it may miss a short peak; alloc counts every allocation,
// the body's copy included.
func serveMeasured(t *testing.T, h http.Handler, body []byte) measured {
	t.Helper()
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	heap := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(heap)
	base := heap[0].Value.Uint64()
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > base {
				peak = max(peak, v-base)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})
	start := time.Now()
	code, resp := serveOnce(h, body)
	took := time.Since(start)
	close(stop)
	wg.Wait()
	runtime.ReadMemStats(&m1)
	if code != http.StatusOK {
		t.Fatalf("status %d: %.300s", code, resp)
	}
	return measured{alloc: m1.TotalAlloc - m0.TotalAlloc, peak: peak, took: took, d: decodeDecision(t, resp)}
}

// TestHugeReviewIsRefused: a 3 MB review of an object with a million empty
// containers costs a few times its body and is answered as an undecodable
// object: pods denied with 400, workloads admitted with an error
// annotation. (Before the budget: 2.7 GB allocated, 1.3 GB live, seconds.)
//
//	go test ./internal/webhook -run TestHugeReviewIsRefused -v
func TestHugeReviewIsRefused(t *testing.T) {
	h := newBenchServer(t)
	deployment := bigSpec{kind: "Deployment", group: "apps", version: "v1", resource: "deployments", operation: "CREATE"}
	for _, tc := range []struct {
		name  string
		spec  bigSpec
		allow bool // workloads are admitted
	}{
		{"pod", bigPod, false},
		{"pod, complete decoder", bigSpec{kind: "Pod", version: "v1", resource: "pods", operation: "CREATE", fallback: true}, false},
		{"pod update, old object", bigSpec{kind: "Pod", version: "v1", resource: "pods", operation: "UPDATE", old: true}, false},
		{"pod update, old object, complete decoder", bigSpec{kind: "Pod", version: "v1", resource: "pods", operation: "UPDATE", old: true, fallback: true}, false},
		{"deployment", deployment, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := bigReview(tc.spec, 1_000_000, emptyContainer, 0)
			m := serveMeasured(t, h, body)
			t.Logf("%d-byte review: %v (%.1f× the body allocated, %.1f× live)", len(body), m, float64(m.alloc)/float64(len(body)), float64(m.peak)/float64(len(body)))
			if tc.allow {
				if !m.d.Allowed || !strings.Contains(m.d.AuditAnnotations["error"], "too large to decode") {
					t.Errorf("got %+v, want allowed with an error annotation saying it is too large", m.d)
				}
			} else if m.d.Allowed || m.d.Code != http.StatusBadRequest || !strings.Contains(m.d.AuditAnnotations["error"], "too large to decode") {
				t.Errorf("got %+v, want denied with code 400 and an error annotation saying it is too large", m.d)
			}
			// The body, its copy and the budget (1 MiB + 4 per body byte).
			if limit := 6*uint64(len(body)) + 2<<20; m.alloc > limit {
				t.Errorf("allocated %d bytes for a %d-byte review, want at most %d", m.alloc, len(body), limit)
			}
		})
	}
}

// TestDensestAPIServerPodsDecode: the budget takes the densest pods
// kube-apiserver creates: etcd takes objects of up to 1.5 MiB, here filled
// with the smallest containers kube-apiserver writes and their
// managedFields entries, in a create and in an update carrying two of them
// (each a little smaller, so that the review stays under the 3 MiB body
// limit). Both are evaluated (denied for violating restricted, not refused
// as too large), and what they cost is logged.
//
//	go test ./internal/webhook -run TestDensestAPIServerPodsDecode -v
func TestDensestAPIServerPodsDecode(t *testing.T) {
	h := newBenchServer(t)
	const etcdLimit = 3 << 19 // 1.5 MiB
	for _, tc := range []struct {
		op   string
		size int
	}{{"CREATE", etcdLimit}, {"UPDATE", (DefaultMaxBodyBytes - 2000) / 2}} {
		t.Run(tc.op, func(t *testing.T) {
			spec := bigPod
			spec.operation, spec.managedFields = tc.op, true
			// The largest number of containers that fits size.
			n := tc.size / 400
			for len(bigReview(bigSpec{kind: "Pod", version: "v1", managedFields: true}, n+100, apiserverContainer, 0)) < tc.size {
				n += 100
			}
			body := bigReview(spec, n, apiserverContainer, 0)
			m := serveMeasured(t, h, body)
			t.Logf("%d-byte review, %d containers per object: %v (%.1f× the body allocated, %.1f× live)", len(body), n, m, float64(m.alloc)/float64(len(body)), float64(m.peak)/float64(len(body)))
			if e := m.d.AuditAnnotations["error"]; e != "" {
				t.Fatalf("refused: %s", e)
			}
			// A create is evaluated; an update that changes nothing is
			// admitted once both objects are decoded and compared.
			if tc.op == "CREATE" && (m.d.Allowed || !strings.Contains(m.d.Message, "violates PodSecurity")) ||
				tc.op == "UPDATE" && !m.d.Allowed {
				t.Errorf("got allowed=%v code=%d message %.200q, want an evaluation", m.d.Allowed, m.d.Code, m.d.Message)
			}
		})
	}
}

// TestDecodingStopsAtTheDeadline: both decoders stop, with the context's
// error, when the request's deadline has passed.
func TestDecodingStopsAtTheDeadline(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	pods := resources[schema.GroupResource{Resource: "pods"}]
	for _, fallback := range []bool{false, true} {
		t.Run(fmt.Sprintf("complete decoder %v", fallback), func(t *testing.T) {
			body := bigReview(bigSpec{kind: "Pod", version: "v1", resource: "pods", operation: "CREATE", fallback: fallback}, 5000, emptyContainer, 0)
			bud := newDecodeBudget(ctx, len(body), nil)
			var env reviewEnvelope
			if err := decodeReview(body, &env, bud); err != nil {
				t.Fatal(err)
			}
			obj, err := decodeObject(env.Request.Object, env.Request.object, env.Request.objectErr, pods, bud)
			if !errors.Is(err, context.Canceled) || obj != nil {
				t.Errorf("got %T, %v; want the context's error", obj, err)
			}
		})
	}
}

// TestInFlightLimit: a review that would take in-flight reviews past
// MaxInFlightBytes is answered 429 with Retry-After, at once; every review
// gives back what it took, whatever its outcome.
func TestInFlightLimit(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, Options{Validator: realValidator(t, m), Registry: reg, Metrics: m, MaxInFlightBytes: 1})
	if want := reviewWorstCase(DefaultMaxBodyBytes); s.gate.limit != want {
		t.Errorf("limit %d, want it raised to one review's worst case %d", s.gate.limit, want)
	}
	h := s.Handler()
	review := readReview(t, "pod-create-violating.json")

	for name, used := range map[string]int64{
		"no room for the body":     s.gate.limit - 100,
		"no room for the decoding": s.gate.limit - int64(len(review)+1) - 50,
	} {
		t.Run(name, func(t *testing.T) {
			s.gate.used.Store(used)
			defer s.gate.used.Store(0)
			w := post(h, review, nil)
			if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" {
				t.Errorf("got %d (Retry-After %q): %s", w.Code, w.Header().Get("Retry-After"), w.Body)
			}
			if got := s.gate.used.Load(); got != used {
				t.Errorf("the refused review kept %d bytes", got-used)
			}
		})
	}

	t.Run("everything is given back", func(t *testing.T) {
		bodies := [][]byte{bigReview(bigPod, 1_000_000, emptyContainer, 0), []byte(`{"apiVersion":`), []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","userInfo":{"groups":null}}}`)}
		for _, name := range benchCases {
			bodies = append(bodies, readReview(t, name))
		}
		var wg sync.WaitGroup
		for _, b := range bodies {
			wg.Go(func() { post(h, b, nil) })
		}
		wg.Wait()
		if got := s.gate.used.Load(); got != 0 {
			t.Errorf("%d bytes still taken after every review was answered", got)
		}
		if w := post(h, review, nil); w.Code != http.StatusOK {
			t.Errorf("got %d: %s", w.Code, w.Body)
		}
	})
}
