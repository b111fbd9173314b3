// Package audit is the `kubeward audit` command: it lists a live cluster's
// objects in pages, judges them with internal/audit (Pod Security per
// namespace, the plan) and with every rule family of the scanner that
// judges live objects (RBAC risks, ...), and renders one report.
package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeward/kubeward/internal/admission"
	"github.com/kubeward/kubeward/internal/audit"
	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/cli/reporting"
	"github.com/kubeward/kubeward/internal/cluster"
	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/podsecurity"
	"github.com/kubeward/kubeward/internal/report"
	"github.com/kubeward/kubeward/internal/rules"
	"github.com/kubeward/kubeward/internal/scan"
)

type flags struct {
	kubeconfig      string
	context         string
	namespace       string
	rules           []string
	admissionConfig string
	pinVersion      string
	chunkSize       int64
	maxBlockers     int
	timeout         time.Duration
	tenantLabel     string
	ignoreSup       bool
	report          *reporting.Flags
}

// NewCommand returns the audit command.
func NewCommand(s clierr.Streams) *cobra.Command { return newCommand(s, nil) }

// newCommand returns the audit command reading client, or the cluster of
// its flags when client is nil.
func newCommand(s clierr.Streams, client kubernetes.Interface) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Audit a live cluster: Pod Security per namespace with a plan to enforce it, RBAC risks, tenancy",
		Long: `Audit reads a live cluster (read-only: get and list, never Secrets) and
judges every namespace's Pod Security: its effective policy (the
pod-security.kubernetes.io labels over the API server's defaults and
exemptions, from --admission-config), every pod and every workload template
(Deployment, StatefulSet, DaemonSet, CronJob, Job and ReplicaSet not managed
by another workload, ReplicationController, PodTemplate) evaluated against
it, so that templates whose pods will be rejected at the next rollout are
caught even when nothing runs. For each namespace it prints a plan: the
highest level every pod and template meets at latest and at the pinned
version, what blocks the next level (workload, check, container, fix), and
the kubectl label command to apply. The JSON report holds the plans under
"namespaces".

The other rule families that judge live objects run too (the RBAC risks over
the cluster's roles and bindings, the tenancy report with NetworkPolicy
connectivity, quotas and tenant RBAC scope, the config/ rules on static pod
mirrors); choose families with --rules.

The cluster is the kubeconfig's (--kubeconfig, $KUBECONFIG or
~/.kube/config, --context), or the in-cluster service account when there is
no kubeconfig. Objects are listed in pages of --chunk-size.

Exit codes: 0 no unsuppressed findings at or above --fail-on, 1 findings,
2 usage errors or a cluster that cannot be read.`,
		Example: `  kubeward audit
  kubeward audit --context prod -o json --output-file audit.json
  kubeward audit -n shop --rules psa
  kubeward audit --admission-config /etc/kubernetes/admission.yaml -o text -o sarif --output-file - --output-file audit.sarif`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd.Context(), s, f, client)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file of the cluster (default: $KUBECONFIG or ~/.kube/config; in a pod without one, the in-cluster service account)")
	fl.StringVar(&f.context, "context", "", "kubeconfig context to use")
	fl.StringVarP(&f.namespace, "namespace", "n", "", "audit only this namespace (default: all namespaces)")
	fl.StringSliceVar(&f.rules, "rules", nil, "rule families to run, comma-separated: psa and the families that judge live objects (default: all; see 'kubeward rules')")
	fl.StringVar(&f.admissionConfig, "admission-config", "", "the API server's Pod Security configuration: a PodSecurityConfiguration or the AdmissionConfiguration of --admission-control-config-file (default: Kubernetes' defaults, privileged and no exemptions)")
	fl.StringVar(&f.pinVersion, "pin-version", "", "version the plan pins enforce labels to, v1.N (default: the cluster's version)")
	fl.Int64Var(&f.chunkSize, "chunk-size", 500, "list objects in pages of this many (0: each kind in one response)")
	fl.IntVar(&f.maxBlockers, "max-blockers", audit.DefaultMaxBlockers, "blockers listed per namespace in the plan")
	fl.DurationVar(&f.timeout, "timeout", 5*time.Minute, "give up reading the cluster after this long")
	fl.BoolVar(&f.ignoreSup, "ignore-suppressions", false, "ignore ignore-check.kubeward.io annotations, so workloads cannot exempt themselves")
	fl.StringVar(&f.tenantLabel, "tenant-label", "", "namespace label whose value names a namespace's tenant, for the tenancy/ rules (default: every namespace is a tenant)")
	f.report = reporting.Register(fl)
	return cmd
}

