package render

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	commonutil "helm.sh/helm/v4/pkg/chart/common/util"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	"helm.sh/helm/v4/pkg/strvals"
	"sigs.k8s.io/yaml"
)

// Defaults of HelmOptions, those of `helm template`.
const (
	DefaultReleaseName = "release-name"
	DefaultNamespace   = "default"
)

// notesSuffix ends the name of a chart's (or subchart's) notes template, which
// helm renders but never outputs as a manifest.
const notesSuffix = "NOTES.txt"

// HelmOptions are the inputs of a chart's rendering beyond the chart itself,
// as `helm template` takes them. The zero value renders with the chart's
// default values, release "release-name" in namespace "default", and Helm's
// default capabilities.
type HelmOptions struct {
	// ValueFiles are YAML values files merged over the chart's values.yaml
	// in order, later files winning (helm's -f/--values, repeatable).
	ValueFiles []string
	// Set are "key=value[,key=value]" assignments applied after ValueFiles
	// in order, with helm's syntax (helm's --set, repeatable).
	Set []string
	// ReleaseName is .Release.Name; "" means DefaultReleaseName.
	ReleaseName string
	// Namespace is .Release.Namespace; "" means DefaultNamespace.
	Namespace string
	// KubeVersion is .Capabilities.KubeVersion, e.g. "v1.33.0" or "1.33";
	// "" means helm's default. A chart's kubeVersion constraint is checked
	// against it.
	KubeVersion string
}

// Validate checks the options that need no file: the --set syntax, the
// release name and the Kubernetes version. It reports every problem at once.
// Render validates too; Validate lets a command line report a usage error
// before any chart is read.
func (o HelmOptions) Validate() error {
	var errs []error
	for _, s := range o.Set {
		if err := strvals.ParseInto(s, map[string]any{}); err != nil {
			errs = append(errs, fmt.Errorf("parsing --set %q: %w", s, err))
		}
	}
	if o.ReleaseName != "" {
		if err := chartutil.ValidateReleaseName(o.ReleaseName); err != nil {
			errs = append(errs, fmt.Errorf("release name %q: %w", o.ReleaseName, err))
		}
	}
	if o.KubeVersion != "" {
		if _, err := common.ParseKubeVersion(o.KubeVersion); err != nil {
			errs = append(errs, fmt.Errorf("kube version %q: %w", o.KubeVersion, err))
		}
	}
	return errors.Join(errs...)
}

// Helm renders Helm charts (directories holding Chart.yaml) as
// `helm template` does, with Helm's own chart loader and template engine:
// dependencies found in charts/ (directories or archives) are included as
// their conditions, tags and aliases say; values are coalesced; the
// `lookup` function finds nothing (no cluster is contacted); hooks, test hooks
// included, follow the manifests; the crds/ directory is left out, as without
// --include-crds; NOTES.txt is not output.
//
// Helm satisfies manifest.Renderer. It is safe for concurrent use.
type Helm struct {
	opts HelmOptions
}

// NewHelm returns a Helm renderer with the given options; the zero
// HelmOptions render charts with their default values.
func NewHelm(opts HelmOptions) *Helm {
	opts.ValueFiles = slices.Clone(opts.ValueFiles)
	opts.Set = slices.Clone(opts.Set)
	if opts.ReleaseName == "" {
		opts.ReleaseName = DefaultReleaseName
	}
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	return &Helm{opts: opts}
}

// Name returns "helm".
func (*Helm) Name() string { return "helm" }

// Detect reports whether dir holds a Chart.yaml.
func (*Helm) Detect(dir string) bool {
	return isFile(filepath.Join(dir, "Chart.yaml"))
}

// Render renders the chart in dir and returns the manifests, in helm's
// install order, then the hooks, each document preceded by a
// "# Source: PATH" comment naming its template file (helm's chart-relative
// names are rewritten to paths). Template errors keep helm's location
// (file:line:column), rewritten the same way.
func (h *Helm) Render(dir string) ([]byte, error) {
	name := displayPath(dir)
	out, err := h.render(dir)
	if err != nil {
		return nil, fmt.Errorf("helm chart %s: %w", name, err)
	}
	return out, nil
}

