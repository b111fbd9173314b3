package output

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
)

func parse(t *testing.T, args ...string) (*Flags, error) {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	f := Register(fs, "text", "text", "json", "sarif")
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return f, nil
}

func TestTargets(t *testing.T) {
	for _, tt := range []struct {
		name    string
		args    []string
		want    []Target
		wantErr string
	}{
		{"default", nil, []Target{{Format: "text"}}, ""},
		{"-o", []string{"-o", "json"}, []Target{{Format: "json"}}, ""},
		{"--format synonym", []string{"--format", "JSON"}, []Target{{Format: "json"}}, ""},
		{"files in order", []string{"-o", "text", "-o", "sarif", "--output-file", "-", "--output-file", "r.sarif"},
			[]Target{{Format: "text"}, {Format: "sarif", Path: "r.sarif"}}, ""},
		{"both flags", []string{"-o", "json", "--format", "json"}, nil, "not both"},
		{"unknown", []string{"-o", "yaml"}, nil, `unknown output format "yaml" (want text, json, sarif)`},
		{"path given to -o", []string{"-o", "out.json"}, nil, "write files with --output-file out.json"},
		{"two on stdout", []string{"-o", "json", "-o", "text"}, nil, "more than one output format writes to stdout"},
		{"more files than formats", []string{"--output-file", "a", "--output-file", "b"}, nil, "2 --output-file values but 1 output formats"},
		{"same file twice", []string{"-o", "json", "-o", "sarif", "--output-file", "r", "--output-file", "./r"}, nil, "given twice"},
		{"empty file", []string{"--output-file", ""}, nil, "empty path"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := parse(t, tt.args...)
			got, err := f.Targets()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("targets (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWriterAtomic: a report lands under its name only at Commit; a run
// that fails leaves neither the report nor a temporary file behind; an
// existing report keeps its permissions.
func TestWriterAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	w, err := Open(&stdout, []Target{{Format: "text"}, {Format: "json", Path: path}})
	if err != nil {
		t.Fatal(err)
	}
	write := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	if err := w.Write(0, write("text report")); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(1, write("new")); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != "old" {
		t.Errorf("before Commit the file holds %q, want the old report", data)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	data, _ := os.ReadFile(path)
	fi, _ := os.Stat(path)
	if string(data) != "new" || fi.Mode().Perm() != 0o600 || stdout.String() != "text report" {
		t.Errorf("after Commit: file %q mode %v, stdout %q", data, fi.Mode().Perm(), stdout.String())
	}

	// A failed run.
	failed := filepath.Join(dir, "failed.json")
	w, err = Open(&stdout, []Target{{Format: "json", Path: failed}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(0, func(io.Writer) error { return errors.New("boom") }); err == nil || !strings.Contains(err.Error(), "writing "+failed+": boom") {
		t.Errorf("error %v", err)
	}
	w.Close()
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"r.json"}, names); diff != "" {
		t.Errorf("directory after a failed run (-want +got):\n%s", diff)
	}
}

func TestOpenChecksFirst(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ path, want string }{
		{filepath.Join(dir, "missing", "r.json"), "no such file or directory"},
		{dir, "is a directory"},
	} {
		_, err := Open(io.Discard, []Target{{Format: "json", Path: filepath.Join(dir, "ok.json")}, {Format: "sarif", Path: tt.path}})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open(%s): %v, want %q", tt.path, err, tt.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a refused Open left files: %v", entries)
	}
}
