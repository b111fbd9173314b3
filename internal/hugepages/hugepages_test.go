package hugepages

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestDisabled(t *testing.T) {
	for godebug, want := range map[string]bool{
		"":                             false,
		"disablethp=1":                 true,
		"disablethp=0":                 false,
		"gctrace=1,disablethp=1":       true,
		"disablethp=1, madvdontneed=1": true,
		"disablethp=1,disablethp=0":    false,
		"xdisablethp=1":                false,
	} {
		if got := disabled(godebug); got != want {
			t.Errorf("disabled(%q) = %v, want %v", godebug, got, want)
		}
	}
}

func TestAdviseDisabled(t *testing.T) {
	t.Setenv("GODEBUG", "disablethp=1")
	if n, err := grow(Size); n != 0 || !errors.Is(err, ErrDisabled) {
		t.Fatalf("grow with disablethp=1 = %d, %v; want 0, ErrDisabled", n, err)
	}
}

// TestAdvise checks the effect Advise is for: small objects allocated
// after it land on huge pages, which the Go heap does not get by itself
// when transparent_hugepage is "madvise".
func TestAdvise(t *testing.T) {
	if runtime.GOOS != "linux" {
		if _, err := Advise(Size); err == nil {
			t.Fatal("Advise succeeded off Linux")
		}
		return
	}
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || bytes.Contains(mode, []byte("[never]")) {
		t.Skipf("transparent huge pages unavailable (%q, %v)", bytes.TrimSpace(mode), err)
	}
	// Freed heap memory that the blocks may reuse (and the allocator then
	// zeroes), as a command's start leaves some.
	garbage := make([]byte, 16<<20)
	for i := 0; i < len(garbage); i += 4096 {
		garbage[i] = 1
	}
	garbage = nil
	runtime.GC()
	before, rss := anonHuge(t), rollup(t, "Rss:")
	n, err := Advise(128 << 20)
	if err != nil || n < 124<<20 || n > 128<<20 {
		t.Fatalf("Advise(128 MiB) = %d, %v; want 124 to 128 MiB advised", n, err)
	}
	// At most the freed memory the blocks reused, not the 128 MiB.
	if grown := rollup(t, "Rss:") - rss; grown > 32<<20 {
		t.Errorf("resident memory grew by %d bytes during Advise, want it to touch no fresh memory", grown)
	}
	if n2, err2 := Advise(Size); n2 != n || err2 != err {
		t.Errorf("second Advise = %d, %v; want the first call's %d, %v", n2, err2, n, err)
	}
	if adv := advisedBytes(t); adv < int64(n) {
		t.Fatalf("mappings advised for huge pages hold %d bytes, want at least %d", adv, n)
	}
	// 32 MiB of small objects, as a scan allocates them.
	objs := make([][]byte, 0, 32<<20/512)
	for range cap(objs) {
		b := make([]byte, 512)
		b[0] = 1
		objs = append(objs, b)
	}
	grown := anonHuge(t) - before
	runtime.KeepAlive(objs)
	if grown < 16<<20 {
		t.Errorf("huge pages grew by %d bytes for 32 MiB of objects, want at least 16 MiB (transparent_hugepage: %s)", grown, bytes.TrimSpace(mode))
	}
}

// anonHuge returns the process's anonymous memory on huge pages.
func anonHuge(t *testing.T) int64 { return rollup(t, "AnonHugePages:") }

// rollup returns a field of /proc/self/smaps_rollup, in bytes.
func rollup(t *testing.T, field string) int64 {
	t.Helper()
	data, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		t.Skipf("reading smaps_rollup: %v", err)
	}
	for line := range strings.Lines(string(data)) {
		if strings.HasPrefix(line, field) {
			return kB(t, strings.TrimSpace(line))
		}
	}
	t.Fatalf("no %s in smaps_rollup", field)
	return 0
}

// advisedBytes returns the size of the mappings advised for huge pages.
func advisedBytes(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var total, size int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "Size:"):
			size = kB(t, line)
		case strings.HasPrefix(line, "VmFlags:"):
			if strings.Contains(" "+line[len("VmFlags:"):]+" ", " hg ") {
				total += size
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return total
}

// kB reads a "Field:   1234 kB" line of smaps as bytes.
func kB(t *testing.T, line string) int64 {
	t.Helper()
	f := strings.Fields(line)
	if len(f) != 3 || f[2] != "kB" {
		t.Fatalf("unexpected smaps line %q", line)
	}
	n, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		t.Fatalf("smaps line %q: %v", line, err)
	}
	return n << 10
}
