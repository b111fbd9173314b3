// Package cli wires kubeward's commands together. Each command lives in its
// own package under internal/cli/ and only turns flags into library calls;
// errors are printed once, here.
package cli

import (
	"errors"
	"fmt"
	"io"
	"log"
	"strings"

	"github.com/spf13/cobra"

	auditcmd "github.com/kubeward/kubeward/internal/cli/audit"
	auditlogcmd "github.com/kubeward/kubeward/internal/cli/auditlog"
	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/cli/config"
	configcheckcmd "github.com/kubeward/kubeward/internal/cli/configcheck"
	netpolcmd "github.com/kubeward/kubeward/internal/cli/netpol"
	pspcmd "github.com/kubeward/kubeward/internal/cli/psp"
	rbaccmd "github.com/kubeward/kubeward/internal/cli/rbac"
	scancmd "github.com/kubeward/kubeward/internal/cli/scan"
	secretscmd "github.com/kubeward/kubeward/internal/cli/secrets"
	webhookcmd "github.com/kubeward/kubeward/internal/cli/webhook"
)

// Streams are the standard streams a command uses.
type Streams = clierr.Streams

// commands lists every top-level command constructor. Add new commands here.
var commands = []func(clierr.Streams) *cobra.Command{
	newVersionCommand,
	scancmd.NewCommand,
	newRulesCommand,
	webhookcmd.NewCommand,
	rbaccmd.NewCommand,
	auditcmd.NewCommand,
	secretscmd.NewCommand,
	configcheckcmd.NewCommand,
	pspcmd.NewCommand,
	netpolcmd.NewCommand,
	auditlogcmd.NewCommand,
}

// Main runs kubeward with args and returns the process exit code:
// 0 success / no findings, 1 findings, 2 usage or input errors.
func Main(args []string, s Streams) int {
	// Libraries kubeward renders with (kustomize) print deprecation notes
	// through the standard logger; kubeward's output is its report.
	log.SetOutput(io.Discard)
	root := &cobra.Command{
		Use:           "kubeward",
		Short:         "Enforce and audit the Kubernetes security model",
		Long:          "kubeward checks Kubernetes objects against the Pod Security Standards, RBAC good practices and the rest of the Kubernetes security model, from manifests, admission requests or a live cluster.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	var configFile string
	var noConfig bool
	root.PersistentFlags().StringVar(&configFile, "config-file", "", "kubeward configuration file holding flag defaults (default: "+config.FileName+" in the working directory or its nearest parent that has one)")
	root.PersistentFlags().BoolVar(&noConfig, "no-config-file", false, "do not read a configuration file")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if noConfig {
			return nil
		}
		return applyConfig(root, cmd, configFile)
	}
	root.SetArgs(args)
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	for _, c := range commands {
		root.AddCommand(c(s))
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return clierr.Usage(err) })
	err := root.Execute()
	if err == nil {
		return 0
	}
	var exit *clierr.ExitError
	if !errors.As(err, &exit) && isCobraUsageError(err) {
		err = clierr.Usage(err)
	}
	if errors.As(err, &exit) && exit.Silent {
		return exit.Code
	}
	fmt.Fprintf(s.Err, "kubeward: error: %v\n", err)
	if errors.As(err, &exit) {
		if exit.Hint != "" {
			fmt.Fprintf(s.Err, "kubeward: hint: %s\n", exit.Hint)
		}
		return exit.Code
	}
	return clierr.CodeError
}

// applyConfig gives cmd's flags the defaults of the configuration file:
// path, or the one found from the working directory upward. Problems with
// the file are usage errors, all reported at once.
func applyConfig(root, cmd *cobra.Command, path string) error {
	if path == "" {
		path = config.Find(".")
		if path == "" {
			return nil
		}
	}
	f, err := config.Load(path)
	if err == nil {
		err = f.Check(root)
	}
	if err == nil {
		err = f.Apply(cmd)
	}
	if err != nil {
		return &clierr.ExitError{Code: clierr.CodeError, Err: err, Hint: "keys of " + config.FileName + " are command names and their long flag names; run kubeward --no-config-file to ignore it"}
	}
	return nil
}

// isCobraUsageError recognises the errors cobra itself returns for bad
// commands and arguments (it has no typed errors for them).
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "requires at most", "requires exactly", "accepts at most", "invalid argument"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
