// Package netpol is the `kubeward netpol` command: it reads workloads,
// namespaces, services and NetworkPolicies from manifests or a cluster and
// prints the connections the policies allow (internal/netpol), or answers
// one question with `netpol eval`.
package netpol

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/cli/output"
	"github.com/kubeward/kubeward/internal/cluster"
	"github.com/kubeward/kubeward/internal/kinds"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/netpol"
)

type source struct {
	kubeconfig string
	context    string
	namespace  string
	exclude    []string
}

func (src *source) addFlags(fl *pflag.FlagSet) {
	fl.StringVar(&src.kubeconfig, "kubeconfig", "", "kubeconfig of the cluster to read when no PATH is given (default: $KUBECONFIG or ~/.kube/config)")
	fl.StringVar(&src.context, "context", "", "kubeconfig context to use")
	fl.StringVarP(&src.namespace, "namespace", "n", "default", "namespace of namespaced objects that have none, as kubectl apply -n")
	fl.StringArrayVar(&src.exclude, "exclude", nil, "glob of paths not to read while walking directories (repeatable)")
}

// NewCommand returns the netpol command.
func NewCommand(s clierr.Streams) *cobra.Command {
	src := &source{}
	var explain bool
	cmd := &cobra.Command{
		Use:   "netpol [PATH...]",
		Short: "List the connections NetworkPolicies allow between workloads and with the outside",
		Long: `Netpol reads Pods and workloads, Namespaces, Services and NetworkPolicies
(networking.k8s.io/v1) from manifests (files, directories, - for stdin) or,
without PATH, from the cluster of the kubeconfig, and prints every allowed
connection, one per line:

  SRC => DST : CONN

Peers are workloads, ns/name[Kind] (pods grouped to their top owner; a
workload's pod template stands for its pods), or IPv4 ranges outside the
cluster (A.B.C.D-E.F.G.H). CONN is "All Connections" or protocols with
their ports, e.g. "TCP 80,443,UDP 53". A pod's traffic to itself is not
listed. --explain prints, for every pair of workloads (allowed or not) and
every range outside the cluster, the policy rules that allow it, or the
policies that isolate a side and allow nothing. See docs/netpol.md.

Exit codes: 0 done, 2 usage or input errors.`,
		Example: `  kubeward netpol manifests/
  kubeward netpol manifests/ -o json
  kubeward netpol --context prod -o dot --output-file net.dot
  kubeward netpol manifests/ --explain
  kubeward netpol eval --src shop/web --dst shop/db --port 5432/TCP manifests/`,
		RunE: nil,
	}
	out := output.Register(cmd.Flags(), "txt", netpol.Formats...)
	src.addFlags(cmd.Flags())
	cmd.Flags().BoolVar(&explain, "explain", false, "explain every pair of workloads and every range outside the cluster: the policy and rule that allows it, or the isolating policies that allow nothing (text)")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		targets, err := out.Targets()
		if err != nil {
			return clierr.Usage(err)
		}
		if explain {
			for _, t := range targets {
				if t.Format != "txt" {
					return clierr.Usage(errors.New("--explain prints text: use -o txt"))
				}
			}
		}
		w, err := output.Open(s.Out, targets)
		if err != nil {
			return clierr.Usage(err)
		}
		defer w.Close()
		n, err := src.load(s, args)
		if err != nil {
			return err
		}
		var cs []netpol.Connection
		if !explain {
			cs = n.Connections()
		}
		for i, t := range targets {
			err := w.Write(i, func(wr io.Writer) error {
				if explain {
					var b strings.Builder
					for _, e := range n.ExplainAll() {
						b.WriteString(e.String())
					}
					_, err := io.WriteString(wr, b.String())
					return err
				}
				return netpol.WriteConnections(wr, t.Format, cs)
			})
			if err != nil {
				return err
			}
		}
		return w.Commit()
	}
	cmd.AddCommand(newEvalCommand(s))
	return cmd
}

// load builds the network from paths, or from the cluster when there are
// none; input problems are printed and end the run with exit code 2.
func (src *source) load(s clierr.Streams, paths []string) (*netpol.Network, error) {
	var b netpol.Builder
	failed := false
	if len(paths) == 0 {
		if err := src.loadCluster(&b); err != nil {
			return nil, err
		}
	} else {
		if src.kubeconfig != "" || src.context != "" {
			return nil, clierr.Usage(errors.New("PATH and --kubeconfig/--context are exclusive: read manifests or a cluster"))
		}
		r := manifest.Reader{Stdin: s.In, Exclude: src.exclude}
		if err := r.Validate(); err != nil {
			return nil, clierr.Usage(fmt.Errorf("--exclude: %w", err))
		}
		err := r.Read(paths, func(o *manifest.Object) error {
			kinds.SetDefaultNamespace(o.Object, src.namespace)
			b.Add(o.Object, netpol.Source{File: o.File, Line: o.Line})
			return nil
		}, func(e *manifest.Error) {
			if e.Warning {
				fmt.Fprintf(s.Err, "kubeward: %v\n", e)
				return
			}
			failed = true
			fmt.Fprintf(s.Err, "kubeward: error: %v\n", e)
		})
		if err != nil {
			return nil, err
		}
	}
	n, err := b.Build()
	if err != nil {
		for _, e := range unjoin(err) {
			var ne *netpol.Error
			if errors.As(e, &ne) && ne.Warning {
				fmt.Fprintf(s.Err, "kubeward: warning: %v\n", e)
				continue
			}
			failed = true
			fmt.Fprintf(s.Err, "kubeward: error: %v\n", e)
		}
	}
	if failed {
		return nil, clierr.Failed()
	}
	return n, nil
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// loadCluster lists the objects the engine uses, page by page.
func (src *source) loadCluster(b *netpol.Builder) error {
	cfg, err := cluster.Load(src.kubeconfig, src.context, "kubeward-netpol")
	if err != nil {
		return &clierr.ExitError{Code: clierr.CodeError, Err: err, Hint: "give manifests as PATH, or a cluster with --kubeconfig/--context"}
	}
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l := &cluster.Lister{Client: c, PageSize: 500}
	return l.Each(ctx, cluster.Named(cluster.AuditResources, "namespaces", "pods", "replicasets", "deployments", "statefulsets",
		"daemonsets", "jobs", "cronjobs", "replicationcontrollers", "services", "networkpolicies"), func(o runtime.Object) error {
		b.Add(o, netpol.Source{})
		return nil
	})
}
