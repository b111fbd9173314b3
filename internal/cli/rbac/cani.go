package rbac

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/rbac"
)

type canIFlags struct {
	src       source
	as        string
	asGroups  []string
	namespace string
	list      bool
	why       bool
	output    string
	modes     string
	abacFile  string
}

func newCanICommand(s clierr.Streams) *cobra.Command {
	f := &canIFlags{}
	cmd := &cobra.Command{
		Use:   "can-i VERB (RESOURCE[.GROUP][/SUBRESOURCE] [NAME] | /URL) --as USER",
		Short: "Say whether a subject may perform an action (like kubectl auth can-i)",
		Long: `Can-i answers yes or no for one request by one subject, offline. The subject is
built as authentication would build it: --as USER gets system:authenticated
(system:anonymous gets system:unauthenticated), a service account
(--as system:serviceaccount:NS:NAME) also system:serviceaccounts and
system:serviceaccounts:NS unless --as-group is given. RESOURCE is kubectl's
form (pods, deploy, deployments.apps/scale); a path starting with / asks
about a non-resource URL. --list prints every rule the subject holds in the
namespace instead.

Exit codes (as kubectl): 0 yes, 1 no, 2 usage or input errors.`,
		Example: `  kubeward rbac can-i get secrets -n payments --as system:serviceaccount:payments:api -f rbac/
  kubeward rbac can-i create pods/exec -n shop --as alice --as-group dev -f rbac/ --why
  kubeward rbac can-i get /healthz --as system:anonymous -f rbac/
  kubeward rbac can-i --list -n shop --as alice -f rbac/`,
		RunE: func(cmd *cobra.Command, args []string) error { return runCanI(s, f, args) },
	}
	fl := cmd.Flags()
	f.src.addFlags(fl)
	fl.StringVar(&f.as, "as", "", "user name to check (required unless --as-group is given)")
	fl.StringArrayVar(&f.asGroups, "as-group", nil, "group of the user (repeatable)")
	fl.StringVarP(&f.namespace, "namespace", "n", "", "namespace of the request (empty: a cluster-wide request)")
	fl.BoolVar(&f.list, "list", false, "list every rule the subject holds instead of answering one request")
	fl.BoolVar(&f.why, "why", false, "also print the binding, role and rule that allow the request, or why it is not allowed")
	fl.StringVarP(&f.output, "output", "o", "text", "output format: text or json")
	fl.StringVar(&f.modes, "authorization-mode", "RBAC", "authorization modes in order, comma-separated: RBAC, ABAC, AlwaysAllow, AlwaysDeny")
	fl.StringVar(&f.abacFile, "abac-policy-file", "", "ABAC policy file (JSON lines), for --authorization-mode ABAC")
	return cmd
}

// request is the JSON shape of a request in can-i and who-can output.
type request struct {
	Verb        string `json:"verb"`
	APIGroup    string `json:"apiGroup,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Name        string `json:"name,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Path        string `json:"nonResourceURL,omitempty"`
}

// grantJSON is the JSON shape of a grant.
type grantJSON struct {
	Binding   objectJSON        `json:"binding"`
	Role      objectJSON        `json:"role"`
	RuleIndex int               `json:"ruleIndex"`
	Rule      rbacv1.PolicyRule `json:"rule"`
	Path      string            `json:"path"`
}

type objectJSON struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

func toGrantJSON(g *rbac.Grant) *grantJSON {
	return &grantJSON{
		Binding:   objectJSON{g.Binding.Kind, g.Binding.Namespace, g.Binding.Name},
		Role:      objectJSON{g.Role.Kind, g.Role.Namespace, g.Role.Name},
		RuleIndex: g.RuleIndex, Rule: g.Rule, Path: g.String(),
	}
}

// parseRequest turns VERB RESOURCE [NAME] (or VERB /URL) into attributes.
func parseRequest(s clierr.Streams, args []string, ns string) (*rbac.Attributes, error) {
	if len(args) < 2 || len(args) > 3 {
		return nil, clierr.Usage(errors.New("want VERB RESOURCE [NAME] or VERB /URL"))
	}
	a := &rbac.Attributes{Verb: args[0]}
	if strings.HasPrefix(args[1], "/") {
		if len(args) == 3 {
			return nil, clierr.Usage(errors.New("a non-resource URL takes no NAME"))
		}
		if ns != "" {
			return nil, clierr.Usage(errors.New("a non-resource URL takes no namespace"))
		}
		a.Path = args[1]
		return a, nil
	}
	res, group, sub, known, err := rbac.ParseResource(args[1])
	if err != nil {
		return nil, clierr.Usage(err)
	}
	if !known {
		fmt.Fprintf(s.Err, "kubeward: warning: %q is not a built-in resource; taking it as written in the core API group (name the group as RESOURCE.GROUP)\n", args[1])
	}
	a.ResourceRequest = true
	a.Resource, a.APIGroup, a.Subresource, a.Namespace = res, group, sub, ns
	if len(args) == 3 {
		a.Name = args[2]
	}
	return a, nil
}

