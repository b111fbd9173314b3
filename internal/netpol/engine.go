package netpol

import (
	"slices"
	"sort"

	"k8s.io/apimachinery/pkg/labels"
)

// Network is the connectivity model of one input. Its exported fields
// must not be changed; it caches selector matches as it answers, so it is
// not safe for concurrent use.
type Network struct {
	// Workloads, Namespaces and Policies are sorted by name.
	Workloads  []*Workload
	Namespaces []*Namespace
	Services   []Service
	Policies   []*Policy

	nsIndex map[string]*Namespace
	state   []wstate
	byNS    map[string][]int32
	// nsMatch caches namespaceSelector matches by selector.
	nsMatch map[string][]string
}

// wstate is what the engine precomputes per workload.
type wstate struct {
	labels   labels.Set
	nsLabels labels.Set
	in, out  []*Policy // the policies isolating it, per direction
}

func (n *Network) prepare() {
	n.state = make([]wstate, len(n.Workloads))
	n.byNS = map[string][]int32{}
	n.nsMatch = map[string][]string{}
	polByNS := map[string][]*Policy{}
	for _, p := range n.Policies {
		polByNS[p.Namespace] = append(polByNS[p.Namespace], p)
	}
	for i, w := range n.Workloads {
		s := &n.state[i]
		s.labels = labels.Set(w.Labels)
		s.nsLabels = labels.Set(n.nsIndex[w.Namespace].Labels)
		for _, p := range polByNS[w.Namespace] {
			if !p.sel.Matches(s.labels) {
				continue
			}
			if p.Ingress {
				s.in = append(s.in, p)
			}
			if p.Egress {
				s.out = append(s.out, p)
			}
		}
		n.byNS[w.Namespace] = append(n.byNS[w.Namespace], int32(i))
	}
}

// Workload returns the index of the workload ns/name (of kind kind, or of
// any kind when kind is ""), -1 when there is none or when several kinds
// share the name and kind is "".
func (n *Network) Workload(ns, name, kind string) int {
	found := -1
	for _, i := range n.byNS[ns] {
		w := n.Workloads[i]
		if w.Name != name || (kind != "" && w.Kind != kind) {
			continue
		}
		if found >= 0 {
			return -1
		}
		found = int(i)
	}
	return found
}

// IngressIsolated reports whether workload i is isolated for ingress.
func (n *Network) IngressIsolated(i int) bool { return len(n.state[i].in) > 0 }

// EgressIsolated reports whether workload i is isolated for egress.
func (n *Network) EgressIsolated(i int) bool { return len(n.state[i].out) > 0 }

// IngressPolicies returns the policies isolating workload i for ingress.
func (n *Network) IngressPolicies(i int) []*Policy { return n.state[i].in }

// EgressPolicies returns the policies isolating workload i for egress.
func (n *Network) EgressPolicies(i int) []*Policy { return n.state[i].out }

// matches reports whether a selector peer of a policy in namespace polNS
// selects workload w.
func (n *Network) matches(pe *peer, polNS string, w int) bool {
	if pe.isIP {
		return false
	}
	s := &n.state[w]
	if pe.ns == nil {
		if n.Workloads[w].Namespace != polNS {
			return false
		}
	} else if !pe.ns.Matches(s.nsLabels) {
		return false
	}
	return pe.pod == nil || pe.pod.Matches(s.labels)
}

// members returns the workloads a selector peer selects, or all=true when
// it selects every workload (namespaceSelector {} without podSelector).
func (n *Network) members(pe *peer, polNS string, dst []int32) (out []int32, all bool) {
	if pe.isIP {
		return dst, false
	}
	if pe.ns != nil && pe.ns.Empty() && (pe.pod == nil || pe.pod.Empty()) {
		return dst, true
	}
	var nss []string
	if pe.ns == nil {
		nss = []string{polNS}
	} else {
		key := pe.ns.String()
		m, ok := n.nsMatch[key]
		if !ok {
			for _, ns := range n.Namespaces {
				if pe.ns.Matches(labels.Set(ns.Labels)) {
					m = append(m, ns.Name)
				}
			}
			n.nsMatch[key] = m
		}
		nss = m
	}
	for _, ns := range nss {
		for _, w := range n.byNS[ns] {
			if pe.pod == nil || pe.pod.Matches(n.state[w].labels) {
				dst = append(dst, w)
			}
		}
	}
	return dst, false
}

// ports returns the connections a rule's ports allow towards workload dst
// (-1: an address outside the cluster, where named ports match nothing).
func (n *Network) ports(r *rule, dst int) Conn {
	if r.ports == nil {
		return AllConns()
	}
	var c Conn
	for _, ps := range r.ports {
		switch {
		case ps.all:
			c[ps.proto] = allPorts
		case ps.name != "":
			if dst < 0 {
				continue
			}
			for _, cp := range n.Workloads[dst].Ports {
				if cp.Name == ps.name && cp.Protocol == ps.proto {
					c[ps.proto] = c[ps.proto].Union(Ranges{{cp.Port, cp.Port}})
				}
			}
		default:
			c[ps.proto] = c[ps.proto].Union(Ranges{{ps.lo, ps.hi}})
		}
	}
	return c
}

