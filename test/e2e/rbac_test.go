//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeward/kubeward/internal/rbac"
	"github.com/kubeward/kubeward/internal/rbac/bootstrap"
	"github.com/kubeward/kubeward/test/e2e/controlplane"
)

// startRBACControlPlane starts etcd, kube-apiserver with RBAC authorization
// and kube-controller-manager running only the ClusterRole aggregation
// controller.
func startRBACControlPlane(t *testing.T) *controlplane.ControlPlane {
	t.Helper()
	return controlplane.Start(t, controlplane.Options{
		APIServerFlags:    []string{"--authorization-mode=RBAC"},
		ControllerManager: true,
		Controllers:       []string{"clusterrole-aggregation"},
	})
}

// TestRBAC proves the offline engine against a real kube-apiserver: the
// embedded default policy equals a fresh server's, the documented edge cases
// answer as expected on both, and on seeded random RBAC sets every one of
// thousands of SubjectAccessReviews gets the same answer from kubeward as
// from the server. One control plane serves all subtests.
func TestRBAC(t *testing.T) {
	cp := startRBACControlPlane(t)
	ctx := context.Background()
	for _, ns := range append(genNamespaces, "facts") {
		_, err := cp.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("creating namespace %s: %v", ns, err)
		}
	}
	t.Run("BootstrapPolicy", func(t *testing.T) { checkBootstrapPolicy(t, cp.Client) })
	t.Run("Facts", func(t *testing.T) { testRBACFacts(t, cp.Client) })
	t.Run("Differential", func(t *testing.T) { testRBACDifferential(t, cp) })
	t.Run("CLI", func(t *testing.T) { testRBACCLI(t, cp, cp.Client) })
}

// kubewardChain builds kubeward's authorizer for objs plus the default policy,
// as `kubeward rbac review --include-defaults` does.
func kubewardChain(t *testing.T, objs []runtime.Object) (rbac.Chain, *rbac.Index) {
	t.Helper()
	boot, err := bootstrap.Objects()
	if err != nil {
		t.Fatalf("default policy: %v", err)
	}
	p := &rbac.Policy{}
	for _, o := range boot {
		p.Add(o, rbac.Source{Default: true})
	}
	for _, o := range objs {
		p.Add(o, rbac.Source{File: "generated"})
	}
	ix := rbac.NewIndex(p, rbac.Options{Aggregate: true})
	if errs := ix.Problems(); len(errs) > 0 {
		t.Fatalf("index problems: %v", errs)
	}
	return rbac.Chain{{Name: "rbac", Authorizer: ix}}, ix
}

