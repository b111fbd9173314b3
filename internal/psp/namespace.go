package psp

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubeward/kubeward/internal/podsecurity"
	"github.com/kubeward/kubeward/internal/rbac"
)

// Inventory is what the namespace plan is made from.
type Inventory struct {
	// Analyses are the PSPs, analysed at Version.
	Analyses []*Analysis
	Version  podsecurity.Version
	// Pods are running pods (as the API server stored them: PSP's
	// mutations applied); their kubernetes.io/psp annotation names the
	// PSP that admitted them.
	Pods []*corev1.Pod
	// Namespaces lists namespaces known besides those of Pods.
	Namespaces []string
	// Authz answers "may subject use podsecuritypolicies/NAME"; nil means
	// no RBAC is known.
	Authz *rbac.Index
}

// UsablePolicy is a PSP some subject may use in a namespace.
type UsablePolicy struct {
	Name  string            `json:"name"`
	Level podsecurity.Level `json:"-"`
	// Subjects are the binding subjects allowed to use it there
	// ("ServiceAccount ns/name", "User name", "Group name"); empty when
	// only pods' annotations show it was used.
	Subjects []string `json:"subjects"`
	// UsedBy counts the namespace's pods that name it in kubernetes.io/psp.
	UsedBy int `json:"usedByPods"`
}

// PodLevel is one pod's most restrictive Pod Security level.
type PodLevel struct {
	Name  string            `json:"name"`
	PSP   string            `json:"psp,omitempty"`
	Level podsecurity.Level `json:"-"`
}

// NamespacePlan is the suggestion for one namespace.
type NamespacePlan struct {
	Namespace string
	Pods      []PodLevel
	// PodLevel is the most restrictive level every pod meets (restricted
	// when there are no pods).
	PodLevel podsecurity.Level
	Usable   []UsablePolicy
	// Suggested is the level to enforce: the most restrictive level of a
	// usable PSP that every pod meets; PodLevel when no PSP qualifies.
	Suggested podsecurity.Level
	// Policy names the PSP whose ValidatingAdmissionPolicy the namespace
	// should be bound to (empty: none, see Note).
	Policy string
	// Labels are the labels to set, in order; Command sets them.
	Labels  [][2]string
	Command string
	Note    string
}

// Plan returns the plan of every namespace of inv, sorted by name.
func Plan(inv *Inventory) []*NamespacePlan {
	byNS := map[string]*NamespacePlan{}
	get := func(ns string) *NamespacePlan {
		p := byNS[ns]
		if p == nil {
			p = &NamespacePlan{Namespace: ns, PodLevel: podsecurity.LevelRestricted}
			byNS[ns] = p
		}
		return p
	}
	for _, ns := range inv.Namespaces {
		get(ns)
	}
	for _, pod := range inv.Pods {
		ns := pod.Namespace
		if ns == "" {
			ns = "default"
		}
		p := get(ns)
		lv := podsecurity.Default.HighestLevel(inv.Version, &pod.ObjectMeta, &pod.Spec)
		p.Pods = append(p.Pods, PodLevel{Name: pod.Name, PSP: pod.Annotations[AnnotationPodPSP], Level: lv})
		p.PodLevel = min(p.PodLevel, lv)
	}
	byName := map[string]*Analysis{}
	for _, a := range inv.Analyses {
		byName[a.Name] = a
	}
	var out []*NamespacePlan
	for _, p := range byNS {
		p.plan(inv, byName)
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Namespace < out[j].Namespace })
	return out
}

