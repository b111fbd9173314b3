package scan

import (
	"github.com/kubeward/kubeward/internal/clusterconfig"
	"github.com/kubeward/kubeward/internal/manifest"
)

// configAnalyzer judges control-plane configuration found among scanned
// manifests (rules config/...): static pods of kube-system and
// configuration documents, all of a scan together, so that a pod's
// --encryption-provider-config can name a file of the same repository.
type configAnalyzer struct {
	minor int
	objs  []*manifest.Object
}

func (a *configAnalyzer) Family() string { return "config" }

func (a *configAnalyzer) Object(*Object, Emit) {}

func (a *configAnalyzer) Keep(o *Object) any {
	if clusterconfig.Relevant(o.Object, true) {
		o.Object.Retain() // held until Finish
		return o.Object
	}
	return nil
}

func (a *configAnalyzer) Add(kept any, _ int) {
	if o, ok := kept.(*manifest.Object); ok {
		a.objs = append(a.objs, o)
	}
}

func (a *configAnalyzer) Finish(emit Emit, problem func(Problem)) {
	if len(a.objs) == 0 {
		return
	}
	s := clusterconfig.NewSet(a.objs)
	for _, f := range clusterconfig.Check(s, a.minor) {
		emit(nil, f)
	}
	for _, w := range s.Warnings {
		problem(Problem{File: w.File, Line: w.Line, Message: w.Err.Error(), Warning: true})
	}
}
