package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/kubeward/kubeward/internal/buildinfo"
	"github.com/kubeward/kubeward/internal/cli/clierr"
)

func newVersionCommand(s clierr.Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print kubeward's version, commit and Go version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(s.Out, "kubeward %s\ncommit: %s\ngo: %s\npod security policy versions: v1.0 to v1.37, latest\n",
				buildinfo.Version(), buildinfo.Commit(), runtime.Version())
			return nil
		},
	}
}
