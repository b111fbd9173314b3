package netpol

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/netpol"
)

func newEvalCommand(s clierr.Streams) *cobra.Command {
	src := &source{}
	var from, to, port string
	cmd := &cobra.Command{
		Use:   "eval --src PEER --dst PEER --port PORT[/PROTOCOL] [PATH...]",
		Short: "Answer one question: may SRC open a connection to DST on PORT?",
		Long: `Eval answers whether the NetworkPolicies allow one connection and explains
why. A PEER is a workload, ns/name or ns/name[Kind] (as netpol prints it),
or an IPv4 address outside the cluster; PORT is a number with an optional
protocol, 80, 80/TCP, 53/UDP, 3868/SCTP (TCP by default).

Exit codes: 0 allowed, 1 denied, 2 usage or input errors.`,
		Example: `  kubeward netpol eval --src shop/web --dst shop/db --port 5432 manifests/
  kubeward netpol eval --src shop/web[Deployment] --dst 8.8.8.8 --port 53/UDP manifests/`,
		RunE: func(_ *cobra.Command, args []string) error {
			if from == "" || to == "" || port == "" {
				return clierr.Usage(errors.New("eval needs --src, --dst and --port"))
			}
			pr, num, err := parsePort(port)
			if err != nil {
				return clierr.Usage(fmt.Errorf("--port: %w", err))
			}
			n, err := src.load(s, args)
			if err != nil {
				return err
			}
			si, sip, err := peer(n, from)
			if err != nil {
				return clierr.Usage(fmt.Errorf("--src: %w", err))
			}
			di, dip, err := peer(n, to)
			if err != nil {
				return clierr.Usage(fmt.Errorf("--dst: %w", err))
			}
			if si < 0 && di < 0 {
				return clierr.Usage(errors.New("--src and --dst are both addresses outside the cluster: no policy governs that"))
			}
			ip := sip
			if di < 0 {
				ip = dip
			}
			if si >= 0 && si == di {
				return clierr.Usage(errors.New("--src and --dst are the same workload: a pod's own traffic is not governed by NetworkPolicies"))
			}
			e := n.Explain(si, di, ip)
			verdict := "denied"
			if e.Conn.Allows(pr, num) {
				verdict = "allowed"
			}
			fmt.Fprintf(s.Out, "%s: %s => %s %s %d\n%s", verdict, e.Src, e.Dst, pr, num, e.String())
			if verdict == "denied" {
				return clierr.Findings()
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&from, "src", "", "source: ns/name[Kind] or an IPv4 address")
	fl.StringVar(&to, "dst", "", "destination: ns/name[Kind] or an IPv4 address")
	fl.StringVarP(&port, "port", "p", "", "destination port: NUMBER[/TCP|UDP|SCTP]")
	src.addFlags(fl)
	return cmd
}

func parsePort(s string) (netpol.Protocol, uint32, error) {
	num, proto, ok := strings.Cut(s, "/")
	pr := netpol.TCP
	if ok {
		p, ok := netpol.ParseProtocol(proto)
		if !ok {
			return 0, 0, fmt.Errorf("unknown protocol %q (want TCP, UDP or SCTP)", proto)
		}
		pr = p
	}
	v, err := strconv.ParseUint(num, 10, 32)
	if err != nil || v < 1 || v > netpol.MaxPort {
		return 0, 0, fmt.Errorf("%q is not a port (1-65535)", num)
	}
	return pr, uint32(v), nil
}

// peer resolves a workload (index, -1 for an address) or an address.
func peer(n *netpol.Network, s string) (int, uint32, error) {
	ns, rest, ok := strings.Cut(s, "/")
	if !ok {
		ip, err := netpol.ParseIPv4(s)
		if err != nil {
			return -1, 0, fmt.Errorf("%q is neither ns/name nor an IPv4 address", s)
		}
		return -1, ip, nil
	}
	name, kind := rest, ""
	if i := strings.IndexByte(rest, '['); i >= 0 && strings.HasSuffix(rest, "]") {
		name, kind = rest[:i], rest[i+1:len(rest)-1]
	}
	i := n.Workload(ns, name, kind)
	if i < 0 {
		return -1, 0, fmt.Errorf("no single workload %s in the input (give ns/name[Kind] when kinds share a name)", s)
	}
	return i, 0, nil
}
