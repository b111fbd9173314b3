// Package rbac is the `kubeward rbac` command tree: review, test, can-i,
// who-can and risks over RBAC (and ABAC) read from manifests or a cluster.
// It only turns flags into calls on internal/rbac and internal/abac.
package rbac

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubeward/kubeward/internal/abac"
	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/cli/output"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/rbac"
)

// NewCommand returns the rbac command.
func NewCommand(s clierr.Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rbac",
		Short: "Answer authorization questions offline and report RBAC risks",
		Long: `The rbac commands evaluate Kubernetes authorization offline, exactly as
kube-apiserver's RBAC (and ABAC) authorizers do, from manifests (-f, with the
default policy every API server creates unless --include-defaults=false) or
from the cluster of a kubeconfig.

  review   answer SubjectAccessReviews (JSON lines out, input order)
  test     check a file of expected permissions
  can-i    whether one subject may do one thing (like kubectl auth can-i)
  who-can  every subject allowed one thing, with the binding that allows it
  risks    RBAC good-practice findings (rules rbac/...)`,
	}
	cmd.AddCommand(newReviewCommand(s), newTestCommand(s), newCanICommand(s), newWhoCanCommand(s), newRisksCommand(s))
	return cmd
}

// reportInputErrors prints input problems to stderr and returns the silent
// exit-2 error when there were any.
func reportInputErrors(s clierr.Streams, l *loaded) error {
	for _, e := range l.warnings {
		var me *manifest.Error
		if errors.As(e, &me) {
			// Its Error() already says "warning:" after the location.
			fmt.Fprintf(s.Err, "kubeward: %v\n", e)
			continue
		}
		fmt.Fprintf(s.Err, "kubeward: warning: %v\n", e)
	}
	for _, e := range l.errors {
		fmt.Fprintf(s.Err, "kubeward: error: %v\n", e)
	}
	if len(l.errors) > 0 {
		return clierr.Failed()
	}
	return nil
}

// writeTargets renders each output target (see internal/cli/output) with
// render, files written atomically.
func writeTargets(s clierr.Streams, targets []output.Target, render func(w io.Writer, format string) error) error {
	w, err := output.Open(s.Out, targets)
	if err != nil {
		return clierr.Usage(err)
	}
	defer w.Close()
	for i, t := range targets {
		if err := w.Write(i, func(out io.Writer) error { return render(out, t.Format) }); err != nil {
			return &clierr.ExitError{Code: clierr.CodeError, Err: err}
		}
	}
	if err := w.Commit(); err != nil {
		return &clierr.ExitError{Code: clierr.CodeError, Err: err}
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// authorizer builds the chain for --authorization-mode.
func buildChain(modes string, ix *rbac.Index, abacFile string, stdin io.Reader) (rbac.Chain, error) {
	ms, err := rbac.ParseModes(modes)
	if err != nil {
		return nil, clierr.Usage(err)
	}
	var chain rbac.Chain
	usesABAC := false
	for _, m := range ms {
		switch m {
		case rbac.ModeRBAC:
			chain = append(chain, rbac.NamedAuthorizer{Name: "rbac", Authorizer: ix})
		case rbac.ModeABAC:
			usesABAC = true
			if abacFile == "" {
				return nil, clierr.Usage(errors.New("authorization mode ABAC needs --abac-policy-file"))
			}
			pl, err := readABAC(abacFile, stdin)
			if err != nil {
				return nil, err
			}
			chain = append(chain, rbac.NamedAuthorizer{Name: "abac", Authorizer: pl})
		case rbac.ModeAlwaysAllow:
			chain = append(chain, rbac.NamedAuthorizer{Name: "alwaysallow", Authorizer: rbac.AlwaysAllow})
		case rbac.ModeAlwaysDeny:
			chain = append(chain, rbac.NamedAuthorizer{Name: "alwaysdeny", Authorizer: rbac.AlwaysDeny})
		}
	}
	if abacFile != "" && !usesABAC {
		return nil, clierr.Usage(errors.New("--abac-policy-file needs ABAC in --authorization-mode"))
	}
	return chain, nil
}

func readABAC(path string, stdin io.Reader) (abac.PolicyList, error) {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, &clierr.ExitError{Code: clierr.CodeError, Err: fmt.Errorf("reading ABAC policy file: %w", err)}
		}
		defer f.Close()
		r = f
	}
	pl, err := abac.Parse(r)
	if err != nil {
		var msgs []string
		for _, e := range unjoin(err) {
			msgs = append(msgs, path+": "+e.Error())
		}
		return nil, &clierr.ExitError{Code: clierr.CodeError, Err: errors.New(strings.Join(msgs, "\n"))}
	}
	return pl, nil
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
