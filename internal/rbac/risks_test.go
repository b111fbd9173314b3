package rbac

import (
	"fmt"
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
		{"token-request", bindAlice("ns", rule(l("create"), l(""), l("serviceaccounts/token"))), l(RuleTokenRequest)},
		{"webhook-config", bindAlice("", rule(l("patch"), l("admissionregistration.k8s.io"), l("mutatingwebhookconfigurations"))), l(RuleWebhookConfig)},
		{"pod-exec-create", bindAlice("ns", rule(l("create"), l(""), l("pods/exec"))), l(RulePodExec)},
		{"pod-exec-get-since-1.35", bindAlice("ns", rule(l("get"), l(""), l("pods/exec"))), nil},
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

// sevs renders findings as rule:severity, sorted.
func sevs(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule+":"+string(f.Severity))
	}
	sort.Strings(out)
	return out
}

// only keeps the findings of rule id.
func only(fs []finding.Finding, id string) []finding.Finding {
	var out []finding.Finding
	for _, f := range fs {
		if f.Rule == id {
			out = append(out, f)
		}
	}
	return out
}

// TestNoObjectQuota: the rule fires only for create on resources whose
// objects an object-count quota counts (stored, namespaced), never for
// virtual resources, subresources, cluster-scoped resources or grants
// limited by resourceNames.
func TestNoObjectQuota(t *testing.T) {
	tests := []struct {
		name  string
		rule  rbacv1.PolicyRule
		fires bool
	}{
		{"pods", rule(l("create"), l(""), l("pods")), true},
		{"configmaps-and-tokenreviews", rule(l("create"), l("", "authentication.k8s.io"), l("configmaps", "tokenreviews")), true},
		{"deployments", rule(l("create"), l("apps"), l("deployments")), true},
		{"every-resource-every-group", rule(l("create"), l("*"), l("*")), true},
		{"every-resource-of-apps", rule(l("create"), l("apps"), l("*")), true},
		{"pods-in-any-group", rule(l("create"), l("*"), l("pods")), true},
		{"custom-resource", rule(l("create"), l("example.com"), l("widgets")), true},
		{"custom-resource-any-group", rule(l("create"), l("*"), l("widgets")), true},
		{"all-verbs", rule(l("*"), l(""), l("secrets")), true},
		{"tokenreviews", rule(l("create"), l("authentication.k8s.io"), l("tokenreviews")), false},
		{"selfsubjectreviews", rule(l("create"), l("authentication.k8s.io"), l("selfsubjectreviews")), false},
		{"access-reviews", rule(l("create"), l("authorization.k8s.io"), l("subjectaccessreviews", "selfsubjectaccessreviews", "selfsubjectrulesreviews", "localsubjectaccessreviews")), false},
		{"authorization-any-resource", rule(l("create"), l("authorization.k8s.io"), l("*")), false},
		{"reviews-any-group", rule(l("create"), l("*"), l("tokenreviews", "subjectaccessreviews")), false},
		{"connect-subresources", rule(l("create"), l(""), l("pods/exec", "pods/attach", "pods/portforward", "pods/proxy", "services/proxy", "nodes/proxy")), false},
		{"action-subresources", rule(l("create"), l(""), l("serviceaccounts/token", "pods/eviction", "pods/binding")), false},
		{"any-status-or-scale", rule(l("create"), l("*"), l("*/status", "*/scale", "pods/*")), false},
		{"bindings", rule(l("create"), l(""), l("bindings")), false},
		{"cluster-scoped", rule(l("create"), l("", "rbac.authorization.k8s.io"), l("namespaces", "nodes", "clusterroles")), false},
		{"extensions-is-gone", rule(l("create"), l("extensions"), l("deployments")), false},
		{"named", rule(l("create"), l(""), l("configmaps"), "settings"), false},
		{"read-only", rule(l("get", "list", "watch"), l(""), l("pods")), false},
	}
	for _, tt := range tests {
		for _, scope := range []string{"ns", ""} {
			t.Run(tt.name+"/"+map[string]string{"ns": "rolebinding", "": "clusterrolebinding"}[scope], func(t *testing.T) {
				p := bindAlice(scope, tt.rule)
				p.Add(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "default"}}, Source{File: "sa.yaml", Line: 1})
				got := only(NewIndex(p, Options{}).Risks(RiskOptions{}), RuleNoObjectQuota)
				if fires := len(got) > 0; fires != tt.fires {
					t.Errorf("fires = %v, want %v: %+v", fires, tt.fires, got)
				}
			})
		}
	}
}

