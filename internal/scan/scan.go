// Package scan runs kubeward's rules over manifests: it reads objects with
// internal/manifest, resolves what real repositories leave implicit (the
// object layer: default namespaces, removed API versions, objects defined
// in several files), hands each object to every rule family's analyzer,
// applies suppressions and filters, and returns the report internal/report
// renders.
package scan

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/podsecurity"
	"github.com/kubeward/kubeward/internal/rbac"
	"github.com/kubeward/kubeward/internal/report"
)

// Options configures a scan. The zero value is not valid; use NewScanner.
type Options struct {
	// PodSecurity is the level and version pods must meet.
	PodSecurity podsecurity.LevelVersion
	// Families restricts the run to these rule families; empty means all.
	Families []string
	// Disable lists rule IDs whose findings are not reported.
	Disable []string
	// MinSeverity drops findings below this severity; empty keeps all.
	MinSeverity finding.Severity
	// IgnoreSuppressions disables annotation-based suppression, so that
	// workloads cannot exempt themselves.
	IgnoreSuppressions bool
	// Namespace is given to namespaced objects that have none, as
	// `kubectl apply -n NAMESPACE` does; empty means "default".
	Namespace string
	// TenantLabel makes the tenancy/ rules group namespaces into tenants
	// by this label's value; empty: every namespace is a tenant.
	TenantLabel string
}

// Scanner evaluates objects. It is not safe for concurrent use (it reuses
// buffers between objects).
type Scanner struct {
	opts      Options
	registry  *finding.Registry
	analyzers []Analyzer
	cross     []CrossObjectAnalyzer
	disabled  map[string]bool
	minRank   int
	objects   objectLayer
	// pending holds what cross-object analyzers kept of the current file's
	// objects until the file's bundle is known.
	pending []pendingKeep
	// laterSup holds the suppressions of objects with any, for the
	// cross-object findings reported at Finish.
	laterSup map[supKey]suppressions
	report   *report.Report
	// defaultPolicy is set when an analyzer uses Kubernetes' default RBAC
	// policy (see bundlePolicy).
	defaultPolicy bool
}

type pendingKeep struct {
	analyzer int
	kept     any
}

// supKey identifies an object's document across the scan.
type supKey struct {
	file      string
	line      int
	kind      string
	namespace string
	name      string
}

// NewScanner validates opts against the registry (unknown families and
// rules are errors naming the known ones) and returns a scanner.
func NewScanner(registry *finding.Registry, opts Options) (*Scanner, error) {
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	all, err := newAnalyzers(registry, opts)
	if err != nil {
		return nil, err
	}
	known := registry.Families()
	runs := familiesOf(all)
	enabled := map[string]bool{}
	for _, f := range opts.Families {
		if !slices.Contains(runs, f) {
			return nil, fmt.Errorf("unknown rule family %q (known: %s)", f, strings.Join(runs, ", "))
		}
		enabled[f] = true
	}
	s := &Scanner{opts: opts, registry: registry, disabled: map[string]bool{}, report: report.New()}
	for _, id := range opts.Disable {
		if _, ok := registry.Lookup(id); !ok {
			if slices.Contains(known, id) {
				return nil, fmt.Errorf("--disable takes rule IDs, not families: %q is a family (use --rules to choose families)", id)
			}
			return nil, fmt.Errorf("cannot disable unknown rule %q (see 'kubeward rules')", id)
		}
		s.disabled[id] = true
	}
	if opts.MinSeverity != "" {
		s.minRank = opts.MinSeverity.Rank()
	}
	for _, a := range all {
		if len(enabled) > 0 && !enabled[a.Family()] {
			continue
		}
		s.analyzers = append(s.analyzers, a)
		if c, ok := a.(CrossObjectAnalyzer); ok {
			s.cross = append(s.cross, c)
		}
	}
	s.objects.namespace = s.opts.Namespace
	for _, a := range s.analyzers {
		if _, ok := a.(defaultPolicyUser); ok {
			s.defaultPolicy = true
			// Decoded ahead of need, while files are read; Finish reports
			// the error.
			go rbac.NewPolicyWithDefaults()
			break
		}
	}
	return s, nil
}

