//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/kubeward/kubeward/internal/audit"
	"github.com/kubeward/kubeward/test/e2e/controlplane"
)

// auditNamespace is one namespace of the audit scenario: its labels (set
// after its pods exist, as when a label is added to a running namespace),
// its pods and its workloads.
type auditNamespace struct {
	name      string
	labels    map[string]string
	pods      []*corev1.Pod
	workloads []func(ns string) any
}

func auditDeployment(name string, pod *corev1.Pod) func(ns string) any {
	return func(ns string) any {
		return &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To[int32](0),
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}}, Spec: pod.Spec},
			},
		}
	}
}

func auditCronJob(name string, pod *corev1.Pod) func(ns string) any {
	return func(ns string) any {
		cj := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
		cj.Spec.Schedule = "0 3 * * *"
		cj.Spec.JobTemplate.Spec.Template.Spec = pod.Spec
		cj.Spec.JobTemplate.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever
		return cj
	}
}

const psaLabel = "pod-security.kubernetes.io/"

// auditScenario covers each combination of labels that matters: none,
// enforce alone, enforce with a pinned version, enforce with stricter
// audit and warn, privileged, and templates that a pod-only check misses
// (a Deployment scaled to zero, a CronJob).
func auditScenario() []auditNamespace {
	return []auditNamespace{
		{name: "au-none", pods: []*corev1.Pod{psaPod("p-restricted", psaRestricted), psaPod("p-baseline")},
			workloads: []func(string) any{auditDeployment("idle", psaPod("t", psaPrivileged)), auditCronJob("nightly", psaPod("t", psaRestricted))}},
		{name: "au-clean", pods: []*corev1.Pod{psaPod("p1", psaRestricted), psaPod("p2", psaRestricted)},
			workloads: []func(string) any{auditDeployment("web", psaPod("t", psaRestricted))}},
		{name: "au-enforce-baseline", labels: map[string]string{psaLabel + "enforce": "baseline"},
			pods:      []*corev1.Pod{psaPod("p-baseline"), psaPod("p-privileged", psaPrivileged), psaPod("p-privileged-2", psaPrivileged)},
			workloads: []func(string) any{auditCronJob("backup", psaPod("t", psaPrivileged))}},
		{name: "au-enforce-restricted-pinned", labels: map[string]string{psaLabel + "enforce": "restricted", psaLabel + "enforce-version": "v1.37"},
			pods:      []*corev1.Pod{psaPod("p-a"), psaPod("p-b"), psaPod("p-ok", psaRestricted)},
			workloads: []func(string) any{auditDeployment("api", psaPod("t"))}},
		{name: "au-warn-audit", labels: map[string]string{psaLabel + "enforce": "baseline", psaLabel + "warn": "restricted", psaLabel + "audit": "restricted", psaLabel + "audit-version": "v1.30"},
			pods: []*corev1.Pod{psaPod("p-baseline")}},
		{name: "au-privileged", labels: map[string]string{psaLabel + "enforce": "privileged", psaLabel + "warn": "baseline"},
			pods: []*corev1.Pod{psaPod("p-privileged", psaPrivileged), psaPod("p-restricted", psaRestricted)}},
		{name: "au-empty", labels: map[string]string{psaLabel + "enforce": "baseline", psaLabel + "enforce-version": "v1.29"}},
	}
}

