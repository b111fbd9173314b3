// Package hugepages asks the operating system to back the heap a batch
// command is about to grow with transparent huge pages.
//
// A scan allocates about 40 bytes per byte of YAML and its heap grows to
// tens of MB within a second; every 4 KiB page of that growth costs a page
// fault on first touch. On a virtual machine a fault costs 10–16 µs (a
// 5,000-object scan took 9,000–22,000 of them, 0.1–0.3 CPU-s), where one
// 2 MiB huge page replaces 512 of them. Linux gives huge pages to an
// anonymous mapping only when the transparent_hugepage setting is "always"
// or, in the common "madvise" setting, when the process has advised the
// mapping with MADV_HUGEPAGE; the Go runtime does not advise its heap
// (it stopped after Go 1.21, for long-running servers whose heap shrinks). A
// short-lived command whose heap only grows gains from it and loses little:
// at most one partly used huge page of resident memory per 2 MiB of heap.
//
// Advise works with the allocator as it is: the heap grows upwards within
// its arenas and reuses its lowest free pages first, so blocks allocated,
// advised and then freed become the memory the next allocations are carved
// from. See docs/performance.md for the measurements.
package hugepages

import (
	"errors"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
)

// Size is a huge page on the platforms Advise supports (2 MiB).
const Size = 2 << 20

// block is the unit the heap is grown by: the runtime maps new heap memory
// in 4 MiB chunks, and a block of fresh memory is never zeroed by the
// allocator, so Advise touches none of it.
const block = 4 << 20

// ErrDisabled is returned by Advise when GODEBUG=disablethp=1 asks the Go
// runtime to keep the heap off huge pages; Advise honours it too.
var ErrDisabled = errors.New("huge pages disabled by GODEBUG=disablethp=1")

var (
	once    sync.Once
	advised int
	failed  error
)

// Advise grows the heap by about size bytes of free memory that the kernel
// backs with huge pages on first touch, and returns how many bytes it
// advised (a little less than size: whole huge pages inside the blocks the
// heap grew by). Memory the program does not go on to use costs address
// space only: Advise writes none of it. It runs a garbage collection to
// free what it allocated, and sets the collector's targets aside while it
// allocates, so call it early, before the heap holds much and before other
// goroutines allocate. Only the first call in a process does anything: the
// advice stays on the memory for the life of the process; later calls
// return what the first returned.
//
// The advice is a hint. Advise returns an error, and changes nothing else,
// where the system cannot take it (another operating system, a kernel
// without transparent huge pages) or GODEBUG=disablethp=1 is set; callers
// that only want speed may ignore it.
func Advise(size int) (int, error) {
	once.Do(func() { advised, failed = grow(size) })
	return advised, failed
}

func grow(size int) (int, error) {
	if disabled(os.Getenv("GODEBUG")) {
		return 0, ErrDisabled
	}
	if size <= 0 {
		return 0, nil
	}
	// A collection while the blocks are held would only mark them; the
	// one after they are dropped frees them.
	defer runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	blocks := make([][]byte, (size+block-1)/block)
	for i := range blocks {
		blocks[i] = make([]byte, block)
	}
	return advise(blocks)
}

// disabled reports whether a GODEBUG value sets disablethp=1 (the last
// setting of a key wins, as in the runtime).
func disabled(godebug string) bool {
	off := false
	for kv := range strings.SplitSeq(godebug, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok && k == "disablethp" {
			off = v == "1"
		}
	}
	return off
}
