package hugepages

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"syscall"
	"unsafe"
)

// advise marks the whole huge pages within blocks, which are runs of
// memory of equal length, merged where they adjoin, and returns how many
// bytes it marked.
func advise(blocks [][]byte) (int, error) {
	type run struct{ start, end uintptr }
	runs := make([]run, 0, len(blocks))
	for _, b := range blocks {
		p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		runs = append(runs, run{p, p + uintptr(len(b))})
	}
	slices.SortFunc(runs, func(a, b run) int { return cmp.Compare(a.start, b.start) })
	n := 0
	for i := 0; i < len(runs); {
		r := runs[i]
		for i++; i < len(runs) && runs[i].start == r.end; i++ {
			r.end = runs[i].end
		}
		start := (r.start + Size - 1) &^ (Size - 1)
		end := r.end &^ (Size - 1)
		if start >= end {
			continue
		}
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, start, end-start, syscall.MADV_HUGEPAGE); errno != 0 {
			return n, fmt.Errorf("madvise MADV_HUGEPAGE: %w", errno)
		}
		n += int(end - start)
	}
	runtime.KeepAlive(blocks)
	return n, nil
}
