// Package reporting holds the flags and the end of a run that every kubeward
// command reporting findings shares (scan, rbac risks, audit, config,
// auditlog, ...): output formats and files, --sarif-root, --severity,
// --fail-on, --exit-zero, --disable and --color, the rendering of one report
// to every target, and the exit code.
//
// Use: Register the flags, call Check before any work (usage errors come
// first and destinations are created before a long run), Open the
// destinations, build the report, then Finish.
package reporting

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/kubeward/kubeward/internal/buildinfo"
	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/cli/output"
	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/report"
)

// Flags are the reporting flags of one command. Fields set by Check are
// valid after it returned nil.
type Flags struct {
	out       *output.Flags
	sarifRoot string
	severity  string
	failOn    string
	exitZero  bool
	disable   []string
	color     string

	// MinSeverity is --severity: findings below it are not reported.
	MinSeverity finding.Severity
	// FailOn is --fail-on: unsuppressed findings at or above it exit 1.
	FailOn finding.Severity
	// Disabled holds the rule IDs of --disable.
	Disabled map[string]bool

	targets  []output.Target
	useColor bool
}

// Register adds the reporting flags to fl. The default format is text;
// formats lists the formats the command writes (default: every report
// format).
func Register(fl *pflag.FlagSet, formats ...string) *Flags {
	if len(formats) == 0 {
		for _, f := range report.Formats {
			formats = append(formats, string(f))
		}
	}
	f := &Flags{}
	f.out = output.Register(fl, formats[0], formats...)
	fl.StringVar(&f.sarifRoot, "sarif-root", "", "directory SARIF artifact URIs are relative to (default: the working directory)")
	fl.StringVar(&f.severity, "severity", "info", "report only findings of this severity or higher: info, low, medium, high, critical")
	fl.StringVar(&f.failOn, "fail-on", "info", "exit 1 only for unsuppressed findings of this severity or higher")
	fl.BoolVar(&f.exitZero, "exit-zero", false, "exit 0 even when there are findings (input errors still exit 2)")
	fl.StringSliceVar(&f.disable, "disable", nil, "rule IDs not to report, comma-separated or repeated (see 'kubeward rules')")
	fl.StringVar(&f.color, "color", "auto", "colour text output: auto (only on a terminal, unless NO_COLOR is set), always or never")
	return f
}

// Check parses the flags; stdout is where text goes (colour is on only for
// a terminal in auto mode). families, when not empty, are the rule families
// --disable may name. Errors are usage errors.
func (f *Flags) Check(stdout io.Writer, registry *finding.Registry, families ...string) error {
	var err error
	if f.targets, err = f.out.Targets(); err != nil {
		return clierr.Usage(err)
	}
	if f.useColor, err = useColor(f.color, stdout); err != nil {
		return clierr.Usage(err)
	}
	if f.MinSeverity, err = finding.ParseSeverity(f.severity); err != nil {
		return clierr.Usage(fmt.Errorf("--severity: %w", err))
	}
	if f.FailOn, err = finding.ParseSeverity(f.failOn); err != nil {
		return clierr.Usage(fmt.Errorf("--fail-on: %w", err))
	}
	f.Disabled = map[string]bool{}
	for _, id := range f.disable {
		r, ok := registry.Lookup(id)
		if !ok {
			if contains(registry.Families(), id) {
				return clierr.Usage(fmt.Errorf("--disable takes rule IDs, not families: %q is a family (use --rules to choose families)", id))
			}
			return clierr.Usage(fmt.Errorf("cannot disable unknown rule %q (see 'kubeward rules')", id))
		}
		if len(families) > 0 && !contains(families, r.Family()) {
			return clierr.Usage(fmt.Errorf("cannot disable %q: not a rule of this command (its families: %s)", id, strings.Join(families, ", ")))
		}
		f.Disabled[id] = true
	}
	return nil
}

// Keep reports whether a finding is to be reported: not disabled and at or
// above --severity.
func (f *Flags) Keep(fd *finding.Finding) bool {
	return !f.Disabled[fd.Rule] && fd.Severity.Rank() >= f.MinSeverity.Rank()
}

// Open checks every file destination by creating a temporary file beside
// it, so that a typo in a path does not cost a whole run. Close the writer
// when done (Finish commits it).
func (f *Flags) Open(s clierr.Streams) (*output.Writer, error) {
	w, err := output.Open(s.Out, f.targets)
	if err != nil {
		return nil, clierr.Usage(err)
	}
	return w, nil
}

// Finish renders rep to every target of w (registry and title fill the
// report options; opts may be nil), commits the files and returns the
// command's result: exit 2 for input errors, 1 for unsuppressed findings at
// or above --fail-on (unless --exit-zero), else nil.
func (f *Flags) Finish(s clierr.Streams, w *output.Writer, rep *report.Report, registry *finding.Registry, title string) error {
	opts := report.Options{Color: f.useColor, Version: buildinfo.Version(), Registry: registry, Title: title, SARIFRoot: f.sarifRoot}
	for i, t := range w.Targets() {
		o := opts
		if t.Stdout() {
			// Input errors, warnings and skipped files are diagnostics:
			// stderr, so that stdout holds only the report.
			o.Diagnostics = s.Err
		} else {
			o.Color = false
		}
		format, err := report.ParseFormat(t.Format)
		if err != nil {
			return clierr.Usage(err)
		}
		if err := w.Write(i, func(out io.Writer) error { return report.Write(out, format, rep, o) }); err != nil {
			return &clierr.ExitError{Code: clierr.CodeError, Err: err}
		}
	}
	if err := w.Commit(); err != nil {
		return &clierr.ExitError{Code: clierr.CodeError, Err: err}
	}
	switch {
	case rep.Summary.Errors > 0:
		return clierr.Failed()
	case !f.exitZero && Failing(rep, f.FailOn) > 0:
		return clierr.Findings()
	}
	return nil
}

// Failing counts the unsuppressed findings of rep at or above min.
func Failing(rep *report.Report, min finding.Severity) int {
	n := 0
	for i := range rep.Findings {
		if !rep.Findings[i].Suppressed && rep.Findings[i].Severity.Rank() >= min.Rank() {
			n++
		}
	}
	return n
}

func useColor(mode string, w io.Writer) (bool, error) {
	switch strings.ToLower(mode) {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
			return false, nil
		}
		return clierr.IsTerminal(w), nil
	}
	return false, fmt.Errorf("--color: unknown mode %q (want auto, always or never)", mode)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// DisabledIDs returns the rule IDs of --disable, in the order given.
func (f *Flags) DisabledIDs() []string { return f.disable }

// SeveritySynonym adds a hidden flag name for --severity (kept for scripts
// written against an older spelling).
func (f *Flags) SeveritySynonym(fl *pflag.FlagSet, name string) {
	fl.StringVar(&f.severity, name, "info", "synonym of --severity")
	_ = fl.MarkHidden(name)
}
