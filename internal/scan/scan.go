// Package scan runs kubeward's rules over manifests: it reads objects with
// internal/manifest, evaluates each with the rule engines (Pod Security per
// object; RBAC risks across all objects once the walk is done), applies
// suppressions and returns findings for internal/report to render.
package scan

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/podsecurity"
	"github.com/kubeward/kubeward/internal/rbac"
	"github.com/kubeward/kubeward/internal/rbac/bootstrap"
	"github.com/kubeward/kubeward/internal/report"
)

// Options configures a scan. The zero value is not valid; use NewScanner.
type Options struct {
	// PodSecurity is the level and version pods must meet.
	PodSecurity podsecurity.LevelVersion
	// Families restricts the run to these rule families; empty means all.
	Families []string
	// IgnoreSuppressions disables annotation-based suppression, so that
	// workloads cannot exempt themselves.
	IgnoreSuppressions bool
}

// Scanner evaluates objects. It is not safe for concurrent use (it reuses
// buffers between objects).
type Scanner struct {
	opts      Options
	registry  *finding.Registry
	eval      *podsecurity.Evaluator
	podSec    bool
	level     string
	version   string
	checkRule map[string]finding.Rule
	// policy collects the RBAC-relevant objects (roles, bindings, service
	// accounts, namespaces, quotas, workload summaries) when the rbac family
	// runs; its risks are cross-object, so they are computed after the walk.
	policy *rbac.Policy
	// laterSup holds the suppressions of objects with any, for Finish.
	laterSup map[objectKey]suppressions
	vbuf     []podsecurity.Violation
	report   *report.Report
}

// NewScanner validates opts against the registry (unknown families are an
// error naming the known ones) and returns a scanner.
func NewScanner(registry *finding.Registry, opts Options) (*Scanner, error) {
	known := registry.Families()
	enabled := map[string]bool{}
	for _, f := range opts.Families {
		if !contains(known, f) {
			return nil, fmt.Errorf("unknown rule family %q (known: %s)", f, strings.Join(known, ", "))
		}
		enabled[f] = true
	}
	s := &Scanner{
		opts:      opts,
		registry:  registry,
		eval:      podsecurity.Default,
		podSec:    len(enabled) == 0 || enabled["pod-security"],
		level:     opts.PodSecurity.Level.String(),
		version:   opts.PodSecurity.Version.String(),
		checkRule: map[string]finding.Rule{},
	}
	for _, r := range registry.Rules() {
		if fam, id, _ := strings.Cut(r.ID, "/"); fam == "pod-security" {
			s.checkRule[id] = r
		}
	}
	if len(enabled) == 0 || enabled["rbac"] {
		// Answers must match a real cluster, which always has the default
		// policy; risks are never reported on the default objects themselves.
		s.policy = &rbac.Policy{}
		objs, err := bootstrap.Objects()
		if err != nil {
			return nil, fmt.Errorf("default RBAC policy: %w", err)
		}
		for _, o := range objs {
			s.policy.Add(o, rbac.Source{Default: true})
		}
	}
	s.report = report.New()
	return s, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Read scans every object under paths (see manifest.Reader.Read) and returns the report.
func (s *Scanner) Read(r *manifest.Reader, paths []string) *report.Report {
	_ = r.Read(paths, func(o *manifest.Object) error {
		s.Object(o)
		return nil
	}, func(e *manifest.Error) {
		s.report.AddError(report.InputError{File: e.File, Line: e.Line, Message: e.Err.Error()})
	})
	s.Finish()
	return s.report
}

// objectKey identifies an object across the scan.
type objectKey struct{ kind, namespace, name string }

// Finish runs the cross-object rules (RBAC risks) over everything scanned so
// far and adds their findings; call it once, after the last Object. Read
// calls it.
func (s *Scanner) Finish() {
	if s.policy == nil {
		return
	}
	ix := rbac.NewIndex(s.policy, rbac.Options{Aggregate: true})
	s.policy = nil
	for _, err := range ix.Problems() {
		var me *manifest.Error
		if errors.As(err, &me) {
			s.report.AddError(report.InputError{File: me.File, Line: me.Line, Message: me.Err.Error()})
		} else {
			s.report.AddError(report.InputError{Message: err.Error()})
		}
	}
	for _, f := range ix.Risks(rbac.RiskOptions{}) {
		s.laterSup[objectKey{f.Object.Kind, f.Object.Namespace, f.Object.Name}].apply(&f)
		s.report.Add(f)
	}
}

// Report returns what has been scanned so far.
func (s *Scanner) Report() *report.Report { return s.report }

// Object evaluates one object and records its findings.
func (s *Scanner) Object(o *manifest.Object) {
	s.report.Summary.Objects++
	pt, isPod := podTemplateOf(o.Object)
	sup := s.suppressions(o, pt)
	if s.policy != nil {
		s.policy.Add(o.Object, rbac.Source{File: o.File, Line: o.Line})
		if !sup.empty() {
			// Cross-object findings come at Finish; keep the few objects'
			// suppressions until then.
			if s.laterSup == nil {
				s.laterSup = map[objectKey]suppressions{}
			}
			s.laterSup[objectKey{o.Kind, o.Namespace, o.Name}] = sup
		}
	}
	if !s.podSec || !isPod {
		return
	}
	// Evaluate what the API server would store. The object belongs to this
	// scan for the duration of the callback, so defaulting happens in place.
	podsecurity.ApplyDefaults(pt.spec)
	s.vbuf = s.eval.AppendViolations(s.vbuf[:0], s.opts.PodSecurity, pt.meta, pt.spec)
	ref := finding.ObjectRef{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
	for i := range s.vbuf {
		v := &s.vbuf[i]
		rule, ok := s.checkRule[v.Check]
		if !ok {
			// The registry is built from the same checks; a missing rule is a
			// programming error worth surfacing rather than hiding.
			rule = finding.Rule{ID: "pod-security/" + v.Check, Severity: finding.SeverityHigh}
		}
		msg := v.Message()
		fields := v.Fields
		if len(fields) == 0 {
			fields = []podsecurity.Field{{}}
		}
		for _, f := range fields {
			fd := finding.Finding{
				Rule:        rule.ID,
				Severity:    rule.Severity,
				Object:      ref,
				File:        o.File,
				Line:        o.Line,
				Container:   f.Container,
				Message:     msg,
				Remediation: rule.Remediation,
				PodSecurity: &finding.PodSecurityRef{Level: s.level, Version: s.version, Check: v.Check},
			}
			if f.Path != "" {
				fd.Path = pt.prefix + f.Path
				fd.Line = o.FieldLine(fd.Path)
				fd.Remediation = remediation(fd.Path, f.Fix)
			}
			sup.apply(&fd)
			s.report.Add(fd)
		}
	}
}

// remediation renders a fix as the sentence users read.
func remediation(path string, fix podsecurity.Fix) string {
	switch fix.Op {
	case podsecurity.FixSet:
		return "set " + path + ": " + fix.Value
	case podsecurity.FixRemove:
		if fix.Value != "" {
			return "remove " + path + " (" + fix.Value + ")"
		}
		return "remove " + path
	}
	return "change " + path
}