// RuleRef names one rule of a policy: Direction "ingress" or "egress",
// Index its position in the policy's list.
type RuleRef struct {
	Policy    *Policy
	Direction string
	Index     int
	// Conn is what the rule allows for the pair explained.
	Conn Conn
}

// ruleAdmits returns what rule r of a policy in namespace polNS allows
// from or to workload peerW (-1: address ip) towards port owner dst.
func (n *Network) ruleConn(r *rule, polNS string, peerW int, ip uint32, dst int) Conn {
	ok := r.any
	for i := 0; !ok && i < len(r.peers); i++ {
		pe := &r.peers[i]
		if peerW >= 0 {
			ok = n.matches(pe, polNS, peerW)
		} else {
			ok = pe.isIP && pe.ip.Contains(ip)
		}
	}
	if !ok {
		return Conn{}
	}
	return n.ports(r, dst)
}

// egress returns what workload src may send to workload dst (-1: to
// address ip), with the rules that allow it appended to why when why is
// not nil.
func (n *Network) egress(src, dst int, ip uint32, why *[]RuleRef) Conn {
	pols := n.state[src].out
	if len(pols) == 0 {
		return AllConns()
	}
	var c Conn
	for _, p := range pols {
		for i := range p.out {
			rc := n.ruleConn(&p.out[i], p.Namespace, dst, ip, dst)
			if rc.Empty() {
				continue
			}
			c = c.Union(rc)
			if why != nil {
				*why = append(*why, RuleRef{p, "egress", p.out[i].index, rc})
			}
		}
	}
	return c
}

// ingress returns what workload dst may receive from workload src (-1:
// from address ip).
func (n *Network) ingress(src int, ip uint32, dst int, why *[]RuleRef) Conn {
	pols := n.state[dst].in
	if len(pols) == 0 {
		return AllConns()
	}
	var c Conn
	for _, p := range pols {
		for i := range p.in {
			rc := n.ruleConn(&p.in[i], p.Namespace, src, ip, dst)
			if rc.Empty() {
				continue
			}
			c = c.Union(rc)
			if why != nil {
				*why = append(*why, RuleRef{p, "ingress", p.in[i].index, rc})
			}
		}
	}
	return c
}

// Between returns what workload src may open to workload dst: egress
// allowed at src and ingress allowed at dst. Between(i, i) is the empty set.
func (n *Network) Between(src, dst int) Conn {
	if src == dst {
		return Conn{}
	}
	in := n.ingress(src, 0, dst, nil)
	if in.Empty() {
		return in
	}
	return in.Intersect(n.egress(src, dst, 0, nil))
}

// ToAddress returns what workload src may open to IPv4 address ip outside
// the cluster (only egress applies).
func (n *Network) ToAddress(src int, ip uint32) Conn { return n.egress(src, -1, ip, nil) }

// FromAddress returns what IPv4 address ip outside the cluster may open to
// workload dst (only ingress applies).
func (n *Network) FromAddress(ip uint32, dst int) Conn { return n.ingress(-1, ip, dst, nil) }

// Pair is an allowed connection between workloads, by index.
type Pair struct {
	Src, Dst int32
	Conn     Conn
}

// EachPair calls fn for every ordered pair of distinct workloads with
// some allowed connection, destination by destination in index order,
// sources in index order. It visits, for each isolated destination, only
// the sources its ingress rules select.
func (n *Network) EachPair(fn func(Pair)) {
	var cand []int32
	all := make([]int32, len(n.Workloads))
	for i := range all {
		all[i] = int32(i)
	}
	for d := range n.Workloads {
		srcs, every := n.ingressCandidates(d, cand[:0])
		if every {
			srcs = all
		} else {
			cand = srcs
		}
		for _, s := range srcs {
			if int(s) == d {
				continue
			}
			if c := n.Between(int(s), d); !c.Empty() {
				fn(Pair{s, int32(d), c})
			}
		}
	}
}

