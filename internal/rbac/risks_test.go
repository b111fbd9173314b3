package rbac

import (
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/rbac/bootstrap"
)

func TestRulesRegistry(t *testing.T) {
	reg, err := finding.NewRegistry(Rules()...)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reg.Rules() {
		if r.Family() != "rbac" || r.DocURL != DocURL {
			t.Errorf("rule %s: family %q, doc %q", r.ID, r.Family(), r.DocURL)
		}
		for _, text := range []string{r.Description, r.Remediation} {
			if !strings.HasSuffix(text, ".") || strings.ToUpper(text[:1]) != text[:1] {
				t.Errorf("rule %s: %q is not a full sentence", r.ID, text)
			}
		}
	}
}

// bindAlice binds rules to alice cluster-wide (crb) or in namespace ns.
func bindAlice(ns string, rules ...rbacv1.PolicyRule) *Policy {
	p := &Policy{ClusterRoles: []*rbacv1.ClusterRole{clusterRole("r", rules...)}}
	if ns == "" {
		p.ClusterRoleBindings = []*rbacv1.ClusterRoleBinding{crb("b", "r", user("alice"))}
	} else {
		p.RoleBindings = []*rbacv1.RoleBinding{rb(ns, "b", "ClusterRole", "r", user("alice"))}
	}
	return p
}

func ruleIDs(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule)
	}
	sort.Strings(out)
	return out
}

