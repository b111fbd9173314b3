package netpol

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The differential test checks the engine against a deliberately naive
// reference: for every pair of pods, every protocol and every probed port
// it walks the raw NetworkPolicy objects as the API documentation words
// them, with no compilation, interval sets or candidate pruning.
//
// Ports: the generator draws port numbers (policy ports, endPorts,
// container ports) from 1-12 and 65530-65535 only, so every port in
// 13-65529 behaves alike; the reference probes 1-16, 30000 and
// 65528-65535, which covers every distinct behaviour. Addresses: CIDRs
// come from a small pool and the reference probes each boundary and its
// neighbours.

var (
	diffPorts = func() []uint32 {
		var ps []uint32
		for p := uint32(1); p <= 16; p++ {
			ps = append(ps, p)
		}
		ps = append(ps, 30000)
		for p := uint32(65528); p <= 65535; p++ {
			ps = append(ps, p)
		}
		return ps
	}()
	cidrPool   = []string{"0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "192.168.0.0/16", "192.168.1.0/24", "172.16.0.0/12", "10.1.2.3/32"}
	exceptPool = map[string][]string{"0.0.0.0/0": {"10.0.0.0/8", "192.168.1.0/24"}, "10.0.0.0/8": {"10.1.0.0/16"}, "10.1.0.0/16": {"10.1.2.0/24"}, "192.168.0.0/16": {"192.168.1.0/24"}}
	probeIPs   = func() []uint32 {
		var out []uint32
		add := func(v uint32) { out = append(out, v-1, v, v+1) }
		for _, c := range append(append([]string{}, cidrPool...), "10.1.2.0/24") {
			r := prefixRanges(netip.MustParsePrefix(c))[0]
			add(r.Lo)
			add(r.Hi)
		}
		return out
	}()
)

func genPort(r *rand.Rand) int32 {
	if r.IntN(3) == 0 {
		return int32(65530 + r.IntN(6))
	}
	return int32(1 + r.IntN(12))
}

var (
	protoNames = []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}
	portNames  = []string{"http", "dns", "metrics"}
)

func genSelector(r *rand.Rand, keys []string, vals []string) *metav1.LabelSelector {
	switch r.IntN(4) {
	case 0:
		return &metav1.LabelSelector{}
	case 1, 2:
		return sel(keys[r.IntN(len(keys))], vals[r.IntN(len(vals))])
	}
	ops := []metav1.LabelSelectorOperator{metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn, metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist}
	req := metav1.LabelSelectorRequirement{Key: keys[r.IntN(len(keys))], Operator: ops[r.IntN(len(ops))]}
	if req.Operator == metav1.LabelSelectorOpIn || req.Operator == metav1.LabelSelectorOpNotIn {
		req.Values = []string{vals[r.IntN(len(vals))]}
	}
	return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{req}}
}

func genPeers(r *rand.Rand) []networkingv1.NetworkPolicyPeer {
	var out []networkingv1.NetworkPolicyPeer
	for range r.IntN(3) {
		var pe networkingv1.NetworkPolicyPeer
		switch r.IntN(4) {
		case 0:
			pe.PodSelector = genSelector(r, []string{"app", "tier"}, []string{"web", "db", "x"})
		case 1:
			pe.NamespaceSelector = genSelector(r, []string{"team", NamespaceLabel}, []string{"red", "blue", "n0", "n1"})
		case 2:
			pe.PodSelector = genSelector(r, []string{"app", "tier"}, []string{"web", "db", "x"})
			pe.NamespaceSelector = genSelector(r, []string{"team", NamespaceLabel}, []string{"red", "blue", "n0", "n1"})
		case 3:
			c := cidrPool[r.IntN(len(cidrPool))]
			pe.IPBlock = &networkingv1.IPBlock{CIDR: c}
			if ex := exceptPool[c]; len(ex) > 0 && r.IntN(2) == 0 {
				pe.IPBlock.Except = ex[:1+r.IntN(len(ex))]
			}
		}
		out = append(out, pe)
	}
	return out
}

func genPorts(r *rand.Rand) []networkingv1.NetworkPolicyPort {
	var out []networkingv1.NetworkPolicyPort
	for range r.IntN(3) {
		var np networkingv1.NetworkPolicyPort
		if r.IntN(3) > 0 {
			p := protoNames[r.IntN(3)]
			np.Protocol = &p
		}
		switch r.IntN(4) {
		case 0: // protocol only
		case 1:
			v := intstr.FromString(portNames[r.IntN(len(portNames))])
			np.Port = &v
		case 2:
			v := intstr.FromInt32(genPort(r))
			np.Port = &v
		case 3:
			a, b := genPort(r), genPort(r)
			if a > b {
				a, b = b, a
			}
			v := intstr.FromInt32(a)
			np.Port, np.EndPort = &v, &b
		}
		out = append(out, np)
	}
	return out
}

