package podsecurity

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// fixtureRoot finds Kubernetes' Pod Security fixtures in the module cache.
func fixtureRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "k8s.io/pod-security-admission").Output()
	if err != nil {
		t.Fatalf("locating k8s.io/pod-security-admission (run go mod download): %v", err)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		t.Fatal("k8s.io/pod-security-admission is not downloaded; run go mod download")
	}
	return filepath.Join(dir, "test", "testdata")
}

// TestConformanceFixtures evaluates every fixture Kubernetes tests its own
// implementation with, at its level and version, against the oracle and the
// fixture's expected pass/fail.
func TestConformanceFixtures(t *testing.T) {
	root := fixtureRoot(t)
	files, err := filepath.Glob(filepath.Join(root, "*", "*", "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 1000 {
		t.Fatalf("found only %d fixtures under %s", len(files), root)
	}
	e := Default
	checked := 0
	for _, file := range files {
		rel, _ := filepath.Rel(root, file)
		parts := strings.Split(filepath.ToSlash(rel), "/") // level/version/pass|fail/name.yaml
		lv, err := ParseLevelVersion(parts[0] + ":" + parts[1])
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var pod corev1.Pod
		if err := yaml.UnmarshalStrict(data, &pod); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		if diff := compareWithOracle(t, e, lv, &pod.ObjectMeta, &pod.Spec); diff != "" {
			t.Errorf("%s: %s", rel, diff)
		}
		// The fixtures' pass/fail expectations hold for pods as the API
		// server stores them, that is after defaulting.
		defaulted := pod.DeepCopy()
		ApplyDefaults(&defaulted.Spec)
		if diff := compareWithOracle(t, e, lv, &defaulted.ObjectMeta, &defaulted.Spec); diff != "" {
			t.Errorf("%s (defaulted): %s", rel, diff)
		}
		wantPass := parts[2] == "pass"
		if got := len(e.Evaluate(lv, &defaulted.ObjectMeta, &defaulted.Spec)) == 0; got != wantPass {
			t.Errorf("%s: allowed = %v, fixture expects %v", rel, got, wantPass)
		}
		checked++
	}
	t.Logf("checked %d fixtures against k8s.io/pod-security-admission", checked)
}
