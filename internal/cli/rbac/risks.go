package rbac

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/cli/reporting"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/rbac"
	"github.com/kubeward/kubeward/internal/rbac/bootstrap"
	"github.com/kubeward/kubeward/internal/report"
	"github.com/kubeward/kubeward/internal/rules"
)

type risksFlags struct {
	src    source
	report *reporting.Flags
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
	f.report = reporting.Register(fl)
	f.report.SeveritySynonym(fl, "min-severity")
	fl.StringVarP(&f.src.namespace, "namespace", "n", "default", "with -f, namespace of namespaced objects that have none, as kubectl apply -n")
	return cmd
}

func runRisks(s clierr.Streams, f *risksFlags) error {
	registry := rules.Builtin()
	if err := f.report.Check(s.Out, registry, "rbac"); err != nil {
		return err
	}
	w, err := f.report.Open(s)
	if err != nil {
		return err
	}
	defer w.Close()
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
	for _, fd := range l.index.Risks(opts) {
		if f.report.Keep(&fd) {
			rep.Add(fd)
		}
	}
	return f.report.Finish(s, w, rep, registry, "rbac risks")
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