// Families returns the rule families a scan runs, one per analyzer,
// sorted: the families Options.Families may name. Other surfaces that run
// the scanner's analyzers (audit) offer them too.
func Families(registry *finding.Registry) []string {
	all, err := newAnalyzers(registry, Options{})
	if err != nil {
		return nil
	}
	return familiesOf(all)
}

func familiesOf(all []Analyzer) []string {
	out := make([]string, len(all))
	for i, a := range all {
		out[i] = a.Family()
	}
	slices.Sort(out)
	return out
}

// Read scans every object under paths (see manifest.Reader.Read) and
// returns the report. Each object is evaluated on the goroutine that
// decoded it (see prepare), so the rule families run on every core; the
// object layer, the cross-object analyzers and the report see the objects
// in input order.
func (s *Scanner) Read(r *manifest.Reader, paths []string) *report.Report {
	rd := *r
	onSkip := rd.OnSkip
	rd.OnSkip = func(sk manifest.Skip) {
		s.report.AddSkipped(report.Skipped{File: sk.File, Reason: sk.Reason})
		if onSkip != nil {
			onSkip(sk)
		}
	}
	rd.Prepare = func(mo *manifest.Object) any { return s.prepare(mo, false) }
	_ = rd.Read(paths, func(o *manifest.Object) error {
		s.Object(o)
		return nil
	}, s.InputError)
	s.Finish()
	return s.report
}

// InputError records a problem reported by the manifest reader: an error,
// or a warning when Kubernetes accepts the input all the same.
func (s *Scanner) InputError(e *manifest.Error) {
	ie := report.InputError{File: e.File, Line: e.Line, Message: e.Err.Error()}
	if e.Warning {
		s.report.AddWarning(ie)
		return
	}
	s.report.AddError(ie)
}

// Report returns what has been scanned so far.
func (s *Scanner) Report() *report.Report { return s.report }

// evaluated is what prepare found about one object: the object as the
// object layer resolves it, its per-object findings (filtered and
// suppressed) and its malformed suppression annotations, in the order
// they are recorded.
type evaluated struct {
	o        *Object
	problems []Problem
	findings []finding.Finding
}

// prepare evaluates one object with every analyzer's per-object rules.
// It reads only the object and the scanner's options, so the manifest
// reader runs it on its decoding goroutines, several objects at once
// (Reader.Prepare); Object then records the result in input order.
func (s *Scanner) prepare(mo *manifest.Object, live bool) *evaluated {
	ev := &evaluated{}
	var o *Object
	if live {
		o = &Object{Object: mo, Live: true}
	} else {
		o = resolve(mo, s.opts.Namespace)
	}
	ev.o = o
	o.pod, o.hasPod = podTemplateOf(o.Object.Object)
	o.sup = s.suppressions(mo, o.pod, func(p Problem) { ev.problems = append(ev.problems, p) })
	emit := func(o *Object, f finding.Finding) {
		if s.admit(o, &f) {
			ev.findings = append(ev.findings, f)
		}
	}
	for _, a := range s.analyzers {
		a.Object(o, emit)
	}
	return ev
}

// record adds what prepare found to the report.
func (s *Scanner) record(ev *evaluated) {
	for _, p := range ev.problems {
		s.problem(p)
	}
	for _, f := range ev.findings {
		s.report.Add(f)
	}
}

// Object evaluates one object and records its findings. Objects must come
// in input order; Read passes them so, evaluated in parallel beforehand.
func (s *Scanner) Object(mo *manifest.Object) {
	s.report.Summary.Objects++
	// A new file, or an object the current file already defined (two
	// renderings of one kustomize base name the same source file), starts
	// a new unit for the bundler.
	if mo.File != s.objects.file || s.objects.repeats(mo) {
		s.endFile()
		s.objects.file = mo.File
	}
	ev, ok := mo.Prepared.(*evaluated)
	if !ok {
		ev = s.prepare(mo, false)
	}
	mo.Prepared = nil
	o := ev.o
	s.objects.add(o)
	s.record(ev)
	if len(s.cross) > 0 {
		kept := false
		for i, c := range s.cross {
			if k := c.Keep(o); k != nil {
				s.pending = append(s.pending, pendingKeep{i, k})
				kept = true
			}
		}
		if kept && !o.sup.Empty() {
			if s.laterSup == nil {
				s.laterSup = map[supKey]suppressions{}
			}
			s.laterSup[supKey{o.File, o.Line, o.Kind, o.Namespace, o.Name}] = o.sup
		}
	}
}

