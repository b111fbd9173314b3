// Package auditlog is the `kubeward auditlog` command: `analyze` reads
// Kubernetes audit logs and reports what the detections of
// internal/auditlog find; `serve` runs the same detections live behind
// kube-apiserver's audit webhook backend.
package auditlog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeward/kubeward/internal/auditlog"
	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/cli/reporting"
	"github.com/kubeward/kubeward/internal/cluster"
	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/kinds"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/podsecurity"
	"github.com/kubeward/kubeward/internal/rbac"
	"github.com/kubeward/kubeward/internal/report"
	"github.com/kubeward/kubeward/internal/rules"
)

// NewCommand returns the auditlog command and its subcommands.
func NewCommand(s clierr.Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "auditlog",
		Short: "Detect attacks and risky changes in Kubernetes audit logs, offline or live",
		Long: `Auditlog reads Kubernetes audit events (audit.k8s.io/v1) and reports what the
Kubernetes security pages warn about: pods violating the Pod Security
Standards, exec into pods, Secrets enumerated, RBAC escalation paths,
impersonation, anonymous access, tokens for other service accounts,
certificate approvals, admission webhooks changed and Pod Security labels
lowered. 'analyze' reads log files; 'serve' receives the events of
kube-apiserver's audit webhook backend. See docs/auditlog.md.`,
	}
	cmd.AddCommand(newAnalyzeCommand(s), newServeCommand(s))
	return cmd
}

// detectFlags are the flags of the detections, shared by analyze and serve.
type detectFlags struct {
	podSecurity      string
	secretsWindow    time.Duration
	secretsThreshold int
	authWindow       time.Duration
	authThreshold    int
	rbacFiles        []string
	kubeconfig       string
	context          string
}

func (d *detectFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&d.podSecurity, "pod-security", "baseline:latest", "Pod Security level and version pods must meet: LEVEL[:VERSION], LEVEL baseline or restricted, VERSION latest or v1.N")
	fl.DurationVar(&d.secretsWindow, "secrets-window", auditlog.DefaultSecretsWindow, "window of the Secret enumeration detection")
	fl.IntVar(&d.secretsThreshold, "secrets-threshold", auditlog.DefaultSecretsThreshold, "distinct Secrets one identity may read within --secrets-window before it is reported")
	fl.DurationVar(&d.authWindow, "auth-failures-window", auditlog.DefaultAuthFailuresWindow, "window of the 401/403 burst detection")
	fl.IntVar(&d.authThreshold, "auth-failures-threshold", auditlog.DefaultAuthFailuresThreshold, "401/403 responses one identity or source address may receive within --auth-failures-window before it is reported")
	fl.StringArrayVar(&d.rbacFiles, "rbac", nil, "RBAC objects (and Namespaces) of the cluster, file or directory (repeatable): findings name the binding and role that allowed each request, and escalate/bind use is detected")
	fl.StringVar(&d.kubeconfig, "kubeconfig", "", "read the RBAC objects and Namespaces from the cluster of this kubeconfig instead of --rbac (get/list on roles, bindings and namespaces)")
	fl.StringVar(&d.context, "context", "", "kubeconfig context of the cluster to read RBAC from (implies reading the cluster)")
}

