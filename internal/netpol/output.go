package netpol

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strings"
)

// Connection is one line of the connectivity report.
type Connection struct {
	Src  string `json:"src"`
	Dst  string `json:"dst"`
	Conn string `json:"conn"`
}

// Connections returns every allowed connection: between workloads, from
// workloads to address ranges outside the cluster and from those ranges
// to workloads, sorted by source then destination.
func (n *Network) Connections() []Connection {
	var out []Connection
	n.EachPair(func(p Pair) {
		out = append(out, Connection{n.Workloads[p.Src].String(), n.Workloads[p.Dst].String(), p.Conn.String()})
	})
	for i, w := range n.Workloads {
		for _, ac := range n.Egress(i) {
			out = append(out, Connection{w.String(), ipString(ac.Addresses), ac.Conn.String()})
		}
		for _, ac := range n.Ingress(i) {
			out = append(out, Connection{ipString(ac.Addresses), w.String(), ac.Conn.String()})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Src != out[j].Src {
			return out[i].Src < out[j].Src
		}
		return out[i].Dst < out[j].Dst
	})
	return out
}

// Formats lists the output formats of WriteConnections.
var Formats = []string{"txt", "json", "csv", "md", "dot"}

// WriteConnections writes cs in format (one of Formats).
func WriteConnections(w io.Writer, format string, cs []Connection) error {
	switch format {
	case "txt":
		var b strings.Builder
		for _, c := range cs {
			fmt.Fprintf(&b, "%s => %s : %s\n", c.Src, c.Dst, c.Conn)
		}
		_, err := io.WriteString(w, b.String())
		return err
	case "json":
		if cs == nil {
			cs = []Connection{}
		}
		e := json.NewEncoder(w)
		e.SetIndent("", "  ")
		e.SetEscapeHTML(false)
		return e.Encode(cs)
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"src", "dst", "conn"})
		for _, c := range cs {
			_ = cw.Write([]string{c.Src, c.Dst, c.Conn})
		}
		cw.Flush()
		return cw.Error()
	case "md":
		var b strings.Builder
		b.WriteString("| src | dst | conn |\n|-----|-----|------|\n")
		for _, c := range cs {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", mdEscape(c.Src), mdEscape(c.Dst), mdEscape(c.Conn))
		}
		_, err := io.WriteString(w, b.String())
		return err
	case "dot":
		return writeDot(w, cs)
	}
	return fmt.Errorf("unknown format %q (want %s)", format, strings.Join(Formats, ", "))
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// writeDot writes a Graphviz digraph: workloads grouped in a cluster per
// namespace, addresses as separate nodes, an edge per connection.
func writeDot(w io.Writer, cs []Connection) error {
	var b strings.Builder
	b.WriteString("digraph {\n")
	byNS := map[string][]string{}
	var ips []string
	seen := map[string]bool{}
	node := func(s string) {
		if seen[s] {
			return
		}
		seen[s] = true
		if ns, _, ok := strings.Cut(s, "/"); ok {
			byNS[ns] = append(byNS[ns], s)
		} else {
			ips = append(ips, s)
		}
	}
	for _, c := range cs {
		node(c.Src)
		node(c.Dst)
	}
	nss := make([]string, 0, len(byNS))
	for ns := range byNS {
		nss = append(nss, ns)
	}
	sort.Strings(nss)
	for _, ns := range nss {
		fmt.Fprintf(&b, "\tsubgraph %q {\n\t\tlabel=%q\n", "cluster_"+ns, ns)
		nodes := byNS[ns]
		sort.Strings(nodes)
		for _, s := range nodes {
			_, name, _ := strings.Cut(s, "/")
			fmt.Fprintf(&b, "\t\t%q [label=%q]\n", s, name)
		}
		b.WriteString("\t}\n")
	}
	sort.Strings(ips)
	for _, s := range ips {
		fmt.Fprintf(&b, "\t%q [shape=box]\n", s)
	}
	for _, c := range cs {
		fmt.Fprintf(&b, "\t%q -> %q [label=%q]\n", c.Src, c.Dst, c.Conn)
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// Explanation says why a connection is allowed or denied.
type Explanation struct {
	Src, Dst string
	Conn     Conn
	// EgressIsolated: the source is isolated for egress by EgressPolicies
	// and EgressRules allow what egress allows. Same for ingress.
	EgressIsolated, IngressIsolated bool
	EgressPolicies, IngressPolicies []*Policy
	EgressRules, IngressRules       []RuleRef
	// External sides have no policies: an address outside the cluster
	// neither sends through egress rules nor receives through ingress rules.
	SrcExternal, DstExternal bool
}

// Explain explains the connection from workload src to workload dst;
// src or dst -1 stands for the address ip outside the cluster.
func (n *Network) Explain(src, dst int, ip uint32) Explanation {
	e := Explanation{}
	if src >= 0 {
		e.Src = n.Workloads[src].String()
	} else {
		e.Src, e.SrcExternal = ipv4(ip), true
	}
	if dst >= 0 {
		e.Dst = n.Workloads[dst].String()
	} else {
		e.Dst, e.DstExternal = ipv4(ip), true
	}
	if src == dst {
		return e
	}
	eg, in := AllConns(), AllConns()
	if src >= 0 {
		e.EgressPolicies = n.state[src].out
		e.EgressIsolated = len(e.EgressPolicies) > 0
		eg = n.egress(src, dst, ip, &e.EgressRules)
	}
	if dst >= 0 {
		e.IngressPolicies = n.state[dst].in
		e.IngressIsolated = len(e.IngressPolicies) > 0
		in = n.ingress(src, ip, dst, &e.IngressRules)
	}
	e.Conn = eg.Intersect(in)
	return e
}

// String renders e as the lines --explain prints: the connection, then
// one line per direction naming the rules that allow it, or the policies
// that isolate a side and admit nothing.
func (e Explanation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s => %s : %s\n", e.Src, e.Dst, e.Conn)
	side := func(dir, who string, external, isolated bool, pols []*Policy, rules []RuleRef) {
		switch {
		case external:
			fmt.Fprintf(&b, "  %s: outside the cluster, no policy applies\n", dir)
		case !isolated:
			fmt.Fprintf(&b, "  %s: %s is not isolated (no NetworkPolicy with %s selects it): all allowed\n", dir, who, strings.ToUpper(dir[:1])+dir[1:])
		case len(rules) == 0:
			fmt.Fprintf(&b, "  %s: denied: %s is isolated by %s and no %s rule of them matches\n", dir, who, policyList(pols), dir)
		default:
			for _, r := range rules {
				fmt.Fprintf(&b, "  %s: allowed by %s %s rule %d: %s\n", dir, r.Policy, dir, r.Index, r.Conn)
			}
		}
	}
	side("egress", e.Src, e.SrcExternal, e.EgressIsolated, e.EgressPolicies, e.EgressRules)
	side("ingress", e.Dst, e.DstExternal, e.IngressIsolated, e.IngressPolicies, e.IngressRules)
	return b.String()
}

func policyList(ps []*Policy) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.String()
	}
	return strings.Join(names, ", ")
}

