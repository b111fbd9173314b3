package rbac

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
)

func TestWhoCan(t *testing.T) {
	p := &Policy{
		ClusterRoles: []*rbacv1.ClusterRole{
			clusterRole("secret-reader", rule(l("get", "list"), l(""), l("secrets"))),
			clusterRole("pod-reader", rule(l("get"), l(""), l("pods"))),
		},
		Roles: []*rbacv1.Role{role("shop", "local-secrets", rule(l("get"), l(""), l("secrets"), "one"))},
		ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{
			crb("readers", "secret-reader", group("auditors"), sa("", "no-namespace-never-matches")),
			crb("pods", "pod-reader", user("paul")),
		},
		RoleBindings: []*rbacv1.RoleBinding{
			rb("shop", "shop-readers", "ClusterRole", "secret-reader", user("sam"), sa("", "bot")),
			rb("shop", "named", "Role", "local-secrets", user("nina")),
			rb("other", "other-readers", "ClusterRole", "secret-reader", user("olga")),
		},
	}
	ix := NewIndex(p, Options{})
	names := func(hs []Holder) []string {
		var out []string
		for _, h := range hs {
			out = append(out, FormatSubject(h.Subject)+" via "+h.Grant.Binding.String())
		}
		return out
	}
	tests := []struct {
		name string
		req  *Attributes
		all  bool
		want []string
	}{
		{"cluster-wide", res("list", "", "secrets", "", "", ""), false, []string{"Group::auditors via ClusterRoleBinding/readers"}},
		{"namespace", res("get", "", "secrets", "", "shop", ""), false, []string{
			"Group::auditors via ClusterRoleBinding/readers",
			"User::sam via RoleBinding/shop/shop-readers",
			"ServiceAccount:shop:bot via RoleBinding/shop/shop-readers",
		}},
		{"named", res("get", "", "secrets", "", "shop", "one"), false, []string{
			"Group::auditors via ClusterRoleBinding/readers",
			"User::sam via RoleBinding/shop/shop-readers",
			"ServiceAccount:shop:bot via RoleBinding/shop/shop-readers",
			"User::nina via RoleBinding/shop/named",
		}},
		{"all-namespaces", res("list", "", "secrets", "", "", ""), true, []string{
			"Group::auditors via ClusterRoleBinding/readers",
			"User::olga via RoleBinding/other/other-readers",
			"User::sam via RoleBinding/shop/shop-readers",
			"ServiceAccount:shop:bot via RoleBinding/shop/shop-readers",
		}},
		{"nobody", res("delete", "", "secrets", "", "shop", ""), false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := names(ix.WhoCan(tt.req, tt.all))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("WhoCan (-want +got):\n%s", diff)
			}
			// Every holder really is allowed (with its own identity).
			for _, h := range ix.WhoCan(tt.req, tt.all) {
				a := *tt.req
				a.Namespace = h.Grant.Binding.Namespace
				switch h.Subject.Kind {
				case "User":
					a.User, a.Groups = h.Subject.Name, nil
				case "Group":
					a.User, a.Groups = "someone", []string{h.Subject.Name}
				case "ServiceAccount":
					a.User, a.Groups = ServiceAccountUser(h.Subject.Namespace, h.Subject.Name), nil
				}
				if d := ix.Authorize(&a).Decision; d != Allow {
					t.Errorf("holder %s not allowed: %v", FormatSubject(h.Subject), d)
				}
			}
		})
	}
}

func TestRulesFor(t *testing.T) {
	p := &Policy{
		ClusterRoles: []*rbacv1.ClusterRole{clusterRole("a", rule(l("get"), l(""), l("pods")), urlRule(l("get"), "/x"))},
		ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{
			crb("ca", "a", group("g")),
			crb("missing", "nope", user("u")),
		},
		RoleBindings: []*rbacv1.RoleBinding{rb("ns", "rb", "ClusterRole", "a", user("u"))},
	}
	ix := NewIndex(p, Options{})
	grants, errs := ix.RulesFor("u", []string{"g"}, "ns")
	var got []string
	for _, g := range grants {
		got = append(got, g.String())
	}
	want := []string{"ClusterRoleBinding/ca → ClusterRole/a → rules[0]", "ClusterRoleBinding/ca → ClusterRole/a → rules[1]",
		"RoleBinding/ns/rb → ClusterRole/a → rules[0]", "RoleBinding/ns/rb → ClusterRole/a → rules[1]"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RulesFor (-want +got):\n%s", diff)
	}
	if len(errs) != 1 {
		t.Errorf("errors = %q, want the missing role", errs)
	}
}

func TestParseResource(t *testing.T) {
	tests := []struct {
		in              string
		res, group, sub string
		known, wantErr  bool
	}{
		{"pods", "pods", "", "", true, false},
		{"po/exec", "pods", "", "exec", true, false},
		{"deploy", "deployments", "apps", "", true, false},
		{"deployments.apps/scale", "deployments", "apps", "scale", true, false},
		{"widgets.example.com", "widgets", "example.com", "", true, false},
		{"widgets", "widgets", "", "", false, false},
		{"*", "*", "", "", true, false},
		{"", "", "", "", false, true},
		{"/exec", "", "", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			res, group, sub, known, err := ParseResource(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v", err)
			}
			if err == nil && (res != tt.res || group != tt.group || sub != tt.sub || known != tt.known) {
				t.Errorf("ParseResource(%q) = %q %q %q %v", tt.in, res, group, sub, known)
			}
		})
	}
}

// TestConcurrentUse exercises the index from several goroutines (run with
// -race to check the "safe for concurrent use" contract).
func TestConcurrentUse(t *testing.T) {
	p := &Policy{
		ClusterRoles:        []*rbacv1.ClusterRole{clusterRole("r", rule(l("get"), l(""), l("secrets")))},
		ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{crb("b", "r", user("alice"), group("g"))},
		RoleBindings:        []*rbacv1.RoleBinding{rb("ns", "b", "ClusterRole", "missing", user("alice"))},
	}
	ix := NewIndex(p, Options{Aggregate: true})
	done := make(chan bool)
	for range 8 {
		go func() {
			defer func() { done <- true }()
			for range 200 {
				if ix.Authorize(res("get", "", "secrets", "", "ns", "")).Decision != Allow {
					t.Error("not allowed")
					return
				}
				ix.WhoCan(res("get", "", "secrets", "", "ns", ""), true)
				ix.RulesFor("alice", []string{"g"}, "ns")
				ix.Risks(RiskOptions{})
			}
		}()
	}
	for range 8 {
		<-done
	}
}
