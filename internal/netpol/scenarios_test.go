package netpol

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// The scenarios below follow the shape of Kubernetes' network-policy e2e
// suite: three namespaces x, y, z (labelled ns=<name>), each with pods a,
// b, c (labelled pod=<name>) serving ports 80 and 81 on TCP, UDP and SCTP
// under the names serve-<port>-<proto>. Each scenario applies policies and
// states the reachability matrix one probe (protocol and port) must give.
// The expectations are written from the API's documented semantics.

var (
	modelNS   = []string{"x", "y", "z"}
	modelPods = []string{"a", "b", "c"}
)

func modelObjects() []runtime.Object {
	var out []runtime.Object
	for _, ns := range modelNS {
		out = append(out, nsObj(ns, map[string]string{"ns": ns}))
		for _, p := range modelPods {
			var ports []corev1.ContainerPort
			for _, pr := range []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP} {
				for _, num := range []int32{80, 81} {
					ports = append(ports, corev1.ContainerPort{Name: fmt.Sprintf("serve-%d-%s", num, strings.ToLower(string(pr))), ContainerPort: num, Protocol: pr})
				}
			}
			out = append(out, podObj(ns, p, map[string]string{"pod": p}, ports...))
		}
	}
	return out
}

// reach is an expected matrix: allowed[src][dst] over "ns/pod" names.
type reach struct {
	allowed map[string]map[string]bool
}

func allPeers() []string {
	var out []string
	for _, ns := range modelNS {
		for _, p := range modelPods {
			out = append(out, ns+"/"+p)
		}
	}
	return out
}

func newReach(def bool) *reach {
	r := &reach{allowed: map[string]map[string]bool{}}
	for _, s := range allPeers() {
		r.allowed[s] = map[string]bool{}
		for _, d := range allPeers() {
			r.allowed[s][d] = def
		}
	}
	return r
}

// set sets (src, dst) for every src matching from and dst matching to,
// where a pattern is "ns/pod", "ns/*", "*/pod" or "*".
func (r *reach) set(from, to string, v bool) *reach {
	for s := range r.allowed {
		for d := range r.allowed[s] {
			if match(from, s) && match(to, d) {
				r.allowed[s][d] = v
			}
		}
	}
	return r
}

func match(pat, id string) bool {
	if pat == "*" {
		return true
	}
	pn, pp, _ := strings.Cut(pat, "/")
	n, p, _ := strings.Cut(id, "/")
	return (pn == "*" || pn == n) && (pp == "*" || pp == p)
}

func checkReach(t *testing.T, n *Network, pr Protocol, portNum uint32, want *reach) {
	t.Helper()
	var diffs []string
	for _, s := range allPeers() {
		for _, d := range allPeers() {
			if s == d {
				continue
			}
			got := n.Between(idx(t, n, s), idx(t, n, d)).Allows(pr, portNum)
			if got != want.allowed[s][d] {
				diffs = append(diffs, fmt.Sprintf("%s => %s %s/%d: got %v, want %v", s, d, pr, portNum, got, want.allowed[s][d]))
			}
		}
	}
	if len(diffs) > 0 {
		t.Errorf("reachability differs:\n%s", strings.Join(diffs, "\n"))
	}
}

type probe struct {
	proto Protocol
	port  uint32
	want  *reach
}