// ingressCandidates returns the workloads that may reach d as far as its
// ingress rules' peers go, sorted and unique, or every=true.
func (n *Network) ingressCandidates(d int, buf []int32) (out []int32, every bool) {
	pols := n.state[d].in
	if len(pols) == 0 {
		return buf, true
	}
	out = buf
	for _, p := range pols {
		for i := range p.in {
			r := &p.in[i]
			if r.any {
				return buf, true
			}
			for j := range r.peers {
				var all bool
				out, all = n.members(&r.peers[j], p.Namespace, out)
				if all {
					return buf, true
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), false
}

// AddressConn is the connection between a workload and a range of
// addresses outside the cluster.
type AddressConn struct {
	Addresses Range
	Conn      Conn
}

// Egress returns the address ranges outside the cluster workload src may
// open connections to, adjacent ranges with equal connections merged,
// in address order.
func (n *Network) Egress(src int) []AddressConn {
	if len(n.state[src].out) == 0 {
		return []AddressConn{{Range{0, ^uint32(0)}, AllConns()}}
	}
	var es []ipEntry
	for _, p := range n.state[src].out {
		es = n.ipEntries(es, p.out, -1)
	}
	return partition(es)
}

// Ingress returns the address ranges outside the cluster that may open
// connections to workload dst.
func (n *Network) Ingress(dst int) []AddressConn {
	if len(n.state[dst].in) == 0 {
		return []AddressConn{{Range{0, ^uint32(0)}, AllConns()}}
	}
	var es []ipEntry
	for _, p := range n.state[dst].in {
		es = n.ipEntries(es, p.in, dst)
	}
	return partition(es)
}

type ipEntry struct {
	ip   Ranges
	conn Conn
}

var allAddresses = Ranges{{0, ^uint32(0)}}

func (n *Network) ipEntries(es []ipEntry, rules []rule, dst int) []ipEntry {
	for i := range rules {
		r := &rules[i]
		var ip Ranges
		if r.any {
			ip = allAddresses
		} else {
			for _, pe := range r.peers {
				if pe.isIP {
					ip = ip.Union(pe.ip)
				}
			}
		}
		if len(ip) == 0 {
			continue
		}
		if c := n.ports(r, dst); !c.Empty() {
			es = append(es, ipEntry{ip, c})
		}
	}
	return es
}

// partition splits the address space at every boundary of es, gives each
// piece the union of the connections of the entries covering it, and
// merges adjacent pieces with equal connections; pieces without
// connection are left out.
func partition(es []ipEntry) []AddressConn {
	if len(es) == 0 {
		return nil
	}
	var cuts []uint64
	for _, e := range es {
		for _, r := range e.ip {
			cuts = append(cuts, uint64(r.Lo), uint64(r.Hi)+1)
		}
	}
	cuts = append(cuts, 0, 1<<32)
	sort.Slice(cuts, func(i, j int) bool { return cuts[i] < cuts[j] })
	cuts = slices.Compact(cuts)
	var out []AddressConn
	for i := 0; i+1 < len(cuts); i++ {
		lo, hi := uint32(cuts[i]), uint32(cuts[i+1]-1)
		var c Conn
		for _, e := range es {
			if e.ip.Contains(lo) {
				c = c.Union(e.conn)
			}
		}
		if c.Empty() {
			continue
		}
		if k := len(out) - 1; k >= 0 && uint64(out[k].Addresses.Hi)+1 == uint64(lo) && out[k].Conn.Equal(c) {
			out[k].Addresses.Hi = hi
			continue
		}
		out = append(out, AddressConn{Range{lo, hi}, c})
	}
	return out
}

// EgressToPod returns what workload src may send to a pod labelled
// podLabels in namespace ns, a pod the input need not hold (cluster DNS,
// typically). The namespace's labels are the input's when it defines ns,
// else its name label only; named ports match nothing (the pod's
// containers are unknown).
func (n *Network) EgressToPod(src int, ns string, podLabels map[string]string) Conn {
	pols := n.state[src].out
	if len(pols) == 0 {
		return AllConns()
	}
	nsl := labels.Set{NamespaceLabel: ns}
	if d := n.nsIndex[ns]; d != nil {
		nsl = labels.Set(d.Labels)
	}
	pl := labels.Set(podLabels)
	var c Conn
	for _, p := range pols {
		for i := range p.out {
			r := &p.out[i]
			ok := r.any
			for j := 0; !ok && j < len(r.peers); j++ {
				pe := &r.peers[j]
				if pe.isIP {
					continue
				}
				if pe.ns == nil {
					ok = ns == p.Namespace
				} else {
					ok = pe.ns.Matches(nsl)
				}
				ok = ok && (pe.pod == nil || pe.pod.Matches(pl))
			}
			if ok {
				c = c.Union(n.ports(r, -1))
			}
		}
	}
	return c
}

// SelectsEveryNamespace reports whether an ingress rule of p admits the
// pods of every namespace: a peer with namespaceSelector {} (and no
// podSelector, or an empty one). It returns the rule's index, or -1.
func (p *Policy) SelectsEveryNamespace() int {
	for _, r := range p.in {
		for _, pe := range r.peers {
			if pe.ns != nil && pe.ns.Empty() && (pe.pod == nil || pe.pod.Empty()) {
				return r.index
			}
		}
	}
	return -1
}

// SelectsAll reports whether the policy's podSelector is {} (every pod of
// its namespace, including pods created later).
func (p *Policy) SelectsAll() bool { return p.sel.Empty() }