// Live evaluates one object read from a live cluster and records its
// findings. obj is a typed object as the API server returned it (defaulted
// and validated), with its apiVersion and kind set; the scan keeps no
// reference to it unless a cross-object analyzer does (the RBAC rules keep
// RBAC objects and a workload's service account fields). A cluster holds
// each object once, so live objects get no default namespace, no removed
// API version and no bundles: they are judged together, as one set, by the
// cross-object rules, which take the cluster's own default policy from the
// objects. Findings carry no file (see finding.Finding). Do not mix Live
// and Object in one scan; call Finish after the last object.
func (s *Scanner) Live(obj runtime.Object) {
	s.report.Summary.Objects++
	gvk := obj.GetObjectKind().GroupVersionKind()
	mo := &manifest.Object{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind, Object: obj}
	if m, err := meta.Accessor(obj); err == nil {
		mo.Namespace, mo.Name = m.GetNamespace(), m.GetName()
	}
	ev := s.prepare(mo, true)
	o := ev.o
	s.record(ev)
	kept := false
	for _, c := range s.cross {
		if k := c.Keep(o); k != nil {
			c.Add(k, 0)
			kept = true
		}
	}
	if kept && !o.sup.Empty() {
		if s.laterSup == nil {
			s.laterSup = map[supKey]suppressions{}
		}
		s.laterSup[supKey{"", 0, o.Kind, o.Namespace, o.Name}] = o.sup
	}
}

// endFile assigns the objects kept from the file just read to their bundle.
func (s *Scanner) endFile() {
	bundle := s.objects.endFile()
	for _, p := range s.pending {
		s.cross[p.analyzer].Add(p.kept, bundle)
	}
	clear(s.pending)
	s.pending = s.pending[:0]
}

// Finish runs the cross-object rules over everything scanned so far and
// adds their findings; call it once, after the last Object. Read calls it.
// The analyzers judge their bundles at the same time, one goroutine each
// (they share nothing); what they report is recorded in analyzer order.
func (s *Scanner) Finish() {
	s.endFile()
	if s.defaultPolicy {
		if _, err := rbac.NewPolicyWithDefaults(); err != nil {
			s.report.AddError(report.InputError{Message: err.Error()})
		}
	}
	type result struct {
		findings []finding.Finding
		problems []Problem
	}
	results := make([]result, len(s.cross))
	var wg sync.WaitGroup
	for i, c := range s.cross {
		r := &results[i]
		wg.Go(func() {
			c.Finish(func(o *Object, f finding.Finding) {
				if s.admit(o, &f) {
					r.findings = append(r.findings, f)
				}
			}, func(p Problem) { r.problems = append(r.problems, p) })
		})
	}
	wg.Wait()
	for i, c := range s.cross {
		for _, p := range results[i].problems {
			s.problem(p)
		}
		for _, f := range results[i].findings {
			s.report.Add(f)
		}
		if sa, ok := c.(SectionAnalyzer); ok {
			for _, sec := range sa.Sections() {
				s.report.AddSection(sec)
			}
		}
	}
}

// problem records an input problem an analyzer or a suppression found.
func (s *Scanner) problem(p Problem) {
	ie := report.InputError{File: p.File, Line: p.Line, Message: p.Message}
	if p.Warning {
		s.report.AddWarning(ie)
	} else {
		s.report.AddError(ie)
	}
}

// admit filters a finding (disabled rules, severity threshold) and applies
// the suppressions of the object it is about (nil: the object it names,
// for cross-object findings); false means it is left out.
func (s *Scanner) admit(o *Object, f *finding.Finding) bool {
	if s.disabled[f.Rule] || f.Severity.Rank() < s.minRank {
		return false
	}
	if o != nil {
		o.sup.Apply(f)
	} else if s.laterSup != nil {
		s.laterSup[supKey{f.File, f.Line, f.Object.Kind, f.Object.Namespace, f.Object.Name}].Apply(f)
	}
	return true
}
