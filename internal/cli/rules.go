package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/cli/output"
	"github.com/kubeward/kubeward/internal/rules"
)

func newRulesCommand(s clierr.Streams) *cobra.Command {
	var out *output.Flags
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List every built-in rule with its severity",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			targets, err := out.Targets()
			if err != nil {
				return clierr.Usage(err)
			}
			if len(targets) != 1 || !targets[0].Stdout() {
				return clierr.Usage(fmt.Errorf("rules writes one format to stdout"))
			}
			reg := rules.Builtin()
			switch targets[0].Format {
			case "text":
				tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "RULE\tSEVERITY\tTITLE")
				for _, r := range reg.Rules() {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", r.ID, r.Severity, r.Title)
				}
				return tw.Flush()
			case "markdown":
				return rules.WriteMarkdown(s.Out, reg)
			case "json":
				type jsonRule struct {
					ID          string `json:"id"`
					Title       string `json:"title"`
					Severity    string `json:"severity"`
					Description string `json:"description"`
					Remediation string `json:"remediation"`
					DocURL      string `json:"docURL,omitempty"`
				}
				out := []jsonRule{}
				for _, r := range reg.Rules() {
					out = append(out, jsonRule{r.ID, r.Title, string(r.Severity), r.Description, r.Remediation, r.DocURL})
				}
				enc := json.NewEncoder(s.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			return nil
		},
	}
	out = output.Register(cmd.Flags(), "text", "text", "json", "markdown")
	return cmd
}
