package scan

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/manifest"
)

// SuppressionDomain is the annotation prefix of suppressions (see
// finding.SuppressionDomain).
const SuppressionDomain = finding.SuppressionDomain

// SuppressionKey returns the annotation key that suppresses ruleID, for one
// container when container is not empty.
func SuppressionKey(ruleID, container string) string {
	return finding.SuppressionKey(ruleID, container)
}

type suppressions = finding.Suppressions

// suppressions collects the suppression annotations of the object and, for
// workloads, of its pod template. Malformed ones (unknown rule, empty
// reason) are input problems, passed to problem, and suppress nothing.
// It reads only the object and the scanner's options (see prepare).
func (s *Scanner) suppressions(o *manifest.Object, pt podTemplate, problem func(Problem)) suppressions {
	var sup suppressions
	if s.opts.IgnoreSuppressions {
		return sup
	}
	known := func(rule string) bool { _, ok := s.registry.Lookup(rule); return ok }
	read := func(annotations map[string]string, pathPrefix string) {
		sup.Read(annotations, known, func(key, msg string) {
			if o.File == "" {
				// A live object (Scanner.Live): the cluster is not input
				// to correct before a run, so the problem is a warning
				// naming the object.
				problem(Problem{Message: fmt.Sprintf("%s %s/%s: %s", o.Kind, o.Namespace, o.Name, msg), Warning: true})
				return
			}
			path := pathPrefix + fmt.Sprintf("metadata.annotations[%q]", key)
			problem(Problem{File: o.File, Line: o.FieldLine(path), Message: msg})
		})
	}
	if m, err := meta.Accessor(o.Object); err == nil {
		read(m.GetAnnotations(), "")
	}
	if pt.meta != nil && pt.prefix != "" {
		read(pt.meta.Annotations, pt.prefix)
	}
	return sup
}
