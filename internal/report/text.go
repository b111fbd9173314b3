package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/kubeward/kubeward/internal/finding"
)

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[34m"
	ansiGreen  = "\x1b[32m"
)

// writeText prints findings grouped by object, each with its location and
// fix, then input errors, warnings and skipped files (to opts.Diagnostics
// when set), then one summary line.
func writeText(w io.Writer, r *Report, opts Options) error {
	bw := bufio.NewWriter(w)
	paint := func(code, s string) string {
		if !opts.Color {
			return s
		}
		return code + s + ansiReset
	}
	for _, g := range groupByObject(r) {
		fmt.Fprintf(bw, "%s", paint(ansiBold, g.ref.String()))
		if g.file != "" {
			fmt.Fprintf(bw, "  (%s)", g.file)
		}
		fmt.Fprintln(bw)
		for _, f := range g.findings {
			sev := strings.ToUpper(string(f.Severity))
			sevColor := ansiBlue
			switch f.Severity {
			case finding.SeverityCritical, finding.SeverityHigh:
				sevColor = ansiRed
			case finding.SeverityMedium:
				sevColor = ansiYellow
			}
			head := fmt.Sprintf("  %s %s", paint(sevColor, fmt.Sprintf("%-8s", sev)), f.Rule)
			if f.File != "" {
				head += fmt.Sprintf("  %s:%d", f.File, f.Line)
			}
			if f.Container != "" {
				head += fmt.Sprintf("  container %q", f.Container)
			}
			if f.Suppressed {
				head += "  " + paint(ansiDim, "(suppressed: "+f.SuppressionReason+")")
			}
			fmt.Fprintln(bw, head)
			fmt.Fprintf(bw, "           %s\n", f.Message)
			if f.Remediation != "" {
				fmt.Fprintf(bw, "           %s %s\n", paint(ansiGreen, "fix:"), f.Remediation)
			}
			for _, s := range f.Subjects {
				fmt.Fprintf(bw, "           subject: %s\n", s)
			}
			for _, s := range f.Grants {
				fmt.Fprintf(bw, "           granted by: %s\n", s)
			}
		}
		fmt.Fprintln(bw)
	}
	for _, sec := range r.Sections {
		if sec.Text == nil {
			continue
		}
		if err := sec.Text(bw, opts.Color); err != nil {
			return err
		}
	}
	diag, dpaint := bw, paint
	if opts.Diagnostics != nil {
		// Findings first, then diagnostics, then the summary: on a
		// terminal the two streams interleave as one report would.
		if err := bw.Flush(); err != nil {
			return err
		}
		diag = bufio.NewWriter(opts.Diagnostics)
		dpaint = func(_, s string) string { return s }
	}
	writeDiagnostics(diag, r, dpaint)
	if opts.Diagnostics != nil {
		if err := diag.Flush(); err != nil {
			return err
		}
	}
	s := r.Summary
	title := ""
	if opts.Title != "" {
		title = opts.Title + ": "
	}
	line := fmt.Sprintf("%s%s, %s (%d suppressed), %s", title,
		plural(s.Objects, "object"), plural(s.Findings, "finding"), s.Suppressed, plural(s.Errors, "input error"))
	if s.Warnings > 0 {
		line += ", " + plural(s.Warnings, "warning")
	}
	switch {
	case s.Errors > 0:
		line = paint(ansiRed, line)
	case r.Unsuppressed() > 0:
		line = paint(ansiYellow, line)
	default:
		line = paint(ansiGreen, line)
	}
	fmt.Fprintln(bw, line)
	return bw.Flush()
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// skippedListed is how many skipped files the text format names.
const skippedListed = 3

// writeDiagnostics writes input errors, warnings and one line for skipped
// files, each part followed by a blank line.
func writeDiagnostics(bw *bufio.Writer, r *Report, paint func(code, s string) string) {
	inputErrors := func(title string, errs []InputError) {
		if len(errs) == 0 {
			return
		}
		fmt.Fprintln(bw, paint(ansiBold, title))
		for _, e := range errs {
			switch {
			case e.File == "":
				fmt.Fprintf(bw, "  %s\n", e.Message)
			case e.Line > 0:
				fmt.Fprintf(bw, "  %s:%d: %s\n", e.File, e.Line, e.Message)
			default:
				fmt.Fprintf(bw, "  %s: %s\n", e.File, e.Message)
			}
		}
		fmt.Fprintln(bw)
	}
	inputErrors("Input errors:", r.Errors)
	inputErrors("Warnings:", r.Warnings)
	if n := len(r.Skipped); n > 0 {
		names := make([]string, 0, skippedListed)
		for _, s := range r.Skipped[:min(n, skippedListed)] {
			names = append(names, s.File)
		}
		list := strings.Join(names, ", ")
		if n > skippedListed {
			list += fmt.Sprintf(" and %d more", n-skippedListed)
		}
		fmt.Fprintf(bw, "%s skipped (not Kubernetes manifests): %s\n", plural(n, "file"), list)
		fmt.Fprintln(bw, "  the JSON output lists every skipped file with its reason")
		fmt.Fprintln(bw)
	}
}
