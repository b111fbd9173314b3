// Package scan is the `kubeward scan` command: it turns flags into a
// scan.Scanner run and renders the report.
package scan

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubeward/kubeward/internal/cli/clierr"
	"github.com/kubeward/kubeward/internal/cli/reporting"
	"github.com/kubeward/kubeward/internal/hugepages"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/podsecurity"
	"github.com/kubeward/kubeward/internal/render"
	"github.com/kubeward/kubeward/internal/rules"
	"github.com/kubeward/kubeward/internal/scan"
)

type flags struct {
	podSecurity        string
	report             *reporting.Flags
	rules              []string
	namespace          string
	exclude            []string
	render             bool
	helmValues         []string
	helmSet            []string
	ignoreSuppressions bool
	cpuProfile         string
	memProfile         string
	tenantLabel        string
}

// NewCommand returns the scan command.
func NewCommand(s clierr.Streams) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "scan PATH...",
		Short: "Check manifests (files, directories, - for stdin) against kubeward's rules",
		Long: `Scan reads Kubernetes manifests (YAML or JSON; multi-document files, List
kinds; directories recursively; - for stdin) and checks every object against
the Pod Security Standards (workloads on their pod template, as Kubernetes
does), the API versions Kubernetes still serves and, across the objects
read, the RBAC good-practice risks (as 'kubeward rbac risks -f' does, with
Kubernetes' default policy added).

Real repositories are taken as they are: namespaced objects without a
namespace get the one of -n (as kubectl apply -n would); files that define
the same objects (install.yaml beside ha/install.yaml, one manifest per
cloud) are judged as separate bundles by the cross-object rules; YAML files
met in a directory that are not Kubernetes manifests (Helm values, CI
configuration) are skipped and listed, not errors. Helm charts and
kustomization directories are rendered first (Helm's engine with the
chart's values, --values and --set; kustomize's krusty), and findings point
at the template or source file named by the rendered "# Source:" comments,
also for 'helm template' output piped on stdin.

Exit codes: 0 no unsuppressed findings at or above --fail-on, 1 findings,
2 usage or input errors (errors win; --exit-zero turns 1 into 0).

Suppress a finding with an annotation on the object (or its pod template),
with the reason as its value:
  ignore-check.kubeward.io/pod-security.runAsNonRoot: "legacy image, JIRA-123"
  web.ignore-check.kubeward.io/pod-security.capabilities_restricted: "needs NET_BIND_SERVICE"
(the second form covers only container "web"). --ignore-suppressions turns
annotation suppression off.

Flag defaults can be kept in .kubeward.yaml (see 'kubeward --help').`,
		Example: `  kubeward scan examples/
  kubeward scan --pod-security baseline:v1.30 deploy.yaml
  kubectl get deploy -A -o yaml | kubeward scan -
  kubeward scan manifests/ -o json
  kubeward scan manifests/ -o text -o sarif --output-file - --output-file kubeward.sarif
  kubeward scan . --exclude '**/testdata/**' --fail-on high --disable rbac/sa-token-automount
  kubeward scan charts/web --values prod-values.yaml --set replicas=3
  helm template charts/web | kubeward scan -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return run(s, f, args) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.podSecurity, "pod-security", "restricted:latest", "Pod Security level and version pods must meet: LEVEL[:VERSION], LEVEL baseline or restricted, VERSION latest or v1.N")
	f.report = reporting.Register(fl)
	fl.StringSliceVar(&f.rules, "rules", nil, "rule families to run, comma-separated (default: all; see 'kubeward rules')")
	fl.StringVarP(&f.namespace, "namespace", "n", "default", "namespace of namespaced objects that have none, as kubectl apply -n")
	fl.StringArrayVar(&f.exclude, "exclude", nil, "glob of paths not to read while walking directories (repeatable; ** matches any directories, e.g. '**/testdata/**')")
	fl.BoolVar(&f.render, "render", true, "render Helm charts (directories with Chart.yaml, as helm template) and kustomizations (as kubectl kustomize) met as directories; false reads their files as they are")
	fl.StringArrayVar(&f.helmValues, "values", nil, "values file for Helm charts, merged over the chart's values.yaml (repeatable, as helm -f)")
	fl.StringArrayVar(&f.helmSet, "set", nil, "value for Helm charts, key=value[,key=value] (repeatable, as helm --set)")
	fl.BoolVar(&f.ignoreSuppressions, "ignore-suppressions", false, "ignore ignore-check.kubeward.io annotations, so workloads cannot exempt themselves")
	// A hidden flag for measuring the command as users run it (see
	// docs/performance.md); not part of the interface.
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the scan to this file")
	_ = fl.MarkHidden("cpuprofile")
	fl.StringVar(&f.memProfile, "memprofile", "", "write a heap profile of what is live when reading ends to this file")
	_ = fl.MarkHidden("memprofile")
	fl.StringVar(&f.tenantLabel, "tenant-label", "", "namespace label whose value names a namespace's tenant, for the tenancy/ rules (default: every namespace is a tenant)")
	return cmd
}

func run(s clierr.Streams, f *flags, paths []string) error {
	tuneGC()
	if f.cpuProfile != "" {
		stop, err := startCPUProfile(f.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	if f.memProfile != "" {
		runtime.MemProfileRate = 4096
	}
	lv, err := podsecurity.ParseLevelVersion(f.podSecurity)
	if err != nil {
		return clierr.Usage(fmt.Errorf("--pod-security: %w", err))
	}
	if lv.Level == podsecurity.LevelPrivileged {
		return clierr.Usage(errors.New("--pod-security: privileged allows everything; choose baseline or restricted"))
	}
	registry := rules.Builtin()
	if err := f.report.Check(s.Out, registry); err != nil {
		return err
	}
	scanner, err := scan.NewScanner(registry, scan.Options{
		PodSecurity:        lv,
		Families:           f.rules,
		Disable:            f.report.DisabledIDs(),
		MinSeverity:        f.report.MinSeverity,
		IgnoreSuppressions: f.ignoreSuppressions,
		Namespace:          f.namespace,
		TenantLabel:        f.tenantLabel,
	})
	if err != nil {
		return clierr.Usage(err)
	}
	reader := &manifest.Reader{Stdin: s.In, Exclude: f.exclude}
	if err := reader.Validate(); err != nil {
		return clierr.Usage(fmt.Errorf("--exclude: %w", err))
	}
	if f.render {
		helm := render.HelmOptions{ValueFiles: f.helmValues, Set: f.helmSet, Namespace: f.namespace}
		if err := helm.Validate(); err != nil {
			return clierr.Usage(err)
		}
		reader.Renderers = []manifest.Renderer{render.NewHelm(helm), render.Kustomize{}}
	} else if len(f.helmValues)+len(f.helmSet) > 0 {
		return clierr.Usage(errors.New("--values and --set need --render"))
	}
	w, err := f.report.Open(s)
	if err != nil {
		return err
	}
	defer w.Close()
	rep := scanner.Read(reader, paths)
	if f.memProfile != "" {
		if err := writeHeapProfile(f.memProfile); err != nil {
			return err
		}
	}
	title := lv.String()
	if len(f.rules) > 0 && !slices.Contains(f.rules, "pod-security") {
		title = strings.Join(f.rules, ",")
	}
	return f.report.Finish(s, w, rep, registry, title)
}

// gcPercent is the garbage collector's target (GOGC) for a scan unless the
// environment sets GOGC. Decoding allocates about 40 bytes per byte of YAML,
// nearly all garbage once the object is evaluated, over a live heap of a
// few tens of MB (client-go's scheme, the documents in flight): at Go's
// default of 100 the collector took a fifth of the scan's CPU time, at 400
// it runs a quarter as often for a heap of up to five times the live data.
// gcMemoryLimit caps that larger heap (the collector runs as often as it
// must near it) unless GOMEMLIMIT is set, so that scans whose live heap is
// large (kustomize renderings) peak no higher than at GOGC=100.
const (
	gcPercent     = 400
	gcMemoryLimit = 256 << 20
)

// tuneGC sets the collector's targets and has the heap, up to the memory
// limit (at most gcMemoryLimit), backed by huge pages: first touches of a
// fast-growing heap cost a scan up to a quarter of its CPU time in page
// faults otherwise (see the hugepages package). Huge pages are a hint: where
// the system declines them the scan runs as before, so the error is dropped.
func tuneGC() {
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(gcPercent)
	}
	if _, ok := os.LookupEnv("GOMEMLIMIT"); !ok {
		debug.SetMemoryLimit(gcMemoryLimit)
	}
	_, _ = hugepages.Advise(int(min(debug.SetMemoryLimit(-1), gcMemoryLimit)))
}

// writeHeapProfile writes what is live now, after a collection, to path.
func writeHeapProfile(path string) error {
	runtime.GC()
	pf, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--memprofile: %w", err)
	}
	if err := pprof.WriteHeapProfile(pf); err != nil {
		pf.Close()
		return fmt.Errorf("--memprofile: %w", err)
	}
	if err := pf.Close(); err != nil {
		return fmt.Errorf("--memprofile: %w", err)
	}
	return nil
}

// startCPUProfile starts writing a CPU profile to path and returns the
// function that stops it.
func startCPUProfile(path string) (func(), error) {
	pf, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(pf); err != nil {
		pf.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		pf.Close()
	}, nil
}