func TestRisks(t *testing.T) {
	f := false
	tru := true
	withQuota := func(p *Policy, ns string) *Policy {
		p.ResourceQuotas = append(p.ResourceQuotas, &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "q"},
			Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{"count/pods": resource.MustParse("10")}}})
		return p
	}
	tests := []struct {
		name string
		p    *Policy
		want []string
	}{
		{"secrets-list", bindAlice("ns", rule(l("list"), l(""), l("secrets"))), l(RuleSecretsRead)},
		{"secrets-named-get", bindAlice("ns", rule(l("get"), l(""), l("secrets"), "one")), l(RuleSecretsRead)},
		{"workload-create-deployments", withQuota(bindAlice("ns", rule(l("create"), l("apps"), l("deployments"))), "ns"), l(RuleWorkloadCreate)},
		{"workload-create-without-quota", bindAlice("ns", rule(l("create"), l(""), l("pods"))), l(RuleNoObjectQuota, RuleWorkloadCreate)},
		{"pv-create-cluster", bindAlice("", rule(l("create"), l(""), l("persistentvolumes"))), l(RulePVCreate)},
		{"pv-create-rolebinding-is-harmless", withQuota(bindAlice("ns", rule(l("create"), l(""), l("persistentvolumes"))), "ns"), nil},
		{"nodes-proxy-get", bindAlice("", rule(l("get"), l(""), l("nodes/proxy"))), l(RuleNodesProxy)},
		{"escalate", bindAlice("", rule(l("escalate"), l("rbac.authorization.k8s.io"), l("clusterroles"))), l(RuleEscalate)},
		{"bind", bindAlice("ns", rule(l("bind"), l("rbac.authorization.k8s.io"), l("roles"))), l(RuleBind)},
		{"impersonate-groups", bindAlice("", rule(l("impersonate"), l(""), l("groups"))), l(RuleImpersonate)},
		{"impersonate-userextras", bindAlice("", rule(l("impersonate"), l("authentication.k8s.io"), l("userextras/scopes"))), l(RuleImpersonate)},
		{"csr-approve", bindAlice("", rule(l("update"), l("certificates.k8s.io"), l("certificatesigningrequests/approval")), rule(l("approve"), l("certificates.k8s.io"), l("signers"))), l(RuleCSRApprove)},
		{"csr-approval-without-signer", bindAlice("", rule(l("update"), l("certificates.k8s.io"), l("certificatesigningrequests/approval"))), nil},
		{"token-request", bindAlice("ns", rule(l("create"), l(""), l("serviceaccounts/token"))), l(RuleNoObjectQuota, RuleTokenRequest)},
		{"webhook-config", bindAlice("", rule(l("patch"), l("admissionregistration.k8s.io"), l("mutatingwebhookconfigurations"))), l(RuleWebhookConfig)},
		{"pod-exec-get", bindAlice("ns", rule(l("get"), l(""), l("pods/exec"))), l(RulePodExec)},
		{"pod-logs-harmless", bindAlice("ns", rule(l("get"), l(""), l("pods/log"))), nil},
		{"wildcard-verbs", bindAlice("ns", rule(l("*"), l(""), l("configmaps"))), l(RuleNoObjectQuota, RuleWildcard)},
		{"could-be-namespaced", bindAlice("", rule(l("get"), l(""), l("configmaps"))), l(RuleCouldBeNamespaced)},
		{"cluster-admin", &Policy{
			ClusterRoles:        []*rbacv1.ClusterRole{clusterRole("cluster-admin", rule(l("get"), l(""), l("configmaps")))},
			ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{crb("b", "cluster-admin", user("alice"))},
		}, l(RuleClusterAdminBinding)},
		{"system-masters", &Policy{ClusterRoles: []*rbacv1.ClusterRole{clusterRole("r")}, ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{crb("b", "r", group(GroupMasters))}}, l(RuleSystemMasters)},
		{"unauthenticated", &Policy{ClusterRoles: []*rbacv1.ClusterRole{clusterRole("r")}, ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{crb("b", "r", user(UserAnonymous), group(GroupUnauthenticated))}}, l(RuleUnauthenticatedBinding, RuleUnauthenticatedBinding)},
		{"dangling-role-ref", &Policy{ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{crb("b", "gone", user("alice"))}}, l(RuleDanglingRoleRef)},
		{"dangling-subject", &Policy{
			ClusterRoles:    []*rbacv1.ClusterRole{clusterRole("r")},
			RoleBindings:    []*rbacv1.RoleBinding{rb("ns", "b", "ClusterRole", "r", sa("", "ghost"), sa("", "real"))},
			ServiceAccounts: []*corev1.ServiceAccount{{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "real"}, AutomountServiceAccountToken: &f}},
		}, l(RuleDanglingSubject)},
		{"sa-automount-sa-object", &Policy{
			ClusterRoles:    []*rbacv1.ClusterRole{clusterRole("r", rule(l("get"), l(""), l("configmaps")))},
			RoleBindings:    []*rbacv1.RoleBinding{rb("ns", "b", "ClusterRole", "r", sa("", "app"))},
			ServiceAccounts: []*corev1.ServiceAccount{{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "app"}}},
		}, l(RuleSATokenAutomount)},
		{"sa-automount-pod-overrides", &Policy{
			ClusterRoles:    []*rbacv1.ClusterRole{clusterRole("r", rule(l("get"), l(""), l("configmaps")))},
			RoleBindings:    []*rbacv1.RoleBinding{rb("ns", "b", "ClusterRole", "r", sa("", "app"))},
			ServiceAccounts: []*corev1.ServiceAccount{{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "app"}, AutomountServiceAccountToken: &f}},
			Workloads: []Workload{
				{Key: ObjectKey{"Pod", "ns", "mounts"}, Spec: &corev1.PodSpec{ServiceAccountName: "app", AutomountServiceAccountToken: &tru}},
				{Key: ObjectKey{"Pod", "ns", "inherits-false"}, Spec: &corev1.PodSpec{ServiceAccountName: "app"}},
			},
		}, l(RuleSATokenAutomount)},
		{"sa-automount-group-default-sa", &Policy{
			ClusterRoles: []*rbacv1.ClusterRole{clusterRole("r", rule(l("get"), l(""), l("configmaps")))},
			RoleBindings: []*rbacv1.RoleBinding{rb("ns", "b", "ClusterRole", "r", group("system:serviceaccounts:ns"))},
			Workloads:    []Workload{{Key: ObjectKey{"Pod", "ns", "p"}, Spec: &corev1.PodSpec{}}},
		}, l(RuleSATokenAutomount)},
		{"safe", bindAlice("ns", rule(l("get", "list"), l(""), l("configmaps"))), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewIndex(tt.p, Options{}).Risks(RiskOptions{})
			if diff := cmp.Diff(tt.want, ruleIDs(got)); diff != "" {
				t.Errorf("rules (-want +got):\n%s\nfindings: %+v", diff, got)
			}
			for _, f := range got {
				if f.Message == "" || f.Remediation == "" || f.Severity.Rank() == 0 {
					t.Errorf("incomplete finding %+v", f)
				}
			}
		})
	}
}

