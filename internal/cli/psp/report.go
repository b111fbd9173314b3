package psp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/podsecurity"
	"github.com/kubeward/kubeward/internal/psp"
)

// report is the JSON document of kubeward psp; the text output prints the
// same content.
type report struct {
	Policies   []policyReport    `json:"policies"`
	Namespaces []namespaceReport `json:"namespaces"`
	Errors     []errorReport     `json:"errors"`
	Summary    summary           `json:"summary"`
}

type requirement struct {
	psp.Requirement
	Level string `json:"level"`
}

type policyReport struct {
	Name    string `json:"name"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Level   string `json:"level"`
	Version string `json:"version"`
	// Blocking lists, per more restrictive level, the fields that keep
	// the PSP from it.
	Blocking  map[string][]requirement `json:"blocking"`
	Mutations []psp.Mutation           `json:"mutations"`
	Uncovered []psp.Uncovered          `json:"uncovered"`
	// ValidatingAdmissionPolicy is the generated policy's name ("" when
	// nothing is uncovered).
	ValidatingAdmissionPolicy string `json:"validatingAdmissionPolicy,omitempty"`
}

type usable struct {
	psp.UsablePolicy
	Level string `json:"level"`
}

type namespaceReport struct {
	Name      string         `json:"name"`
	Pods      int            `json:"pods"`
	PodLevels map[string]int `json:"podLevels"`
	// PodLevel is the most restrictive level every pod meets.
	PodLevel  string            `json:"podLevel"`
	Usable    []usable          `json:"usablePolicies"`
	Suggested string            `json:"suggested"`
	Labels    map[string]string `json:"labels"`
	Command   string            `json:"command"`
	// ValidatingAdmissionPolicy is the generated policy the labels bind.
	ValidatingAdmissionPolicy string `json:"validatingAdmissionPolicy,omitempty"`
	Note                      string `json:"note,omitempty"`
	order                     [][2]string
}

type errorReport struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

type summary struct {
	Policies   int `json:"policies"`
	Namespaces int `json:"namespaces"`
	Errors     int `json:"errors"`
}

var levels = []podsecurity.Level{podsecurity.LevelPrivileged, podsecurity.LevelBaseline, podsecurity.LevelRestricted}

func newReport(in *input, plans []*psp.NamespacePlan, v podsecurity.Version) *report {
	r := &report{Policies: []policyReport{}, Namespaces: []namespaceReport{}, Errors: []errorReport{}}
	for _, a := range in.analyses {
		src := in.sources[a.Name]
		pr := policyReport{Name: a.Name, File: src.File, Line: src.Line, Level: a.Level.String(), Version: v.String(),
			Blocking: map[string][]requirement{}, Mutations: a.Mutations, Uncovered: a.Uncovered,
			ValidatingAdmissionPolicy: a.PolicyName()}
		for _, lv := range levels[1:] {
			if lv <= a.Level {
				continue
			}
			for _, req := range a.Blocking(lv) {
				pr.Blocking[lv.String()] = append(pr.Blocking[lv.String()], requirement{req, req.Level.String()})
			}
		}
		if pr.Mutations == nil {
			pr.Mutations = []psp.Mutation{}
		}
		if pr.Uncovered == nil {
			pr.Uncovered = []psp.Uncovered{}
		}
		r.Policies = append(r.Policies, pr)
	}
	for _, p := range plans {
		nr := namespaceReport{Name: p.Namespace, Pods: len(p.Pods), PodLevels: map[string]int{}, PodLevel: p.PodLevel.String(),
			Usable: []usable{}, Suggested: p.Suggested.String(), Labels: map[string]string{}, Command: p.Command, Note: p.Note, order: p.Labels}
		for _, pod := range p.Pods {
			nr.PodLevels[pod.Level.String()]++
		}
		for _, u := range p.Usable {
			if u.Subjects == nil {
				u.Subjects = []string{}
			}
			nr.Usable = append(nr.Usable, usable{u, u.Level.String()})
		}
		for _, l := range p.Labels {
			nr.Labels[l[0]] = l[1]
		}
		if p.Policy != "" {
			nr.ValidatingAdmissionPolicy = psp.PolicyNameFor(p.Policy)
		}
		r.Namespaces = append(r.Namespaces, nr)
	}
	for _, e := range in.errs {
		er := errorReport{Message: e.Error()}
		var me *manifest.Error
		if errors.As(e, &me) {
			er = errorReport{File: me.File, Line: me.Line, Message: me.Err.Error()}
		}
		r.Errors = append(r.Errors, er)
	}
	r.Summary = summary{Policies: len(r.Policies), Namespaces: len(r.Namespaces), Errors: len(r.Errors)}
	return r
}

func (r *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func (r *report) writeText(w io.Writer) error {
	var b strings.Builder
	for _, p := range r.Policies {
		fmt.Fprintf(&b, "PodSecurityPolicy %s", p.Name)
		if p.File != "" {
			fmt.Fprintf(&b, "  (%s:%d)", p.File, p.Line)
		}
		fmt.Fprintf(&b, "\n  level: %s (Pod Security %s)\n", p.Level, p.Version)
		for _, lv := range []string{"baseline", "restricted"} {
			reqs, ok := p.Blocking[lv]
			if !ok {
				continue
			}
			head := "  not " + lv + " because:\n"
			if lv == "restricted" {
				if _, below := p.Blocking["baseline"]; below {
					// Fields listed under baseline keep it from restricted too.
					head = "  not restricted, besides, because:\n"
					reqs = onlyAt(reqs, "baseline")
				}
			}
			if len(reqs) == 0 {
				continue
			}
			b.WriteString(head)
			for _, q := range reqs {
				fmt.Fprintf(&b, "    %s", q.Field)
				if q.Value != "" {
					fmt.Fprintf(&b, ": %s", q.Value)
				}
				fmt.Fprintf(&b, "  %s [%s]\n", q.Reason, q.Check)
			}
		}
		if len(p.Mutations) > 0 {
			b.WriteString("  mutations to write into pod specs:\n")
			for _, m := range p.Mutations {
				fmt.Fprintf(&b, "    %s: %s  %s\n      set %s\n", m.Field, m.Value, m.Effect, m.SetInstead)
			}
		}
		if len(p.Uncovered) > 0 {
			fmt.Fprintf(&b, "  validations Pod Security does not make (ValidatingAdmissionPolicy %s):\n", p.ValidatingAdmissionPolicy)
			for _, u := range p.Uncovered {
				fmt.Fprintf(&b, "    %s: %s  %s\n", u.Field, u.Value, u.Reason)
			}
		}
		b.WriteString("\n")
	}
	for _, n := range r.Namespaces {
		fmt.Fprintf(&b, "Namespace %s\n", n.Name)
		var counts []string
		for _, lv := range []string{"restricted", "baseline", "privileged"} {
			if c := n.PodLevels[lv]; c > 0 {
				counts = append(counts, fmt.Sprintf("%d %s", c, lv))
			}
		}
		if n.Pods > 0 {
			fmt.Fprintf(&b, "  pods: %d (%s); all meet %s\n", n.Pods, strings.Join(counts, ", "), n.PodLevel)
		} else {
			b.WriteString("  pods: none\n")
		}
		for _, u := range n.Usable {
			fmt.Fprintf(&b, "  may use %s (%s)", u.Name, u.Level)
			if len(u.Subjects) > 0 {
				fmt.Fprintf(&b, ": %s", strings.Join(u.Subjects, ", "))
			}
			if u.UsedBy > 0 {
				fmt.Fprintf(&b, "; admitted %d pod(s)", u.UsedBy)
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "  suggested: %s", n.Suggested)
		if n.ValidatingAdmissionPolicy != "" {
			fmt.Fprintf(&b, " + ValidatingAdmissionPolicy %s", n.ValidatingAdmissionPolicy)
		}
		fmt.Fprintf(&b, "\n    %s\n", n.Command)
		if n.Note != "" {
			fmt.Fprintf(&b, "  note: %s\n", n.Note)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%d PodSecurityPolicies, %d namespaces, %d input errors\n", r.Summary.Policies, r.Summary.Namespaces, r.Summary.Errors)
	_, err := io.WriteString(w, b.String())
	return err
}

// onlyAt returns the requirements whose own level is lv.
func onlyAt(reqs []requirement, lv string) []requirement {
	var out []requirement
	for _, q := range reqs {
		if q.Level == lv {
			out = append(out, q)
		}
	}
	return out
}
