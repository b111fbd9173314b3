package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func tree() (*cobra.Command, *cobra.Command, *[]string, *string) {
	root := &cobra.Command{Use: "kubeward"}
	scan := &cobra.Command{Use: "scan", Run: func(*cobra.Command, []string) {}}
	var exclude []string
	var level string
	scan.Flags().StringArrayVar(&exclude, "exclude", nil, "")
	scan.Flags().StringVar(&level, "pod-security", "restricted", "")
	rbac := &cobra.Command{Use: "rbac"}
	risks := &cobra.Command{Use: "risks", Run: func(*cobra.Command, []string) {}}
	risks.Flags().String("severity", "info", "")
	rbac.AddCommand(risks)
	root.AddCommand(scan, rbac)
	return root, scan, &exclude, &level
}

func TestApply(t *testing.T) {
	f, err := Parse("c.yaml", []byte(`apiVersion: kubeward.io/v1alpha1
kind: Config
scan:
  pod-security: baseline
  exclude: ["a/**", "b"]
rbac:
  risks:
    severity: high
`))
	if err != nil {
		t.Fatal(err)
	}
	root, scan, exclude, level := tree()
	if err := f.Check(root); err != nil {
		t.Fatal(err)
	}
	if err := scan.Flags().Parse([]string{"--pod-security", "restricted:v1.30"}); err != nil {
		t.Fatal(err)
	}
	if err := f.Apply(scan); err != nil {
		t.Fatal(err)
	}
	if *level != "restricted:v1.30" || strings.Join(*exclude, ",") != "a/**,b" {
		t.Errorf("level %q (the command line wins), exclude %q", *level, *exclude)
	}
	risks, _, _ := root.Find([]string{"rbac", "risks"})
	if err := f.Apply(risks); err != nil {
		t.Fatal(err)
	}
	if v, _ := risks.Flags().GetString("severity"); v != "high" {
		t.Errorf("rbac risks --severity %q", v)
	}
}

func TestCheckReportsEverything(t *testing.T) {
	f, err := Parse("c.yaml", []byte(`apiVersion: kubeward.io/v1alpha1
kind: Config
scan:
  nope: 1
  pod-security: [a, b]
  exclude: {a: b}
rbac:
  risks:
    colour: x
other: {}
`))
	if err != nil {
		t.Fatal(err)
	}
	root, _, _, _ := tree()
	err = f.Check(root)
	for _, want := range []string{
		"c.yaml:4: kubeward scan has no flag --nope",
		"c.yaml:5: --pod-security takes one value, not a list",
		"c.yaml:6: --exclude: expected a value or a list of values",
		"c.yaml:9: kubeward rbac risks has no flag --colour",
		`c.yaml:10: unknown command "other"`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range []struct{ data, want string }{
		{"", "empty file"},
		{"- a\n", "expected a mapping"},
		{"kind: Config\n", "missing apiVersion"},
		{"apiVersion: v1\nkind: Config\n", `apiVersion "v1" is not supported`},
		{"a: [\n", "c.yaml"},
	} {
		if _, err := Parse("c.yaml", []byte(tt.data)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q): %v, want %q", tt.data, err, tt.want)
		}
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := Find(sub); got != "" && !strings.HasPrefix(got, "/") {
		t.Errorf("Find without a file: %q", got)
	}
	p := filepath.Join(dir, "a", FileName)
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := Find(sub); got != p {
		t.Errorf("Find(%s) = %q, want %q", sub, got, p)
	}
}

// FuzzParse: any file yields a configuration or an error naming the file,
// never a panic, and checking and applying it never panics either.
func FuzzParse(f *testing.F) {
	f.Add([]byte("apiVersion: kubeward.io/v1alpha1\nkind: Config\nscan:\n  exclude: [a, b]\n  pod-security: baseline\n"))
	f.Add([]byte("apiVersion: kubeward.io/v1alpha1\nkind: Config\nrbac: {risks: {severity: high}}\n"))
	f.Add([]byte("&a [*a, *a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cf, err := Parse("c.yaml", data)
		if err != nil {
			if !strings.Contains(err.Error(), "c.yaml") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		root, scan, _, _ := tree()
		_ = cf.Check(root)
		_ = cf.Apply(scan)
	})
}