// ExplainAll explains every ordered pair of distinct workloads, allowed
// or not, then each workload's traffic to and from outside the cluster
// (at the first address of every range Egress and Ingress distinguish,
// and at 0.0.0.0 when nothing is allowed), in workload order.
func (n *Network) ExplainAll() []Explanation {
	var out []Explanation
	for s := range n.Workloads {
		for d := range n.Workloads {
			if s != d {
				out = append(out, n.Explain(s, d, 0))
			}
		}
	}
	for i := range n.Workloads {
		for _, ac := range n.addrProbes(n.Egress(i)) {
			x := n.Explain(i, -1, ac.Lo)
			x.Dst = ipString(ac)
			out = append(out, x)
		}
		for _, ac := range n.addrProbes(n.Ingress(i)) {
			x := n.Explain(-1, i, ac.Lo)
			x.Src = ipString(ac)
			out = append(out, x)
		}
	}
	return out
}

// addrProbes returns the ranges of acs, or the whole space when acs is
// empty (to explain a denial).
func (n *Network) addrProbes(acs []AddressConn) []Range {
	if len(acs) == 0 {
		return []Range{{0, ^uint32(0)}}
	}
	out := make([]Range, len(acs))
	for i, ac := range acs {
		out[i] = ac.Addresses
	}
	return out
}

// ParseIPv4 parses a dotted IPv4 address.
func ParseIPv4(s string) (uint32, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return 0, fmt.Errorf("%q is not an IPv4 address", s)
	}
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]), nil
}