// genInput returns a random valid input: its objects, pods and policies.
func genInput(r *rand.Rand) (objs []runtime.Object, pods []*corev1.Pod, nss map[string]map[string]string, pols []*networkingv1.NetworkPolicy) {
	nss = map[string]map[string]string{}
	nNS := 1 + r.IntN(3)
	for i := range nNS {
		name := fmt.Sprintf("n%d", i)
		ls := map[string]string{}
		if r.IntN(3) > 0 {
			ls["team"] = []string{"red", "blue"}[r.IntN(2)]
		}
		if r.IntN(4) > 0 { // some namespaces are used, not defined
			objs = append(objs, nsObj(name, ls))
			ls[NamespaceLabel] = name
		} else {
			ls = map[string]string{NamespaceLabel: name}
		}
		nss[name] = ls
	}
	for i := range 1 + r.IntN(5) {
		ls := map[string]string{}
		if r.IntN(4) > 0 {
			ls["app"] = []string{"web", "db", "x"}[r.IntN(3)]
		}
		if r.IntN(2) == 0 {
			ls["tier"] = []string{"web", "db"}[r.IntN(2)]
		}
		var cps []corev1.ContainerPort
		for range r.IntN(3) {
			cp := corev1.ContainerPort{ContainerPort: genPort(r), Protocol: protoNames[r.IntN(3)]}
			if r.IntN(2) == 0 {
				cp.Name = portNames[r.IntN(len(portNames))]
			}
			cps = append(cps, cp)
		}
		p := podObj(fmt.Sprintf("n%d", r.IntN(nNS)), fmt.Sprintf("p%d", i), ls, cps...)
		pods = append(pods, p)
		objs = append(objs, p)
	}
	for i := range r.IntN(5) {
		var types []networkingv1.PolicyType
		switch r.IntN(4) {
		case 1:
			types = ingressOnly
		case 2:
			types = egressOnly
		case 3:
			types = both
		}
		var in []networkingv1.NetworkPolicyIngressRule
		for range r.IntN(3) {
			in = append(in, networkingv1.NetworkPolicyIngressRule{From: genPeers(r), Ports: genPorts(r)})
		}
		var out []networkingv1.NetworkPolicyEgressRule
		for range r.IntN(3) {
			out = append(out, networkingv1.NetworkPolicyEgressRule{To: genPeers(r), Ports: genPorts(r)})
		}
		p := policy(fmt.Sprintf("n%d", r.IntN(nNS)), fmt.Sprintf("pol%d", i), genSelector(r, []string{"app", "tier"}, []string{"web", "db", "x"}), types, in, out)
		pols = append(pols, p)
		objs = append(objs, p)
	}
	return objs, pods, nss, pols
}

// ref is the naive reference evaluator.
type ref struct {
	pods []*corev1.Pod
	nss  map[string]map[string]string
	pols []*networkingv1.NetworkPolicy
}

func selMatches(s *metav1.LabelSelector, ls map[string]string) bool {
	x, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		panic(err)
	}
	return x.Matches(labels.Set(ls))
}

func hasType(p *networkingv1.NetworkPolicy, t networkingv1.PolicyType) bool {
	if len(p.Spec.PolicyTypes) == 0 {
		return t == networkingv1.PolicyTypeIngress || len(p.Spec.Egress) > 0
	}
	for _, x := range p.Spec.PolicyTypes {
		if x == t {
			return true
		}
	}
	return false
}

// peerOK: does a policy peer (of policy p) select pod other, or address ip
// when other is nil?
func (rf *ref) peerOK(p *networkingv1.NetworkPolicy, pe networkingv1.NetworkPolicyPeer, other *corev1.Pod, ip uint32) bool {
	if other == nil {
		if pe.IPBlock == nil {
			return false
		}
		addr := netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)})
		if !netip.MustParsePrefix(pe.IPBlock.CIDR).Contains(addr) {
			return false
		}
		for _, e := range pe.IPBlock.Except {
			if netip.MustParsePrefix(e).Contains(addr) {
				return false
			}
		}
		return true
	}
	if pe.IPBlock != nil {
		return false
	}
	if pe.NamespaceSelector == nil {
		if other.Namespace != p.Namespace {
			return false
		}
	} else if !selMatches(pe.NamespaceSelector, rf.nss[other.Namespace]) {
		return false
	}
	return pe.PodSelector == nil || selMatches(pe.PodSelector, other.Labels)
}