func TestRisksFindingShape(t *testing.T) {
	p := bindAlice("shop", rule(l("watch"), l(""), l("secrets")))
	p.RoleBindings[0].Subjects = append(p.RoleBindings[0].Subjects, sa("", "bot"))
	p.Sources = map[ObjectKey]Source{{"RoleBinding", "shop", "b"}: {File: "rbac.yaml", Line: 7}}
	got := NewIndex(p, Options{}).Risks(RiskOptions{})
	want := []finding.Finding{{
		Rule: RuleSecretsRead, Severity: finding.SeverityHigh,
		Object: finding.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding", Namespace: "shop", Name: "b"},
		File:   "rbac.yaml", Line: 7,
		Message:     "User alice, ServiceAccount shop/bot can read Secrets in namespace shop through ClusterRole r",
		Remediation: Rules()[0].Remediation,
		Subjects:    []string{"User::alice", "ServiceAccount:shop:bot"},
		Grants:      []string{"RoleBinding/shop/b → ClusterRole/r → rules[0]"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// TestRisksDefaultPolicy: the default policy alone yields no finding, and
// binding the default edit role does report what edit allows.
func TestRisksDefaultPolicy(t *testing.T) {
	objs, err := bootstrap.Objects()
	if err != nil {
		t.Fatal(err)
	}
	p := &Policy{}
	for _, o := range objs {
		p.Add(o, Source{Default: true})
	}
	if got := NewIndex(p, Options{Aggregate: true}).Risks(RiskOptions{}); len(got) != 0 {
		t.Errorf("default policy: %d findings, first %+v", len(got), got[0])
	}
	p.Add(rb("shop", "edit", "ClusterRole", "edit", user("alice")), Source{File: "x.yaml", Line: 1})
	got := ruleIDs(NewIndex(p, Options{Aggregate: true}).Risks(RiskOptions{}))
	want := l(RuleImpersonate, RuleNoObjectQuota, RulePodExec, RuleSecretsRead, RuleTokenRequest, RuleWorkloadCreate)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("edit binding (-want +got):\n%s", diff)
	}
}

func TestBootstrapPolicy(t *testing.T) {
	objs, err := bootstrap.Objects()
	if err != nil {
		t.Fatal(err)
	}
	p := &Policy{}
	for _, o := range objs {
		p.Add(o, Source{Default: true})
	}
	ix := NewIndex(p, Options{Aggregate: true})
	if len(ix.Problems()) > 0 {
		t.Fatal(ix.Problems())
	}
	authn := func(a *Attributes) *Attributes { a.User, a.Groups = "someone", l(GroupAuthenticated); return a }
	anon := func(a *Attributes) *Attributes { a.User, a.Groups = UserAnonymous, l(GroupUnauthenticated); return a }
	tests := []struct {
		name string
		a    *Attributes
		want Decision
	}{
		{"authenticated-discovery", authn(&Attributes{Verb: "get", Path: "/apis/apps"}), Allow},
		{"anonymous-healthz", anon(&Attributes{Verb: "get", Path: "/healthz"}), Allow},
		{"anonymous-no-discovery", anon(&Attributes{Verb: "get", Path: "/apis"}), NoOpinion},
		{"self-subject-access-review", authn(&Attributes{ResourceRequest: true, Verb: "create", APIGroup: "authorization.k8s.io", Resource: "selfsubjectaccessreviews"}), Allow},
		{"no-secrets", authn(&Attributes{ResourceRequest: true, Verb: "get", Resource: "secrets", Namespace: "default"}), NoOpinion},
		{"masters-cluster-admin-binding", &Attributes{User: "x", Groups: l(GroupMasters), ResourceRequest: true, Verb: "delete", Resource: "nodes"}, Allow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ix.Authorize(tt.a).Decision; got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	for _, name := range []string{"admin", "edit", "view"} {
		r, ok := ix.ClusterRole(name)
		if !ok || !r.Aggregated || len(r.Rules) == 0 {
			t.Errorf("ClusterRole %s: not aggregated (%+v)", name, r)
		}
	}
}

// TestCSRApproveAcrossBindings: approving CSRs needs update on
// certificatesigningrequests/approval and approve on a signer; a subject
// that gets them from two ClusterRoleBindings is reported once, on the
// first binding, with both grants.
func TestCSRApproveAcrossBindings(t *testing.T) {
	approval := rule(l("update"), l("certificates.k8s.io"), l("certificatesigningrequests/approval"))
	signer := rule(l("approve"), l("certificates.k8s.io"), l("signers"), "example.com/signer")
	create := rule(l("create"), l("certificates.k8s.io"), l("certificatesigningrequests"))
	p := &Policy{
		ClusterRoles: []*rbacv1.ClusterRole{clusterRole("approver", approval), clusterRole("signer", signer, create), clusterRole("both", approval, signer)},
		ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{
			crb("a-approval", "approver", user("alice"), user("bob")),
			crb("b-signer", "signer", user("alice")),
			crb("c-both", "both", user("carol")),
			crb("d-signer", "signer", user("carol")),
		},
	}
	var got []finding.Finding
	for _, f := range NewIndex(p, Options{}).Risks(RiskOptions{}) {
		if f.Rule == RuleCSRApprove {
			got = append(got, f)
		}
	}
	want := []finding.Finding{
		{
			Rule: RuleCSRApprove, Severity: finding.SeverityCritical,
			Object:      finding.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding", Name: "a-approval"},
			Message:     "User alice can approve certificate signing requests by combining ClusterRoleBindings a-approval (approval) and b-signer (signers), and can create them, so can issue itself client certificates",
			Remediation: rulesByID(t)[RuleCSRApprove].Remediation,
			Subjects:    []string{"User::alice"},
			Grants: []string{
				"ClusterRoleBinding/a-approval → ClusterRole/approver → rules[0]",
				"ClusterRoleBinding/b-signer → ClusterRole/signer → rules[0]",
				"ClusterRoleBinding/b-signer → ClusterRole/signer → rules[1]",
			},
		},
		{
			// carol's c-both is reported by itself; bob has only approval.
			Rule: RuleCSRApprove, Severity: finding.SeverityCritical,
			Object:      finding.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding", Name: "c-both"},
			Message:     "User carol can approve certificate signing requests through ClusterRole both",
			Remediation: rulesByID(t)[RuleCSRApprove].Remediation,
			Subjects:    []string{"User::carol"},
			Grants: []string{
				"ClusterRoleBinding/c-both → ClusterRole/both → rules[0]",
				"ClusterRoleBinding/c-both → ClusterRole/both → rules[1]",
			},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("csr-approve findings (-want +got):\n%s", diff)
	}
}

func rulesByID(t *testing.T) map[string]finding.Rule {
	t.Helper()
	m := map[string]finding.Rule{}
	for _, r := range Rules() {
		m[r.ID] = r
	}
	return m
}