// options turns the flags into analyzer options; RBAC input problems are
// returned as input errors for the report.
func (d *detectFlags) options(s clierr.Streams, registry *finding.Registry) (auditlog.Options, []report.InputError, error) {
	lv, err := podsecurity.ParseLevelVersion(d.podSecurity)
	if err != nil {
		return auditlog.Options{}, nil, clierr.Usage(fmt.Errorf("--pod-security: %w", err))
	}
	if lv.Level == podsecurity.LevelPrivileged {
		return auditlog.Options{}, nil, clierr.Usage(errors.New("--pod-security: privileged allows everything; choose baseline or restricted"))
	}
	for _, c := range []struct {
		name string
		ok   bool
	}{{"--secrets-window", d.secretsWindow > 0}, {"--secrets-threshold", d.secretsThreshold > 0}, {"--auth-failures-window", d.authWindow > 0}, {"--auth-failures-threshold", d.authThreshold > 0}} {
		if !c.ok {
			return auditlog.Options{}, nil, clierr.Usage(fmt.Errorf("%s must be positive", c.name))
		}
	}
	opts := auditlog.Options{PodSecurity: lv, SecretsWindow: d.secretsWindow, SecretsThreshold: d.secretsThreshold,
		AuthFailuresWindow: d.authWindow, AuthFailuresThreshold: d.authThreshold, Registry: registry}
	var inputErrs []report.InputError
	var p *rbac.Policy
	switch {
	case len(d.rbacFiles) > 0 && (d.kubeconfig != "" || d.context != ""):
		return opts, nil, clierr.Usage(errors.New("--rbac and --kubeconfig/--context are exclusive: read RBAC from files or from a cluster"))
	case len(d.rbacFiles) > 0:
		if p, err = rbac.NewPolicyWithDefaults(); err != nil {
			return opts, nil, fmt.Errorf("default RBAC policy: %w", err)
		}
		r := manifest.Reader{Stdin: s.In}
		err = r.Read(d.rbacFiles, func(o *manifest.Object) error {
			kinds.SetDefaultNamespace(o.Object, "default")
			p.Add(o.Object, rbac.Source{File: o.File, Line: o.Line})
			return nil
		}, func(e *manifest.Error) {
			if !e.Warning {
				inputErrs = append(inputErrs, report.InputError{File: e.File, Line: e.Line, Message: e.Error()})
			}
		})
		if err != nil {
			return opts, nil, fmt.Errorf("--rbac: %w", err)
		}
		opts.RBAC = rbac.NewIndex(p, rbac.Options{Aggregate: true})
	case d.kubeconfig != "" || d.context != "":
		if p, err = d.clusterPolicy(); err != nil {
			return opts, nil, err
		}
		// The cluster's aggregation controller has aggregated its roles.
		opts.RBAC = rbac.NewIndex(p, rbac.Options{})
	}
	if p != nil {
		opts.NamespaceLevels = map[string]podsecurity.LevelVersion{}
		for _, ns := range p.Namespaces {
			v, ok := ns.Labels["pod-security.kubernetes.io/enforce"]
			if !ok {
				continue
			}
			var nlv podsecurity.LevelVersion
			if nlv.Level, err = podsecurity.ParseLevel(v); err != nil {
				continue
			}
			if ver, ok := ns.Labels["pod-security.kubernetes.io/enforce-version"]; ok {
				nlv.Version, _ = podsecurity.ParseVersion(ver)
			}
			opts.NamespaceLevels[ns.Name] = nlv
		}
	}
	return opts, inputErrs, nil
}

// clusterPolicy reads the RBAC objects and Namespaces of the kubeconfig's
// cluster, in pages.
func (d *detectFlags) clusterPolicy() (*rbac.Policy, error) {
	cfg, err := cluster.Load(d.kubeconfig, d.context, "kubeward-auditlog")
	if err != nil {
		return nil, &clierr.ExitError{Code: clierr.CodeError, Err: err, Hint: "give the RBAC objects with --rbac FILE|DIR instead"}
	}
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l := &cluster.Lister{Client: c, PageSize: 500}
	p, err := l.Policy(ctx, cluster.Named(cluster.AuditResources, "clusterroles", "clusterrolebindings", "roles", "rolebindings", "namespaces"))
	if err != nil {
		return nil, fmt.Errorf("reading RBAC from the cluster: %w", err)
	}
	return p, nil
}

type analyzeFlags struct {
	detect detectFlags
	report *reporting.Flags
	policy string
}

