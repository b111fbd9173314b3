// Package scan is the `kubeward scan` command: it turns flags into a
// scan.Scanner run and renders the report.
package scan

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubeward/kubeward/internal/buildinfo"
	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/podsecurity"
	"github.com/kubeward/kubeward/internal/report"
	"github.com/kubeward/kubeward/internal/rules"
	"github.com/kubeward/kubeward/internal/scan"
)

type flags struct {
	podSecurity        string
	formats            []string
	outputs            []string
	rules              []string
	ignoreSuppressions bool
	color              string
}

// NewCommand returns the scan command.
func NewCommand(s clierr.Streams) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "scan PATH...",
		Short: "Check manifests (files, directories, - for stdin) against kubeward's rules",
		Long: `Scan reads Kubernetes manifests (YAML or JSON; multi-document files, List
kinds; directories recursively; - for stdin) and checks every object against
the Pod Security Standards (workloads on their pod template, as Kubernetes
does) and, across all the objects read, the RBAC good-practice risks (as
'kubeward rbac risks -f' does, with Kubernetes' default policy added).

Exit codes: 0 no unsuppressed findings, 1 findings, 2 usage or input errors.

Suppress a finding with an annotation on the object (or its pod template),
with the reason as its value:
  ignore-check.kubeward.io/pod-security.runAsNonRoot: "legacy image, JIRA-123"
  web.ignore-check.kubeward.io/pod-security.capabilities_restricted: "needs NET_BIND_SERVICE"
(the second form covers only container "web"). --ignore-suppressions turns
annotation suppression off.`,
		Example: `  kubeward scan examples/
  kubeward scan --pod-security baseline:v1.30 deploy.yaml
  kubectl get deploy -A -o yaml | kubeward scan -
  kubeward scan manifests/ --format text --format sarif --output - --output kubeward.sarif`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return run(s, f, args) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.podSecurity, "pod-security", "restricted:latest", "Pod Security level and version pods must meet: LEVEL[:VERSION], LEVEL baseline or restricted, VERSION latest or v1.N")
	fl.StringArrayVar(&f.formats, "format", nil, "output format: text, json, sarif or junit (repeatable; pairs with --output in order; default text)")
	fl.StringArrayVarP(&f.outputs, "output", "o", nil, "file to write the matching --format to (repeatable; - or absent means stdout)")
	fl.StringSliceVar(&f.rules, "rules", nil, "rule families to run, comma-separated (default: all; see 'kubeward rules')")
	fl.BoolVar(&f.ignoreSuppressions, "ignore-suppressions", false, "ignore ignore-check.kubeward.io annotations, so workloads cannot exempt themselves")
	fl.StringVar(&f.color, "color", "auto", "colour text output: auto (only on a terminal, unless NO_COLOR is set), always or never")
	return cmd
}

type output struct {
	format report.Format
	path   string // "" or "-" for stdout
}

func parseOutputs(f *flags) ([]output, error) {
	formats := f.formats
	if len(formats) == 0 {
		formats = []string{string(report.FormatText)}
	}
	if len(f.outputs) > len(formats) {
		return nil, fmt.Errorf("%d --output values but %d --format values: give one --format per --output", len(f.outputs), len(formats))
	}
	var outs []output
	stdout := 0
	for i, name := range formats {
		format, err := report.ParseFormat(name)
		if err != nil {
			return nil, err
		}
		o := output{format: format}
		if i < len(f.outputs) {
			o.path = f.outputs[i]
		}
		if o.path == "" || o.path == "-" {
			stdout++
		}
		outs = append(outs, o)
	}
	if stdout > 1 {
		return nil, errors.New("more than one --format writes to stdout: give each extra format an --output file")
	}
	return outs, nil
}

func run(s clierr.Streams, f *flags, paths []string) error {
	lv, err := podsecurity.ParseLevelVersion(f.podSecurity)
	if err != nil {
		return clierr.Usage(fmt.Errorf("--pod-security: %w", err))
	}
	if lv.Level == podsecurity.LevelPrivileged {
		return clierr.Usage(errors.New("--pod-security: privileged allows everything; choose baseline or restricted"))
	}
	outs, err := parseOutputs(f)
	if err != nil {
		return clierr.Usage(err)
	}
	color, err := useColor(f.color, s.Out)
	if err != nil {
		return clierr.Usage(err)
	}
	registry := rules.Builtin()
	scanner, err := scan.NewScanner(registry, scan.Options{
		PodSecurity:        lv,
		Families:           f.rules,
		IgnoreSuppressions: f.ignoreSuppressions,
	})
	if err != nil {
		return clierr.Usage(err)
	}
	rep := scanner.Read(&manifest.Reader{Stdin: s.In}, paths)
	title := lv.String()
	if len(f.rules) > 0 && !slices.Contains(f.rules, "pod-security") {
		title = strings.Join(f.rules, ",")
	}
	opts := report.Options{Color: color, Version: buildinfo.Version(), Registry: registry, Title: title}
	for _, o := range outs {
		if err := writeOutput(s.Out, o, rep, opts); err != nil {
			return err
		}
	}
	switch {
	case rep.Summary.Errors > 0:
		return clierr.Failed()
	case rep.Unsuppressed() > 0:
		return clierr.Findings()
	}
	return nil
}

func writeOutput(stdout io.Writer, o output, rep *report.Report, opts report.Options) error {
	if o.path == "" || o.path == "-" {
		return report.Write(stdout, o.format, rep, opts)
	}
	opts.Color = false
	file, err := os.Create(o.path)
	if err != nil {
		return &clierr.ExitError{Code: clierr.CodeError, Err: fmt.Errorf("writing %s output: %w", o.format, err)}
	}
	if err := report.Write(file, o.format, rep, opts); err != nil {
		file.Close()
		return &clierr.ExitError{Code: clierr.CodeError, Err: fmt.Errorf("writing %s: %w", o.path, err)}
	}
	if err := file.Close(); err != nil {
		return &clierr.ExitError{Code: clierr.CodeError, Err: fmt.Errorf("writing %s: %w", o.path, err)}
	}
	return nil
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
