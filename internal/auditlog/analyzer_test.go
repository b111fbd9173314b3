package auditlog

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/podsecurity"
	"github.com/kubeward/kubeward/internal/rbac"
)

type obj = map[string]any

func pod(privileged bool) obj {
	sc := obj{}
	if privileged {
		sc["privileged"] = true
	}
	return obj{"apiVersion": "v1", "kind": "Pod", "metadata": obj{"name": "p", "namespace": "shop"},
		"spec": obj{"containers": []obj{{"name": "app", "image": "nginx", "securityContext": sc}}}}
}

func deployment(hostNetwork bool) obj {
	return obj{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": obj{"name": "web", "namespace": "shop"},
		"spec": obj{"template": obj{"spec": obj{"hostNetwork": hostNetwork, "containers": []obj{{"name": "app", "image": "nginx"}}}}}}
}

func role(kind, name string, rules ...obj) obj {
	return obj{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": obj{"name": name}, "rules": rules}
}

func binding(kind, name, roleKind, roleName string) obj {
	return obj{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": obj{"name": name},
		"roleRef":  obj{"apiGroup": "rbac.authorization.k8s.io", "kind": roleKind, "name": roleName},
		"subjects": []obj{{"kind": "User", "name": "mallory", "apiGroup": "rbac.authorization.k8s.io"}}}
}

func namespace(name string, labels map[string]string) obj {
	return obj{"apiVersion": "v1", "kind": "Namespace", "metadata": obj{"name": name, "labels": labels}}
}

func csr(user string, approved bool) obj {
	st := obj{}
	if approved {
		st["conditions"] = []obj{{"type": "Approved", "status": "True", "reason": "r"}}
	}
	return obj{"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest", "metadata": obj{"name": "c"},
		"spec": obj{"username": user, "signerName": "kubernetes.io/kube-apiserver-client", "request": "", "usages": []string{"client auth"}}, "status": st}
}

func TestDetections(t *testing.T) {
	sec := func(user, name string, at time.Duration) *ev {
		return mk(user, "get", "secrets", "shop", name, 200, at)
	}
	for _, tc := range []struct {
		name   string
		edit   func(*Options)
		events []*ev
		want   []string
	}{
		{"privileged pod", nil, []*ev{mk("alice", "create", "pods", "shop", "p", 201, 0).req(pod(true))},
			[]string{RulePodSecurity + ":privileged"}},
		{"compliant pod", nil, []*ev{mk("alice", "create", "pods", "shop", "p", 201, 0).req(pod(false))}, []string{}},
		{"privileged pod refused by admission", nil, []*ev{mk("alice", "create", "pods", "shop", "p", 403, 0).req(pod(true))}, []string{}},
		{"privileged pod allowed at privileged", func(o *Options) { o.PodSecurity = podsecurity.LevelVersion{} },
			[]*ev{mk("alice", "create", "pods", "shop", "p", 201, 0).req(pod(true))}, []string{}},
		{"hostNetwork deployment template", nil, []*ev{mk("alice", "create", "apps:deployments", "shop", "web", 201, 0).req(deployment(true))},
			[]string{RulePodSecurity + ":hostNamespaces"}},
		{"plain deployment", nil, []*ev{mk("alice", "update", "apps:deployments", "shop", "web", 200, 0).req(deployment(false))}, []string{}},
		{"patched pod judged on the response", nil, []*ev{mk("alice", "patch", "pods", "shop", "p", 200, 0).req(obj{"metadata": obj{"labels": obj{"a": "b"}}}).resp(pod(true))},
			[]string{RulePodSecurity + ":privileged"}},
		{"exemption used", nil, []*ev{mk("ops", "create", "pods", "shop", "p", 201, 0).req(pod(true)).annotate("pod-security.kubernetes.io/exempt", "user").annotate("pod-security.kubernetes.io/enforce-policy", "baseline:latest")},
			[]string{RulePodSecurity + ":privileged", RulePodSecurityExempt}},
		{"enforced level learnt from the namespace", nil, []*ev{
			mk("admin", "create", "namespaces", "", "shop", 201, 0).req(namespace("shop", map[string]string{enforceLabel: "baseline"})),
			mk("ops", "create", "pods", "shop", "p", 201, time.Second).req(pod(true)).annotate("pod-security.kubernetes.io/exempt", "namespace")},
			[]string{RulePodSecurity + ":privileged", RulePodSecurityExempt}},
		{"ephemeral container", nil, []*ev{mk("alice", "patch", "pods/ephemeralcontainers", "shop", "p", 200, 0).resp(pod(false))},
			[]string{RuleEphemeralContainer}},
		{"exec", nil, []*ev{mk("alice", "create", "pods/exec", "shop", "p", 101, 0)}, []string{RulePodExec}},
		{"exec forbidden is still reported", nil, []*ev{mk("alice", "create", "pods/exec", "shop", "p", 403, 0)}, []string{RulePodExec}},
		{"exec counted once across stages", nil, []*ev{
			mk("alice", "create", "pods/exec", "shop", "p", 101, 0).stage(StageResponseStarted).id("x"),
			mk("alice", "create", "pods/exec", "shop", "p", 101, time.Second).id("x")},
			[]string{RulePodExec}},
		{"exec at RequestReceived is not counted", nil, []*ev{mk("alice", "create", "pods/exec", "shop", "p", 0, 0).stage(StageRequestReceived)}, []string{}},
		{"portforward", nil, []*ev{mk("alice", "create", "pods/portforward", "shop", "p", 101, 0)}, []string{RulePodPortForward}},
		{"pod logs", nil, []*ev{mk("alice", "get", "pods/log", "shop", "p", 200, 0)}, []string{}},
		{"node proxy", nil, []*ev{mk("alice", "get", "nodes/proxy", "", "n1", 200, 0)}, []string{RuleNodeProxy}},
		{"secret read", nil, []*ev{sec("alice", "db", 0)}, []string{RuleSecretRead}},
		{"secret read by a controller", nil, []*ev{sec("system:kube-controller-manager", "db", 0), sec("system:serviceaccount:kube-system:generic-garbage-collector", "db", 0)}, []string{}},
		{"secret list in a namespace", nil, []*ev{mk("alice", "list", "secrets", "shop", "", 200, 0)}, []string{}},
		{"secret list across namespaces", nil, []*ev{mk("alice", "list", "secrets", "", "", 200, 0)}, []string{RuleSecretListAll}},
		{"secret read denied", nil, []*ev{mk("alice", "get", "secrets", "shop", "db", 403, 0)}, []string{RuleSecretReadDenied}},
		{"secret enumeration", nil, []*ev{sec("eve", "a", 0), sec("eve", "b", time.Second), sec("eve", "c", 2*time.Second)},
			[]string{RuleSecretEnumeration, RuleSecretRead, RuleSecretRead, RuleSecretRead}},
		{"same secret read again is not enumeration", nil, []*ev{sec("eve", "a", 0), sec("eve", "a", time.Second), sec("eve", "a", 2*time.Second)},
			[]string{RuleSecretRead, RuleSecretRead, RuleSecretRead}},
		{"enumeration outside the window", nil, []*ev{sec("eve", "a", 0), sec("eve", "b", 11*time.Minute), sec("eve", "c", 22*time.Minute)},
			[]string{RuleSecretRead, RuleSecretRead, RuleSecretRead}},
		{"cluster-admin binding", nil, []*ev{mk("mallory", "create", "rbac.authorization.k8s.io:clusterrolebindings", "", "pwn", 201, 0).req(binding("ClusterRoleBinding", "pwn", "ClusterRole", "cluster-admin"))},
			[]string{RuleBindingPrivileged}},
		{"view binding", nil, []*ev{mk("alice", "create", "rbac.authorization.k8s.io:rolebindings", "shop", "v", 201, 0).req(binding("RoleBinding", "v", "ClusterRole", "view"))}, []string{}},
		{"binding to a wildcard role seen created", nil, []*ev{
			mk("mallory", "create", "rbac.authorization.k8s.io:clusterroles", "", "all", 201, 0).req(role("ClusterRole", "all", obj{"apiGroups": []string{"*"}, "resources": []string{"*"}, "verbs": []string{"*"}})),
			mk("mallory", "create", "rbac.authorization.k8s.io:clusterrolebindings", "", "all", 201, time.Second).req(binding("ClusterRoleBinding", "all", "ClusterRole", "all"))},
			[]string{RuleBindingPrivileged, RuleRolePrivileged}},
		{"pods/exec role", nil, []*ev{mk("alice", "create", "rbac.authorization.k8s.io:roles", "shop", "debug", 201, 0).req(role("Role", "debug", obj{"apiGroups": []string{""}, "resources": []string{"pods/exec"}, "verbs": []string{"create"}}))},
			[]string{RuleRolePrivileged}},
		{"read-only role", nil, []*ev{mk("alice", "create", "rbac.authorization.k8s.io:roles", "shop", "read", 201, 0).req(role("Role", "read", obj{"apiGroups": []string{""}, "resources": []string{"pods"}, "verbs": []string{"get", "list"}}))}, []string{}},
		{"bootstrap roles by the API server", nil, []*ev{mk("system:apiserver", "create", "rbac.authorization.k8s.io:clusterroles", "", "cluster-admin", 201, 0).req(role("ClusterRole", "cluster-admin", obj{"apiGroups": []string{"*"}, "resources": []string{"*"}, "verbs": []string{"*"}}))}, []string{}},
		{"system role modified", nil, []*ev{mk("alice", "update", "rbac.authorization.k8s.io:clusterroles", "", "system:node", 200, 0).req(role("ClusterRole", "system:node", obj{"apiGroups": []string{""}, "resources": []string{"nodes"}, "verbs": []string{"get"}}))},
			[]string{RuleSystemRoleModified}},
		{"system role deleted", nil, []*ev{mk("alice", "delete", "rbac.authorization.k8s.io:clusterrolebindings", "", "system:public-info-viewer", 200, 0)}, []string{RuleSystemRoleModified}},
		{"impersonation", nil, []*ev{mk("alice", "get", "pods", "shop", "p", 200, 0).as("bob", "dev")}, []string{RuleImpersonation}},
		{"anonymous allowed", nil, []*ev{mk("system:anonymous", "get", "configmaps", "shop", "c", 200, 0).groups("system:unauthenticated")}, []string{RuleAnonymousAllowed}},
		{"anonymous on healthz", nil, []*ev{mk("system:anonymous", "get", "", "", "", 200, 0).uri("/readyz?verbose")}, []string{}},
		{"anonymous forbidden", nil, []*ev{mk("system:anonymous", "get", "configmaps", "shop", "c", 403, 0)}, []string{}},
		{"401 burst per source address", nil, []*ev{
			mk("", "get", "", "", "", 401, 0).uri("/api").stage(StageResponseStarted).ip("203.0.113.9"),
			mk("", "get", "", "", "", 401, time.Second).uri("/api").stage(StageResponseStarted).ip("203.0.113.9"),
			mk("", "get", "", "", "", 401, 2*time.Second).uri("/api").stage(StageResponseStarted).ip("203.0.113.9")},
			[]string{RuleAuthFailureBurst}},
		{"403 burst per identity and address", nil, []*ev{
			mk("eve", "list", "configmaps", "a", "", 403, 0), mk("eve", "list", "configmaps", "b", "", 403, time.Second), mk("eve", "list", "configmaps", "c", "", 403, 2*time.Second)},
			[]string{RuleAuthFailureBurst, RuleAuthFailureBurst}},
		{"spread-out failures", nil, []*ev{
			mk("eve", "list", "configmaps", "a", "", 403, 0), mk("eve", "list", "configmaps", "b", "", 403, 2*time.Minute), mk("eve", "list", "configmaps", "c", "", 403, 4*time.Minute)},
			[]string{}},
		{"token for another service account", nil, []*ev{mk("system:serviceaccount:shop:web", "create", "serviceaccounts/token", "shop", "deployer", 201, 0)}, []string{RuleTokenOtherSA}},
		{"token for itself and by the kubelet", nil, []*ev{
			mk("system:serviceaccount:shop:web", "create", "serviceaccounts/token", "shop", "web", 201, 0),
			mk("system:node:n1", "create", "serviceaccounts/token", "shop", "deployer", 201, 0)}, []string{}},
		{"CSR self-approval", nil, []*ev{mk("mallory", "update", "certificates.k8s.io:certificatesigningrequests/approval", "", "c", 200, 0).req(csr("mallory", true))}, []string{RuleCSRSelfApproval}},
		{"CSR approved by an admin", nil, []*ev{mk("alice", "update", "certificates.k8s.io:certificatesigningrequests/approval", "", "c", 200, 0).req(csr("bob", true))}, []string{RuleCSRApproval}},
		{"CSR approved by the controller manager", nil, []*ev{mk("system:kube-controller-manager", "update", "certificates.k8s.io:certificatesigningrequests/approval", "", "c", 200, 0).req(csr("system:node:n1", true))}, []string{}},
		{"webhook configuration deleted", nil, []*ev{mk("mallory", "delete", "admissionregistration.k8s.io:validatingwebhookconfigurations", "", "kubeward", 200, 0)}, []string{RuleAdmissionWebhook}},
		{"webhook configuration read", nil, []*ev{mk("mallory", "get", "admissionregistration.k8s.io:validatingwebhookconfigurations", "", "kubeward", 200, 0)}, []string{}},
		{"enforce label lowered", nil, []*ev{
			mk("admin", "create", "namespaces", "", "shop", 201, 0).req(namespace("shop", map[string]string{enforceLabel: "restricted"})),
			mk("mallory", "patch", "namespaces", "", "shop", 200, time.Second).req(obj{"metadata": obj{"labels": obj{enforceLabel: "baseline"}}}).resp(namespace("shop", map[string]string{enforceLabel: "baseline"}))},
			[]string{RulePodSecurityLabelDown}},
		{"enforce label removed", nil, []*ev{
			mk("admin", "create", "namespaces", "", "shop", 201, 0).req(namespace("shop", map[string]string{enforceLabel: "baseline"})),
			mk("mallory", "update", "namespaces", "", "shop", 200, time.Second).req(namespace("shop", nil))},
			[]string{RulePodSecurityLabelDown}},
		{"enforce label raised", nil, []*ev{
			mk("admin", "create", "namespaces", "", "shop", 201, 0).req(namespace("shop", map[string]string{enforceLabel: "baseline"})),
			mk("admin", "patch", "namespaces", "", "shop", 200, time.Second).resp(namespace("shop", map[string]string{enforceLabel: "restricted"}))},
			[]string{}},
		{"enforce label set to privileged, old state unknown", nil, []*ev{
			mk("mallory", "patch", "namespaces", "", "shop", 200, 0).req(obj{"metadata": obj{"labels": obj{enforceLabel: "privileged"}}})},
			[]string{RulePodSecurityLabelDown}},
		{"other label patched, old state unknown", nil, []*ev{
			mk("alice", "patch", "namespaces", "", "shop", 200, 0).req(obj{"metadata": obj{"labels": obj{"team": "a"}}})}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ruleIDs(analyze(t, tc.edit, tc.events...))
			want := append([]string{}, tc.want...)
			sortStrings(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestFindingNamesTheEvent(t *testing.T) {
	e := mk("alice", "create", "pods/exec", "shop", "p", 403, 0).as("bob", "dev").ip("192.0.2.1")
	fs := analyze(t, nil, e)
	var exec *finding.Finding
	for i := range fs {
		if fs[i].Rule == RulePodExec {
			exec = &fs[i]
		}
	}
	if exec == nil {
		t.Fatalf("no %s finding in %v", RulePodExec, ruleIDs(fs))
	}
	want := &finding.EventRef{AuditID: e.AuditID, Time: t0, User: "alice", Groups: []string{"system:authenticated"},
		ImpersonatedUser: "bob", ImpersonatedGroups: []string{"dev"}, SourceIPs: []string{"192.0.2.1"}, UserAgent: "kubectl/v1.37.2",
		Verb: "create", RequestURI: "/api/v1/pods", Resource: "pods/exec", Namespace: "shop", Name: "p", Decision: "forbid", Code: 403}
	if diff := cmp.Diff(want, exec.Event); diff != "" {
		t.Errorf("event (-want +got):\n%s", diff)
	}
	if exec.Object != (finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "shop", Name: "p"}) {
		t.Errorf("object = %+v", exec.Object)
	}
	if !strings.Contains(exec.Message, `"alice" as "bob" create pods/exec shop/p, forbidden, 403, audit ID `+e.AuditID) {
		t.Errorf("message = %q", exec.Message)
	}
}

func TestPodSecurityFindingMatchesScan(t *testing.T) {
	fs := analyze(t, nil, mk("alice", "create", "apps:deployments", "shop", "web", 201, 0).req(deployment(true)))
	if len(fs) != 1 {
		t.Fatalf("findings: %v", ruleIDs(fs))
	}
	f := fs[0]
	if diff := cmp.Diff(&finding.PodSecurityRef{Level: "baseline", Version: "latest", Check: "hostNamespaces"}, f.PodSecurity); diff != "" {
		t.Error(diff)
	}
	if f.Path != "spec.template.spec.hostNetwork" {
		t.Errorf("path = %q", f.Path)
	}
}

func TestRBACContextNamesTheGrant(t *testing.T) {
	p, err := rbac.NewPolicyWithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	ix := rbac.NewIndex(p, rbac.Options{Aggregate: true})
	// Without a grant (the scheduler holds no nodes/proxy) the finding names none.
	fs := analyze(t, func(o *Options) { o.RBAC = ix }, mk("system:kube-scheduler", "get", "nodes/proxy", "", "n1", 200, 0))
	if len(fs) != 1 || len(fs[0].Grants) != 0 {
		t.Fatalf("findings %+v", fs)
	}
	fs = analyze(t, func(o *Options) { o.RBAC = ix }, mk("system:kube-controller-manager", "get", "secrets", "shop", "x", 200, 0),
		mk("alice", "get", "secrets", "shop", "x", 200, 0).groups("system:masters", "system:authenticated"))
	if len(fs) != 1 || fs[0].Grants[0] != "group system:masters (every request is allowed)" {
		t.Fatalf("findings: %+v", fs)
	}
}

func TestRBACContextEscalateBind(t *testing.T) {
	p, err := rbac.NewPolicyWithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	// alice may bind any ClusterRole: her binding of "admin" uses bind.
	p.Add(mustObject(t, role("ClusterRole", "binder", obj{"apiGroups": []string{"rbac.authorization.k8s.io"}, "resources": []string{"clusterroles"}, "verbs": []string{"bind"}})), rbac.Source{})
	p.Add(mustObject(t, obj{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": obj{"name": "binder"},
		"roleRef":  obj{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "binder"},
		"subjects": []obj{{"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"}}}), rbac.Source{})
	ix := rbac.NewIndex(p, rbac.Options{Aggregate: true})
	fs := analyze(t, func(o *Options) { o.RBAC = ix },
		mk("alice", "create", "rbac.authorization.k8s.io:rolebindings", "shop", "adm", 201, 0).req(binding("RoleBinding", "adm", "ClusterRole", "admin")),
		mk("bob", "create", "rbac.authorization.k8s.io:rolebindings", "shop", "adm", 201, 0).req(binding("RoleBinding", "adm", "ClusterRole", "admin")))
	got := ruleIDs(fs)
	// admin is judged by its rules from --rbac (it grants pods/exec) for both; only alice used bind.
	want := []string{RuleBindingPrivileged, RuleBindingPrivileged, RuleEscalateBindUsed}
	sortStrings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, f := range fs {
		if f.Rule == RuleEscalateBindUsed && (len(f.Grants) != 1 || !strings.Contains(f.Grants[0], "ClusterRoleBinding/binder")) {
			t.Errorf("escalate/bind finding names %v, want the binder grant", f.Grants)
		}
	}
}

// A Pod Security finding is worded as Kubernetes words its warnings: the
// reason and its detail, with the check ID in podSecurity.check.
func TestPodSecurityMessage(t *testing.T) {
	fs := analyze(t, nil, mk("alice", "create", "pods", "shop", "p", 201, 0).req(pod(true)))
	for _, f := range fs {
		if f.Rule != RulePodSecurity || f.PodSecurity == nil || f.PodSecurity.Check != "privileged" {
			continue
		}
		const want = `pod violates Pod Security baseline:latest: privileged (container "app" must not set securityContext.privileged=true) ("alice" create pods shop/p`
		if !strings.HasPrefix(f.Message, want) {
			t.Errorf("message %q, want it to start with %q", f.Message, want)
		}
		return
	}
	t.Fatalf("no privileged finding in %v", ruleIDs(fs))
}
