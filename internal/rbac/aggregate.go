package rbac

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// maxAggregationRounds bounds the fixpoint iteration; chains deeper than this
// (or cycles that keep changing) are reported as an error.
const maxAggregationRounds = 64

// aggregateClusterRoles computes the rules kube-controller-manager's
// clusterrole-aggregation controller would give every ClusterRole with an
// aggregationRule, to a fixpoint (so chains of aggregated roles work): the
// union, without duplicates, of the rules of every other ClusterRole matched
// by any of its selectors (roles of each selector taken by name). When the
// selectors match no rule at all, the controller applies no rules and the
// role keeps the rules written in it. An empty selector {} matches every
// ClusterRole. It returns the effective rules by ClusterRole name for
// aggregated roles only, and one problem per role whose selector is invalid
// (that role keeps its written rules, as the controller leaves it unchanged;
// kube-apiserver refuses such a role). sources locates the roles.
func aggregateClusterRoles(roles []*rbacv1.ClusterRole, sources map[ObjectKey]Source) (map[string][]rbacv1.PolicyRule, []*Problem) {
	type aggregated struct {
		name      string
		selectors []labels.Selector
	}
	var errs []*Problem
	var aggs []aggregated
	current := make(map[string][]rbacv1.PolicyRule, len(roles))
	sorted := make([]*rbacv1.ClusterRole, len(roles))
	copy(sorted, roles)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, r := range sorted {
		current[r.Name] = r.Rules
		if r.AggregationRule == nil {
			continue
		}
		a := aggregated{name: r.Name}
		ok := true
		for i := range r.AggregationRule.ClusterRoleSelectors {
			sel, err := metav1.LabelSelectorAsSelector(&r.AggregationRule.ClusterRoleSelectors[i])
			if err != nil {
				key := ObjectKey{"ClusterRole", "", r.Name}
				errs = append(errs, &Problem{Source: sources[key], Object: key, Field: fmt.Sprintf("aggregationRule.clusterRoleSelectors[%d]", i), Message: err.Error()})
				ok = false
				break
			}
			a.selectors = append(a.selectors, sel)
		}
		if ok {
			aggs = append(aggs, a)
		}
	}
	out := map[string][]rbacv1.PolicyRule{}
	if len(aggs) == 0 {
		return out, errs
	}
	for round := 0; ; round++ {
		if round == maxAggregationRounds {
			// The API server stores such roles; its controller would keep
			// rewriting them. Anchor the warning on the first aggregated role.
			key := ObjectKey{"ClusterRole", "", aggs[0].name}
			errs = append(errs, &Problem{Source: sources[key], Object: key, Field: "aggregationRule", Warning: true,
				Message: fmt.Sprintf("ClusterRole aggregation did not settle after %d rounds (a cycle of aggregated roles?)", maxAggregationRounds)})
			break
		}
		changed := false
		for _, a := range aggs {
			var union []rbacv1.PolicyRule
			seen := map[string]bool{}
			for _, sel := range a.selectors {
				for _, r := range sorted {
					if r.Name == a.name || !sel.Matches(labels.Set(r.Labels)) {
						continue
					}
					for _, rule := range current[r.Name] {
						if k := ruleKey(&rule); !seen[k] {
							seen[k] = true
							union = append(union, rule)
						}
					}
				}
			}
			if len(union) == 0 {
				continue // nothing to apply: the written rules stay
			}
			if !rulesEqual(union, current[a.name]) {
				current[a.name] = union
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	for _, a := range aggs {
		out[a.name] = current[a.name]
	}
	return out, errs
}

func rulesEqual(a, b []rbacv1.PolicyRule) bool {
	return slices.EqualFunc(a, b, func(x, y rbacv1.PolicyRule) bool { return ruleEqual(&x, &y) })
}

// ruleEqual compares rules field by field, nil and empty lists being equal.
func ruleEqual(a, b *rbacv1.PolicyRule) bool {
	return slices.Equal(a.Verbs, b.Verbs) && slices.Equal(a.APIGroups, b.APIGroups) &&
		slices.Equal(a.Resources, b.Resources) && slices.Equal(a.ResourceNames, b.ResourceNames) &&
		slices.Equal(a.NonResourceURLs, b.NonResourceURLs)
}

// ruleKey is a canonical string for a rule: equal keys, equal rules.
func ruleKey(r *rbacv1.PolicyRule) string {
	var b strings.Builder
	for _, list := range [][]string{r.Verbs, r.APIGroups, r.Resources, r.ResourceNames, r.NonResourceURLs} {
		for _, s := range list {
			b.WriteString(s)
			b.WriteByte(0)
		}
		b.WriteByte(1)
	}
	return b.String()
}