func requestJSON(a *rbac.Attributes) request {
	return request{Verb: a.Verb, APIGroup: a.APIGroup, Resource: a.Resource, Subresource: a.Subresource, Name: a.Name, Namespace: a.Namespace, Path: a.Path}
}

func runCanI(s clierr.Streams, f *canIFlags, args []string) error {
	if err := checkOutput(f.output); err != nil {
		return err
	}
	if f.as == "" && len(f.asGroups) == 0 {
		return clierr.Usage(errors.New("--as USER (or --as-group) is required: offline there is no current user"))
	}
	var a *rbac.Attributes
	if !f.list {
		var err error
		if a, err = parseRequest(s, args, f.namespace); err != nil {
			return err
		}
	} else if len(args) > 0 {
		return clierr.Usage(errors.New("--list takes no VERB or RESOURCE"))
	}
	l, err := f.src.load(s.In)
	if err != nil {
		return err
	}
	if err := reportInputErrors(s, l); err != nil {
		return err
	}
	groups := rbac.Identity(f.as, f.asGroups)
	if f.list {
		return listRules(s, f, l.index, groups)
	}
	chain, err := buildChain(f.modes, l.index, f.abacFile, s.In)
	if err != nil {
		return err
	}
	a.User, a.Groups = f.as, groups
	r := chain.Authorize(a)
	allowed := r.Decision == rbac.Allow
	if f.output == "json" {
		out := struct {
			Request    request    `json:"request"`
			User       string     `json:"user"`
			Groups     []string   `json:"groups"`
			Allowed    bool       `json:"allowed"`
			Denied     bool       `json:"denied,omitempty"`
			Authorizer string     `json:"authorizer,omitempty"`
			Reason     string     `json:"reason,omitempty"`
			Grant      *grantJSON `json:"grant,omitempty"`
		}{Request: requestJSON(a), User: f.as, Groups: groups, Allowed: allowed, Denied: r.Decision == rbac.Deny, Authorizer: r.Authorizer, Reason: r.Reason}
		if r.Grant != nil {
			out.Grant = toGrantJSON(r.Grant)
		}
		if err := writeJSON(s.Out, out); err != nil {
			return err
		}
	} else {
		answer := "no"
		if allowed {
			answer = "yes"
		}
		fmt.Fprintln(s.Out, answer)
		if f.why {
			switch {
			case r.Grant != nil:
				fmt.Fprintf(s.Out, "allowed by %s (subject %s %s)\n", r.Grant, r.Grant.Subject.Kind, r.Grant.Subject.Name)
			case allowed && r.Authorizer != "":
				fmt.Fprintf(s.Out, "allowed by %s\n", r.Authorizer)
			case r.Reason != "":
				fmt.Fprintf(s.Out, "no rule allows it; %s\n", r.Reason)
			default:
				fmt.Fprintf(s.Out, "no rule allows it for user %q in groups %q\n", f.as, groups)
			}
		}
	}
	if !allowed {
		return clierr.Findings()
	}
	return nil
}

func listRules(s clierr.Streams, f *canIFlags, ix *rbac.Index, groups []string) error {
	grants, errs := ix.RulesFor(f.as, groups, f.namespace)
	if f.output == "json" {
		out := struct {
			User       string      `json:"user"`
			Groups     []string    `json:"groups"`
			Namespace  string      `json:"namespace,omitempty"`
			Masters    bool        `json:"systemMasters,omitempty"`
			Rules      []grantJSON `json:"rules"`
			Incomplete []string    `json:"incomplete,omitempty"`
		}{User: f.as, Groups: groups, Namespace: f.namespace, Rules: []grantJSON{}, Incomplete: errs}
		out.Masters = contains(groups, rbac.GroupMasters)
		for i := range grants {
			out.Rules = append(out.Rules, *toGrantJSON(&grants[i]))
		}
		return writeJSON(s.Out, out)
	}
	if contains(groups, rbac.GroupMasters) {
		fmt.Fprintln(s.Out, "# member of system:masters: every request is allowed whatever the rules below")
	}
	tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RESOURCES\tNON-RESOURCE URLS\tRESOURCE NAMES\tVERBS\tVIA")
	sort.SliceStable(grants, func(i, j int) bool { return resourcesCell(&grants[i].Rule) < resourcesCell(&grants[j].Rule) })
	for _, g := range grants {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", resourcesCell(&g.Rule), list(g.Rule.NonResourceURLs), list(g.Rule.ResourceNames), list(g.Rule.Verbs), g.String())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, e := range errs {
		fmt.Fprintf(s.Err, "kubeward: warning: %s\n", e)
	}
	return nil
}

// resourcesCell renders resources as kubectl does: resource.group.
func resourcesCell(r *rbacv1.PolicyRule) string {
	var out []string
	for _, res := range r.Resources {
		for _, g := range r.APIGroups {
			if g == "" {
				out = append(out, res)
			} else if base, sub, ok := strings.Cut(res, "/"); ok {
				out = append(out, base+"."+g+"/"+sub)
			} else {
				out = append(out, res+"."+g)
			}
		}
	}
	return strings.Join(out, ",")
}

func list(s []string) string {
	return "[" + strings.Join(s, " ") + "]"
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
