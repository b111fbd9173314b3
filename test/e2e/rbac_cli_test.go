//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeward/kubeward/internal/cli"
	"github.com/kubeward/kubeward/test/e2e/controlplane"
)

func runKubeward(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = cli.Main(args, cli.Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

// testRBACCLI runs `kubeward rbac` against the live cluster (kubeconfig)
// and checks its answers against the server's.
func testRBACCLI(t *testing.T, cp *controlplane.ControlPlane, c kubernetes.Interface) {
	objs := []runtime.Object{
		&rbacv1.Role{ObjectMeta: genMeta("cli-reader", "ns-a"), Rules: []rbacv1.PolicyRule{{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"secrets"}}}},
		&rbacv1.RoleBinding{ObjectMeta: genMeta("cli-reader", "ns-a"), RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "cli-reader"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "cli-bot"}}},
	}
	createObjects(t, c, objs)
	sentObjs, sentinels := sentinelObjects(1000)
	createObjects(t, c, sentObjs)
	waitSettled(t, c, sentinels)
	kubeconfig := cp.Kubeconfig(t, "kubeward-reader", "system:masters")

	for _, tc := range []struct {
		args []string
		user string
		ra   authorizationv1.ResourceAttributes
	}{
		{[]string{"get", "secrets", "-n", "ns-a", "--as", "system:serviceaccount:ns-a:cli-bot"}, "system:serviceaccount:ns-a:cli-bot", authorizationv1.ResourceAttributes{Verb: "get", Resource: "secrets", Namespace: "ns-a"}},
		{[]string{"get", "secrets", "-n", "ns-b", "--as", "system:serviceaccount:ns-a:cli-bot"}, "system:serviceaccount:ns-a:cli-bot", authorizationv1.ResourceAttributes{Verb: "get", Resource: "secrets", Namespace: "ns-b"}},
		{[]string{"create", "selfsubjectaccessreviews.authorization.k8s.io", "--as", "someone"}, "someone", authorizationv1.ResourceAttributes{Verb: "create", Group: "authorization.k8s.io", Resource: "selfsubjectaccessreviews"}},
		// kubectl auth can-i's syntax: TYPE/NAME names the object, the
		// subresource is a flag.
		{[]string{"get", "secrets/db", "-n", "ns-a", "--as", "system:serviceaccount:ns-a:cli-bot"}, "system:serviceaccount:ns-a:cli-bot", authorizationv1.ResourceAttributes{Verb: "get", Resource: "secrets", Name: "db", Namespace: "ns-a"}},
		{[]string{"create", "pods", "--subresource", "exec", "-n", "ns-a", "--as", "system:serviceaccount:ns-a:cli-bot"}, "system:serviceaccount:ns-a:cli-bot", authorizationv1.ResourceAttributes{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "ns-a"}},
	} {
		args := append([]string{"rbac", "can-i", "--kubeconfig", kubeconfig}, tc.args...)
		code, out, errs := runKubeward(args...)
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: tc.user, ResourceAttributes: &tc.ra}}
		if strings.HasPrefix(tc.user, "system:serviceaccount:") {
			sar.Spec.Groups = []string{"system:serviceaccounts", "system:serviceaccounts:ns-a", "system:authenticated"}
		} else {
			sar.Spec.Groups = []string{"system:authenticated"}
		}
		got, err := serverReview(context.Background(), c, sar)
		if err != nil {
			t.Fatal(err)
		}
		want, wantCode := "no", 1
		if got.Status.Allowed {
			want, wantCode = "yes", 0
		}
		if strings.TrimSpace(out) != want || code != wantCode {
			t.Errorf("kubeward %s: exit %d, %q (stderr %q); server says %s", strings.Join(args, " "), code, out, errs, want)
		}
	}

	code, out, errs := runKubeward("rbac", "who-can", "list", "secrets", "-n", "ns-a", "--kubeconfig", kubeconfig, "-o", "json")
	if code != 0 {
		t.Fatalf("who-can: exit %d: %s", code, errs)
	}
	var wc struct {
		Subjects []struct{ Kind, Namespace, Name string }
	}
	if err := json.Unmarshal([]byte(out), &wc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range wc.Subjects {
		found = found || (s.Kind == "ServiceAccount" && s.Namespace == "ns-a" && s.Name == "cli-bot")
	}
	if !found {
		t.Errorf("who-can list secrets -n ns-a: cli-bot missing from %s", out)
	}

	code, out, errs = runKubeward("rbac", "risks", "--kubeconfig", kubeconfig, "--format", "json")
	if code != 1 || !strings.Contains(out, `"rule": "rbac/secrets-read"`) || !strings.Contains(out, "cli-reader") {
		t.Errorf("risks on the cluster: exit %d, stderr %q, output lacks rbac/secrets-read for cli-reader:\n%.2000s", code, errs, out)
	}
	if strings.Contains(out, `"name": "system:`) {
		t.Errorf("risks reported default policy objects:\n%.2000s", out)
	}
	// Paging: the cluster's objects listed 3 at a time (dozens of pages of
	// cluster roles alone) give the same report as 500 at a time.
	code3, out3, errs3 := runKubeward("rbac", "risks", "--kubeconfig", kubeconfig, "--format", "json", "--chunk-size", "3")
	if code3 != code || out3 != out {
		t.Errorf("risks with --chunk-size 3: exit %d (stderr %q), want the report of the default chunk size (exit %d); output:\n%.2000s", code3, errs3, code, out3)
	}
	if code, _, errs := runKubeward("rbac", "risks", "--kubeconfig", kubeconfig, "--chunk-size", "-1"); code != 2 || !strings.Contains(errs, "--chunk-size -1") {
		t.Errorf("--chunk-size -1: exit %d, stderr %q, want a usage error", code, errs)
	}
	t.Logf("kubeward rbac can-i/who-can/risks on the live cluster agree with it")
}