// TestNoObjectQuotaLocation: a finding about a namespace the input defines
// points at the Namespace; otherwise at the binding that grants creation
// there (the namespace's own RoleBinding before a ClusterRoleBinding).
func TestNoObjectQuotaLocation(t *testing.T) {
	create := rule(l("create"), l(""), l("configmaps"))
	p := &Policy{}
	p.Add(clusterRole("creator", create), Source{File: "roles.yaml", Line: 1})
	p.Add(crb("everywhere", "creator", user("alice")), Source{File: "crb.yaml", Line: 3})
	p.Add(rb("local", "creators", "ClusterRole", "creator", user("bob")), Source{File: "rb.yaml", Line: 5})
	p.Add(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "defined"}}, Source{File: "ns.yaml", Line: 7})
	p.Add(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "mentioned", Name: "app"}, AutomountServiceAccountToken: new(false)}, Source{File: "sa.yaml", Line: 9})
	var got []string
	for _, f := range only(NewIndex(p, Options{}).Risks(RiskOptions{}), RuleNoObjectQuota) {
		got = append(got, fmt.Sprintf("%s %s:%d (%d grants)", f.Object.Name, f.File, f.Line, len(f.Grants)))
	}
	want := []string{"defined ns.yaml:7 (1 grants)", "local rb.yaml:5 (2 grants)", "mentioned crb.yaml:3 (1 grants)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// TestNamedGrantsSeverity: reading Secrets or requesting tokens through
// rules limited by resourceNames, as the remediations recommend, is reported
// at low severity, naming the resources; one unlimited rule keeps the rule's
// severity.
func TestNamedGrantsSeverity(t *testing.T) {
	tests := []struct {
		name    string
		rules   []rbacv1.PolicyRule
		want    []string
		message string
	}{
		{"secrets-named", []rbacv1.PolicyRule{rule(l("get"), l(""), l("secrets"), "tls", "db"), rule(l("watch"), l(""), l("secrets"), "db")},
			l(RuleSecretsRead + ":low"), "User alice can read Secrets in namespace ns through ClusterRole r, limited by resourceNames to tls, db (low severity: no others)"},
		{"secrets-named-and-not", []rbacv1.PolicyRule{rule(l("get"), l(""), l("secrets"), "tls"), rule(l("list"), l(""), l("secrets"))},
			l(RuleSecretsRead + ":high"), "User alice can read Secrets in namespace ns through ClusterRole r"},
		{"secrets-any", []rbacv1.PolicyRule{rule(l("get"), l(""), l("secrets"))}, l(RuleSecretsRead + ":high"), ""},
		{"token-named", []rbacv1.PolicyRule{rule(l("create"), l(""), l("serviceaccounts/token"), "builder")},
			l(RuleTokenRequest + ":low"), "User alice can create service account tokens in namespace ns through ClusterRole r, limited by resourceNames to builder (low severity: no others)"},
		{"token-any", []rbacv1.PolicyRule{rule(l("create"), l(""), l("serviceaccounts/token"))}, l(RuleTokenRequest + ":high"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewIndex(bindAlice("ns", tt.rules...), Options{}).Risks(RiskOptions{})
			if diff := cmp.Diff(tt.want, sevs(got)); diff != "" {
				t.Fatalf("findings (-want +got):\n%s", diff)
			}
			if tt.message != "" && got[0].Message != tt.message {
				t.Errorf("message = %q\nwant      %q", got[0].Message, tt.message)
			}
		})
	}
}

// TestDanglingSubjectDefaultServiceAccount: every namespace has a default
// ServiceAccount, so a binding to it never dangles.
func TestDanglingSubjectDefaultServiceAccount(t *testing.T) {
	p := &Policy{
		ServiceAccountsListed: true,
		ClusterRoles:          []*rbacv1.ClusterRole{clusterRole("r")},
		RoleBindings:          []*rbacv1.RoleBinding{rb("ns", "b", "ClusterRole", "r", sa("", "default"), sa("other", "default"), sa("", "ghost"))},
		ClusterRoleBindings:   []*rbacv1.ClusterRoleBinding{crb("c", "r", user(ServiceAccountUser("ns", "default")), sa("ns", "default"))},
	}
	got := only(NewIndex(p, Options{}).Risks(RiskOptions{}), RuleDanglingSubject)
	if len(got) != 1 || !strings.Contains(got[0].Message, "ServiceAccount ns/ghost") {
		t.Errorf("findings = %+v, want one about ns/ghost", got)
	}
}

// TestPodExecVersions: from v1.35 (AuthorizePodWebsocketUpgradeCreatePermission,
// on by default) only create on pods/exec, attach or portforward allows
// them; before, get did too.
func TestPodExecVersions(t *testing.T) {
	get := rule(l("get"), l(""), l("pods/exec", "pods/attach"))
	create := rule(l("create"), l(""), l("pods/portforward"))
	tests := []struct {
		name  string
		rule  rbacv1.PolicyRule
		minor int
		want  string // message, "" for no finding
	}{
		{"get-latest", get, 0, ""},
		{"get-1.35", get, 35, ""},
		{"get-1.37", get, 37, ""},
		{"get-1.34", get, 34, "User alice can exec into, attach to or port-forward Pods (pods/exec, pods/attach) in namespace ns through ClusterRole r (before Kubernetes v1.35, get is enough: exec over WebSocket is authorized as get)"},
		{"get-1.20", get, 20, "User alice can exec into, attach to or port-forward Pods (pods/exec, pods/attach) in namespace ns through ClusterRole r (before Kubernetes v1.35, get is enough: exec over WebSocket is authorized as get)"},
		{"create-latest", create, 0, "User alice can exec into, attach to or port-forward Pods (pods/portforward) in namespace ns through ClusterRole r"},
		{"create-1.34", create, 34, "User alice can exec into, attach to or port-forward Pods (pods/portforward) in namespace ns through ClusterRole r (before Kubernetes v1.35, get is enough: exec over WebSocket is authorized as get)"},
		{"wildcard-verb-latest", rule(l("*"), l(""), l("pods/exec")), 0, "User alice can exec into, attach to or port-forward Pods (pods/exec) in namespace ns through ClusterRole r"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := only(NewIndex(bindAlice("ns", tt.rule), Options{}).Risks(RiskOptions{KubernetesMinor: tt.minor}), RulePodExec)
			switch {
			case tt.want == "" && len(got) != 0:
				t.Errorf("unexpected finding %+v", got)
			case tt.want != "" && (len(got) != 1 || got[0].Message != tt.want):
				t.Errorf("findings = %+v\nwant message %q", got, tt.want)
			}
		})
	}
}

