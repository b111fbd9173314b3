// Package configcheck is the "kubeward config" command: it judges the
// configuration of control-plane components and kubelets (rules config/...).
package configcheck

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/cli/reporting"
	"github.com/kubeward/kubeward/internal/clusterconfig"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/report"
	"github.com/kubeward/kubeward/internal/rules"
)

type flags struct {
	argsFiles []string
	root      string
	version   string
	report    *reporting.Flags
}

// NewCommand returns the config command.
func NewCommand(s clierr.Streams) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "config [PATH...]",
		Short: "Judge control-plane and node configuration (rules config/...)",
		Long: `Config judges the configuration of kube-apiserver, kube-controller-manager,
kube-scheduler, etcd and kubelets from what they really run on: static pod
manifests (/etc/kubernetes/manifests) or mirror pods (kubectl get pod -n
kube-system -o yaml), command lines (--args-file), KubeletConfiguration files
and their *.conf drop-ins, EncryptionConfiguration, audit Policy,
AuthenticationConfiguration and AuthorizationConfiguration files. Inputs are
recognised by content. Files named by flags (--encryption-provider-config,
--audit-policy-file, --config, ...) are followed when they are among the
inputs, or read under --root (a copy of a node's filesystem).

Every rule models the component's defaults for the Kubernetes version judged:
an unset flag is judged by its default. Findings name the CIS Kubernetes
Benchmark control they cover.

Exit codes: 0 no findings, 1 findings, 2 usage or input errors.`,
		Example: `  kubeward config /etc/kubernetes/manifests
  kubeward config --root / /etc/kubernetes/manifests /var/lib/kubelet/config.yaml
  kubeward config --args-file kube-apiserver.args enc.yaml audit-policy.yaml
  tr '\0' ' ' < /proc/$(pgrep kube-apiserver)/cmdline > apiserver.args; kubeward config --args-file apiserver.args`,
		RunE: func(cmd *cobra.Command, args []string) error { return run(s, f, args) },
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.argsFiles, "args-file", nil, "a component's command line as text, PATH (its first word names the program) or COMPONENT=PATH; repeatable")
	fl.StringVar(&f.root, "root", "", "directory holding a copy of a node's filesystem: files named by flags are read under it")
	fl.StringVar(&f.version, "kubernetes-version", "latest", "Kubernetes version whose defaults are judged: latest or 1.N")
	f.report = reporting.Register(fl)
	return cmd
}

func run(s clierr.Streams, f *flags, paths []string) error {
	registry := rules.Builtin()
	if err := f.report.Check(s.Out, registry, "config"); err != nil {
		return err
	}
	minor, err := clusterconfig.ParseVersion(f.version)
	if err != nil {
		return clierr.Usage(err)
	}
	if len(paths) == 0 && len(f.argsFiles) == 0 {
		return clierr.Usage(errors.New("nothing to judge: give files or directories, or --args-file"))
	}
	w, err := f.report.Open(s)
	if err != nil {
		return err
	}
	defer w.Close()
	set, err := clusterconfig.Load(paths, f.argsFiles, f.root, s.In)
	if err != nil {
		return clierr.Usage(err)
	}
	fds := clusterconfig.Check(set, minor)
	rep := report.New()
	for _, e := range set.Errors {
		rep.AddError(inputError(e))
	}
	for _, e := range set.Warnings {
		rep.AddWarning(inputError(e))
	}
	for _, sk := range set.Skipped {
		rep.AddSkipped(report.Skipped{File: sk.File, Reason: sk.Reason})
	}
	rep.Summary.Objects = set.Objects
	for i := range fds {
		if f.report.Keep(&fds[i]) {
			rep.Add(fds[i])
		}
	}
	return f.report.Finish(s, w, rep, registry, "config "+f.version)
}

func inputError(e *manifest.Error) report.InputError {
	return report.InputError{File: e.File, Line: e.Line, Message: e.Err.Error()}
}
