// Package secrets is the kubeward secrets command: proofs about how a
// cluster keeps its Secrets (verify-encryption reads etcd).
package secrets

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/cli/reporting"
	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/report"
	"github.com/kubeward/kubeward/internal/rules"
	"github.com/kubeward/kubeward/internal/secrets"
)

// NewCommand returns the secrets command.
func NewCommand(s clierr.Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secrets",
		Short: "Prove how Secrets are kept (encryption at rest in etcd)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newVerifyCommand(s))
	return cmd
}

type verifyFlags struct {
	endpoints []string
	caCert    string
	cert, key string
	prefix    string
	resources []string
	config    string
	pageSize  int64
	timeout   time.Duration
	report    *reporting.Flags
}

func newVerifyCommand(s clierr.Streams) *cobra.Command {
	f := &verifyFlags{}
	cmd := &cobra.Command{
		Use:   "verify-encryption",
		Short: "Read etcd and report every Secret not encrypted with the current key (rules secrets/plaintext-in-etcd, secrets/stale-encryption-key)",
		Long: `Verify-encryption proves encryption at rest from what etcd holds, not from
configuration: it walks /registry/secrets/ (and every --resource) page by
page, reads the prefix of each stored value (k8s:enc:<provider>:v1:<key>:,
k8s:enc:kms:v2:<name>:, or plaintext protobuf or JSON), and reports how many
objects each provider and key holds, every object stored in plaintext, and,
given the API server's --encryption-config, every object encrypted with a
provider or key other than the one new writes use (to rewrite after a key
rotation). Values are never printed or kept.

It needs read access to etcd with a client certificate, as the API server
has (kubeadm: /etc/kubernetes/pki/etcd/ca.crt and apiserver-etcd-client.crt/.key).

Exit codes: 0 every object is encrypted with the write key, 1 findings,
2 usage or connection errors.`,
		Example: `  kubeward secrets verify-encryption --etcd-endpoints https://127.0.0.1:2379 \
    --cacert /etc/kubernetes/pki/etcd/ca.crt \
    --cert /etc/kubernetes/pki/apiserver-etcd-client.crt \
    --key /etc/kubernetes/pki/apiserver-etcd-client.key \
    --encryption-config /etc/kubernetes/enc/enc.yaml
  kubeward secrets verify-encryption --etcd-endpoints http://127.0.0.1:2379 --resource configmaps -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runVerify(cmd.Context(), s, f) },
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.endpoints, "etcd-endpoints", nil, "etcd client URLs, comma-separated (required)")
	fl.StringVar(&f.caCert, "cacert", "", "CA bundle to verify etcd's serving certificate")
	fl.StringVar(&f.cert, "cert", "", "client certificate for etcd")
	fl.StringVar(&f.key, "key", "", "client certificate key for etcd")
	fl.StringVar(&f.prefix, "prefix", "/registry", "the API server's --etcd-prefix")
	fl.StringSliceVar(&f.resources, "resource", []string{"secrets"}, "resources to walk, as resource or resource.group (e.g. configmaps), comma-separated or repeated")
	fl.StringVar(&f.config, "encryption-config", "", "the API server's EncryptionConfiguration (--encryption-provider-config), to report objects not encrypted with the current write key")
	fl.Int64Var(&f.pageSize, "page-size", 500, "objects read from etcd per request")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Second, "timeout to connect to etcd and of each request")
	f.report = reporting.Register(fl, "text", "json", "sarif", "junit")
	return cmd
}

func runVerify(ctx context.Context, s clierr.Streams, f *verifyFlags) error {
	registry := rules.Builtin()
	if err := f.report.Check(s.Out, registry, secrets.Family); err != nil {
		return err
	}
	if len(f.endpoints) == 0 {
		return clierr.Usage(fmt.Errorf("--etcd-endpoints is required"))
	}
	if (f.cert == "") != (f.key == "") {
		return clierr.Usage(fmt.Errorf("--cert and --key go together"))
	}
	if f.pageSize <= 0 {
		return clierr.Usage(fmt.Errorf("--page-size must be positive"))
	}
	opts := secrets.VerifyOptions{Prefix: f.prefix, Resources: f.resources, PageSize: f.pageSize}
	if f.config != "" {
		data, err := os.ReadFile(f.config)
		if err != nil {
			return clierr.Usage(fmt.Errorf("--encryption-config: %w", err))
		}
		if opts.Write, err = secrets.WriteKeys(data, f.resources); err != nil {
			return clierr.Usage(fmt.Errorf("--encryption-config %s: %w", f.config, err))
		}
	}
	w, err := f.report.Open(s)
	if err != nil {
		return err
	}
	defer w.Close()
	// The etcd client logs its retries; kubeward reports the error once.
	cfg := clientv3.Config{Endpoints: f.endpoints, DialTimeout: f.timeout, Logger: zap.NewNop()}
	if f.caCert != "" || f.cert != "" {
		tls, err := transport.TLSInfo{CertFile: f.cert, KeyFile: f.key, TrustedCAFile: f.caCert}.ClientConfig()
		if err != nil {
			return clierr.Usage(fmt.Errorf("etcd TLS: %w", err))
		}
		cfg.TLS = tls
	}
	if ctx == nil {
		ctx = context.Background()
	}
	cli, err := clientv3.New(cfg)
	if err != nil {
		return &clierr.ExitError{Code: clierr.CodeError, Err: fmt.Errorf("connecting to etcd %s: %w", strings.Join(f.endpoints, ","), err)}
	}
	defer cli.Close()
	results, err := secrets.Verify(ctx, etcdPager{cli, f.timeout}, opts)
	if err != nil {
		return &clierr.ExitError{Code: clierr.CodeError, Err: err,
			Hint: "check --etcd-endpoints and the client certificate etcd requires (--cacert, --cert, --key; kubeadm: /etc/kubernetes/pki/etcd/ca.crt, /etc/kubernetes/pki/apiserver-etcd-client.crt and .key)"}
	}
	rep := report.New()
	for _, r := range results {
		rep.Summary.Objects += r.Objects
		for _, fd := range Findings(registry, r) {
			if f.report.Keep(&fd) {
				rep.Add(fd)
			}
		}
	}
	rep.AddSection(report.Section{Name: "encryption", Value: results, Text: func(w io.Writer, _ bool) error { return printCounts(w, results) }})
	return f.report.Finish(s, w, rep, registry, "secrets verify-encryption")
}

// etcdPager reads pages with the etcd client, each request under timeout.
type etcdPager struct {
	cli     *clientv3.Client
	timeout time.Duration
}

func (p etcdPager) Page(ctx context.Context, from, end string, limit int64) ([]secrets.KeyValue, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	resp, err := p.cli.Get(ctx, from, clientv3.WithRange(end), clientv3.WithLimit(limit), clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend))
	if err != nil {
		return nil, false, err
	}
	out := make([]secrets.KeyValue, len(resp.Kvs))
	for i, kv := range resp.Kvs {
		out[i] = secrets.KeyValue{Key: string(kv.Key), Value: kv.Value}
		kv.Value = nil
	}
	return out, resp.More, nil
}

// kinds names the kind of common resources for findings.
var kinds = map[string]string{"secrets": "Secret", "configmaps": "ConfigMap"}

// Findings returns the findings of one resource: one per object stored in
// plaintext, one per object encrypted otherwise than new writes are.
func Findings(registry *finding.Registry, r secrets.ResourceResult) []finding.Finding {
	kind, ok := kinds[r.Resource]
	if !ok {
		kind = r.Resource
	}
	plain, _ := registry.Lookup(secrets.RulePlaintextInEtcd)
	stale, _ := registry.Lookup(secrets.RuleStaleKey)
	var out []finding.Finding
	for _, o := range r.Plaintext {
		msg := fmt.Sprintf("%s is stored in plaintext in etcd at %s", kind, r.EtcdPrefix+key(o))
		if r.WriteKey != "" && r.WriteKey != "identity" {
			msg += fmt.Sprintf(" (new writes use %s: rewrite it)", r.WriteKey)
		}
		out = append(out, finding.Finding{Rule: plain.ID, Severity: plain.Severity,
			Object:  finding.ObjectRef{APIVersion: "v1", Kind: kind, Namespace: o.Namespace, Name: o.Name},
			Message: msg, Remediation: plain.Remediation})
	}
	for _, o := range r.Stale {
		out = append(out, finding.Finding{Rule: stale.ID, Severity: stale.Severity,
			Object:      finding.ObjectRef{APIVersion: "v1", Kind: kind, Namespace: o.Namespace, Name: o.Name},
			Message:     fmt.Sprintf("%s is encrypted with %s, new writes use %s: rewrite it", kind, o.Storage, r.WriteKey),
			Remediation: stale.Remediation})
	}
	return out
}

func key(o secrets.ObjectName) string {
	if o.Namespace == "" {
		return o.Name
	}
	return o.Namespace + "/" + o.Name
}

func printCounts(w io.Writer, results []secrets.ResourceResult) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RESOURCE\tSTORED AS\tOBJECTS")
	for _, r := range results {
		if len(r.Counts) == 0 {
			fmt.Fprintf(tw, "%s\t(none)\t0\n", r.Resource)
		}
		for _, c := range r.Counts {
			fmt.Fprintf(tw, "%s\t%s\t%d\n", r.Resource, c.Storage, c.Objects)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		if r.WriteKey != "" {
			if _, err := fmt.Fprintf(w, "%s: new writes use %s\n", r.Resource, r.WriteKey); err != nil {
				return err
			}
		}
	}
	return nil
}