func TestScenarios(t *testing.T) {
	podA := sel("pod", "a")
	nsY := sel("ns", "y")
	tcp80, tcp81 := port("TCP", 80), port("TCP", 81)
	tests := []struct {
		name     string
		policies []runtime.Object
		probes   []probe
	}{
		{
			name:     "no policies: everything reaches everything",
			policies: nil,
			probes:   []probe{{TCP, 80, newReach(true)}, {UDP, 81, newReach(true)}, {SCTP, 80, newReach(true)}},
		},
		{
			name:     "default-deny-ingress in x",
			policies: []runtime.Object{policy("x", "deny-ingress", nil, ingressOnly, nil, nil)},
			probes:   []probe{{TCP, 80, newReach(true).set("*", "x/*", false)}, {UDP, 80, newReach(true).set("*", "x/*", false)}},
		},
		{
			name:     "default-deny-all in x: x neither sends nor receives",
			policies: []runtime.Object{policy("x", "deny-all", nil, both, nil, nil)},
			probes:   []probe{{TCP, 80, newReach(true).set("*", "x/*", false).set("x/*", "*", false)}},
		},
		{
			name:     "egress rules without policyTypes default to both directions",
			policies: []runtime.Object{policy("x", "egress-to-y", nil, nil, nil, []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsY}}}})},
			// Ingress is implied (and has no rules): x receives nothing;
			// egress from x only to y.
			probes: []probe{{TCP, 80, newReach(true).set("*", "x/*", false).set("x/*", "z/*", false)}},
		},
		{
			name: "allow x/a from pods b of its own namespace (podSelector)",
			policies: []runtime.Object{policy("x", "allow-b", podA, ingressOnly, []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{{PodSelector: sel("pod", "b")}},
			}}, nil)},
			probes: []probe{{TCP, 80, newReach(true).set("*", "x/a", false).set("x/b", "x/a", true)}},
		},
		{
			name: "allow x/a from namespace y (namespaceSelector)",
			policies: []runtime.Object{policy("x", "allow-y", podA, ingressOnly, []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsY}},
			}}, nil)},
			probes: []probe{{TCP, 81, newReach(true).set("*", "x/a", false).set("y/*", "x/a", true)}},
		},
		{
			name: "namespaceSelector with matchExpressions NotIn x",
			policies: []runtime.Object{policy("x", "allow-others", podA, ingressOnly, []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "ns", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"x"}}}}}},
			}}, nil)},
			probes: []probe{{TCP, 80, newReach(true).set("x/*", "x/a", false)}},
		},
		{
			name: "podSelector AND namespaceSelector in one peer",
			policies: []runtime.Object{policy("x", "allow-yb", podA, ingressOnly, []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsY, PodSelector: sel("pod", "b")}},
			}}, nil)},
			probes: []probe{{TCP, 80, newReach(true).set("*", "x/a", false).set("y/b", "x/a", true)}},
		},
		{
			name: "podSelector OR namespaceSelector as two peers",
			policies: []runtime.Object{policy("x", "allow-y-or-b", podA, ingressOnly, []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsY}, {PodSelector: sel("pod", "b")}},
			}}, nil)},
			// pod b of x (podSelector alone means the policy's namespace) and all of y.
			probes: []probe{{TCP, 80, newReach(true).set("*", "x/a", false).set("y/*", "x/a", true).set("x/b", "x/a", true)}},
		},
		{
			name: "namespaceSelector {} with podSelector: pod b of every namespace",
			policies: []runtime.Object{policy("x", "allow-any-b", podA, ingressOnly, []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}, PodSelector: sel("pod", "b")}},
			}}, nil)},
			probes: []probe{{TCP, 80, newReach(true).set("*", "x/a", false).set("*/b", "x/a", true)}},
		},
		{
			name: "default namespace label kubernetes.io/metadata.name",
			policies: []runtime.Object{policy("x", "allow-z", podA, ingressOnly, []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: sel(NamespaceLabel, "z")}},
			}}, nil)},
			probes: []probe{{TCP, 80, newReach(true).set("*", "x/a", false).set("z/*", "x/a", true)}},
		},
		{
			name: "ports: only 81 allowed to x/a",
			policies: []runtime.Object{policy("x", "allow-81", podA, ingressOnly, []networkingv1.NetworkPolicyIngressRule{{
				Ports: []networkingv1.NetworkPolicyPort{tcp81},
			}}, nil)},
			probes: []probe{
				{TCP, 80, newReach(true).set("*", "x/a", false)},
				{TCP, 81, newReach(true)},
				{UDP, 81, newReach(true).set("*", "x/a", false)},
			},
		},
		{
			name: "stacked policies add up: 80 from one, 81 from another",
			policies: []runtime.Object{
				policy("x", "allow-80", podA, ingressOnly, []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{tcp80}}}, nil),
				policy("x", "allow-81", podA, ingressOnly, []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{tcp81}}}, nil),
			},
			probes: []probe{{TCP, 80, newReach(true)}, {TCP, 81, newReach(true)}, {UDP, 80, newReach(true).set("*", "x/a", false)}},
		},
		{
			name: "allow-all ingress beside a deny-all",
			policies: []runtime.Object{
				policy("x", "deny", nil, ingressOnly, nil, nil),
				policy("x", "allow-all", nil, ingressOnly, []networkingv1.NetworkPolicyIngressRule{{}}, nil),
			},
			probes: []probe{{TCP, 80, newReach(true)}, {SCTP, 81, newReach(true)}},
		},
		{
			name: "named port serve-81-tcp",
			policies: []runtime.Object{policy("x", "named", podA, ingressOnly, []networkingv1.NetworkPolicyIngressRule{{
				Ports: []networkingv1.NetworkPolicyPort{namedPort("TCP", "serve-81-tcp")},
			}}, nil)},
			probes: []probe{{TCP, 81, newReach(true)}, {TCP, 80, newReach(true).set("*", "x/a", false)}},
		},
		{
			name: "named port with the wrong protocol matches nothing",
			policies: []runtime.Object{policy("x", "named-udp", podA, ingressOnly, []networkingv1.NetworkPolicyIngressRule{{
				Ports: []networkingv1.NetworkPolicyPort{namedPort("UDP", "serve-81-tcp")},
			}}, nil)},
			probes: []probe{{TCP, 81, newReach(true).set("*", "x/a", false)}, {UDP, 81, newReach(true).set("*", "x/a", false)}},
		},
		{
			name: "egress on a named port resolves on the destination",
			policies: []runtime.Object{policy("x", "egress-named", podA, egressOnly, nil, []networkingv1.NetworkPolicyEgressRule{{
				Ports: []networkingv1.NetworkPolicyPort{namedPort("UDP", "serve-80-udp")},
			}})},
			probes: []probe{{UDP, 80, newReach(true)}, {TCP, 80, newReach(true).set("x/a", "*", false)}},
		},
		{
			name: "endPort range 80-81",
			policies: []runtime.Object{policy("x", "range", podA, ingressOnly, []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsY}},
				Ports: []networkingv1.NetworkPolicyPort{portRange("TCP", 80, 81)},
			}}, nil)},
			probes: []probe{
				{TCP, 80, newReach(true).set("*", "x/a", false).set("y/*", "x/a", true)},
				{TCP, 81, newReach(true).set("*", "x/a", false).set("y/*", "x/a", true)},
			},
		},
		{
			name: "ingress any port on one protocol",
			policies: []runtime.Object{policy("x", "udp-only", podA, ingressOnly, []networkingv1.NetworkPolicyIngressRule{{
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: proto("UDP")}},
			}}, nil)},
			probes: []probe{{UDP, 80, newReach(true)}, {UDP, 81, newReach(true)}, {TCP, 80, newReach(true).set("*", "x/a", false)}},
		},
		{
			name: "client-side egress deny wins over a server allow",
			policies: []runtime.Object{
				policy("x", "deny-egress-a", podA, egressOnly, nil, nil),
				policy("y", "allow-all-in", nil, ingressOnly, []networkingv1.NetworkPolicyIngressRule{{}}, nil),
			},
			probes: []probe{{TCP, 80, newReach(true).set("x/a", "*", false)}},
		},
		{
			name: "egress to y/b through podSelector and namespaceSelector",
			policies: []runtime.Object{policy("x", "egress-yb", podA, egressOnly, nil, []networkingv1.NetworkPolicyEgressRule{{
				To:    []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsY, PodSelector: sel("pod", "b")}},
				Ports: []networkingv1.NetworkPolicyPort{tcp80},
			}})},
			probes: []probe{
				{TCP, 80, newReach(true).set("x/a", "*", false).set("x/a", "y/b", true)},
				{TCP, 81, newReach(true).set("x/a", "*", false)},
			},
		},
		{
			name: "ingress and egress controlled independently",
			policies: []runtime.Object{
				policy("x", "in-from-b", podA, ingressOnly, []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: sel("pod", "b")}}}}, nil),
				policy("x", "out-to-c", podA, egressOnly, nil, []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{{PodSelector: sel("pod", "c")}}}}),
			},
			probes: []probe{{TCP, 80, newReach(true).set("*", "x/a", false).set("x/b", "x/a", true).set("x/a", "*", false).set("x/a", "x/c", true)}},
		},
		{
			name: "ipBlock egress does not open pods (pod addresses are not in the model)",
			policies: []runtime.Object{policy("x", "cidr", podA, egressOnly, nil, []networkingv1.NetworkPolicyEgressRule{{
				To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/8"}}}},
			}})},
			probes: []probe{{TCP, 80, newReach(true).set("x/a", "*", false)}},
		},
		{
			name:     "policyTypes Egress only ignores ingress rules",
			policies: []runtime.Object{policy("x", "egress-type", podA, egressOnly, []networkingv1.NetworkPolicyIngressRule{{}}, nil)},
			probes:   []probe{{TCP, 80, newReach(true).set("x/a", "*", false)}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := build(t, append(modelObjects(), tc.policies...)...)
			for _, p := range tc.probes {
				checkReach(t, n, p.proto, p.port, p.want)
			}
		})
	}
}

// TestUpdatedPolicy follows the e2e "updated policy" scenario: the same
// policy name before and after an edit; the last definition wins.
func TestUpdatedPolicy(t *testing.T) {
	before := policy("x", "p", sel("pod", "a"), ingressOnly, []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{port("TCP", 80)}}}, nil)
	after := policy("x", "p", sel("pod", "a"), ingressOnly, []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{port("TCP", 81)}}}, nil)
	var b Builder
	for _, o := range append(modelObjects(), before, after) {
		b.Add(o, Source{File: "f.yaml", Line: 1})
	}
	n, err := b.Build()
	if err == nil || !strings.Contains(err.Error(), "defined again") {
		t.Fatalf("want a duplicate report, got %v", err)
	}
	checkReach(t, n, TCP, 80, newReach(true).set("*", "x/a", false))
	checkReach(t, n, TCP, 81, newReach(true))
}
