package rbac

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/cli/output"
	"github.com/kubeward/kubeward/internal/rbac"
)

type whoCanFlags struct {
	src           source
	namespace     string
	subresource   string
	allNamespaces bool
	out           *output.Flags
}

func newWhoCanCommand(s clierr.Streams) *cobra.Command {
	f := &whoCanFlags{}
	cmd := &cobra.Command{
		Use:   "who-can VERB (TYPE [NAME] | TYPE/NAME | /URL)",
		Short: "List every subject allowed an action, with the binding that allows it",
		Long: `Who-can lists every subject (user, group, service account) that RBAC allows
the request, with the binding → role → rule path. Without -n the request is
cluster-wide (only ClusterRoleBindings apply, as for the API server); with
-n NS RoleBindings of NS apply too; -A considers RoleBindings of every
namespace, each for a request in its own namespace. Members of the group
system:masters are allowed everything and are always listed first.
Arguments are kubectl auth can-i's (TYPE, TYPE/NAME, --subresource, /URL);
-o wide adds where each binding was read.`,
		Example: `  kubeward rbac who-can get secrets -n payments -f rbac/
  kubeward rbac who-can create pods --subresource exec -A -f rbac/ -o json
  kubeward rbac who-can impersonate users`,
		Args: cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error { return runWhoCan(s, f, args) },
	}
	f.src.addFlags(cmd.Flags())
	cmd.Flags().StringVarP(&f.namespace, "namespace", "n", "", "namespace of the request (empty: a cluster-wide request)")
	cmd.Flags().BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "consider RoleBindings in every namespace")
	cmd.Flags().StringVar(&f.subresource, "subresource", "", "subresource of the request, e.g. exec, log, scale")
	f.out = output.Register(cmd.Flags(), "text", "text", "wide", "json")
	return cmd
}

type holderJSON struct {
	Kind      string     `json:"kind"`
	Namespace string     `json:"namespace,omitempty"`
	Name      string     `json:"name"`
	Grant     *grantJSON `json:"grant,omitempty"`
}

func runWhoCan(s clierr.Streams, f *whoCanFlags, args []string) error {
	targets, err := f.out.Targets()
	if err != nil {
		return clierr.Usage(err)
	}
	if f.allNamespaces && f.namespace != "" {
		return clierr.Usage(fmt.Errorf("-n and -A are exclusive"))
	}
	a, err := parseRequest(s, args, f.namespace, f.subresource)
	if err != nil {
		return err
	}
	f.src.namespace = f.namespace
	l, err := f.src.load(s.In)
	if err != nil {
		return err
	}
	if err := reportInputErrors(s, l); err != nil {
		return err
	}
	holders := append([]rbac.Holder{rbac.MastersHolder}, l.index.WhoCan(a, f.allNamespaces)...)
	return writeTargets(s, targets, func(w io.Writer, format string) error {
		if format == "json" {
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
			return writeJSON(w, out)
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		header := "KIND\tNAMESPACE\tNAME\tVIA"
		if format == "wide" {
			header += "\tBINDING SOURCE"
		}
		fmt.Fprintln(tw, header)
		for i, h := range holders {
			via, src := "member of system:masters (no authorizer is asked)", "-"
			if i > 0 {
				via = h.Grant.String()
				src = l.index.Policy().Sources[h.Grant.Binding].String()
			}
			ns := h.Subject.Namespace
			if h.Subject.Kind != rbacv1.ServiceAccountKind {
				ns = ""
			}
			line := h.Subject.Kind + "\t" + ns + "\t" + h.Subject.Name + "\t" + via
			if format == "wide" {
				line += "\t" + src
			}
			fmt.Fprintln(tw, line)
		}
		return tw.Flush()
	})
}
