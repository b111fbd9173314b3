package rules

import (
	"bufio"
	"fmt"
	"io"

	"github.com/kubeward/kubeward/internal/finding"
)

// WriteMarkdown writes the rule reference page (docs/rules.md) from the
// registry, so the documentation never drifts from the code.
func WriteMarkdown(w io.Writer, reg *finding.Registry) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "# kubeward rules")
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "Generated from the rule registry by `kubeward rules --format markdown`; do not edit by hand.")
	fmt.Fprintln(bw)
	for _, fam := range reg.Families() {
		fmt.Fprintf(bw, "## %s\n\n", fam)
		fmt.Fprintln(bw, "| rule | severity | title |")
		fmt.Fprintln(bw, "| --- | --- | --- |")
		for _, r := range reg.Rules() {
			if r.Family() == fam {
				fmt.Fprintf(bw, "| [`%s`](#%s) | %s | %s |\n", r.ID, anchor(r.ID), r.Severity, r.Title)
			}
		}
		fmt.Fprintln(bw)
		for _, r := range reg.Rules() {
			if r.Family() != fam {
				continue
			}
			fmt.Fprintf(bw, "### %s\n\n", r.ID)
			fmt.Fprintf(bw, "Severity: **%s**. %s\n\n", r.Severity, r.Title)
			fmt.Fprintf(bw, "%s\n\n", r.Description)
			fmt.Fprintf(bw, "**How to fix.** %s\n\n", r.Remediation)
			if r.DocURL != "" {
				fmt.Fprintf(bw, "Reference: %s\n\n", r.DocURL)
			}
		}
	}
	return bw.Flush()
}

// anchor is the GitHub heading anchor of a rule ID heading.
func anchor(id string) string {
	b := make([]byte, 0, len(id))
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
			b = append(b, c)
		}
	}
	return string(b)
}