func createAuditScenario(t *testing.T, c kubernetes.Interface) {
	ctx := context.Background()
	for _, ns := range auditScenario() {
		if _, err := c.CoreV1().Namespaces().Create(ctx, psaNamespace(ns.name, nil), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		for _, p := range ns.pods {
			p = p.DeepCopy()
			p.Namespace = ns.name
			if _, err := c.CoreV1().Pods(ns.name).Create(ctx, p, metav1.CreateOptions{}); err != nil {
				t.Fatalf("pod %s/%s: %v", ns.name, p.Name, err)
			}
		}
		for _, w := range ns.workloads {
			var err error
			switch o := w(ns.name).(type) {
			case *appsv1.Deployment:
				_, err = c.AppsV1().Deployments(ns.name).Create(ctx, o, metav1.CreateOptions{})
			case *batchv1.CronJob:
				_, err = c.BatchV1().CronJobs(ns.name).Create(ctx, o, metav1.CreateOptions{})
			}
			if err != nil {
				t.Fatalf("workload in %s: %v", ns.name, err)
			}
		}
		if ns.labels != nil {
			n, err := c.CoreV1().Namespaces().Get(ctx, ns.name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			n.Labels = ns.labels
			if _, err := c.CoreV1().Namespaces().Update(ctx, n, metav1.UpdateOptions{}); err != nil {
				t.Fatalf("labelling %s: %v", ns.name, err)
			}
		}
	}
}

type auditJSON struct {
	Findings []struct {
		Rule   string `json:"rule"`
		Object struct {
			Kind, Namespace, Name string
		} `json:"object"`
		File string `json:"file"`
	} `json:"findings"`
	Errors     []any             `json:"errors"`
	Namespaces []audit.Namespace `json:"namespaces"`
}

// dryRunLine is a line of the namespace dry-run's warnings naming pods:
// "NAME: reasons" or "NAME (and N other pods): reasons".
var dryRunLine = regexp.MustCompile(`^([a-z0-9.-]+)(?: \(and (\d+) other pods?\))?: `)

// dryRunViolations asks the real API server what `kubectl label
// --dry-run=server ns NAME enforce=LEVEL enforce-version=VERSION
// --overwrite` reports and returns the number of pods it names, and
// whether it checked at all (Kubernetes checks only when the update
// tightens the enforce policy).
func dryRunViolations(t *testing.T, c kubernetes.Interface, ns, level, version string) (pods int, checked bool) {
	ctx, obs := controlplane.Observe(context.Background())
	n, err := c.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n.Labels == nil {
		n.Labels = map[string]string{}
	}
	n.Labels[psaLabel+"enforce"] = level
	n.Labels[psaLabel+"enforce-version"] = version
	if _, err := c.CoreV1().Namespaces().Update(ctx, n, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Fatalf("dry-run %s %s:%s: %v", ns, level, version, err)
	}
	for _, w := range obs.Warnings() {
		if strings.HasPrefix(w, "existing pods in namespace") {
			checked = true
			continue
		}
		m := dryRunLine.FindStringSubmatch(w)
		if m == nil {
			t.Fatalf("dry-run %s: unexpected warning %q", ns, w)
		}
		pods++
		if m[2] != "" {
			more, _ := strconv.Atoi(m[2])
			pods += more
		}
	}
	return pods, checked || pods > 0
}

// TestAudit runs `kubeward audit` against a real API server: its verdict
// for every namespace equals the API server's own namespace dry-run for
// the running pods, it additionally catches the templates, and it runs
// with exactly the shipped ClusterRole (no Secrets) with the same report
// as an administrator's.
func TestAudit(t *testing.T) {
	cp := controlplane.Start(t, controlplane.Options{})
	c := kubernetes.NewForConfigOrDie(controlplane.ObservingConfig(cp.Config))
	createAuditScenario(t, c)

	// The auditor: a user bound to exactly deploy/audit's ClusterRole.
	data, err := os.ReadFile("../../deploy/audit/clusterrole.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict(data, &role); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := cp.Client.RbacV1().ClusterRoles().Create(ctx, &role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	bind := func(name, roleName, user string) {
		crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: roleName},
			Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: user}}}
		if _, err := cp.Client.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	bind("kubeward-audit", role.Name, "kubeward-auditor")
	// A risk for the rbac family: a user who reads Secrets. (The harness
	// runs no aggregation controller, so the aggregated edit role is empty.)
	secretsRole := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "secrets-reader", Namespace: "au-none"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}}}}
	if _, err := cp.Client.RbacV1().Roles("au-none").Create(ctx, secretsRole, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "dev-edit", Namespace: "au-none"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "secrets-reader"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "dev"}}}
	if _, err := cp.Client.RbacV1().RoleBindings("au-none").Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A role without pods: audit must fail loudly, not report less.
	short := role.DeepCopy()
	short.Name = "kubeward-audit-no-pods"
	short.Rules[0].Resources = []string{"namespaces", "podtemplates", "replicationcontrollers", "serviceaccounts", "resourcequotas"}
	if _, err := cp.Client.RbacV1().ClusterRoles().Create(ctx, short, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	bind("kubeward-audit-no-pods", short.Name, "short-auditor")

	auditAs := func(user string, groups ...string) (int, string, string) {
		kc := cp.Kubeconfig(t, user, groups...)
		return runKubeward("audit", "--kubeconfig", kc, "-o", "json", "--chunk-size", "2")
	}
	code, out, errs := auditAs("kubeward-auditor")
	if code != 1 || errs != "" {
		t.Fatalf("audit as the shipped ClusterRole: exit %d, stderr %s", code, errs)
	}
	var rep auditJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) != 0 {
		t.Fatalf("errors: %v", rep.Errors)
	}
	// An administrator, who may read Secrets, gets the same report.
	code, adminOut, errs := auditAs("kubeward-admin", "system:masters")
	if code != 1 || errs != "" || adminOut != out {
		t.Errorf("audit as system:masters: exit %d, stderr %s; report equal to the least-privilege one: %v", code, errs, adminOut == out)
	}
	code, _, errs = auditAs("short-auditor")
	if code != 2 || !strings.Contains(errs, "listing pods") || !strings.Contains(errs, "forbidden") {
		t.Errorf("audit without pods access: exit %d, stderr %s", code, errs)
	}

	// KUBEWARD_AUDIT_DUMP=FILE keeps the text report (docs/audit.md shows it).
	if dump := os.Getenv("KUBEWARD_AUDIT_DUMP"); dump != "" {
		_, text, _ := runKubeward("audit", "--kubeconfig", cp.Kubeconfig(t, "kubeward-auditor"), "--color", "never")
		if err := os.WriteFile(dump, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	plans := map[string]audit.Namespace{}
	for _, p := range rep.Namespaces {
		plans[p.Name] = p
	}
	for _, f := range rep.Findings {
		if f.File != "" {
			t.Errorf("finding %s on %+v has a file %q", f.Rule, f.Object, f.File)
		}
	}
	rank := map[string]int{"privileged": 0, "baseline": 1, "restricted": 2}
	for _, ns := range auditScenario() {
		p, ok := plans[ns.name]
		if !ok {
			t.Errorf("no plan for %s", ns.name)
			continue
		}
		if p.Pods != len(ns.pods) || p.Templates != len(ns.workloads) {
			t.Errorf("%s: evaluated %d pods, %d templates; want %d, %d", ns.name, p.Pods, p.Templates, len(ns.pods), len(ns.workloads))
		}
		// The verdict for the running pods equals the API server's dry-run
		// at each level: it checks only updates that tighten enforce, so
		// the version label alternates to make every update a change.
		for _, level := range []string{"baseline", "restricted"} {
			version, count := p.PinnedVersion, 0
			if ns.labels[psaLabel+"enforce-version"] == p.PinnedVersion {
				version = "latest"
			}
			for _, v := range p.Violations {
				if v.Level == level && v.Version == version {
					count = v.Pods
				}
			}
			got, checked := dryRunViolations(t, c, ns.name, level, version)
			if !checked && got == 0 && count > 0 {
				t.Errorf("%s %s:%s: the API server did not check; audit counts %d violating pods", ns.name, level, version, count)
			}
			if got != count {
				t.Errorf("%s %s:%s: dry-run names %d violating pods, audit %d", ns.name, level, version, got, count)
			}
			meets := p.PodsMeet.Pinned
			if version == "latest" {
				meets = p.PodsMeet.Latest
			}
			if (got == 0) != (rank[meets] >= rank[level]) {
				t.Errorf("%s %s:%s: dry-run names %d pods, audit says the pods meet %s", ns.name, level, version, got, meets)
			}
		}
	}

	// What the pod-only dry-run misses: the Deployment scaled to zero and
	// the CronJobs.
	want := map[string]struct{ meets, podsMeet, blocking string }{
		"au-none":                      {"privileged", "baseline", "baseline"},
		"au-clean":                     {"restricted", "restricted", ""},
		"au-enforce-baseline":          {"privileged", "privileged", "baseline"},
		"au-enforce-restricted-pinned": {"baseline", "baseline", "restricted"},
		"au-warn-audit":                {"baseline", "baseline", "restricted"},
		"au-privileged":                {"privileged", "privileged", "baseline"},
		"au-empty":                     {"restricted", "restricted", ""},
	}
	for name, w := range want {
		p := plans[name]
		if p.Meets.Pinned != w.meets || p.PodsMeet.Pinned != w.podsMeet || p.Blocking != w.blocking {
			t.Errorf("%s: meets %s (pods %s), blocking %q; want %s (pods %s), %q", name, p.Meets.Pinned, p.PodsMeet.Pinned, p.Blocking, w.meets, w.podsMeet, w.blocking)
		}
	}
	if b := plans["au-none"].Blockers; len(b) != 1 || b[0].Kind != "Deployment" || b[0].Name != "idle" || !b[0].Template || b[0].Pods != 0 {
		t.Errorf("au-none blockers %+v: want the idle Deployment's template", b)
	}
	if cmd := plans["au-clean"].Recommended.Command; cmd != "kubectl label ns au-clean pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/enforce-version="+plans["au-clean"].PinnedVersion+" --overwrite" {
		t.Errorf("au-clean command %q", cmd)
	}
	has := func(rule, kind, ns, name string) bool {
		for _, f := range rep.Findings {
			if f.Rule == rule && f.Object.Kind == kind && f.Object.Namespace == ns && f.Object.Name == name {
				return true
			}
		}
		return false
	}
	for _, f := range []struct{ rule, kind, ns, name string }{
		{audit.RuleNoEnforceLabel, "Namespace", "", "au-none"},
		{audit.RuleNoEnforceLabel, "Namespace", "", "au-clean"},
		{audit.RuleTemplateViolatesEnforce, "CronJob", "au-enforce-baseline", "backup"},
		{audit.RulePodViolatesEnforce, "Pod", "au-enforce-baseline", "p-privileged"},
		{audit.RulePodViolatesEnforce, "Pod", "au-enforce-restricted-pinned", "p-a"},
		{audit.RuleTemplateViolatesEnforce, "Deployment", "au-enforce-restricted-pinned", "api"},
		{audit.RuleViolatesAuditOrWarn, "Pod", "au-warn-audit", "p-baseline"},
		{audit.RuleViolatesAuditOrWarn, "Pod", "au-privileged", "p-privileged"},
		{audit.RuleEnforceCanBeRaised, "Namespace", "", "au-empty"},
		{"rbac/secrets-read", "RoleBinding", "au-none", "dev-edit"},
		{"rbac/cluster-admin-binding", "ClusterRoleBinding", "", "kubeward-audit"}, // not cluster-admin: must be absent
	} {
		got := has(f.rule, f.kind, f.ns, f.name)
		if want := f.rule != "rbac/cluster-admin-binding"; got != want {
			t.Errorf("finding %+v present: %v, want %v", f, got, want)
		}
	}
	// The default policy of the API server is not reported; the rbac family ran.
	rbacFindings := 0
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.Rule, "rbac/") {
			rbacFindings++
			if f.Object.Name == "cluster-admin" || f.Object.Name == "system:masters" {
				t.Errorf("rbac finding on the default policy: %+v", f)
			}
		}
	}
	if rbacFindings == 0 {
		t.Error("no rbac/ finding: the scanner's families did not run over the cluster")
	}
}