// families splits --rules into the audit engine's (psa) and the
// scanner's: every family the scanner runs but pod-security (audit judges
// Pod Security per namespace, under psa/); all of them by default.
func families(registry *finding.Registry, selected []string) (psa bool, scanner []string, err error) {
	runs := slices.DeleteFunc(scan.Families(registry), func(f string) bool { return f == podsecurity.RuleFamily })
	known := slices.Sorted(slices.Values(append([]string{audit.RuleFamily}, runs...)))
	if len(selected) == 0 {
		selected = known
	}
	for _, f := range selected {
		switch {
		case f == audit.RuleFamily:
			psa = true
		case f == podsecurity.RuleFamily:
			return false, nil, &clierr.ExitError{Code: clierr.CodeError, Err: errors.New("--rules: audit judges Pod Security against each namespace's own policy, as family psa"), Hint: "use --rules psa"}
		case slices.Contains(runs, f):
			scanner = append(scanner, f)
		default:
			return false, nil, clierr.Usage(fmt.Errorf("--rules: unknown rule family %q (known: %s)", f, strings.Join(known, ", ")))
		}
	}
	return psa, scanner, nil
}

// run audits the cluster of f, or client when not nil (tests).
func run(ctx context.Context, s clierr.Streams, f *flags, client kubernetes.Interface) error {
	if ctx == nil {
		ctx = context.Background()
	}
	registry := rules.Builtin()
	if err := f.report.Check(s.Out, registry); err != nil {
		return err
	}
	psa, scanFamilies, err := families(registry, f.rules)
	if err != nil {
		return err
	}
	if f.chunkSize < 0 {
		return clierr.Usage(fmt.Errorf("--chunk-size %d: want 0 or more", f.chunkSize))
	}
	var pin podsecurity.Version
	if f.pinVersion != "" {
		if pin, err = podsecurity.ParseVersion(f.pinVersion); err != nil || pin.IsLatest() {
			return clierr.Usage(fmt.Errorf("--pin-version %q: want v1.N", f.pinVersion))
		}
	}
	psConfig := admission.DefaultConfig()
	if f.admissionConfig != "" {
		if psConfig, err = admission.LoadAnyConfig(f.admissionConfig); err != nil {
			return clierr.Usage(fmt.Errorf("--admission-config: %w", err))
		}
	}
	if client == nil {
		cfg, err := cluster.Load(f.kubeconfig, f.context, "kubeward-audit")
		if err != nil {
			return &clierr.ExitError{Code: clierr.CodeError, Err: err, Hint: "give a cluster with --kubeconfig/--context, or run in a pod with a service account"}
		}
		if client, err = kubernetes.NewForConfig(cfg); err != nil {
			return &clierr.ExitError{Code: clierr.CodeError, Err: err}
		}
	}
	w, err := f.report.Open(s)
	if err != nil {
		return err
	}
	defer w.Close()
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()

	rep := report.New()
	if pin.IsLatest() {
		pin = serverVersion(client, rep)
	}
	var auditor *audit.Auditor
	if psa {
		opts := audit.Options{Config: psConfig, Pin: pin, MaxBlockers: f.maxBlockers}
		if !f.ignoreSup {
			opts.KnownRule = func(rule string) bool { _, ok := registry.Lookup(rule); return ok }
			if len(scanFamilies) == 0 {
				// Without the scanner, nobody else reads the annotations.
				opts.SuppressionProblem = func(o finding.ObjectRef, msg string) {
					rep.AddWarning(report.InputError{Message: fmt.Sprintf("%s %s/%s: %s", o.Kind, o.Namespace, o.Name, msg)})
				}
			}
		}
		if auditor, err = audit.New(opts); err != nil {
			return clierr.Usage(err)
		}
	}
	var scanner *scan.Scanner
	if len(scanFamilies) > 0 {
		scanner, err = scan.NewScanner(registry, scan.Options{
			PodSecurity:        podsecurity.LevelVersion{Level: podsecurity.LevelRestricted, Version: pin},
			Families:           scanFamilies,
			Disable:            f.report.DisabledIDs(),
			MinSeverity:        f.report.MinSeverity,
			TenantLabel:        f.tenantLabel,
			IgnoreSuppressions: f.ignoreSup,
		})
		if err != nil {
			return clierr.Usage(err)
		}
	}
	lister := &cluster.Lister{Client: client, PageSize: f.chunkSize, Namespace: f.namespace}
	objects := 0
	families := scanFamilies
	if psa {
		families = append(families, audit.RuleFamily)
	}
	err = lister.Each(ctx, cluster.ResourcesFor(cluster.AuditResources, families), func(o runtime.Object) error {
		objects++
		if auditor != nil {
			if n, ok := namespaceOf(o); ok {
				auditor.Namespace(n)
			} else {
				auditor.Object(o)
			}
		}
		if scanner != nil {
			scanner.Live(o)
		}
		return nil
	})
	if err != nil {
		return &clierr.ExitError{Code: clierr.CodeError, Err: fmt.Errorf("reading the cluster: %w", err), Hint: "audit needs get and list on the resources of deploy/audit/clusterrole.yaml"}
	}
	if auditor != nil {
		plans, fs := auditor.Finish()
		for i := range fs {
			if f.report.Keep(&fs[i]) {
				rep.Add(fs[i])
			}
		}
		rep.AddSection(report.Section{Name: "namespaces", Value: plans, Text: func(w io.Writer, color bool) error {
			return audit.WriteText(w, plans, color)
		}})
	}
	if scanner != nil {
		scanner.Finish()
		sr := scanner.Report()
		for _, fd := range sr.Findings {
			rep.Add(fd)
		}
		for _, e := range sr.Errors {
			rep.AddError(e)
		}
		for _, e := range sr.Warnings {
			rep.AddWarning(e)
		}
		for _, sec := range sr.Sections {
			rep.AddSection(sec)
		}
	}
	rep.Summary.Objects = objects
	title := "audit"
	if f.namespace != "" {
		title += " -n " + f.namespace
	}
	return f.report.Finish(s, w, rep, registry, title)
}

// serverVersion returns the cluster's v1.N from discovery; when it cannot
// be read, the newest version kubeward knows, with a warning.
func serverVersion(client kubernetes.Interface, rep *report.Report) podsecurity.Version {
	fallback := podsecurity.MajorMinor(podsecurity.NewestKnownMinor)
	info, err := client.Discovery().ServerVersion()
	if err != nil {
		rep.AddWarning(report.InputError{Message: fmt.Sprintf("reading the cluster's version: %v; the plan pins %s (set --pin-version)", err, fallback)})
		return fallback
	}
	minor, err := strconv.Atoi(strings.TrimSuffix(info.Minor, "+"))
	if err != nil || info.Major != "1" {
		rep.AddWarning(report.InputError{Message: fmt.Sprintf("the cluster's version %s.%s is not v1.N; the plan pins %s (set --pin-version)", info.Major, info.Minor, fallback)})
		return fallback
	}
	return podsecurity.MajorMinor(minor)
}

func namespaceOf(o runtime.Object) (*corev1.Namespace, bool) {
	n, ok := o.(*corev1.Namespace)
	return n, ok
}
