package abac

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubeward/kubeward/internal/rbac"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		want    Policy
		skip    bool
		wantErr string
	}{
		{"blank", "   ", Policy{}, true, ""},
		{"comment", "# hello", Policy{}, true, ""},
		{"v1beta1", `{"apiVersion":"abac.authorization.kubernetes.io/v1beta1","kind":"Policy","spec":{"user":"bob","namespace":"ns","resource":"pods","apiGroup":"","readonly":true}}`,
			Policy{User: "bob", Namespace: "ns", Resource: "pods", Readonly: true}, false, ""},
		{"v1beta1-user-star-is-authenticated", `{"apiVersion":"abac.authorization.kubernetes.io/v1beta1","kind":"Policy","spec":{"user":"*","nonResourcePath":"*"}}`,
			Policy{Group: "system:authenticated", NonResourcePath: "*"}, false, ""},
		{"v1beta1-group-star-is-authenticated", `{"apiVersion":"abac.authorization.kubernetes.io/v1beta1","kind":"Policy","spec":{"user":"bob","group":"*"}}`,
			Policy{Group: "system:authenticated"}, false, ""},
		{"v1beta1-case-sensitive-fields", `{"apiVersion":"abac.authorization.kubernetes.io/v1beta1","kind":"Policy","spec":{"User":"bob"}}`,
			Policy{}, false, ""},
		{"unversioned-defaults", `{"user":"bob"}`,
			Policy{User: "bob", Namespace: "*", Resource: "*", APIGroup: "*", NonResourcePath: "*"}, false, ""},
		{"unversioned-empty-is-authenticated", `{"readonly":true,"resource":"pods"}`,
			Policy{Group: "system:authenticated", Namespace: "*", Resource: "pods", APIGroup: "*", Readonly: true}, false, ""},
		{"unversioned-star", `{"user":"*","namespace":"ns"}`,
			Policy{Group: "system:authenticated", Namespace: "ns", Resource: "*", APIGroup: "*"}, false, ""},
		{"bad-json", `{"user":`, Policy{}, false, "invalid JSON"},
		{"other-kind", `{"apiVersion":"v1","kind":"Pod"}`, Policy{}, false, "unsupported apiVersion"},
		{"array", `[1]`, Policy{}, false, "invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := ParseLine([]byte(tt.line))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ok == tt.skip {
				t.Fatalf("ok = %v, want %v", ok, !tt.skip)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("policy (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseReportsEveryBadLine(t *testing.T) {
	pl, err := Parse(strings.NewReader("{\"user\":\"a\"}\nnot json\n\n{\"apiVersion\":\"x\",\"kind\":\"y\"}\n"))
	if len(pl) != 1 || pl[0].Line != 1 {
		t.Errorf("policies = %+v, want the one good line", pl)
	}
	var le *LineError
	if !errors.As(err, &le) || le.Line != 2 {
		t.Fatalf("error = %v, want line 2 first", err)
	}
	if !strings.Contains(err.Error(), "line 4:") {
		t.Errorf("error = %v, want line 4 reported too", err)
	}
}

func TestAuthorize(t *testing.T) {
	f, err := os.Open("testdata/policy.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pl, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	res := func(user string, groups []string, verb, group, resource, sub, ns, name string) *rbac.Attributes {
		return &rbac.Attributes{User: user, Groups: groups, ResourceRequest: true, Verb: verb, APIGroup: group, Resource: resource, Subresource: sub, Namespace: ns, Name: name}
	}
	path := func(user string, groups []string, verb, p string) *rbac.Attributes {
		return &rbac.Attributes{User: user, Groups: groups, Verb: verb, Path: p}
	}
	authn := []string{"system:authenticated"}
	tests := []struct {
		name string
		a    *rbac.Attributes
		want rbac.Decision
	}{
		{"admin-anything", res("admin", nil, "delete", "apps", "deployments", "", "x", "d"), rbac.Allow},
		{"readonly-get", res("scheduler", nil, "get", "", "pods", "", "x", ""), rbac.Allow},
		{"readonly-watch", res("scheduler", nil, "watch", "", "pods", "", "", ""), rbac.Allow},
		{"readonly-no-create", res("scheduler", nil, "create", "", "pods", "", "x", ""), rbac.NoOpinion},
		{"subresources-ignored", res("scheduler", nil, "get", "", "pods", "exec", "x", "p"), rbac.Allow},
		{"apigroup-unset-is-core", res("scheduler", nil, "get", "apps", "pods", "", "x", ""), rbac.NoOpinion},
		{"namespace-exact", res("alice", nil, "create", "", "pods", "", "projectCaribou", ""), rbac.Allow},
		{"namespace-other", res("alice", nil, "create", "", "pods", "", "projectcaribou", ""), rbac.NoOpinion},
		{"namespace-cluster-scoped", res("alice", nil, "get", "", "nodes", "", "", ""), rbac.NoOpinion},
		{"star-user-needs-authenticated-group", res("bob", nil, "get", "", "configmaps", "", "public", ""), rbac.NoOpinion},
		{"star-user-authenticated", res("bob", authn, "get", "", "configmaps", "", "public", ""), rbac.Allow},
		{"nonresource-readonly", path("bob", authn, "get", "/healthz"), rbac.Allow},
		{"nonresource-readonly-post", path("bob", authn, "post", "/healthz"), rbac.NoOpinion},
		{"nonresource-prefix", path("x", []string{"ops"}, "post", "/logs/kube"), rbac.Allow},
		{"nonresource-prefix-base", path("x", []string{"ops"}, "post", "/logs"), rbac.NoOpinion},
		{"nonresource-not-resource", res("x", []string{"ops"}, "get", "", "logs", "", "", ""), rbac.NoOpinion},
		{"unversioned-user-everything", res("legacy", nil, "delete", "batch", "jobs", "", "x", ""), rbac.Allow},
		{"unversioned-user-paths", path("legacy", nil, "post", "/anything"), rbac.Allow},
		{"unknown", res("eve", nil, "get", "", "pods", "", "x", ""), rbac.NoOpinion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pl.Authorize(tt.a)
			if got.Decision != tt.want {
				t.Errorf("Authorize = %v (%s), want %v", got.Decision, got.Reason, tt.want)
			}
		})
	}
}

func FuzzParseLine(f *testing.F) {
	data, err := os.ReadFile("testdata/policy.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		f.Add([]byte(l))
	}
	f.Add([]byte(`{"apiVersion":"abac.authorization.kubernetes.io/v1beta1","kind":"Policy","spec":null}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		p, ok, err := ParseLine(line)
		if err != nil || !ok {
			return
		}
		// A decoded policy re-encodes to a v1beta1 line that decodes to itself.
		again, ok, err := ParseLine([]byte(p.String()))
		if err != nil || !ok {
			t.Fatalf("re-encoded policy %s does not decode: %v", p.String(), err)
		}
		if again != p {
			t.Fatalf("round trip: %+v became %+v", p, again)
		}
		pl := PolicyList{p}
		pl.Authorize(&rbac.Attributes{User: p.User, Groups: []string{p.Group}, Verb: "get", Path: "/x"})
		pl.Authorize(&rbac.Attributes{User: p.User, ResourceRequest: true, Verb: "create", Resource: p.Resource, Namespace: p.Namespace})
	})
}
