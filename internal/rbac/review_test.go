package rbac

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

func TestDecodeReviews(t *testing.T) {
	yamlData, err := os.ReadFile("testdata/reviews.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const sar = `{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"u","resourceAttributes":{"verb":"get","resource":"pods"}}}`
	type want struct {
		line int
		user string
		err  string
	}
	tests := []struct {
		name  string
		input string
		want  []want
	}{
		{"yaml-documents-and-list", string(yamlData), []want{{2, "alice", ""}, {11, "", ""}, {19, "bob", ""}}},
		{"json-lines", sar + "\n\n" + sar + "\n", []want{{1, "u", ""}, {3, "u", ""}}},
		{"json-array", "[" + sar + "," + sar + "]", []want{{1, "u", ""}, {1, "u", ""}}},
		{"json-list", `{"apiVersion":"v1","kind":"List","items":[` + sar + `]}`, []want{{1, "u", ""}}},
		{"broken-json-stops", sar + "\n{\"kind\":", []want{{1, "u", ""}, {2, "", "invalid JSON"}}},
		{"unknown-field", `{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"u","resourceAttribute":{"verb":"get"}}}`, []want{{1, "", "unknown field"}}},
		{"case-sensitive-field", `{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"User":"u","resourceAttributes":{"verb":"get"}}}`, []want{{1, "", "unknown field"}}},
		{"wrong-kind", "apiVersion: v1\nkind: Pod\n", []want{{1, "", "is not SubjectAccessReview"}}},
		{"wrong-version", "apiVersion: authorization.k8s.io/v1beta1\nkind: SubjectAccessReview\n", []want{{1, "", "not supported"}}},
		{"no-kind", "spec: {}\n", []want{{1, "", "missing kind"}}},
		{"invalid-both-attributes", `{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"u","resourceAttributes":{},"nonResourceAttributes":{}}}`, []want{{1, "u", "exactly one of"}}},
		{"invalid-no-user", "apiVersion: authorization.k8s.io/v1\nkind: SubjectAccessReview\nspec:\n  resourceAttributes: {verb: get}\n", []want{{1, "", "at least one of user or group"}}},
		{"bad-yaml-continues", "a: [\n---\n" + "apiVersion: authorization.k8s.io/v1\nkind: SubjectAccessReview\nspec: {user: z, nonResourceAttributes: {verb: get, path: /}}\n", []want{{1, "", "invalid YAML"}, {3, "z", ""}}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := DecodeReviews(strings.NewReader(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != len(tt.want) {
				t.Fatalf("got %d items %+v, want %d", len(items), items, len(tt.want))
			}
			for i, w := range tt.want {
				it := items[i]
				if it.Line != w.line {
					t.Errorf("item %d: line %d, want %d", i, it.Line, w.line)
				}
				if w.err == "" && it.Err != nil {
					t.Errorf("item %d: unexpected error %v", i, it.Err)
				}
				if w.err != "" && (it.Err == nil || !strings.Contains(it.Err.Error(), w.err)) {
					t.Errorf("item %d: error %v, want one containing %q", i, it.Err, w.err)
				}
				if w.user != "" && (it.Review == nil || it.Review.Spec.User != w.user) {
					t.Errorf("item %d: review %+v, want user %q", i, it.Review, w.user)
				}
			}
		})
	}
}

func TestChain(t *testing.T) {
	ix := NewIndex(&Policy{
		ClusterRoles:        []*rbacv1.ClusterRole{clusterRole("r", rule(l("get"), l(""), l("pods")))},
		ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{crb("b", "r", user("alice"))},
	}, Options{})
	deny := constAuthorizer{d: Deny, reason: "no"}
	tests := []struct {
		name       string
		chain      Chain
		req        *Attributes
		want       Decision
		authorizer string
		reason     string
	}{
		{"masters-first", Chain{{"deny", deny}}, &Attributes{User: "x", Groups: l(GroupMasters)}, Allow, "kubernetes.io/system-privileged-group", ""},
		{"rbac-allows", Chain{{"rbac", ix}}, res("get", "", "pods", "", "", ""), Allow, "rbac", `RBAC: allowed by ClusterRoleBinding "b" of ClusterRole "r" to User "alice"`},
		{"first-decides", Chain{{"deny", deny}, {"rbac", ix}}, res("get", "", "pods", "", "", ""), Deny, "deny", "no"},
		{"no-opinion-reasons-joined", Chain{{"rbac", ix}, {"alwaysdeny", AlwaysDeny}}, res("list", "", "pods", "", "", ""), NoOpinion, "", "alwaysdeny: Everything is forbidden."},
		{"always-allow", Chain{{"rbac", ix}, {"alwaysallow", AlwaysAllow}}, res("list", "", "pods", "", "", ""), Allow, "alwaysallow", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.chain.Authorize(tt.req)
			if got.Decision != tt.want || got.Authorizer != tt.authorizer || got.Reason != tt.reason {
				t.Errorf("got %v by %q (%q), want %v by %q (%q)", got.Decision, got.Authorizer, got.Reason, tt.want, tt.authorizer, tt.reason)
			}
		})
	}
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: "alice",
		ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "get", Resource: "pods", Version: "v7"}}}
	if out := Review(Chain{{"rbac", ix}}, sar); !out.Status.Allowed || out.Status.Denied || sar.Status.Allowed {
		t.Errorf("Review = %+v (input status %+v), want allowed and the input untouched", out.Status, sar.Status)
	}
}