// portOK: does a rule's port list admit (proto, port) on destination dst
// (nil: outside the cluster)?
func portOK(ports []networkingv1.NetworkPolicyPort, dst *corev1.Pod, pr corev1.Protocol, num uint32) bool {
	if len(ports) == 0 {
		return true
	}
	for _, np := range ports {
		want := corev1.ProtocolTCP
		if np.Protocol != nil {
			want = *np.Protocol
		}
		if want != pr {
			continue
		}
		if np.Port == nil {
			return true
		}
		if np.Port.Type == intstr.String {
			if dst == nil {
				continue
			}
			for _, c := range dst.Spec.Containers {
				for _, cp := range c.Ports {
					cpp := cp.Protocol
					if cpp == "" {
						cpp = corev1.ProtocolTCP
					}
					if cp.Name == np.Port.StrVal && cpp == pr && uint32(cp.ContainerPort) == num {
						return true
					}
				}
			}
			continue
		}
		hi := np.Port.IntVal
		if np.EndPort != nil {
			hi = *np.EndPort
		}
		if num >= uint32(np.Port.IntVal) && num <= uint32(hi) {
			return true
		}
	}
	return false
}

// egressOK: may src send to dst (nil: address ip)?
func (rf *ref) egressOK(src, dst *corev1.Pod, ip uint32, pr corev1.Protocol, num uint32) bool {
	isolated := false
	for _, p := range rf.pols {
		if p.Namespace != src.Namespace || !hasType(p, networkingv1.PolicyTypeEgress) || !selMatches(&p.Spec.PodSelector, src.Labels) {
			continue
		}
		isolated = true
		for _, r := range p.Spec.Egress {
			peerOK := len(r.To) == 0
			for _, pe := range r.To {
				peerOK = peerOK || rf.peerOK(p, pe, dst, ip)
			}
			if peerOK && portOK(r.Ports, dst, pr, num) {
				return true
			}
		}
	}
	return !isolated
}

// ingressOK: may dst receive from src (nil: address ip)?
func (rf *ref) ingressOK(src, dst *corev1.Pod, ip uint32, pr corev1.Protocol, num uint32) bool {
	isolated := false
	for _, p := range rf.pols {
		if p.Namespace != dst.Namespace || !hasType(p, networkingv1.PolicyTypeIngress) || !selMatches(&p.Spec.PodSelector, dst.Labels) {
			continue
		}
		isolated = true
		for _, r := range p.Spec.Ingress {
			peerOK := len(r.From) == 0
			for _, pe := range r.From {
				peerOK = peerOK || rf.peerOK(p, pe, src, ip)
			}
			if peerOK && portOK(r.Ports, dst, pr, num) {
				return true
			}
		}
	}
	return !isolated
}

func protoOf(pr corev1.Protocol) Protocol {
	p, _ := ParseProtocol(string(pr))
	return p
}

func lookupRange(acs []AddressConn, ip uint32) Conn {
	for _, ac := range acs {
		if ac.Addresses.Lo <= ip && ip <= ac.Addresses.Hi {
			return ac.Conn
		}
	}
	return Conn{}
}

// differential runs one random case and reports every disagreement.
func differential(t *testing.T, seed uint64) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	objs, pods, nss, pols := genInput(r)
	rf := &ref{pods: pods, nss: nss, pols: pols}
	n := build(t, objs...)
	pairs := map[[2]int]Conn{}
	n.EachPair(func(p Pair) { pairs[[2]int{int(p.Src), int(p.Dst)}] = p.Conn })
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d: "+format, append([]any{seed}, args...)...)
	}
	widx := func(p *corev1.Pod) int { return n.Workload(p.Namespace, p.Name, "Pod") }
	for _, s := range pods {
		si := widx(s)
		egress, ingress := n.Egress(si), n.Ingress(si)
		for _, pr := range protoNames {
			for _, num := range diffPorts {
				for _, d := range pods {
					if s == d {
						continue
					}
					want := rf.egressOK(s, d, 0, pr, num) && rf.ingressOK(s, d, 0, pr, num)
					got := pairs[[2]int{si, widx(d)}].Allows(protoOf(pr), num)
					if got != want {
						fail("%s/%s => %s/%s %s %d: engine %v, reference %v", s.Namespace, s.Name, d.Namespace, d.Name, pr, num, got, want)
					}
				}
				for _, ip := range probeIPs {
					if got, want := lookupRange(egress, ip).Allows(protoOf(pr), num), rf.egressOK(s, nil, ip, pr, num); got != want {
						fail("%s/%s => %s %s %d: engine %v, reference %v", s.Namespace, s.Name, ipv4(ip), pr, num, got, want)
					}
					if got, want := lookupRange(ingress, ip).Allows(protoOf(pr), num), rf.ingressOK(nil, s, ip, pr, num); got != want {
						fail("%s => %s/%s %s %d: engine %v, reference %v", ipv4(ip), s.Namespace, s.Name, pr, num, got, want)
					}
				}
			}
		}
	}
}

// TestDifferential runs seeded random cases on every test run.
func TestDifferential(t *testing.T) {
	cases := 300
	if testing.Short() {
		cases = 50
	}
	for seed := range uint64(cases) {
		differential(t, seed)
	}
}

// FuzzDifferential lets go test -fuzz search for inputs where the engine
// and the reference disagree.
func FuzzDifferential(f *testing.F) {
	for seed := range uint64(8) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed uint64) { differential(t, seed) })
}
