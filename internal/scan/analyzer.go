package scan

import (
	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/report"
)

// An Analyzer is one rule family at work: it looks at each object as the
// scan streams it by and may keep a small summary to judge at the end.
// The scanner's loop only iterates analyzers; adding a family means adding
// an analyzer to newAnalyzers, nothing else.
type Analyzer interface {
	// Family is the rule family, e.g. "pod-security".
	Family() string
	// Object looks at one object (after the object layer resolved its
	// namespace and API version) and reports per-object findings. It is
	// called for several objects at once, on the goroutines that decode
	// them, so it must be safe for concurrent use: read the analyzer's
	// configuration, keep nothing (Keep is where an analyzer keeps).
	Object(o *Object, emit Emit)
}

// A CrossObjectAnalyzer also judges what needs several objects (RBAC
// risks, tenancy). Objects are grouped in bundles: sets of files that can
// be applied together without one object replacing another (see
// bundler). Keep is called for each object as it streams by; what it
// returns (nil: nothing) is handed to Add with the object's bundle once its
// file has been read, and Finish is called once at the end.
type CrossObjectAnalyzer interface {
	Analyzer
	// Keep is called for each object in input order, on one goroutine.
	Keep(o *Object) any
	Add(kept any, bundle int)
	Finish(emit Emit, problem func(Problem))
}

// A SectionAnalyzer is a CrossObjectAnalyzer that also contributes
// top-level sections to the report (see report.Section), such as
// "tenancy"; the scanner adds them after the analyzer's Finish.
type SectionAnalyzer interface {
	Sections() []report.Section
}

// Emit records a finding about o (nil for a finding that names its own
// object and location, as cross-object findings do).
type Emit func(o *Object, f finding.Finding)

// Problem is an input problem an analyzer found, located at File:Line.
type Problem struct {
	File    string
	Line    int
	Message string
	// Warning marks problems Kubernetes tolerates; they do not fail a scan.
	Warning bool
}

// Object is one object of the scan: the decoded manifest object and what
// the object layer resolved about it.
type Object struct {
	*manifest.Object
	// DefaultedNamespace is true when the object had no namespace and was
	// given the scan's default one, as kubectl apply -n would.
	DefaultedNamespace bool
	// RemovedIn is the Kubernetes version that stopped serving the object's
	// API version (e.g. "v1.16"), empty when it is served; Replacement is
	// the API version to use instead.
	RemovedIn, Replacement string
	// Live is true for an object read from a live cluster (Scanner.Live):
	// it has no file, the API server has defaulted and validated it, and
	// the objects of the scan are the cluster's complete set of their kinds.
	Live bool
	// pod is the object's pod or pod template, when it has one.
	pod    podTemplate
	hasPod bool
	sup    suppressions
}
