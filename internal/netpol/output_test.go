package netpol

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestConnString(t *testing.T) {
	tests := []struct {
		c    Conn
		want string
	}{
		{Conn{}, "No Connections"},
		{AllConns(), "All Connections"},
		{Conn{TCP: Ranges{{80, 80}}, UDP: Ranges{{53, 53}}}, "TCP 80,UDP 53"},
		{Conn{TCP: Ranges{{9001, 9090}, {80, 80}}.Union(nil)}, "TCP 9001-9090,80"},
		{Conn{TCP: normalize(Ranges{{9001, 9090}, {80, 80}, {81, 81}})}, "TCP 80-81,9001-9090"},
		{Conn{SCTP: allPorts, TCP: Ranges{{443, 443}}}, "SCTP 1-65535,TCP 443"},
	}
	for _, tc := range tests {
		if got := tc.c.String(); got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.c, got, tc.want)
		}
	}
}

func TestRanges(t *testing.T) {
	a := normalize(Ranges{{1, 10}, {20, 30}})
	b := Ranges{{5, 25}}
	if got, want := a.Intersect(b), (Ranges{{5, 10}, {20, 25}}); !got.Equal(want) {
		t.Errorf("intersect: %v", got)
	}
	if got, want := a.Subtract(b), (Ranges{{1, 4}, {26, 30}}); !got.Equal(want) {
		t.Errorf("subtract: %v", got)
	}
	if got, want := a.Union(b), (Ranges{{1, 30}}); !got.Equal(want) {
		t.Errorf("union: %v", got)
	}
	full := Ranges{{0, ^uint32(0)}}
	if got := full.Subtract(Ranges{{0, 0}, {^uint32(0), ^uint32(0)}}); !got.Equal(Ranges{{1, ^uint32(0) - 1}}) {
		t.Errorf("subtract at the edges: %v", got)
	}
}

// TestConnections checks the report lines, external ranges included.
func TestConnections(t *testing.T) {
	objs := []runtime.Object{
		nsObj("shop", nil),
		podObj("shop", "web", map[string]string{"app": "web"}),
		podObj("shop", "db", map[string]string{"app": "db"}),
		policy("shop", "db", sel("app", "db"), both, []networkingv1.NetworkPolicyIngressRule{{
			From:  []networkingv1.NetworkPolicyPeer{{PodSelector: sel("app", "web")}},
			Ports: []networkingv1.NetworkPolicyPort{port("TCP", 5432)},
		}}, nil),
		policy("shop", "web", sel("app", "web"), egressOnly, nil, []networkingv1.NetworkPolicyEgressRule{
			{To: []networkingv1.NetworkPolicyPeer{{PodSelector: sel("app", "db")}}, Ports: []networkingv1.NetworkPolicyPort{port("TCP", 5432)}},
			{To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/8"}}}}, Ports: []networkingv1.NetworkPolicyPort{port("TCP", 443), portRange("TCP", 9001, 9090)}},
			{Ports: []networkingv1.NetworkPolicyPort{port("UDP", 53)}},
		}),
	}
	n := build(t, objs...)
	var buf bytes.Buffer
	if err := WriteConnections(&buf, "txt", n.Connections()); err != nil {
		t.Fatal(err)
	}
	want := `0.0.0.0-255.255.255.255 => shop/web[Pod] : All Connections
shop/web[Pod] => 0.0.0.0-9.255.255.255 : TCP 443,9001-9090,UDP 53
shop/web[Pod] => 10.0.0.0-10.255.255.255 : UDP 53
shop/web[Pod] => 11.0.0.0-255.255.255.255 : TCP 443,9001-9090,UDP 53
shop/web[Pod] => shop/db[Pod] : TCP 5432
`
	if d := cmp.Diff(want, buf.String()); d != "" {
		t.Errorf("txt (-want +got):\n%s", d)
	}
	for _, f := range Formats {
		buf.Reset()
		if err := WriteConnections(&buf, f, n.Connections()); err != nil || buf.Len() == 0 {
			t.Errorf("%s: %v, %d bytes", f, err, buf.Len())
		}
	}
	ex := n.Explain(idx(t, n, "shop/db"), idx(t, n, "shop/web"), 0).String()
	for _, s := range []string{"shop/db[Pod] => shop/web[Pod] : No Connections", "egress: denied: shop/db[Pod] is isolated by shop/db", "ingress: shop/web[Pod] is not isolated"} {
		if !strings.Contains(ex, s) {
			t.Errorf("explain lacks %q:\n%s", s, ex)
		}
	}
	ex = n.Explain(idx(t, n, "shop/web"), idx(t, n, "shop/db"), 0).String()
	for _, s := range []string{"egress: allowed by shop/web egress rule 0: TCP 5432", "ingress: allowed by shop/db ingress rule 0: TCP 5432"} {
		if !strings.Contains(ex, s) {
			t.Errorf("explain lacks %q:\n%s", s, ex)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	bad := policy("x", "bad", nil, nil, []networkingv1.NetworkPolicyIngressRule{{
		From:  []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/33"}}, {}},
		Ports: []networkingv1.NetworkPolicyPort{portRange("TCP", 90, 80)},
	}}, nil)
	var b Builder
	b.Add(bad, Source{File: "p.yaml", Line: 3})
	n, err := b.Build()
	if err == nil {
		t.Fatal("want errors")
	}
	for _, s := range []string{"p.yaml:3: NetworkPolicy x/bad", "spec.ingress[0].from[0].ipBlock: cidr", "spec.ingress[0].from[1]: must give", "spec.ingress[0].ports[0].endPort: 80 must be between port (90)"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q: %v", s, err)
		}
	}
	if len(n.Policies) != 0 {
		t.Errorf("invalid policy kept")
	}
}
