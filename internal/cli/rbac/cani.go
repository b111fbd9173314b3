package rbac

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/cli/output"
	"github.com/kubeward/kubeward/internal/rbac"
)

type canIFlags struct {
	src         source
	as          string
	asGroups    []string
	namespace   string
	subresource string
	list        bool
	why         bool
	quiet       bool
	out         *output.Flags
	modes       string
	abacFile    string
}

func newCanICommand(s clierr.Streams) *cobra.Command {
	f := &canIFlags{}
	cmd := &cobra.Command{
		Use:   "can-i VERB (TYPE [NAME] | TYPE/NAME | /URL) --as USER",
		Short: "Say whether a subject may perform an action (like kubectl auth can-i)",
		Long: `Can-i answers yes or no for one request by one subject, offline. The subject is
built as authentication would build it: --as USER gets system:authenticated
(system:anonymous gets system:unauthenticated), a service account
(--as system:serviceaccount:NS:NAME) also system:serviceaccounts and
system:serviceaccounts:NS unless --as-group is given. The arguments are
kubectl auth can-i's: TYPE is RESOURCE[.GROUP] (pods, deploy,
deployments.apps), TYPE/NAME names one object, the subresource goes in
--subresource, and a path starting with / asks about a non-resource URL.
--list prints every rule the subject holds in the namespace instead, one
resource per row. Objects of -f without a namespace are in -n's namespace
("default" without -n), as kubectl apply -n would put them.

Exit codes (as kubectl): 0 yes, 1 no, 2 usage or input errors.`,
		Example: `  kubeward rbac can-i get secrets -n payments --as system:serviceaccount:payments:api -f rbac/
  kubeward rbac can-i create pods --subresource exec -n shop --as alice --as-group dev -f rbac/ --why
  kubeward rbac can-i update deployments.apps/web --subresource scale -n shop --as alice -f rbac/ -q
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
	fl.StringVar(&f.subresource, "subresource", "", "subresource of the request, e.g. exec, log, scale (as kubectl auth can-i)")
	fl.BoolVar(&f.why, "why", false, "also print the binding, role and rule that allow the request, or why it is not allowed (as -o wide)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print nothing; the exit code is the answer (0 yes, 1 no)")
	f.out = output.Register(fl, "text", "text", "wide", "json")
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

// knownSubresources lists, per resource, the subresources a TYPE/NAME
// argument is most likely meant as: kubectl reads pods/exec as the pod
// named "exec", so such an argument is refused rather than answered for a
// request the user did not mean.
var knownSubresources = map[string][]string{
	"pods":                       {"exec", "attach", "portforward", "log", "proxy", "status", "eviction", "binding", "ephemeralcontainers", "resize"},
	"deployments":                {"scale", "status"},
	"replicasets":                {"scale", "status"},
	"statefulsets":               {"scale", "status"},
	"replicationcontrollers":     {"scale", "status"},
	"services":                   {"proxy", "status"},
	"nodes":                      {"proxy", "status"},
	"serviceaccounts":            {"token"},
	"certificatesigningrequests": {"approval", "status"},
	"namespaces":                 {"finalize", "status"},
}

// parseRequest turns kubectl auth can-i's arguments into attributes:
// VERB TYPE [NAME], VERB TYPE/NAME, or VERB /URL, with the subresource
// given by --subresource. TYPE is RESOURCE[.GROUP], a plural, singular or
// short name. Anything else is a usage error: an answer to a question
// that was not asked would be a silent "no".
func parseRequest(s clierr.Streams, args []string, ns, subresource string) (*rbac.Attributes, error) {
	if len(args) < 2 || len(args) > 3 {
		return nil, clierr.Usage(errors.New("want VERB TYPE [NAME], VERB TYPE/NAME or VERB /URL"))
	}
	a := &rbac.Attributes{Verb: args[0]}
	if a.Verb == "" || strings.ContainsAny(a.Verb, "/ ") {
		return nil, clierr.Usage(fmt.Errorf("invalid verb %q", a.Verb))
	}
	if strings.HasPrefix(args[1], "/") {
		switch {
		case len(args) == 3:
			return nil, clierr.Usage(errors.New("a non-resource URL takes no NAME"))
		case ns != "":
			return nil, clierr.Usage(errors.New("a non-resource URL takes no namespace"))
		case subresource != "":
			return nil, clierr.Usage(errors.New("a non-resource URL takes no --subresource"))
		}
		a.Path = args[1]
		return a, nil
	}
	typ, name, hasName := strings.Cut(args[1], "/")
	if hasName {
		if name == "" || strings.Contains(name, "/") {
			return nil, clierr.Usage(fmt.Errorf("%q: want TYPE/NAME (the subresource goes in --subresource)", args[1]))
		}
		if len(args) == 3 {
			return nil, clierr.Usage(fmt.Errorf("%q already names the object; drop the extra NAME %q", args[1], args[2]))
		}
	}
	res, group, _, known, err := rbac.ParseResource(typ)
	if err != nil {
		return nil, clierr.Usage(err)
	}
	if hasName && subresource == "" && slices.Contains(knownSubresources[res], name) {
		return nil, &clierr.ExitError{Code: clierr.CodeError,
			Err:  fmt.Errorf("%q is TYPE/NAME, as kubectl reads it: the %s named %q", args[1], res, name),
			Hint: fmt.Sprintf("for the subresource write '%s --subresource %s'; for an object named %s write '%s %s'", typ, name, name, typ, name)}
	}
	if !known {
		fmt.Fprintf(s.Err, "kubeward: warning: %q is not a built-in resource; taking it as written in the core API group (name the group as RESOURCE.GROUP)\n", typ)
	}
	a.ResourceRequest = true
	a.Resource, a.APIGroup, a.Subresource, a.Namespace = res, group, subresource, ns
	switch {
	case hasName:
		a.Name = name
	case len(args) == 3:
		a.Name = args[2]
	}
	return a, nil
}

func requestJSON(a *rbac.Attributes) request {
	return request{Verb: a.Verb, APIGroup: a.APIGroup, Resource: a.Resource, Subresource: a.Subresource, Name: a.Name, Namespace: a.Namespace, Path: a.Path}
}

func runCanI(s clierr.Streams, f *canIFlags, args []string) error {
	targets, err := f.out.Targets()
	if err != nil {
		return clierr.Usage(err)
	}
	if f.as == "" && len(f.asGroups) == 0 {
		return clierr.Usage(errors.New("--as USER (or --as-group) is required: offline there is no current user"))
	}
	var a *rbac.Attributes
	if !f.list {
		if a, err = parseRequest(s, args, f.namespace, f.subresource); err != nil {
			return err
		}
	} else if len(args) > 0 || f.subresource != "" {
		return clierr.Usage(errors.New("--list takes no VERB, TYPE or --subresource"))
	}
	f.src.namespace = f.namespace
	l, err := f.src.load(s.In)
	if err != nil {
		return err
	}
	if err := reportInputErrors(s, l); err != nil {
		return err
	}
	groups := rbac.Identity(f.as, f.asGroups)
	if f.list {
		if f.quiet {
			return nil
		}
		return writeTargets(s, targets, func(w io.Writer, format string) error { return listRules(s, w, format, f, l.index, groups) })
	}
	chain, err := buildChain(f.modes, l.index, f.abacFile, s.In)
	if err != nil {
		return err
	}
	a.User, a.Groups = f.as, groups
	r := chain.Authorize(a)
	allowed := r.Decision == rbac.Allow
	if !f.quiet {
		err := writeTargets(s, targets, func(w io.Writer, format string) error {
			if format == "json" {
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
				return writeJSON(w, out)
			}
			answer := "no"
			if allowed {
				answer = "yes"
			}
			fmt.Fprintln(w, answer)
			if f.why || format == "wide" {
				switch {
				case r.Grant != nil:
					fmt.Fprintf(w, "allowed by %s (subject %s %s)\n", r.Grant, r.Grant.Subject.Kind, r.Grant.Subject.Name)
				case allowed && r.Authorizer != "":
					fmt.Fprintf(w, "allowed by %s\n", r.Authorizer)
				case r.Reason != "":
					fmt.Fprintf(w, "no rule allows it; %s\n", r.Reason)
				default:
					fmt.Fprintf(w, "no rule allows it for user %q in groups %q\n", f.as, groups)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if !allowed {
		return clierr.Findings()
	}
	return nil
}

// listRules prints the rules a subject holds, as kubectl auth can-i --list
// does: one resource per row (a rule naming several resources or groups
// gives several rows), then the non-resource URLs; -o wide adds the
// binding → role → rule path of each row.
func listRules(s clierr.Streams, w io.Writer, format string, f *canIFlags, ix *rbac.Index, groups []string) error {
	grants, errs := ix.RulesFor(f.as, groups, f.namespace)
	if format == "json" {
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
		return writeJSON(w, out)
	}
	if contains(groups, rbac.GroupMasters) {
		fmt.Fprintln(w, "# member of system:masters: every request is allowed whatever the rules below")
	}
	type row struct{ res, urls, names, verbs, via string }
	var rows []row
	for _, g := range grants {
		names, verbs, via := list(g.Rule.ResourceNames), list(g.Rule.Verbs), g.String()
		for _, res := range resourceCells(&g.Rule) {
			rows = append(rows, row{res, "[]", names, verbs, via})
		}
		for _, u := range g.Rule.NonResourceURLs {
			rows = append(rows, row{"", "[" + u + "]", "[]", verbs, via})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if (rows[i].res == "") != (rows[j].res == "") {
			return rows[i].res != ""
		}
		if rows[i].res != rows[j].res {
			return rows[i].res < rows[j].res
		}
		return rows[i].urls < rows[j].urls
	})
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := "Resources\tNon-Resource URLs\tResource Names\tVerbs"
	if format == "wide" {
		header += "\tVia"
	}
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		line := r.res + "\t" + r.urls + "\t" + r.names + "\t" + r.verbs
		if format == "wide" {
			line += "\t" + r.via
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, e := range errs {
		fmt.Fprintf(s.Err, "kubeward: warning: %s\n", e)
	}
	return nil
}

// resourceCells renders resources as kubectl does: resource.group, one
// per resource and group.
func resourceCells(r *rbacv1.PolicyRule) []string {
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
	return out
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
