package finding

import (
	"sort"
	"strconv"
	"strings"
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

// Suppressions are the accepted suppression annotations of one object (and
// its pod template). The zero value suppresses nothing.
type Suppressions struct {
	object    map[string]string    // rule ID → reason
	container map[[2]string]string // {container, rule ID} → reason
}

// Empty reports whether s suppresses nothing.
func (s Suppressions) Empty() bool { return len(s.object) == 0 && len(s.container) == 0 }

// Read adds the suppression annotations among annotations. known says
// whether a rule ID exists; a malformed annotation (unknown rule, empty
// reason) suppresses nothing and is passed to problem with its key, in key
// order.
func (s *Suppressions) Read(annotations map[string]string, known func(rule string) bool, problem func(key, msg string)) {
	var keys []string
	for key := range annotations {
		if strings.Contains(key, SuppressionDomain+"/") {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys) // problems come out in a stable order
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
		rule := strings.Replace(name, ".", "/", 1)
		if !known(rule) {
			problem(key, "suppression annotation "+strconv.Quote(key)+" names unknown rule "+strconv.Quote(rule)+" (see 'kubeward rules')")
			continue
		}
		if strings.TrimSpace(reason) == "" {
			problem(key, "suppression annotation "+strconv.Quote(key)+" needs a reason as its value")
			continue
		}
		if container == "" {
			if s.object == nil {
				s.object = map[string]string{}
			}
			s.object[rule] = reason
		} else {
			if s.container == nil {
				s.container = map[[2]string]string{}
			}
			s.container[[2]string{container, rule}] = reason
		}
	}
}

// Apply marks f suppressed when a suppression covers it: its rule, or, for
// a finding about a Pod Security check (the live audit's psa/ findings),
// the scanner's rule of that check (pod-security/<check>), so that one
// annotation silences a check wherever it is judged.
func (s Suppressions) Apply(f *Finding) {
	if s.Empty() {
		return
	}
	rules := [2]string{f.Rule}
	if ps := f.PodSecurity; ps != nil && ps.Check != "" {
		rules[1] = PodSecurityFamily + "/" + ps.Check
	}
	for _, r := range rules {
		if r == "" {
			continue
		}
		if reason, ok := s.object[r]; ok {
			f.Suppressed, f.SuppressionReason = true, reason
			return
		}
		if f.Container != "" {
			if reason, ok := s.container[[2]string{f.Container, r}]; ok {
				f.Suppressed, f.SuppressionReason = true, reason
				return
			}
		}
	}
}

// PodSecurityFamily is the scanner's family of Pod Security checks.
const PodSecurityFamily = "pod-security"
