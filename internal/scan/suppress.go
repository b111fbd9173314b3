package scan

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/report"
)

// SuppressionDomain is the annotation prefix of suppressions:
//
//	ignore-check.kubeward.io/<family>.<id>: "<reason>"              whole object
//	<container>.ignore-check.kubeward.io/<family>.<id>: "<reason>"  one container
//
// The container form covers findings about that container's own fields; a
// finding about a pod-level field (e.g. spec.securityContext.runAsNonRoot)
// is only covered by the whole-object form.
//
// A rule ID "<family>/<id>" becomes the annotation name "<family>.<id>"
// (the slash is not allowed in an annotation name; family names never
// contain dots). The reason is required.
const SuppressionDomain = "ignore-check.kubeward.io"

// SuppressionKey returns the annotation key that suppresses ruleID, for one
// container when container is not empty.
func SuppressionKey(ruleID, container string) string {
	name := strings.Replace(ruleID, "/", ".", 1)
	if container != "" {
		return container + "." + SuppressionDomain + "/" + name
	}
	return SuppressionDomain + "/" + name
}

type suppressions struct {
	object    map[string]string    // rule ID → reason
	container map[[2]string]string // {container, rule ID} → reason
}

func (s suppressions) empty() bool { return len(s.object) == 0 && len(s.container) == 0 }

// apply marks f suppressed when an accepted suppression covers it.
func (s suppressions) apply(f *finding.Finding) {
	if reason, ok := s.object[f.Rule]; ok {
		f.Suppressed, f.SuppressionReason = true, reason
		return
	}
	if f.Container != "" {
		if reason, ok := s.container[[2]string{f.Container, f.Rule}]; ok {
			f.Suppressed, f.SuppressionReason = true, reason
		}
	}
}

// suppressions collects the suppression annotations of the object and, for
// workloads, of its pod template. Malformed ones (unknown rule, empty
// reason) are input errors and suppress nothing.
func (s *Scanner) suppressions(o *manifest.Object, pt podTemplate) suppressions {
	var sup suppressions
	if s.opts.IgnoreSuppressions {
		return sup
	}
	read := func(annotations map[string]string, pathPrefix string) {
		var keys []string
		for key := range annotations {
			if strings.Contains(key, SuppressionDomain+"/") {
				keys = append(keys, key)
			}
		}
		sort.Strings(keys) // errors come out in a stable order
		for _, key := range keys {
			reason := annotations[key]
			prefix, name, _ := strings.Cut(key, "/")
			container := ""
			if prefix != SuppressionDomain {
				c, ok := strings.CutSuffix(prefix, "."+SuppressionDomain)
				if !ok || c == "" {
					continue
				}
				container = c
			}
			at := func(msg string) {
				if o.File == "" {
					// A live object (Scanner.Live): the cluster is not input
					// to correct before a run, so the problem is a warning
					// naming the object.
					s.report.AddWarning(report.InputError{Message: fmt.Sprintf("%s %s/%s: %s", o.Kind, o.Namespace, o.Name, msg)})
					return
				}
				path := pathPrefix + fmt.Sprintf("metadata.annotations[%q]", key)
				s.report.AddError(report.InputError{File: o.File, Line: o.FieldLine(path), Message: msg})
			}
			rule := strings.Replace(name, ".", "/", 1)
			if _, ok := s.registry.Lookup(rule); !ok {
				at(fmt.Sprintf("suppression annotation %q names unknown rule %q (see 'kubeward rules')", key, rule))
				continue
			}
			if strings.TrimSpace(reason) == "" {
				at(fmt.Sprintf("suppression annotation %q needs a reason as its value", key))
				continue
			}
			if container == "" {
				if sup.object == nil {
					sup.object = map[string]string{}
				}
				sup.object[rule] = reason
			} else {
				if sup.container == nil {
					sup.container = map[[2]string]string{}
				}
				sup.container[[2]string{container, rule}] = reason
			}
		}
	}
	if m, err := meta.Accessor(o.Object); err == nil {
		read(m.GetAnnotations(), "")
	}
	if pt.meta != nil && pt.prefix != "" {
		read(pt.meta.Annotations, pt.prefix)
	}
	return sup
}
