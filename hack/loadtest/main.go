// Command loadtest drives a Pod Security admission webhook on loopback with
// real AdmissionReview requests and reports throughput and latency, and
// serves the minimal fake Kubernetes API both webhooks under test read
// namespaces from. hack/loadtest/run.sh runs it against kubeward's webhook
// and Kubernetes' own, in the same run.
//
//	loadtest run -url https://127.0.0.1:18443/ -name kubeward -cacert ca.crt -reviews DIR [-c 1,16,64] [-duration 5s] [-max 100000]
//	loadtest fakeapi -addr 127.0.0.1:0 -kubeconfig FILE
//
// Every request carries a fresh uid, and every response's uid is checked
// against it. Requests only go to loopback addresses, and each level stops
// after -duration or -max requests, whichever comes first.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: loadtest run|fakeapi [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = run(os.Args[2:])
	case "fakeapi":
		err = fakeAPI(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (want run or fakeapi)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest: error:", err)
		os.Exit(1)
	}
}

// review is a request body split around its uid, so each request gets its own.
type review struct {
	name           string
	prefix, suffix []byte
}

func loadReviews(dir string) ([]review, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []review
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		i := bytes.Index(b, []byte(`"uid":"`))
		if i < 0 {
			return nil, fmt.Errorf("%s: no request uid", f)
		}
		i += len(`"uid":"`)
		j := bytes.IndexByte(b[i:], '"')
		out = append(out, review{name: filepath.Base(f), prefix: b[:i], suffix: b[i+j:]})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no *.json reviews in %s", dir)
	}
	return out, nil
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	target := fs.String("url", "", "webhook URL (https, loopback only)")
	name := fs.String("name", "webhook", "name to print in the results")
	caFile := fs.String("cacert", "", "CA certificate the webhook's serving certificate chains to")
	dir := fs.String("reviews", "internal/webhook/testdata/reviews", "directory of AdmissionReview JSON files, sent round-robin")
	include := fs.String("include", "pod-create-compliant.json,pod-create-violating.json,deployment-create-violating.json,pod-create-privileged-ns.json", "comma-separated review files to send (empty: all)")
	levels := fs.String("c", "1,16,64", "comma-separated concurrency levels")
	duration := fs.Duration("duration", 5*time.Second, "time per concurrency level (upper bound)")
	maxReq := fs.Int("max", 100000, "requests per concurrency level (upper bound)")
	warmup := fs.Int("warmup", 500, "requests sent before each level, not measured")
	h2 := fs.Bool("h2", true, "use HTTP/2, as kube-apiserver does for webhooks (net/http client)")
	cpuprofile := fs.String("cpuprofile", "", "write the load generator's own CPU profile to this file")
	raw := fs.Bool("raw", false, "use a minimal HTTP/1.1 client, one keep-alive TLS connection per worker, so that the load generator takes as little of the shared CPUs as possible")
	_ = fs.Parse(args)

	u, err := url.Parse(*target)
	if err != nil || u.Scheme != "https" {
		return fmt.Errorf("-url %q: want an https URL", *target)
	}
	if err := requireLoopback(u.Hostname()); err != nil {
		return err
	}
	reviews, err := loadReviews(*dir)
	if err != nil {
		return err
	}
	if *include != "" {
		keep := strings.Split(*include, ",")
		reviews = slices.DeleteFunc(reviews, func(r review) bool { return !slices.Contains(keep, r.name) })
		if len(reviews) == 0 {
			return fmt.Errorf("none of %s in %s", *include, *dir)
		}
	}
	pem, err := os.ReadFile(*caFile)
	if err != nil {
		return fmt.Errorf("reading -cacert: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("-cacert %s: no certificate", *caFile)
	}
	// The load generator shares the CPUs with the webhook under test: collect
	// its own garbage less often (the same for every webhook it drives).
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(400)
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var cs []int
	for _, s := range strings.Split(*levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 1024 {
			return fmt.Errorf("-c: bad level %q", s)
		}
		cs = append(cs, n)
	}
	for _, c := range cs {
		tr := &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2:   *h2,
			MaxIdleConnsPerHost: c,
			MaxConnsPerHost:     c,
		}
		if !*h2 {
			tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		}
		client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
		lt := &loadTest{client: client, url: *target, reviews: reviews}
		if *raw {
			lt.raw = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}, ServerName: u.Hostname()}
			lt.host = u.Host
		}
		lt.drive(c, *warmup, time.Minute)
		lt.reset()
		elapsed := lt.drive(c, *maxReq, *duration)
		lt.report(*name, c, elapsed)
		tr.CloseIdleConnections()
	}
	return nil
}

