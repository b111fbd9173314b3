// Package output holds the output flags every kubeward command shares and
// writes reports to their destinations.
//
// The conventions, as kubectl spells them: -o/--output FORMAT selects the
// format (repeatable, for several reports in one run); --format FORMAT is a
// synonym kept for scripts and CI configurations written before -o meant the
// format; --output-file PATH writes the format of the same position to a file
// instead of stdout ("-" is stdout). At most one format goes to stdout.
//
// Files are checked before any work starts (a temporary file is created
// beside each destination) and written atomically: the report lands under
// its name only when it is complete, so a CI job never reads half a report.
package output

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// Flags are a command's output flags. Register them with Register.
type Flags struct {
	def     string
	allowed []string
	output  []string
	format  []string
	files   []string
}

// Register adds -o/--output, --format and --output-file to fs. def is the
// format used when none is given; allowed lists the formats the command
// supports, in the order help texts show them.
func Register(fs *pflag.FlagSet, def string, allowed ...string) *Flags {
	f := &Flags{def: def, allowed: allowed}
	list := strings.Join(allowed, ", ")
	fs.StringArrayVarP(&f.output, "output", "o", nil, fmt.Sprintf("output format: %s (default %s; repeatable, each extra format needs an --output-file)", list, def))
	fs.StringArrayVar(&f.format, "format", nil, "synonym of --output, kept for existing scripts")
	fs.StringArrayVar(&f.files, "output-file", nil, "write the output format of the same position to this file instead of stdout (repeatable; - is stdout); files are written atomically")
	return f
}

// Target is one report to write: a format and a destination.
type Target struct {
	Format string
	// Path is the file to write; "" means stdout.
	Path string
}

// Stdout reports whether t goes to stdout.
func (t Target) Stdout() bool { return t.Path == "" }

// Targets checks the flags and returns the reports to write, in order.
// Errors are usage errors: an unknown format, more files than formats,
// two formats on stdout, the same file twice.
func (f *Flags) Targets() ([]Target, error) {
	if len(f.output) > 0 && len(f.format) > 0 {
		return nil, errors.New("give the output format with -o/--output or with --format, not both")
	}
	formats := f.output
	if len(formats) == 0 {
		formats = f.format
	}
	if len(formats) == 0 {
		formats = []string{f.def}
	}
	if len(f.files) > len(formats) {
		return nil, fmt.Errorf("%d --output-file values but %d output formats: give one -o FORMAT per --output-file", len(f.files), len(formats))
	}
	var ts []Target
	seen := map[string]bool{}
	stdout := 0
	for i, name := range formats {
		name = strings.ToLower(strings.TrimSpace(name))
		if !slices.Contains(f.allowed, name) {
			if looksLikePath(name) {
				return nil, fmt.Errorf("unknown output format %q (want %s); -o is the format, as in kubectl: write files with --output-file %s", formats[i], strings.Join(f.allowed, ", "), formats[i])
			}
			return nil, fmt.Errorf("unknown output format %q (want %s)", formats[i], strings.Join(f.allowed, ", "))
		}
		t := Target{Format: name}
		if i < len(f.files) && f.files[i] != "-" {
			t.Path = f.files[i]
			if t.Path == "" {
				return nil, errors.New("--output-file: empty path (use - for stdout)")
			}
			abs, err := filepath.Abs(t.Path)
			if err != nil {
				return nil, fmt.Errorf("--output-file %s: %w", t.Path, err)
			}
			if seen[abs] {
				return nil, fmt.Errorf("--output-file %s is given twice: each report needs its own file", t.Path)
			}
			seen[abs] = true
		}
		if t.Stdout() {
			stdout++
		}
		ts = append(ts, t)
	}
	if stdout > 1 {
		return nil, errors.New("more than one output format writes to stdout: give each extra format an --output-file")
	}
	return ts, nil
}

func looksLikePath(s string) bool {
	return strings.ContainsAny(s, "/\\.") || s == "-"
}

// Writer writes a run's reports. Open it before the work starts, so that an
// unwritable destination is reported before anything is done; then call
// Write once per target in order and Close at the end (Close also cleans up
// after an error).
type Writer struct {
	stdout  io.Writer
	targets []Target
	tmp     []*os.File
	done    bool
}

// Open checks every file destination by creating a temporary file beside it.
func Open(stdout io.Writer, targets []Target) (*Writer, error) {
	w := &Writer{stdout: stdout, targets: targets, tmp: make([]*os.File, len(targets))}
	for i, t := range targets {
		if t.Stdout() {
			continue
		}
		if fi, err := os.Stat(t.Path); err == nil && fi.IsDir() {
			w.abort()
			return nil, fmt.Errorf("--output-file %s is a directory", t.Path)
		}
		dir, base := filepath.Split(t.Path)
		if dir == "" {
			dir = "."
		}
		f, err := os.CreateTemp(dir, "."+base+".tmp*")
		if err != nil {
			w.abort()
			return nil, fmt.Errorf("cannot write --output-file %s: %w", t.Path, unwrapPath(err))
		}
		w.tmp[i] = f
	}
	return w, nil
}

// Targets returns the targets, in order.
func (w *Writer) Targets() []Target { return w.targets }

// Write renders target i with render, to stdout or its temporary file.
func (w *Writer) Write(i int, render func(io.Writer) error) error {
	if w.tmp[i] == nil {
		return render(w.stdout)
	}
	if err := render(w.tmp[i]); err != nil {
		return fmt.Errorf("writing %s: %w", w.targets[i].Path, err)
	}
	return nil
}

// Commit closes every file and moves each to its destination. A file that
// replaces another keeps the old file's permissions; a new one gets 0644.
func (w *Writer) Commit() error {
	if w.done {
		return nil
	}
	w.done = true
	var errs []error
	for i, f := range w.tmp {
		if f == nil {
			continue
		}
		name := f.Name()
		mode := os.FileMode(0o644)
		if fi, err := os.Stat(w.targets[i].Path); err == nil {
			mode = fi.Mode().Perm()
		}
		err := f.Chmod(mode)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(name, w.targets[i].Path)
		}
		if err != nil {
			os.Remove(name)
			errs = append(errs, fmt.Errorf("writing %s: %w", w.targets[i].Path, unwrapPath(err)))
		}
	}
	return errors.Join(errs...)
}

// Close removes the temporary files of a Writer that was not committed.
func (w *Writer) Close() {
	if !w.done {
		w.abort()
	}
}

func (w *Writer) abort() {
	w.done = true
	for _, f := range w.tmp {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
