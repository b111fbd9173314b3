package rules

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/rules.md from the registry")

func TestBuiltinRegistry(t *testing.T) {
	reg, err := builtin()
	if err != nil {
		t.Fatalf("built-in rules are invalid: %v", err)
	}
	for _, r := range reg.Rules() {
		if !strings.HasPrefix(r.DocURL, "https://") {
			t.Errorf("rule %s: DocURL %q is not an https link", r.ID, r.DocURL)
		}
		if !strings.HasSuffix(strings.TrimSpace(r.Remediation), ".") {
			t.Errorf("rule %s: remediation is not a full sentence: %q", r.ID, r.Remediation)
		}
	}
}

// TestRulesDoc keeps docs/rules.md generated from the registry.
func TestRulesDoc(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, Builtin()); err != nil {
		t.Fatal(err)
	}
	const path = "../../docs/rules.md"
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run: go test ./internal/rules -update)", err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Errorf("docs/rules.md is out of date with the rule registry; run: go test ./internal/rules -update")
	}
}
