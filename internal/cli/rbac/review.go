package rbac

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/rbac"
)

type reviewFlags struct {
	src      source
	modes    string
	abacFile string
}

func newReviewCommand(s clierr.Streams) *cobra.Command {
	f := &reviewFlags{}
	cmd := &cobra.Command{
		Use:   "review REVIEWS...",
		Short: "Answer SubjectAccessReviews offline, as kube-apiserver would",
		Long: `Review reads authorization.k8s.io/v1 SubjectAccessReview objects (YAML or JSON
documents, Lists, or JSON lines; - for stdin) and prints each with its status
filled in (allowed, denied, reason), one JSON object per line, in input order.
The review's user and groups are used exactly as given: the API server adds
no group to a SubjectAccessReview. Members of system:masters are allowed
everything; then the authorization modes are asked in order, the first to
allow or deny decides.

Exit codes: 0 every review answered, 2 usage or input errors (the reviews
that could be read are still answered).`,
		Example: `  kubeward rbac review -f rbac/ reviews.jsonl
  kubeward rbac review -f rbac/ --authorization-mode ABAC,RBAC --abac-policy-file policy.jsonl -  < reviews.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runReview(s, f, args) },
	}
	f.src.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&f.modes, "authorization-mode", "RBAC", "authorization modes in order, comma-separated: RBAC, ABAC, AlwaysAllow, AlwaysDeny")
	cmd.Flags().StringVar(&f.abacFile, "abac-policy-file", "", "ABAC policy file (JSON lines), for --authorization-mode ABAC")
	return cmd
}

func runReview(s clierr.Streams, f *reviewFlags, args []string) error {
	stdinUsers := 0
	for _, a := range append(append([]string{}, args...), f.src.files...) {
		if a == "-" {
			stdinUsers++
		}
	}
	if f.abacFile == "-" {
		stdinUsers++
	}
	if stdinUsers > 1 {
		return clierr.Usage(fmt.Errorf("stdin (-) can be read only once"))
	}
	l, err := f.src.load(s.In)
	if err != nil {
		return err
	}
	chain, err := buildChain(f.modes, l.index, f.abacFile, s.In)
	if err != nil {
		return err
	}
	failed := reportInputErrors(s, l) != nil
	w := bufio.NewWriter(s.Out)
	defer w.Flush()
	for _, path := range args {
		var r io.Reader = s.In
		if path != "-" {
			fh, err := os.Open(path)
			if err != nil {
				fmt.Fprintf(s.Err, "kubeward: error: %v\n", err)
				failed = true
				continue
			}
			r = fh
			defer fh.Close()
		}
		items, err := rbac.DecodeReviews(r)
		if err != nil {
			fmt.Fprintf(s.Err, "kubeward: error: %s: %v\n", path, err)
			failed = true
			continue
		}
		for _, it := range items {
			if it.Err != nil {
				fmt.Fprintf(s.Err, "kubeward: error: %s:%d: %v\n", path, it.Line, it.Err)
				failed = true
				continue
			}
			out := rbac.Review(chain, it.Review)
			out.APIVersion, out.Kind = "authorization.k8s.io/v1", "SubjectAccessReview"
			b, err := json.Marshal(out)
			if err != nil {
				return err
			}
			w.Write(b)
			w.WriteByte('\n')
		}
	}
	if failed {
		return clierr.Failed()
	}
	return nil
}
