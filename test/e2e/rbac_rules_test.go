//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubeward/kubeward/internal/rbac"
)

func ruleKey(verbs, groups, resources, names, urls []string) string {
	return fmt.Sprintf("verbs=%v groups=%v resources=%v names=%v urls=%v", verbs, groups, resources, names, urls)
}

// checkRulesFor compares `can-i --list` (Index.RulesFor, with the identity
// kubeward builds) with the server's SelfSubjectRulesReview made while
// impersonating the same user and groups, for every identity and namespace.
// It also checks kubeward's Identity against what impersonation gives.
func checkRulesFor(t *testing.T, admin *rest.Config, ix *rbac.Index) (compared int) {
	t.Helper()
	for _, id := range whoCanIdentities {
		user := id[0]
		var explicit []string
		if strings.HasPrefix(user, "member-of-") {
			explicit = []string{strings.TrimPrefix(user, "member-of-")}
		}
		cfg := rest.CopyConfig(admin)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: explicit}
		c, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		groups := rbac.Identity(user, explicit)
		for _, ns := range genNamespaces {
			ssrr, err := c.AuthorizationV1().SelfSubjectRulesReviews().Create(context.Background(),
				&authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: ns}}, metav1.CreateOptions{})
			if err != nil {
				t.Fatalf("SelfSubjectRulesReview as %s: %v", user, err)
			}
			server := map[string]bool{}
			for _, r := range ssrr.Status.ResourceRules {
				server[ruleKey(r.Verbs, r.APIGroups, r.Resources, r.ResourceNames, nil)] = true
			}
			for _, r := range ssrr.Status.NonResourceRules {
				server[ruleKey(r.Verbs, nil, nil, nil, r.NonResourceURLs)] = true
			}
			mine := map[string]bool{}
			grants, _ := ix.RulesFor(user, groups, ns)
			for _, g := range grants {
				r := g.Rule
				if len(r.Resources) > 0 {
					mine[ruleKey(r.Verbs, r.APIGroups, r.Resources, r.ResourceNames, nil)] = true
				}
				if len(r.NonResourceURLs) > 0 {
					mine[ruleKey(r.Verbs, nil, nil, nil, r.NonResourceURLs)] = true
				}
			}
			var onlyMine, onlyServer []string
			for k := range mine {
				if !server[k] {
					onlyMine = append(onlyMine, k)
				}
			}
			for k := range server {
				if !mine[k] {
					onlyServer = append(onlyServer, k)
				}
			}
			sort.Strings(onlyMine)
			sort.Strings(onlyServer)
			if len(onlyMine)+len(onlyServer) > 0 {
				t.Errorf("rules of %s (groups %q) in %s: only kubeward:\n%s\nonly the server:\n%s", user, groups, ns, strings.Join(onlyMine, "\n"), strings.Join(onlyServer, "\n"))
			}
			compared++
		}
	}
	return compared
}
