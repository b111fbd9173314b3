package controlplane

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// ChildCommandLine returns the raw command line (/proc/PID/cmdline: words
// separated by NUL bytes) of the process named name that this test
// process started, such as the harness's "kube-apiserver" or "etcd". It
// fails the test when there is none (or /proc is not available).
func ChildCommandLine(t testing.TB, name string) []byte {
	t.Helper()
	self := strconv.Itoa(os.Getpid())
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("reading /proc: %v", err)
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// stat: "pid (comm) state ppid ..."; comm may hold spaces.
		end := bytes.LastIndexByte(stat, ')')
		if end < 0 {
			continue
		}
		fields := strings.Fields(string(stat[end+1:]))
		if len(fields) < 2 || fields[1] != self {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(cmdline) == 0 {
			continue
		}
		prog, _, _ := bytes.Cut(cmdline, []byte{0})
		if filepath.Base(string(prog)) == name {
			return cmdline
		}
	}
	t.Fatalf("no child process %q of pid %s", name, self)
	return nil
}