func (h *Helm) render(dir string) ([]byte, error) {
	if err := h.opts.Validate(); err != nil {
		return nil, err
	}
	vals, err := h.values()
	if err != nil {
		return nil, err
	}
	ch, err := loader.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("loading chart: %w", err)
	}
	switch ch.Metadata.Type {
	case "", "application":
	default:
		return nil, fmt.Errorf("%s charts are not installable", ch.Metadata.Type)
	}
	if err := checkDependencies(ch); err != nil {
		return nil, err
	}
	// Where each template lives on disk, found before ProcessDependencies
	// renames aliased subcharts (their templates are shared, not copied).
	disk := map[*common.File]string{}
	if err := templateFiles(ch, dir, disk); err != nil {
		return nil, err
	}

	caps := common.DefaultCapabilities.Copy()
	if h.opts.KubeVersion != "" {
		kv, err := common.ParseKubeVersion(h.opts.KubeVersion)
		if err != nil { // not reached: Validate parsed it
			return nil, fmt.Errorf("kube version %q: %w", h.opts.KubeVersion, err)
		}
		caps.KubeVersion = *kv
	}
	if c := ch.Metadata.KubeVersion; c != "" && !chartutil.IsCompatibleRange(c, caps.KubeVersion.String()) {
		return nil, fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", c, caps.KubeVersion.Version)
	}
	if err := chartutil.ProcessDependencies(ch, vals); err != nil {
		return nil, fmt.Errorf("processing chart dependencies: %w", err)
	}
	rel := common.ReleaseOptions{
		Name:      h.opts.ReleaseName,
		Namespace: h.opts.Namespace,
		Revision:  1,
		IsInstall: true,
	}
	top, err := commonutil.ToRenderValuesWithSchemaValidation(ch, vals, rel, caps, false)
	if err != nil {
		return nil, err
	}

	names := templateNames(ch, disk)
	files, err := engine.Engine{}.RenderWithContext(context.Background(), ch, top)
	if err != nil {
		return nil, names.rewrite(err)
	}
	for k := range files {
		if strings.HasSuffix(k, notesSuffix) {
			delete(files, k)
		}
	}
	hooks, manifests, err := releaseutil.SortManifests(files, caps.APIVersions, releaseutil.InstallOrder)
	if err != nil {
		return nil, names.rewrite(err)
	}

	var b strings.Builder
	for _, m := range manifests {
		fmt.Fprintf(&b, "---\n%s%s\n%s\n", sourceComment, names.path(m.Name), m.Content)
	}
	for _, hk := range hooks {
		fmt.Fprintf(&b, "---\n%s%s\n%s\n", sourceComment, names.path(hk.Path), hk.Manifest)
	}
	return []byte(b.String()), nil
}

// values merges the value files in order, then applies the --set
// assignments, as helm does before coalescing them with the chart's values.
func (h *Helm) values() (map[string]any, error) {
	base := map[string]any{}
	for _, f := range h.opts.ValueFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading values file: %w", err)
		}
		cur := map[string]any{}
		if err := yaml.Unmarshal(data, &cur); err != nil {
			return nil, fmt.Errorf("parsing values file %s: %w", displayPath(f), err)
		}
		base = mergeValues(base, cur)
	}
	for _, s := range h.opts.Set {
		if err := strvals.ParseInto(s, base); err != nil {
			return nil, fmt.Errorf("parsing --set %q: %w", s, err)
		}
	}
	return base, nil
}