func requireLoopback(host string) error {
	ips, err := net.LookupIP(host)
	if err != nil {
		return fmt.Errorf("resolving %s: %w", host, err)
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("%s resolves to %s: the load test only targets loopback", host, ip)
		}
	}
	return nil
}

type loadTest struct {
	raw     *tls.Config // non-nil: the raw HTTP/1.1 client
	host    string
	client  *http.Client
	url     string
	reviews []review
	seq     atomic.Int64

	mu         sync.Mutex
	latencies  []time.Duration
	errors     int
	mismatches int
	firstErr   error
}

func (lt *loadTest) reset() {
	lt.latencies, lt.errors, lt.mismatches, lt.firstErr = nil, 0, 0, nil
}

// drive sends up to max requests with c workers for at most d and returns
// the elapsed time.
func (lt *loadTest) drive(c, max int, d time.Duration) time.Duration {
	var sent atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var errs, mism int
			var firstErr error
			var buf, resBuf bytes.Buffer
			var rc *rawConn
			defer func() {
				if rc != nil {
					rc.c.Close()
				}
			}()
			for sent.Add(1) <= int64(max) && time.Now().Before(deadline) {
				n := lt.seq.Add(1)
				r := lt.reviews[int(n)%len(lt.reviews)]
				uid := "loadtest-" + strconv.FormatInt(n, 10)
				buf.Reset()
				buf.Write(r.prefix)
				buf.WriteString(uid)
				buf.Write(r.suffix)
				t0 := time.Now()
				var got string
				var err error
				if lt.raw != nil {
					got, err = lt.rawPost(&rc, buf.Bytes())
				} else {
					got, err = lt.post(buf.Bytes(), &resBuf)
				}
				lat = append(lat, time.Since(t0))
				switch {
				case err != nil:
					errs++
					if firstErr == nil {
						firstErr = err
					}
				case got != uid:
					mism++
				}
			}
			lt.mu.Lock()
			lt.latencies = append(lt.latencies, lat...)
			lt.errors += errs
			lt.mismatches += mism
			if lt.firstErr == nil {
				lt.firstErr = firstErr
			}
			lt.mu.Unlock()
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// post sends one review and returns the response's uid. res is the
// worker's response buffer, reused from one request to the next.
func (lt *loadTest) post(body []byte, res *bytes.Buffer) (string, error) {
	req, err := http.NewRequest(http.MethodPost, lt.url+"?timeout=10s", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, */*")
	resp, err := lt.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	res.Reset()
	if _, err := res.ReadFrom(resp.Body); err != nil {
		return "", err
	}
	b := res.Bytes()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d: %.200s", resp.StatusCode, b)
	}
	return responseUID(b)
}

type rawConn struct {
	c   *tls.Conn
	r   *bufio.Reader
	req []byte
	res []byte
}

// rawPost sends one review over the worker's keep-alive connection (dialled
// on first use or after an error) and returns the response's uid.
func (lt *loadTest) rawPost(rcp **rawConn, body []byte) (string, error) {
	rc := *rcp
	if rc == nil {
		c, err := tls.Dial("tcp", lt.host, lt.raw)
		if err != nil {
			return "", err
		}
		rc = &rawConn{c: c, r: bufio.NewReaderSize(c, 32<<10)}
		*rcp = rc
	}
	rc.req = append(rc.req[:0], "POST /?timeout=10s HTTP/1.1\r\nHost: "...)
	rc.req = append(rc.req, lt.host...)
	rc.req = append(rc.req, "\r\nContent-Type: application/json\r\nAccept: application/json, */*\r\nContent-Length: "...)
	rc.req = strconv.AppendInt(rc.req, int64(len(body)), 10)
	rc.req = append(rc.req, "\r\n\r\n"...)
	rc.req = append(rc.req, body...)
	uid, err := rc.roundTrip()
	if err != nil {
		rc.c.Close()
		*rcp = nil
	}
	return uid, err
}

func (rc *rawConn) roundTrip() (string, error) {
	if _, err := rc.c.Write(rc.req); err != nil {
		return "", err
	}
	line, err := rc.r.ReadSlice('\n')
	if err != nil {
		return "", err
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) || len(line) < 12 {
		return "", fmt.Errorf("bad status line %q", line)
	}
	status := string(line[9:12])
	length, chunked := -1, false
	for {
		h, err := rc.r.ReadSlice('\n')
		if err != nil {
			return "", err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		k, v, _ := bytes.Cut(h, []byte(":"))
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			length, err = strconv.Atoi(string(v))
			if err != nil {
				return "", fmt.Errorf("bad Content-Length %q", v)
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")) && bytes.EqualFold(v, []byte("chunked")):
			chunked = true
		}
	}
	rc.res = rc.res[:0]
	switch {
	case chunked:
		for {
			l, err := rc.r.ReadSlice('\n')
			if err != nil {
				return "", err
			}
			n, err := strconv.ParseInt(string(bytes.TrimRight(l, "\r\n")), 16, 64)
			if err != nil {
				return "", fmt.Errorf("bad chunk size %q", l)
			}
			if n == 0 {
				if _, err := rc.r.ReadSlice('\n'); err != nil {
					return "", err
				}
				break
			}
			start := len(rc.res)
			rc.res = append(rc.res, make([]byte, n+2)...)
			if _, err := io.ReadFull(rc.r, rc.res[start:]); err != nil {
				return "", err
			}
			rc.res = rc.res[:start+int(n)]
		}
	case length >= 0:
		rc.res = append(rc.res, make([]byte, length)...)
		if _, err := io.ReadFull(rc.r, rc.res); err != nil {
			return "", err
		}
	default:
		return "", errors.New("response without length")
	}
	if status != "200" {
		return "", fmt.Errorf("status %s: %.200s", status, rc.res)
	}
	return responseUID(rc.res)
}

// responseUID finds the response's uid without decoding the whole review:
// both webhooks write the AdmissionResponse's uid as its first member (and
// Kubernetes' echoes the request, uid included, before it). The load
// generator shares the CPUs with the webhook, so it stays cheap.
func responseUID(b []byte) (string, error) {
	const key = `"response":{"uid":"`
	i := bytes.LastIndex(b, []byte(key))
	if i < 0 || !bytes.Contains(b[i:], []byte(`"allowed":`)) {
		return "", fmt.Errorf("malformed response %.200s", b)
	}
	b = b[i+len(key):]
	j := bytes.IndexByte(b, '"')
	if j < 0 {
		return "", fmt.Errorf("malformed response uid %.200s", b)
	}
	return string(b[:j]), nil
}

func (lt *loadTest) report(name string, c int, elapsed time.Duration) {
	lat := lt.latencies
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*p))]
	}
	fmt.Printf("%-10s c=%-3d requests=%-7d req/s=%-8.0f p50=%-9s p99=%-9s errors=%d uid-mismatches=%d\n",
		name, c, len(lat), float64(len(lat))/elapsed.Seconds(), pct(0.50).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), lt.errors, lt.mismatches)
	if lt.firstErr != nil {
		fmt.Printf("%-10s first error: %v\n", name, lt.firstErr)
	}
}

