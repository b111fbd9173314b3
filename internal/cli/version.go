package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/kubeward/kubeward/internal/cli/clierr"
)

// Set at release time with -ldflags "-X github.com/kubeward/kubeward/internal/cli.version=v0.1.0 -X ...commit=...".
var (
	version = "dev"
	commit  = ""
)

func newVersionCommand(s clierr.Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print kubeward's version, commit and Go version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			c := commit
			if c == "" {
				if info, ok := debug.ReadBuildInfo(); ok {
					for _, kv := range info.Settings {
						if kv.Key == "vcs.revision" {
							c = kv.Value
						}
					}
				}
			}
			if c == "" {
				c = "unknown"
			}
			fmt.Fprintf(s.Out, "kubeward %s\ncommit: %s\ngo: %s\npod security policy versions: v1.0 to v1.37, latest\n", version, c, runtime.Version())
			return nil
		},
	}
}
