package webhook

import (
	"net/http"
	"runtime"
	"sync"
)

// Reviews are served on a pool of long-lived goroutines rather than on the
// goroutine net/http starts for each request, which only waits.
//
// Why: a new goroutine starts with a small stack, and decoding and
// evaluating a pod needs a deeper one, so every request used to grow its
// handler's stack several times (2 KiB up to 32 KiB). Each growth copies the
// stack and adjusts every frame; under HTTP/2 load that was about 7% of the
// server's CPU. A worker keeps its grown stack from one review to the next
// (the garbage collector may shrink an idle worker's stack; it then grows
// again once, not on every request).
//
// Only HTTP/2 requests are handed over: net/http serves each HTTP/2 request
// on a new goroutine, but all the requests of an HTTP/1.1 connection on the
// connection's one goroutine, which keeps its grown stack already. Handing a
// review over costs two channel operations. The hand-over never queues: when
// no worker is idle the review runs on the calling goroutine, as before, so
// the pool adds no waiting and no limit on concurrency.

// workerCount is the number of workers. Reviews wait on the network for
// their bodies while they hold a worker, so there are several per CPU.
var workerCount = 8 * runtime.GOMAXPROCS(0)

// handOff reports whether r is served on a worker (a variable for tests).
var handOff = func(r *http.Request) bool { return r.ProtoMajor >= 2 }

// reviewTask is one request handed to a worker.
type reviewTask struct {
	s *Server
	w http.ResponseWriter
	r *http.Request
	// panicked is what serveReview let through: http.ErrAbortHandler, which
	// must reach net/http on the request's own goroutine.
	panicked any
}

var taskPool = sync.Pool{New: func() any { return new(reviewTask) }}

func (t *reviewTask) run() {
	defer func() {
		if v := recover(); v != nil {
			t.panicked = v
		}
	}()
	t.s.serveReview(t.w, t.r)
}

// serveReviewOnWorker serves one review on a worker; net/http's goroutine
// waits, so w and r are never used concurrently, and is where a panic that
// serveReview does not handle (http.ErrAbortHandler) is raised again.
func (s *Server) serveReviewOnWorker(w http.ResponseWriter, r *http.Request) {
	if !handOff(r) {
		s.serveReview(w, r)
		return
	}
	t := taskPool.Get().(*reviewTask)
	*t = reviewTask{s: s, w: w, r: r}
	onWorker(t)
	v := t.panicked
	*t = reviewTask{}
	taskPool.Put(t)
	if v != nil {
		panic(v)
	}
}

// job is one unit of work for a worker.
type job interface{ run() }

var (
	workersOnce sync.Once
	workCh      chan workItem
)

type workItem struct {
	j    job
	done chan struct{}
}

// onWorker runs j on an idle worker and waits for it to finish, or runs it
// on the calling goroutine when every worker is busy. j.run must not panic
// (it recovers and records a panic itself): a panic on a worker would end
// the process.
func onWorker(j job) {
	workersOnce.Do(startWorkers)
	done := donePool.Get().(chan struct{})
	select {
	case workCh <- workItem{j, done}:
		<-done
	default:
		j.run()
	}
	donePool.Put(done)
}

// donePool recycles the completion channels (buffered, so a worker never
// waits for its caller).
var donePool = sync.Pool{New: func() any { return make(chan struct{}, 1) }}

func startWorkers() {
	workCh = make(chan workItem)
	for range workerCount {
		go func() {
			for w := range workCh {
				w.j.run()
				w.done <- struct{}{}
			}
		}()
	}
}