func createObjects(t *testing.T, c kubernetes.Interface, objs []runtime.Object) {
	t.Helper()
	ctx := context.Background()
	for _, o := range objs {
		var err error
		switch o := o.(type) {
		case *rbacv1.ClusterRole:
			_, err = c.RbacV1().ClusterRoles().Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.ClusterRoleBinding:
			_, err = c.RbacV1().ClusterRoleBindings().Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.Role:
			_, err = c.RbacV1().Roles(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.RoleBinding:
			_, err = c.RbacV1().RoleBindings(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		default:
			t.Fatalf("unexpected object %T", o)
		}
		if err != nil {
			t.Fatalf("creating %T: %v", o, err)
		}
	}
}

func serverReview(ctx context.Context, c kubernetes.Interface, sar *authorizationv1.SubjectAccessReview) (*authorizationv1.SubjectAccessReview, error) {
	return c.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar.DeepCopy(), metav1.CreateOptions{})
}

// waitSettled waits until the server's authorization caches hold every
// object created before the sentinels (watch events of one resource arrive in
// order, so a sentinel created last per resource proves the rest arrived),
// then until the aggregation controller stops changing ClusterRoles.
func waitSettled(t *testing.T, c kubernetes.Interface, sentinels []*authorizationv1.SubjectAccessReview) {
	t.Helper()
	start := time.Now()
	for _, s := range sentinels {
		controlplane.WaitFor(t, "sentinel review "+describeReview(s)+" to be allowed", 50*time.Millisecond, 30*time.Second, func(ctx context.Context) (bool, error) {
			got, err := serverReview(ctx, c, s)
			if err != nil {
				return false, err
			}
			return got.Status.Allowed, nil
		})
	}
	last, stable := "", 0
	controlplane.WaitFor(t, "ClusterRole aggregation to settle", 200*time.Millisecond, 60*time.Second, func(ctx context.Context) (bool, error) {
		list, err := c.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		var b strings.Builder
		for _, cr := range list.Items {
			if cr.AggregationRule != nil {
				fmt.Fprintf(&b, "%s=%v;", cr.Name, ruleSet(cr.Rules))
			}
		}
		if b.String() == last {
			stable++
		} else {
			last, stable = b.String(), 0
		}
		return stable >= 5, nil // unchanged for a second
	})
	// The aggregated rules reach the authorizer through the same watch; one
	// more sentinel round proves they did.
	for _, s := range sentinels {
		if got, err := serverReview(context.Background(), c, s); err != nil || !got.Status.Allowed {
			t.Fatalf("sentinel %s no longer allowed: %v", describeReview(s), err)
		}
	}
	t.Logf("server caches settled in %s", time.Since(start).Round(time.Millisecond))
}

func ruleSet(rules []rbacv1.PolicyRule) []string {
	out := make([]string, 0, len(rules))
	for _, r := range rules {
		out = append(out, r.String())
	}
	sort.Strings(out)
	return out
}

// checkAggregation compares the server's aggregated ClusterRoles with kubeward's.
func checkAggregation(t *testing.T, c kubernetes.Interface, ix *rbac.Index) {
	t.Helper()
	list, err := c.RbacV1().ClusterRoles().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("listing ClusterRoles: %v", err)
	}
	n := 0
	for _, cr := range list.Items {
		if cr.AggregationRule == nil {
			continue
		}
		n++
		mine, ok := ix.ClusterRole(cr.Name)
		if !ok {
			t.Errorf("ClusterRole %s: not known to kubeward", cr.Name)
			continue
		}
		if onlyMine, onlyServer := setDiff(ruleSet(mine.Rules), ruleSet(cr.Rules)); len(onlyMine)+len(onlyServer) > 0 {
			t.Errorf("aggregated ClusterRole %s (selectors %v): rules only kubeward has:\n%s\nrules only the server has:\n%s",
				cr.Name, cr.AggregationRule.ClusterRoleSelectors, strings.Join(onlyMine, "\n"), strings.Join(onlyServer, "\n"))
		}
	}
	t.Logf("%d aggregated ClusterRoles equal the server's", n)
}

func describeReview(s *authorizationv1.SubjectAccessReview) string {
	sp := s.Spec
	who := fmt.Sprintf("user=%q groups=%q", sp.User, sp.Groups)
	if ra := sp.ResourceAttributes; ra != nil {
		return fmt.Sprintf("%s verb=%q group=%q version=%q resource=%q subresource=%q namespace=%q name=%q", who, ra.Verb, ra.Group, ra.Version, ra.Resource, ra.Subresource, ra.Namespace, ra.Name)
	}
	return fmt.Sprintf("%s verb=%q path=%q", who, sp.NonResourceAttributes.Verb, sp.NonResourceAttributes.Path)
}

// compareReviews sends every review to the server (8 at a time) and compares
// allowed/denied with kubeward's answer. It returns the number compared.
func compareReviews(t *testing.T, c kubernetes.Interface, chain rbac.Chain, reviews []*authorizationv1.SubjectAccessReview) (compared, allowed int) {
	t.Helper()
	type result struct {
		i   int
		got *authorizationv1.SubjectAccessReview
		err error
	}
	results := make([]result, len(reviews))
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				got, err := serverReview(context.Background(), c, reviews[i])
				results[i] = result{i, got, err}
			}
		})
	}
	for i := range reviews {
		next <- i
	}
	close(next)
	wg.Wait()
	mismatches := 0
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("review %s: %v", describeReview(reviews[i]), r.err)
		}
		mine := rbac.Review(chain, reviews[i])
		compared++
		if r.got.Status.Allowed {
			allowed++
		}
		if mine.Status.Allowed != r.got.Status.Allowed || mine.Status.Denied != r.got.Status.Denied {
			mismatches++
			if mismatches <= 20 {
				t.Errorf("review %s: server allowed=%v denied=%v (%q), kubeward allowed=%v denied=%v (%q)",
					describeReview(reviews[i]), r.got.Status.Allowed, r.got.Status.Denied, r.got.Status.Reason,
					mine.Status.Allowed, mine.Status.Denied, mine.Status.Reason)
			}
		}
	}
	if mismatches > 0 {
		t.Errorf("%d of %d reviews differ", mismatches, len(reviews))
	}
	return compared, allowed
}