func newAnalyzeCommand(s clierr.Streams) *cobra.Command {
	f := &analyzeFlags{}
	cmd := &cobra.Command{
		Use:   "analyze FILE...",
		Short: "Analyze audit log files (JSON lines, gzip, EventList documents; - for stdin)",
		Long: `Analyze reads audit logs as kube-apiserver's log backend writes them (one
audit.k8s.io/v1 Event per line; rotated files, gzip-compressed or not, are
read oldest first whatever the order given) or as EventList documents, and
reports what the detections find. Each request counts once, at its
ResponseComplete stage (at ResponseStarted for exec, attach and
portforward sessions and for failed authentication); a file's events are
taken in stageTimestamp order. Memory does not grow with the length of the
log. A line that is not an audit event is an input error (file:line) and
reading goes on.

--policy FILE also checks the cluster's audit policy: for each detection,
whether the policy records the requests it reads at the level and stage it
needs (first matching rule wins, as in kube-apiserver). With --policy alone
no log is read.

--rbac FILE|DIR gives the cluster's RBAC objects (--kubeconfig/--context
reads them from the cluster instead): each finding then names
the binding and role that allowed the request, roles bound by a binding are
judged by their rules, and the use of the escalate and bind verbs is
detected. Namespaces given there tell the level each one enforces (else it
is learnt from namespace events and Pod Security audit annotations).

Exit codes: 0 no findings at or above --fail-on, 1 findings, 2 usage or
input errors.`,
		Example: `  kubeward auditlog analyze /var/log/kubernetes/audit/audit*.log*
  kubeward auditlog analyze audit.log --pod-security restricted --secrets-threshold 20 -o json
  kubeward auditlog analyze audit.log --rbac rbac-dump/ --fail-on high
  kubeward auditlog analyze audit.log --context prod -o json
  kubeward auditlog analyze --policy /etc/kubernetes/audit-policy.yaml
  zcat audit.log.gz | kubeward auditlog analyze -`,
		RunE: func(cmd *cobra.Command, args []string) error { return runAnalyze(s, f, args) },
	}
	fl := cmd.Flags()
	f.detect.register(fl)
	f.report = reporting.Register(fl)
	fl.StringVar(&f.policy, "policy", "", "audit policy file (audit.k8s.io/v1 Policy) to check: which detections it makes possible")
	return cmd
}

func runAnalyze(s clierr.Streams, f *analyzeFlags, paths []string) error {
	if len(paths) == 0 && f.policy == "" {
		return clierr.Usage(errors.New("give audit log files (- for stdin), or --policy FILE"))
	}
	registry := rules.Builtin()
	if err := f.report.Check(s.Out, registry, auditlog.RuleFamily); err != nil {
		return err
	}
	opts, rbacErrs, err := f.detect.options(s, registry)
	if err != nil {
		return err
	}
	var policy *auditlog.Policy
	if f.policy != "" {
		if policy, err = auditlog.LoadPolicy(f.policy); err != nil {
			return clierr.Usage(fmt.Errorf("--policy: %w", err))
		}
	}
	an, err := auditlog.NewAnalyzer(opts)
	if err != nil {
		return err
	}
	w, err := f.report.Open(s)
	if err != nil {
		return err
	}
	defer w.Close()
	rep := report.New()
	for _, e := range rbacErrs {
		rep.AddError(e)
	}
	r := &auditlog.Reader{Stdin: s.In}
	_ = r.Read(paths, func(ev *auditlog.Event) error {
		an.Event(ev, func(fd finding.Finding) {
			if f.report.Keep(&fd) {
				rep.Add(fd)
			}
		})
		return nil
	}, func(e *auditlog.InputError) {
		rep.AddError(report.InputError{File: e.File, Line: e.Line, Message: e.Err.Error()})
	})
	st := an.Stats()
	rep.Summary.Objects = int(st.Requests)
	if len(paths) > 0 {
		rep.AddSection(report.Section{Name: "auditLog", Value: logSummary{Events: r.Events, Lines: r.Lines, Requests: st.Requests}})
	}
	if policy != nil {
		cov := auditlog.CheckCoverage(policy)
		rep.AddSection(report.Section{Name: "auditPolicyCoverage", Value: cov, Text: func(w io.Writer, _ bool) error { return writeCoverage(w, f.policy, cov) }})
	}
	return f.report.Finish(s, w, rep, registry, "auditlog")
}

// logSummary is the "auditLog" section: what was read.
type logSummary struct {
	Events   int64 `json:"events"`
	Lines    int64 `json:"lines"`
	Requests int64 `json:"requests"`
}

func writeCoverage(w io.Writer, path string, cov []auditlog.Coverage) error {
	var missing []auditlog.Coverage
	for _, c := range cov {
		if !c.Covered {
			missing = append(missing, c)
		}
	}
	fmt.Fprintf(w, "\naudit policy %s: %d of %d detections possible\n", path, len(cov)-len(missing), len(cov))
	sort.SliceStable(missing, func(i, j int) bool { return missing[i].Rule < missing[j].Rule })
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range missing {
		fmt.Fprintf(tw, "  %s\tcannot fire: %s\n", c.Rule, strings.Join(c.Problems, "; "))
	}
	return tw.Flush()
}