// mergeValues merges b into a, b winning, recursing where both hold a map.
func mergeValues(a, b map[string]any) map[string]any {
	out := maps.Clone(a)
	for k, v := range b {
		if bm, ok := v.(map[string]any); ok {
			if am, ok := out[k].(map[string]any); ok {
				out[k] = mergeValues(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// checkDependencies fails, as helm template does, when Chart.yaml declares a
// dependency that charts/ does not hold.
func checkDependencies(ch *chart.Chart) error {
	var missing []string
	for _, d := range ch.Metadata.Dependencies {
		if !slices.ContainsFunc(ch.Dependencies(), func(c *chart.Chart) bool { return c.Name() == d.Name }) {
			missing = append(missing, d.Name)
		}
	}
	if len(missing) > 0 {
		return &OfflineError{Err: fmt.Errorf("found in Chart.yaml, but missing in charts/ directory: %s (run 'helm dependency build' to fetch them)", strings.Join(missing, ", "))}
	}
	return nil
}

// templateFiles records in disk the file of every template of ch and of its
// subcharts, ch being loaded from dir. A subchart loaded from an archive has
// no file of its own: its templates are named ARCHIVE/templates/NAME.
func templateFiles(ch *chart.Chart, dir string, disk map[*common.File]string) error {
	for _, t := range ch.Templates {
		disk[t] = filepath.Join(dir, filepath.FromSlash(t.Name))
	}
	if len(ch.Dependencies()) == 0 {
		return nil
	}
	locs, err := subchartDirs(filepath.Join(dir, "charts"))
	if err != nil {
		return err
	}
	used := map[string]bool{}
	for _, sub := range ch.Dependencies() {
		loc := ""
		for _, l := range locs {
			if !used[l.path] && l.name == sub.Metadata.Name && l.version == sub.Metadata.Version {
				loc = l.path
				break
			}
		}
		if loc == "" { // not reached for charts the loader read from dir
			return fmt.Errorf("locating subchart %s %s under %s", sub.Metadata.Name, sub.Metadata.Version, filepath.Join(dir, "charts"))
		}
		used[loc] = true
		if err := templateFiles(sub, loc, disk); err != nil {
			return err
		}
	}
	return nil
}

type subchartLoc struct {
	path, name, version string
}

// subchartDirs lists the charts in a charts/ directory: subdirectories with
// their Chart.yaml, and archives, which it loads to learn their name.
func subchartDirs(dir string) ([]subchartLoc, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading subcharts: %w", err)
	}
	var out []subchartLoc
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if e.IsDir() {
			data, err := os.ReadFile(filepath.Join(p, "Chart.yaml"))
			if err != nil {
				continue // the loader ignored it too, or failed already
			}
			var md chart.Metadata
			if err := yaml.Unmarshal(data, &md); err != nil {
				continue
			}
			out = append(out, subchartLoc{path: p, name: md.Name, version: md.Version})
			continue
		}
		if filepath.Ext(p) != ".tgz" {
			continue
		}
		sub, err := loader.LoadFile(p)
		if err != nil {
			continue
		}
		out = append(out, subchartLoc{path: p, name: sub.Metadata.Name, version: sub.Metadata.Version})
	}
	return out, nil
}

// sourceNames maps helm's template names (CHART/templates/x.yaml,
// CHART/charts/SUB/templates/y.yaml) to display paths.
type sourceNames map[string]string

// templateNames returns the display path of every template of ch (after
// ProcessDependencies, so with aliases applied) under helm's name for it.
func templateNames(ch *chart.Chart, disk map[*common.File]string) sourceNames {
	names := sourceNames{}
	var walk func(c *chart.Chart)
	walk = func(c *chart.Chart) {
		for _, t := range c.Templates {
			if p, ok := disk[t]; ok {
				names[path.Join(c.ChartFullPath(), t.Name)] = displayPath(p)
			}
		}
		for _, d := range c.Dependencies() {
			walk(d)
		}
	}
	walk(ch)
	return names
}

// path returns the display path of a helm template name, or the name itself
// if it is not a known template.
func (n sourceNames) path(name string) string {
	if p, ok := n[name]; ok {
		return p
	}
	return name
}

// rewrite returns err with every helm template name in its message replaced
// by the template's path, keeping err in the chain.
func (n sourceNames) rewrite(err error) error {
	keys := slices.Collect(maps.Keys(n))
	// Longest first, so that a name that prefixes another is not replaced
	// inside it.
	slices.SortFunc(keys, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		pairs = append(pairs, k, n[k])
	}
	msg := strings.NewReplacer(pairs...).Replace(err.Error())
	if msg == err.Error() {
		return err
	}
	return &rewrittenError{msg: msg, err: err}
}

// rewrittenError is an error whose message has been rewritten.
type rewrittenError struct {
	msg string
	err error
}

func (e *rewrittenError) Error() string { return e.msg }
func (e *rewrittenError) Unwrap() error { return e.err }
