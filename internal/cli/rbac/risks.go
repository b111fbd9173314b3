package rbac

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/kubeward/kubeward/internal/buildinfo"
	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/cli/output"
	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/rbac"
	"github.com/kubeward/kubeward/internal/rbac/bootstrap"
	"github.com/kubeward/kubeward/internal/report"
	"github.com/kubeward/kubeward/internal/rules"
)

type risksFlags struct {
	src       source
	out       *output.Flags
	minSev    string
	failOn    string
	exitZero  bool
	disable   []string
	sarifRoot string
}

func newRisksCommand(s clierr.Streams) *cobra.Command {
	f := &risksFlags{}
	cmd := &cobra.Command{
		Use:   "risks",
		Short: "Report RBAC good-practice risks (rules rbac/...)",
		Long: `Risks reports who holds the permissions the Kubernetes RBAC good practices warn
about (reading Secrets, creating workloads, escalate, bind, impersonate,
nodes/proxy, CSR approval, token requests, webhook configuration, exec),
bindings to cluster-admin, system:masters and unauthenticated users,
wildcards, ClusterRoleBindings that could be RoleBindings, dangling subjects
and role references, automounted tokens of service accounts with permissions,
and namespaces without object-count quota. Each finding names the subjects
and the binding → role → rule paths. Objects of the default policy are not
reported; their permissions are, through the user's own bindings.

Exit codes: 0 no findings, 1 findings, 2 usage or input errors.`,
		Example: `  kubeward rbac risks -f rbac/
  kubeward rbac risks --context prod -o json --severity high
  kubeward rbac risks -f rbac/ -o sarif --output-file rbac.sarif --fail-on high`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runRisks(s, f) },
	}
	f.src.addFlags(cmd.Flags())
	fl := cmd.Flags()
	f.out = output.Register(fl, "text", "text", "json", "sarif", "junit")
	fl.StringVarP(&f.src.namespace, "namespace", "n", "default", "with -f, namespace of namespaced objects that have none, as kubectl apply -n")
	fl.StringVar(&f.minSev, "severity", "info", "report only findings of this severity or higher: info, low, medium, high, critical")
	fl.StringVar(&f.minSev, "min-severity", "info", "synonym of --severity")
	_ = fl.MarkHidden("min-severity")
	fl.StringVar(&f.failOn, "fail-on", "info", "exit 1 only for findings of this severity or higher")
	fl.BoolVar(&f.exitZero, "exit-zero", false, "exit 0 even when there are findings (input errors still exit 2)")
	fl.StringSliceVar(&f.disable, "disable", nil, "rule IDs not to report, comma-separated or repeated")
	fl.StringVar(&f.sarifRoot, "sarif-root", "", "directory SARIF artifact URIs are relative to (default: the working directory)")
	return cmd
}

func runRisks(s clierr.Streams, f *risksFlags) error {
	targets, err := f.out.Targets()
	if err != nil {
		return clierr.Usage(err)
	}
	minSev, err := finding.ParseSeverity(f.minSev)
	if err != nil {
		return clierr.Usage(fmt.Errorf("--severity: %w", err))
	}
	failOn, err := finding.ParseSeverity(f.failOn)
	if err != nil {
		return clierr.Usage(fmt.Errorf("--fail-on: %w", err))
	}
	registry := rules.Builtin()
	disabled := map[string]bool{}
	for _, id := range f.disable {
		if r, ok := registry.Lookup(id); !ok || r.Family() != "rbac" {
			return clierr.Usage(fmt.Errorf("cannot disable %q: not an rbac/ rule (see 'kubeward rules')", id))
		}
		disabled[id] = true
	}
	l, err := f.src.load(s.In)
	if err != nil {
		return err
	}
	rep := report.New()
	for _, e := range l.warnings {
		rep.AddWarning(inputError(e))
	}
	for _, e := range l.errors {
		rep.AddError(inputError(e))
	}
	opts := rbac.RiskOptions{}
	if len(f.src.files) > 0 && !f.src.includeDefaults {
		opts.KnownClusterRoles = map[string]bool{}
		objs, err := bootstrap.Objects()
		if err != nil {
			return err
		}
		for _, o := range objs {
			if cr, ok := o.(interface{ GetName() string }); ok {
				opts.KnownClusterRoles[cr.GetName()] = true
			}
		}
	}
	rep.Summary.Objects = l.objects
	failing := 0
	for _, fd := range l.index.Risks(opts) {
		if fd.Severity.Rank() >= minSev.Rank() && !disabled[fd.Rule] {
			rep.Add(fd)
			if fd.Severity.Rank() >= failOn.Rank() {
				failing++
			}
		}
	}
	ropts := report.Options{Registry: registry, Version: buildinfo.Version(), Title: "rbac risks", SARIFRoot: f.sarifRoot}
	err = writeTargets(s, targets, func(w io.Writer, name string) error {
		format, err := report.ParseFormat(name)
		if err != nil {
			return err
		}
		o := ropts
		if w == s.Out {
			o.Diagnostics = s.Err
		}
		return report.Write(w, format, rep, o)
	})
	if err != nil {
		return err
	}
	switch {
	case rep.Summary.Errors > 0:
		return clierr.Failed()
	case failing > 0 && !f.exitZero:
		return clierr.Findings()
	}
	return nil
}

// inputError locates a load problem for the report: file and line in their
// fields, the message without them.
func inputError(e error) report.InputError {
	var me *manifest.Error
	if errors.As(e, &me) {
		return report.InputError{File: me.File, Line: me.Line, Message: me.Err.Error()}
	}
	var pr *rbac.Problem
	if errors.As(e, &pr) {
		return report.InputError{File: pr.Source.File, Line: pr.Source.Line, Message: pr.Detail()}
	}
	return report.InputError{Message: e.Error()}
}
