package rbac

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/rbac"
)

type whoCanFlags struct {
	src           source
	namespace     string
	allNamespaces bool
	output        string
}

func newWhoCanCommand(s clierr.Streams) *cobra.Command {
	f := &whoCanFlags{}
	cmd := &cobra.Command{
		Use:   "who-can VERB (RESOURCE[.GROUP][/SUBRESOURCE] [NAME] | /URL)",
		Short: "List every subject allowed an action, with the binding that allows it",
		Long: `Who-can lists every subject (user, group, service account) that RBAC allows
the request, with the binding → role → rule path. Without -n the request is
cluster-wide (only ClusterRoleBindings apply, as for the API server); with
-n NS RoleBindings of NS apply too; -A considers RoleBindings of every
namespace, each for a request in its own namespace. Members of the group
system:masters are allowed everything and are always listed first.`,
		Example: `  kubeward rbac who-can get secrets -n payments -f rbac/
  kubeward rbac who-can create pods/exec -A -f rbac/ -o json
  kubeward rbac who-can impersonate users`,
		Args: cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error { return runWhoCan(s, f, args) },
	}
	f.src.addFlags(cmd.Flags())
	cmd.Flags().StringVarP(&f.namespace, "namespace", "n", "", "namespace of the request (empty: a cluster-wide request)")
	cmd.Flags().BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "consider RoleBindings in every namespace")
	cmd.Flags().StringVarP(&f.output, "output", "o", "text", "output format: text or json")
	return cmd
}

type holderJSON struct {
	Kind      string     `json:"kind"`
	Namespace string     `json:"namespace,omitempty"`
	Name      string     `json:"name"`
	Grant     *grantJSON `json:"grant,omitempty"`
}

func runWhoCan(s clierr.Streams, f *whoCanFlags, args []string) error {
	if err := checkOutput(f.output); err != nil {
		return err
	}
	if f.allNamespaces && f.namespace != "" {
		return clierr.Usage(fmt.Errorf("-n and -A are exclusive"))
	}
	a, err := parseRequest(s, args, f.namespace)
	if err != nil {
		return err
	}
	l, err := f.src.load(s.In)
	if err != nil {
		return err
	}
	if err := reportInputErrors(s, l); err != nil {
		return err
	}
	holders := append([]rbac.Holder{rbac.MastersHolder}, l.index.WhoCan(a, f.allNamespaces)...)
	if f.output == "json" {
		out := struct {
			Request  request      `json:"request"`
			Subjects []holderJSON `json:"subjects"`
		}{Request: requestJSON(a)}
		for i, h := range holders {
			hj := holderJSON{Kind: h.Subject.Kind, Namespace: h.Subject.Namespace, Name: h.Subject.Name}
			if i > 0 {
				hj.Grant = toGrantJSON(&h.Grant)
			}
			out.Subjects = append(out.Subjects, hj)
		}
		return writeJSON(s.Out, out)
	}
	tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAMESPACE\tNAME\tVIA")
	for i, h := range holders {
		via := "member of system:masters (no authorizer is asked)"
		if i > 0 {
			via = h.Grant.String()
		}
		ns := h.Subject.Namespace
		if h.Subject.Kind != rbacv1.ServiceAccountKind {
			ns = ""
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", h.Subject.Kind, ns, h.Subject.Name, via)
	}
	return tw.Flush()
}