func TestParseModes(t *testing.T) {
	if m, err := ParseModes("ABAC,RBAC"); err != nil || len(m) != 2 || m[0] != ModeABAC {
		t.Errorf("ParseModes(ABAC,RBAC) = %v, %v", m, err)
	}
	for _, bad := range []string{"", "rbac", "RBAC,RBAC", "Node", "Webhook,RBAC"} {
		if _, err := ParseModes(bad); err == nil {
			t.Errorf("ParseModes(%q) succeeded", bad)
		}
	}
}

func FuzzDecodeReviews(f *testing.F) {
	data, err := os.ReadFile("testdata/reviews.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"u","groups":["g"],"resourceAttributes":{"verb":"get","resource":"pods","subresource":"exec","name":"n","namespace":"ns"}}}`))
	f.Add([]byte(`[{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"u","nonResourceAttributes":{"verb":"get","path":"/x"}}}]`))
	f.Add([]byte("---\n---\nkind: List\nitems: [1, \"a\", {kind: SubjectAccessReview}]\n"))
	ix := NewIndex(&Policy{
		ClusterRoles:        []*rbacv1.ClusterRole{clusterRole("r", rule(l("*"), l("*"), l("*")), urlRule(l("get"), "/x*"))},
		ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{crb("b", "r", user("u"), group("g"))},
	}, Options{})
	chain := Chain{{"rbac", ix}}
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := DecodeReviews(strings.NewReader(string(data)))
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if it.Line < 1 {
				t.Fatalf("item without a line: %+v", it)
			}
			if it.Err == nil {
				if it.Review == nil {
					t.Fatal("item without review nor error")
				}
				// Decode → encode → decode round trips.
				it.Review.APIVersion, it.Review.Kind = "authorization.k8s.io/v1", "SubjectAccessReview"
				enc, err := json.Marshal(it.Review)
				if err != nil {
					t.Fatal(err)
				}
				again, err := DecodeReviews(strings.NewReader(string(enc)))
				if err != nil || len(again) != 1 || again[0].Err != nil {
					t.Fatalf("re-encoded review %s does not decode: %v %+v", enc, err, again)
				}
				if !equality.Semantic.DeepEqual(again[0].Review, it.Review) {
					t.Fatalf("round trip changed the review:\n%s", cmp.Diff(it.Review, again[0].Review))
				}
				out := Review(chain, it.Review)
				// Answering is pure: the same review answers the same.
				if again := Review(chain, it.Review); again.Status != out.Status {
					t.Fatalf("answers differ: %+v vs %+v", out.Status, again.Status)
				}
			}
		}
	})
}

// TestDecodeReviewsResumesAfterBadLine: one malformed JSON line is reported
// at its line, and the reviews after it are still read.
func TestDecodeReviewsResumesAfterBadLine(t *testing.T) {
	good := `{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"%s","resourceAttributes":{"verb":"get","resource":"pods"}}}`
	data := fmt.Sprintf(good, "a") + "\n" + `{"apiVersion": broken` + "\n" + fmt.Sprintf(good, "b") + "\n"
	items, err := DecodeReviews(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		if it.Err != nil {
			got = append(got, fmt.Sprintf("%d: error", it.Line))
		} else {
			got = append(got, fmt.Sprintf("%d: %s", it.Line, it.Review.Spec.User))
		}
	}
	if diff := cmp.Diff([]string{"1: a", "2: error", "3: b"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