// fakeAPI serves the part of the Kubernetes API the webhooks read:
// namespaces (list, watch, get) and pods (list, always empty). Namespace
// "shop" enforces, audits and warns at restricted:latest, "default" has no
// labels. It writes a kubeconfig pointing at itself and serves until killed.
func fakeAPI(args []string) error {
	fs := flag.NewFlagSet("fakeapi", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback)")
	kubeconfig := fs.String("kubeconfig", "", "write a kubeconfig for this server here (required)")
	_ = fs.Parse(args)
	if *kubeconfig == "" {
		return errors.New("fakeapi: -kubeconfig is required")
	}
	host, _, _ := net.SplitHostPort(*addr)
	if err := requireLoopback(host); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: http://%s
contexts:
- name: fake
  context:
    cluster: fake
    user: fake
current-context: fake
users:
- name: fake
  user:
    token: fake
`, ln.Addr())
	if err := os.WriteFile(*kubeconfig, []byte(kc), 0o600); err != nil {
		return err
	}
	fmt.Println("fakeapi serving on", ln.Addr())
	return http.Serve(ln, fakeAPIHandler())
}

func namespaceJSON(name string, labels map[string]string) map[string]any {
	l := map[string]string{"kubernetes.io/metadata.name": name}
	for k, v := range labels {
		l[k] = v
	}
	return map[string]any{
		"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": name, "uid": "00000000-0000-0000-0000-" + fmt.Sprintf("%012d", len(name)), "resourceVersion": "1", "labels": l},
		"spec":     map[string]any{"finalizers": []string{"kubernetes"}},
		"status":   map[string]any{"phase": "Active"},
	}
}

func fakeAPIHandler() http.Handler {
	namespaces := []map[string]any{
		namespaceJSON("default", nil),
		namespaceJSON("shop", map[string]string{
			"pod-security.kubernetes.io/enforce": "restricted",
			"pod-security.kubernetes.io/audit":   "restricted",
			"pod-security.kubernetes.io/warn":    "restricted",
		}),
	}
	writeJSON := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		path := strings.TrimSuffix(r.URL.Path, "/")
		switch {
		case path == "/api/v1/namespaces" && q.Get("watch") == "true":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			flusher, _ := w.(http.Flusher)
			enc := json.NewEncoder(w)
			if q.Get("sendInitialEvents") == "true" {
				for _, ns := range namespaces {
					_ = enc.Encode(map[string]any{"type": "ADDED", "object": ns})
				}
				_ = enc.Encode(map[string]any{"type": "BOOKMARK", "object": map[string]any{
					"apiVersion": "v1", "kind": "Namespace",
					"metadata": map[string]any{"resourceVersion": "1", "annotations": map[string]string{"k8s.io/initial-events-end": "true"}}}})
			}
			if flusher != nil {
				flusher.Flush()
			}
			timeout := 5 * time.Minute
			if s, err := strconv.Atoi(q.Get("timeoutSeconds")); err == nil && s > 0 {
				timeout = time.Duration(s) * time.Second
			}
			ctx, cancel := context.WithTimeout(r.Context(), timeout)
			defer cancel()
			<-ctx.Done()
		case path == "/api/v1/namespaces":
			items := namespaces
			if fsel := q.Get("fieldSelector"); strings.HasPrefix(fsel, "metadata.name=") {
				want := strings.TrimPrefix(fsel, "metadata.name=")
				items = slices.DeleteFunc(slices.Clone(namespaces), func(ns map[string]any) bool {
					return ns["metadata"].(map[string]any)["name"] != want
				})
			}
			writeJSON(w, map[string]any{"apiVersion": "v1", "kind": "NamespaceList", "metadata": map[string]any{"resourceVersion": "1"}, "items": items})
		case strings.HasPrefix(path, "/api/v1/namespaces/") && strings.Count(path, "/") == 4:
			name := strings.TrimPrefix(path, "/api/v1/namespaces/")
			for _, ns := range namespaces {
				if ns["metadata"].(map[string]any)["name"] == name {
					writeJSON(w, ns)
					return
				}
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(map[string]any{"apiVersion": "v1", "kind": "Status", "status": "Failure",
				"message": fmt.Sprintf("namespaces %q not found", name), "reason": "NotFound", "code": 404,
				"details": map[string]any{"name": name, "kind": "namespaces"}})
		case strings.HasPrefix(path, "/api/v1/namespaces/") && strings.HasSuffix(path, "/pods"):
			writeJSON(w, map[string]any{"apiVersion": "v1", "kind": "PodList", "metadata": map[string]any{"resourceVersion": "1"}, "items": []any{}})
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(map[string]any{"apiVersion": "v1", "kind": "Status", "status": "Failure",
				"message": "the fake API serves only namespaces and pods", "reason": "NotFound", "code": 404})
		}
	})
}
