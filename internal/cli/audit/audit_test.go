package audit

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kubeward/kubeward/internal/cli/clierr"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// fixture is a small cluster: a namespace without labels holding a
// Deployment scaled to zero, a privileged CronJob and a restricted pod; a
// namespace enforcing restricted whose running pods predate the label; a
// clean baseline namespace; and RBAC objects for the rbac family.
func fixture() []runtime.Object {
	tr, fa := true, false
	restricted := corev1.PodSpec{
		SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: &tr, SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
		Containers: []corev1.Container{{Name: "app", Image: "app:1", SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: &fa, Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}},
	}
	baseline := corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:1"}}}
	privileged := corev1.PodSpec{Containers: []corev1.Container{{Name: "backup", Image: "backup:1", SecurityContext: &corev1.SecurityContext{Privileged: &tr}}}}
	zero := int32(0)
	owner := func(kind, name string) []metav1.OwnerReference {
		return []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: kind, Name: name, UID: "u", Controller: &tr}}
	}
	cj := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "nightly"}}
	cj.Spec.JobTemplate.Spec.Template.Spec = privileged
	const psa = "pod-security.kubernetes.io/"
	return []runtime.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: map[string]string{psa + "enforce": "restricted", psa + "enforce-version": "v1.37"}}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "tools", Labels: map[string]string{psa + "enforce": "baseline", psa + "warn": "restricted"}}},
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "api"}, Spec: appsv1.DeploymentSpec{Replicas: &zero, Template: corev1.PodTemplateSpec{Spec: baseline}}},
		cj,
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "debug"}, Spec: restricted},
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "web"}, Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: baseline}}},
		&appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "web-7d9", OwnerReferences: owner("Deployment", "web")}, Spec: appsv1.ReplicaSetSpec{Template: corev1.PodTemplateSpec{Spec: baseline}}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "web-7d9-a", OwnerReferences: owner("ReplicaSet", "web-7d9")}, Spec: baseline},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "web-7d9-b", OwnerReferences: owner("ReplicaSet", "web-7d9")}, Spec: baseline},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "tools", Name: "shell"}, Spec: restricted},
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "ops"},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "alice"}}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "cluster-admin", Labels: map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"}},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}}},
	}
}

func runFake(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runFakeWith(t, fixture(), args...)
}

func runFakeWith(t *testing.T, objs []runtime.Object, args ...string) (int, string, string) {
	t.Helper()
	client := fake.NewClientset(objs...)
	client.Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &version.Info{Major: "1", Minor: "37"}
	var out, errb bytes.Buffer
	s := clierr.Streams{In: strings.NewReader(""), Out: &out, Err: &errb}
	cmd := newCommand(s, client)
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.Execute()
	code := 0
	if err != nil {
		code = clierr.CodeError
		if e, ok := err.(*clierr.ExitError); ok {
			code = e.Code
		}
		if e, ok := err.(*clierr.ExitError); !ok || !e.Silent {
			errb.WriteString("error: " + err.Error() + "\n")
		}
	}
	return code, out.String(), errb.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

// TestGolden renders the fixture cluster's audit in text and JSON.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"audit.txt", []string{"--color", "never"}},
		{"audit.json", []string{"-o", "json"}},
		{"audit-psa-web.json", []string{"-o", "json", "-n", "web", "--rules", "psa"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runFake(t, tc.args...)
			if code != 1 || errs != "" {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			golden(t, tc.name, out)
		})
	}
}

// TestSARIF: every result about a live object has a location (the
// kubernetes/KIND/NAMESPACE/NAME artifact URI and the object as a logical
// location) and the log passes the SARIF 2.1.0 schema.
func TestSARIF(t *testing.T) {
	code, out, errs := runFake(t, "-o", "sarif")
	if code != 1 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	const schemaURL = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	data, err := os.ReadFile("../../report/testdata/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaURL, doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile(schemaURL)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Fatalf("SARIF fails the schema: %v", err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
					} `json:"physicalLocation"`
					LogicalLocations []struct {
						FullyQualifiedName string `json:"fullyQualifiedName"`
					} `json:"logicalLocations"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	if len(log.Runs) != 1 || len(log.Runs[0].Results) == 0 {
		t.Fatalf("no results: %s", out)
	}
	for _, r := range log.Runs[0].Results {
		if len(r.Locations) != 1 || !strings.HasPrefix(r.Locations[0].PhysicalLocation.ArtifactLocation.URI, "kubernetes/") ||
			len(r.Locations[0].LogicalLocations) != 1 {
			t.Errorf("%s: locations %+v", r.RuleID, r.Locations)
		}
	}
}

// TestSuppressions: the annotations that suppress a check in scan
// (pod-security/<check>) or a psa/ rule suppress audit's psa/ findings of
// that workload; --ignore-suppressions turns them off; a malformed one is
// a warning naming the object.
func TestSuppressions(t *testing.T) {
	const psa = "pod-security.kubernetes.io/"
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "web", Annotations: map[string]string{
		"ignore-check.kubeward.io/pod-security.runAsNonRoot": "image runs as uid 101, INC-42",
		"ignore-check.kubeward.io/psa.nope":                  "typo",
	}}}
	dep.Spec.Template.Spec = corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:1"}}}
	objs := []runtime.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: map[string]string{psa + "enforce": "restricted"}}},
		dep,
	}
	type result struct {
		Findings []struct {
			Rule              string `json:"rule"`
			Suppressed        bool   `json:"suppressed"`
			SuppressionReason string `json:"suppressionReason"`
			PodSecurity       *struct {
				Check string `json:"check"`
			} `json:"podSecurity"`
		} `json:"findings"`
		Warnings []struct {
			Message string `json:"message"`
		} `json:"warnings"`
	}
	run := func(args ...string) result {
		t.Helper()
		code, out, errs := runFakeWith(t, objs, append([]string{"-o", "json", "--rules", "psa"}, args...)...)
		if code != 1 {
			t.Fatalf("exit %d, stderr %q", code, errs)
		}
		var r result
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := run()
	suppressed, open := 0, 0
	for _, f := range r.Findings {
		if f.Rule != "psa/template-violates-enforce" {
			continue
		}
		if f.PodSecurity != nil && f.PodSecurity.Check == "runAsNonRoot" {
			if !f.Suppressed || f.SuppressionReason != "image runs as uid 101, INC-42" {
				t.Errorf("runAsNonRoot finding not suppressed with its reason: %+v", f)
			}
			suppressed++
		} else {
			if f.Suppressed {
				t.Errorf("%+v suppressed, only runAsNonRoot is", f)
			}
			open++
		}
	}
	if suppressed == 0 || open == 0 {
		t.Errorf("%d suppressed and %d open template findings, want some of each", suppressed, open)
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0].Message, `Deployment web/web: suppression annotation "ignore-check.kubeward.io/psa.nope" names unknown rule "psa/nope"`) {
		t.Errorf("warnings %+v, want one naming the unknown rule psa/nope on Deployment web/web", r.Warnings)
	}
	for _, f := range run("--ignore-suppressions").Findings {
		if f.Suppressed {
			t.Errorf("--ignore-suppressions: %+v suppressed", f)
		}
	}
}