func (p *NamespacePlan) plan(inv *Inventory, byName map[string]*Analysis) {
	used := map[string]int{}
	for _, pod := range p.Pods {
		if pod.PSP != "" {
			used[pod.PSP]++
		}
	}
	for _, a := range inv.Analyses {
		var subjects []string
		if inv.Authz != nil {
			holders := inv.Authz.WhoCan(&rbac.Attributes{ResourceRequest: true, Verb: policyVerb, APIGroup: policyGroup,
				Resource: policyResource, Name: a.Name, Namespace: p.Namespace}, false)
			for _, h := range holders {
				s := subjectString(h.Subject)
				if !slices.Contains(subjects, s) {
					subjects = append(subjects, s)
				}
			}
		}
		if len(subjects) == 0 && used[a.Name] == 0 {
			continue
		}
		p.Usable = append(p.Usable, UsablePolicy{Name: a.Name, Level: a.Level, Subjects: subjects, UsedBy: used[a.Name]})
	}
	var unknown []string
	for name := range used {
		if byName[name] == nil {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	// The most restrictive usable level every pod meets.
	best := -1
	for _, u := range p.Usable {
		if u.Level <= p.PodLevel && int(u.Level) > best {
			best = int(u.Level)
		}
	}
	var notes []string
	switch {
	case len(p.Usable) == 0:
		p.Suggested = p.PodLevel
		notes = append(notes, "no PodSecurityPolicy is usable here by the RBAC given: the level is the one every pod meets")
	case best < 0:
		p.Suggested = p.PodLevel
		notes = append(notes, "every usable PodSecurityPolicy is more restrictive than what the pods meet (pods older than the policies?): the level is the one every pod meets")
	default:
		p.Suggested = podsecurity.Level(best)
	}
	if p.PodLevel > p.Suggested && len(p.Pods) > 0 {
		notes = append(notes, fmt.Sprintf("every pod meets %s: enforce %s instead if no workload needs what the PodSecurityPolicies usable here admit beyond it", p.PodLevel, p.PodLevel))
	}
	if len(unknown) > 0 {
		notes = append(notes, "pods name PodSecurityPolicies not in the input: "+strings.Join(unknown, ", "))
	}
	// The PSP to keep validating with its generated policy: the one the
	// pods were admitted by, when they agree and it maps to the level.
	var names []string
	for name := range used {
		names = append(names, name)
	}
	sort.Strings(names)
	var cands []string
	for _, u := range p.Usable {
		if u.Level == p.Suggested {
			cands = append(cands, u.Name)
		}
	}
	switch {
	case len(names) == 1 && byName[names[0]] != nil && byName[names[0]].Level == p.Suggested:
		p.Policy = names[0]
	case len(names) == 0 && len(cands) == 1:
		p.Policy = cands[0]
	case len(cands) > 1 || len(names) > 1:
		notes = append(notes, "several PodSecurityPolicies at this level apply here ("+strings.Join(uniq(append(cands, names...)), ", ")+"): choose the one whose validations to keep and label the namespace "+NamespaceLabel+"=NAME")
	}
	if p.Policy != "" && byName[p.Policy].PolicyName() == "" {
		p.Policy = "" // nothing beyond Pod Security to keep
	}
	v := inv.Version
	if v.IsLatest() {
		v = podsecurity.MajorMinor(podsecurity.NewestKnownMinor)
	}
	p.Labels = [][2]string{{"pod-security.kubernetes.io/enforce", p.Suggested.String()}, {"pod-security.kubernetes.io/enforce-version", v.String()}}
	if p.Policy != "" {
		p.Labels = append(p.Labels, [2]string{NamespaceLabel, p.Policy})
	}
	cmd := "kubectl label ns " + p.Namespace
	for _, l := range p.Labels {
		cmd += " " + l[0] + "=" + l[1]
	}
	p.Command = cmd + " --overwrite"
	p.Note = strings.Join(notes, "; ")
}

func uniq(ss []string) []string {
	slices.Sort(ss)
	return slices.Compact(ss)
}

func subjectString(s rbacv1.Subject) string {
	if s.Kind == rbacv1.ServiceAccountKind {
		return fmt.Sprintf("ServiceAccount %s/%s", s.Namespace, s.Name)
	}
	return s.Kind + " " + s.Name
}
