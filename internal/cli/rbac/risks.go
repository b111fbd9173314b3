package rbac

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kubeward/kubeward/internal/buildinfo"
	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/rbac"
	"github.com/kubeward/kubeward/internal/rbac/bootstrap"
	"github.com/kubeward/kubeward/internal/report"
	"github.com/kubeward/kubeward/internal/rules"
)

type risksFlags struct {
	src    source
	format string
	minSev string
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
  kubeward rbac risks --context prod --format json --min-severity high`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runRisks(s, f) },
	}
	f.src.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&f.format, "format", "text", "output format: text, json, sarif or junit")
	cmd.Flags().StringVar(&f.minSev, "min-severity", "info", "report only findings of this severity or higher: info, low, medium, high, critical")
	return cmd
}

func runRisks(s clierr.Streams, f *risksFlags) error {
	format, err := report.ParseFormat(f.format)
	if err != nil {
		return clierr.Usage(err)
	}
	minSev, err := finding.ParseSeverity(f.minSev)
	if err != nil {
		return clierr.Usage(err)
	}
	l, err := f.src.load(s.In)
	if err != nil {
		return err
	}
	rep := report.New()
	for _, e := range l.errors {
		var me *manifest.Error
		if errors.As(e, &me) {
			rep.AddError(report.InputError{File: me.File, Line: me.Line, Message: me.Err.Error()})
		} else {
			rep.AddError(report.InputError{Message: e.Error()})
		}
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
	for _, fd := range l.index.Risks(opts) {
		if fd.Severity.Rank() >= minSev.Rank() {
			rep.Add(fd)
		}
	}
	if err := report.Write(s.Out, format, rep, report.Options{Registry: rules.Builtin(), Version: buildinfo.Version(), Title: "rbac risks"}); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	switch {
	case rep.Summary.Errors > 0:
		return clierr.Failed()
	case rep.Unsuppressed() > 0:
		return clierr.Findings()
	}
	return nil
}