// TestAutomountSeverity: a mounted token is reported at the rule's severity
// when its service account holds permissions of its own (named by a
// binding, or its groups bound to a non-default role), at low severity when
// it holds only default roles through its groups; never when it holds
// nothing beyond the default discovery permissions or is not mounted.
func TestAutomountSeverity(t *testing.T) {
	no := false
	cfg := rule(l("get"), l(""), l("configmaps"))
	pod := func(name, sa string, automount *bool) Workload {
		return Workload{Key: ObjectKey{"Deployment", "ns", name}, APIVersion: "apps/v1", Spec: &corev1.PodSpec{ServiceAccountName: sa, AutomountServiceAccountToken: automount}}
	}
	tests := []struct {
		name    string
		p       *Policy
		want    []string
		message string
	}{
		{"named-by-binding", &Policy{
			ClusterRoles: []*rbacv1.ClusterRole{clusterRole("r", cfg)},
			RoleBindings: []*rbacv1.RoleBinding{rb("ns", "b", "ClusterRole", "r", sa("", "app"))},
			Workloads:    []Workload{pod("web", "app", nil)},
		}, l(RuleSATokenAutomount + ":medium"), "Deployment web mounts the token of ServiceAccount ns/app, which holds API permissions"},
		{"named-as-user", &Policy{
			ClusterRoles:        []*rbacv1.ClusterRole{clusterRole("r", cfg)},
			ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{crb("b", "r", user("system:serviceaccount:ns:app"))},
			Workloads:           []Workload{pod("web", "app", nil)},
		}, l(RuleCouldBeNamespaced+":low", RuleSATokenAutomount+":medium"), ""},
		{"group-non-default-role", &Policy{
			ClusterRoles: []*rbacv1.ClusterRole{clusterRole("r", cfg)},
			RoleBindings: []*rbacv1.RoleBinding{rb("ns", "b", "ClusterRole", "r", group("system:serviceaccounts:ns"))},
			Workloads:    []Workload{pod("web", "", nil)},
		}, l(RuleSATokenAutomount + ":medium"), "Deployment web mounts the token of ServiceAccount ns/default, which holds API permissions"},
		{"group-default-role", &Policy{
			ClusterRoles:        []*rbacv1.ClusterRole{clusterRole("view", cfg)},
			ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{crb("b", "view", group("system:serviceaccounts"))},
			Sources:             map[ObjectKey]Source{{"ClusterRole", "", "view"}: {Default: true}},
			Workloads:           []Workload{pod("web", "app", nil)},
		}, l(RuleCouldBeNamespaced+":low", RuleSATokenAutomount+":low"), "Deployment web mounts the token of ServiceAccount ns/app, which holds API permissions only through a binding of its groups to a default role (low severity)"},
		{"group-default-role-and-named", &Policy{
			ClusterRoles:        []*rbacv1.ClusterRole{clusterRole("view", cfg), clusterRole("r", cfg)},
			ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{crb("b", "view", group("system:serviceaccounts"))},
			RoleBindings:        []*rbacv1.RoleBinding{rb("ns", "b", "ClusterRole", "r", sa("", "app"))},
			Sources:             map[ObjectKey]Source{{"ClusterRole", "", "view"}: {Default: true}},
			Workloads:           []Workload{pod("web", "app", nil)},
		}, l(RuleCouldBeNamespaced+":low", RuleSATokenAutomount+":medium"), ""},
		{"no-permissions", &Policy{
			ClusterRoles: []*rbacv1.ClusterRole{clusterRole("r", cfg)},
			RoleBindings: []*rbacv1.RoleBinding{rb("ns", "b", "ClusterRole", "r", sa("", "other"))},
			Workloads:    []Workload{pod("web", "app", nil)},
		}, nil, ""},
		{"binding-to-missing-role", &Policy{
			RoleBindings: []*rbacv1.RoleBinding{rb("ns", "b", "ClusterRole", "gone", sa("", "app"))},
			Workloads:    []Workload{pod("web", "app", nil)},
		}, l(RuleDanglingRoleRef + ":low"), ""},
		{"unused-service-account-without-permissions", &Policy{
			ServiceAccounts: []*corev1.ServiceAccount{{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "idle"}}},
		}, nil, ""},
		{"unused-service-account-with-permissions", &Policy{
			ClusterRoles:    []*rbacv1.ClusterRole{clusterRole("r", cfg)},
			RoleBindings:    []*rbacv1.RoleBinding{rb("ns", "b", "ClusterRole", "r", sa("", "idle"))},
			ServiceAccounts: []*corev1.ServiceAccount{{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "idle"}}},
		}, l(RuleSATokenAutomount + ":medium"), "ServiceAccount ns/idle does not set automountServiceAccountToken: false, so every Pod running as it gets its token, which holds API permissions"},
		{"not-mounted", &Policy{
			ClusterRoles:    []*rbacv1.ClusterRole{clusterRole("r", cfg)},
			RoleBindings:    []*rbacv1.RoleBinding{rb("ns", "b", "ClusterRole", "r", sa("", "app"))},
			ServiceAccounts: []*corev1.ServiceAccount{{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "app"}, AutomountServiceAccountToken: &no}},
			Workloads:       []Workload{pod("web", "app", nil), pod("job", "", &no)},
		}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewIndex(tt.p, Options{}).Risks(RiskOptions{})
			if diff := cmp.Diff(tt.want, sevs(got)); diff != "" {
				t.Fatalf("findings (-want +got):\n%s\n%+v", diff, got)
			}
			if a := only(got, RuleSATokenAutomount); tt.message != "" && a[0].Message != tt.message {
				t.Errorf("message = %q\nwant      %q", a[0].Message, tt.message)
			}
		})
	}
}