func deleteGenerated(t *testing.T, c kubernetes.Interface) {
	t.Helper()
	ctx := context.Background()
	opts := metav1.ListOptions{LabelSelector: genLabel + "=rbac"}
	del := metav1.DeleteOptions{}
	check := func(what string, err error) {
		if err != nil && !apierrors.IsNotFound(err) {
			t.Fatalf("deleting %s: %v", what, err)
		}
	}
	check("ClusterRoleBindings", c.RbacV1().ClusterRoleBindings().DeleteCollection(ctx, del, opts))
	check("ClusterRoles", c.RbacV1().ClusterRoles().DeleteCollection(ctx, del, opts))
	for _, ns := range append(genNamespaces, "facts") {
		check("RoleBindings", c.RbacV1().RoleBindings(ns).DeleteCollection(ctx, del, opts))
		check("Roles", c.RbacV1().Roles(ns).DeleteCollection(ctx, del, opts))
	}
	// The aggregation controller applies (server-side apply) the rules of
	// aggregated roles it still has in its cache; when that races with the
	// delete, the apply re-creates the role, without its labels. Delete
	// such resurrected roles by name until none comes back for a second.
	quiet := 0
	controlplane.WaitFor(t, "deleted aggregated ClusterRoles to stay deleted", 200*time.Millisecond, 30*time.Second, func(ctx context.Context) (bool, error) {
		list, err := c.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		found := false
		for _, cr := range list.Items {
			if generatedName.MatchString(cr.Name) {
				found = true
				check("ClusterRole "+cr.Name, c.RbacV1().ClusterRoles().Delete(ctx, cr.Name, del))
			}
		}
		if found {
			quiet = 0
		} else {
			quiet++
		}
		return quiet >= 5, nil
	})
}

// generatedName matches the names of the objects the test creates.
var generatedName = regexp.MustCompile(`^(r[0-9]+-|zz-sentinel-|fact-)`)

// sentinelObjects returns objects to create after a round's set, one per
// resource kind and created last, and the reviews they make allowed.
func sentinelObjects(round int) ([]runtime.Object, []*authorizationv1.SubjectAccessReview) {
	name := fmt.Sprintf("zz-sentinel-%d", round)
	user := rbacv1.Subject{Kind: "User", APIGroup: rbacv1.GroupName, Name: name}
	resource := "sentinels" + strconv.Itoa(round)
	objs := []runtime.Object{
		&rbacv1.ClusterRole{ObjectMeta: genMeta(name, ""), Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{"sentinel"}, Resources: []string{resource}}}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: genMeta(name, ""), RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}, Subjects: []rbacv1.Subject{user}},
	}
	var reviews []*authorizationv1.SubjectAccessReview
	reviews = append(reviews, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: name,
		ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "get", Group: "sentinel", Resource: resource}}})
	for _, ns := range genNamespaces {
		objs = append(objs,
			&rbacv1.Role{ObjectMeta: genMeta(name, ns), Rules: []rbacv1.PolicyRule{{Verbs: []string{"list"}, APIGroups: []string{"sentinel"}, Resources: []string{resource}}}},
			&rbacv1.RoleBinding{ObjectMeta: genMeta(name, ns), RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name}, Subjects: []rbacv1.Subject{user}})
		reviews = append(reviews, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: name,
			ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "list", Group: "sentinel", Resource: resource, Namespace: ns}}})
	}
	return objs, reviews
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func testRBACDifferential(t *testing.T, cp *controlplane.ControlPlane) {
	c := cp.Client
	rounds := envInt("KUBEWARD_E2E_RBAC_ROUNDS", 8)
	perRound := envInt("KUBEWARD_E2E_RBAC_REVIEWS", 1500)
	seed := uint64(envInt("KUBEWARD_E2E_RBAC_SEED", 20260526))
	t.Logf("seed %d (set KUBEWARD_E2E_RBAC_SEED to replay), %d rounds of %d reviews", seed, rounds, perRound)
	total, totalAllowed, whoCanChecked, whoCanAllowed, rulesCompared := 0, 0, 0, 0, 0
	for round := range rounds {
		r := rand.New(rand.NewPCG(seed, uint64(round)))
		deleteGenerated(t, c)
		set := genRBACSet(r, round)
		var objs []runtime.Object
		for _, o := range set.ClusterRoles {
			objs = append(objs, o)
		}
		for _, o := range set.Roles {
			objs = append(objs, o)
		}
		for _, o := range set.ClusterRoleBindings {
			objs = append(objs, o)
		}
		for _, o := range set.RoleBindings {
			objs = append(objs, o)
		}
		sentObjs, sentinels := sentinelObjects(round)
		createObjects(t, c, objs)
		createObjects(t, c, sentObjs)
		waitSettled(t, c, sentinels)
		chain, ix := kubewardChain(t, append(objs, sentObjs...))
		checkAggregation(t, c, ix)
		reviews := make([]*authorizationv1.SubjectAccessReview, perRound)
		for i := range reviews {
			reviews[i] = genReview(r)
		}
		n, allowed := compareReviews(t, c, chain, reviews)
		total += n
		totalAllowed += allowed
		wn, wa := checkWhoCan(t, c, ix, r)
		whoCanChecked += wn
		whoCanAllowed += wa
		rulesCompared += checkRulesFor(t, cp.Config, ix)
		if t.Failed() {
			break
		}
	}
	t.Logf("%d SubjectAccessReviews compared (%d allowed by the server): kubeward's offline answer equals kube-apiserver's for every one", total, totalAllowed)
	t.Logf("can-i --list: %d (identity, namespace) rule sets equal the server's SelfSubjectRulesReview made by impersonating the identity", rulesCompared)
	t.Logf("who-can: %d (identity, request) pairs checked against the server (%d allowed): an identity is allowed exactly when who-can lists it or one of its groups", whoCanChecked, whoCanAllowed)
}

