//go:build e2e

package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"

	"github.com/kubeward/kubeward/internal/abac"
	"github.com/kubeward/kubeward/internal/rbac"
	"github.com/kubeward/kubeward/test/e2e/controlplane"
)

// genABACLine draws one policy line, versioned or not, with fields unset,
// "*" and exact.
func genABACLine(r *rand.Rand) string {
	opt := func(key string, values ...string) string {
		v := pick(r, values)
		if v == "<unset>" {
			return ""
		}
		return fmt.Sprintf("%q: %q, ", key, v)
	}
	if r.IntN(4) == 0 { // unversioned
		body := opt("user", "<unset>", "u1", "u2", "*") + opt("group", "<unset>", "<unset>", "g1", "*") +
			opt("resource", "<unset>", "pods", "secrets", "deployments") + opt("namespace", "<unset>", "ns-a", "ns-b")
		if r.IntN(3) == 0 {
			body += `"readonly": true, `
		}
		return "{" + strings.TrimSuffix(body, ", ") + "}"
	}
	spec := opt("user", "<unset>", "u1", "u2", "u3", "*", "system:serviceaccount:ns-a:sa1") +
		opt("group", "<unset>", "<unset>", "g1", "g2", "*", "system:authenticated", "system:unauthenticated") +
		opt("apiGroup", "<unset>", "", "*", "apps") + opt("resource", "<unset>", "pods", "*", "secrets", "deployments") +
		opt("namespace", "<unset>", "ns-a", "*") + opt("nonResourcePath", "<unset>", "<unset>", "*", "/healthz", "/logs/*", "/api*")
	if r.IntN(3) == 0 {
		spec += `"readonly": true, `
	}
	return fmt.Sprintf(`{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": {%s}}`, strings.TrimSuffix(spec, ", "))
}

// TestRBACWithABAC runs kube-apiserver with --authorization-mode=ABAC,RBAC and
// a seeded random ABAC policy file, and requires kubeward's chain (ABAC from
// the same file, then RBAC with the default policy) to answer every random
// SubjectAccessReview as the server does.
func TestRBACWithABAC(t *testing.T) {
	seed := uint64(envInt("KUBEWARD_E2E_RBAC_SEED", 20260526))
	r := rand.New(rand.NewPCG(seed, 1000))
	lines := []string{"# generated ABAC policy", ""}
	for range 40 {
		lines = append(lines, genABACLine(r))
	}
	policy := filepath.Join(t.TempDir(), "abac.jsonl")
	if err := os.WriteFile(policy, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cp := controlplane.Start(t, controlplane.Options{
		APIServerFlags: []string{"--authorization-mode=ABAC,RBAC", "--authorization-policy-file=" + policy},
	})
	f, err := os.Open(policy)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pl, err := abac.Parse(f)
	if err != nil {
		t.Fatalf("kubeward cannot read the policy the server accepted: %v", err)
	}
	_, ix := kubewardChain(t, nil)
	chain := rbac.Chain{{Name: "abac", Authorizer: pl}, {Name: "rbac", Authorizer: ix}}
	n := envInt("KUBEWARD_E2E_RBAC_REVIEWS", 1500) * 2
	reviews := make([]*authorizationv1.SubjectAccessReview, 0, n)
	for range n {
		sar := genReview(r)
		if r.IntN(3) == 0 && sar.Spec.ResourceAttributes != nil {
			sar.Spec.ResourceAttributes.Namespace = pick(r, []string{"ns-a", "ns-b", ""})
		}
		reviews = append(reviews, sar)
	}
	compared, allowed := compareReviews(t, cp.Client, chain, reviews)
	t.Logf("%d policy lines; %d SubjectAccessReviews compared (%d allowed by the server) under --authorization-mode=ABAC,RBAC: kubeward's answer equals kube-apiserver's for every one", len(pl), compared, allowed)
}