func setDiff(a, b []string) (onlyA, onlyB []string) {
	inA, inB := map[string]bool{}, map[string]bool{}
	for _, x := range a {
		inA[x] = true
	}
	for _, x := range b {
		inB[x] = true
		if !inA[x] {
			onlyB = append(onlyB, x)
		}
	}
	for _, x := range a {
		if !inB[x] {
			onlyA = append(onlyA, x)
		}
	}
	return onlyA, onlyB
}

// whoCanIdentities are the identities checked against who-can: as
// authentication would build them (Identity), so group bindings count.
var whoCanIdentities = func() [][]string {
	var out [][]string
	for _, u := range append(genUsers, "system:serviceaccount:ns-b:sa2", "system:serviceaccount:ns-c:sa1", "nobody") {
		out = append(out, append([]string{u}, rbac.Identity(u, nil)...))
	}
	for _, g := range genGroups {
		out = append(out, []string{"member-of-" + g, g, rbac.GroupAuthenticated})
	}
	return out
}()

// checkWhoCan draws requests, asks who-can, and checks against the server,
// for every identity of whoCanIdentities, that the server allows it exactly
// when a listed holder names the user, its service account or one of its
// groups.
func checkWhoCan(t *testing.T, c kubernetes.Interface, ix *rbac.Index, r *rand.Rand) (checked, allowed int) {
	t.Helper()
	var reviews []*authorizationv1.SubjectAccessReview
	var expect []bool
	var why []string
	for range 40 {
		req := genReview(r).Spec
		a := rbac.ReviewAttributes(&req)
		holders := ix.WhoCan(a, false)
		for _, id := range whoCanIdentities {
			user, groups := id[0], id[1:]
			listed := false
			for _, h := range holders {
				s := h.Subject
				switch s.Kind {
				case "User":
					listed = listed || s.Name == user
				case "Group":
					listed = listed || slices.Contains(groups, s.Name)
				case "ServiceAccount":
					listed = listed || rbac.ServiceAccountUser(s.Namespace, s.Name) == user
				}
			}
			spec := req
			spec.User, spec.Groups = user, groups
			reviews = append(reviews, &authorizationv1.SubjectAccessReview{Spec: spec})
			expect = append(expect, listed)
			why = append(why, fmt.Sprintf("%d holders", len(holders)))
		}
	}
	results := make([]*authorizationv1.SubjectAccessReview, len(reviews))
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				got, err := serverReview(context.Background(), c, reviews[i])
				if err != nil {
					t.Errorf("review: %v", err)
					continue
				}
				results[i] = got
			}
		})
	}
	for i := range reviews {
		next <- i
	}
	close(next)
	wg.Wait()
	bad := 0
	for i, got := range results {
		if got == nil {
			continue
		}
		checked++
		if got.Status.Allowed {
			allowed++
		}
		if got.Status.Allowed != expect[i] {
			bad++
			if bad <= 10 {
				t.Errorf("who-can disagrees with the server for %s: server allowed=%v, listed by who-can=%v (%s)", describeReview(reviews[i]), got.Status.Allowed, expect[i], why[i])
			}
		}
	}
	return checked, allowed
}
