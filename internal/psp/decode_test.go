package psp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/manifest"
)

// readAll decodes every PSP of a YAML stream through internal/manifest, as
// the CLI does, and returns their names and the errors as strings.
func readAll(t *testing.T, src string) (names, errs []string) {
	t.Helper()
	err := manifest.Decode("psp.yaml", []byte(src), func(o *manifest.Object) error {
		if !IsPSP(o.APIVersion, o.Kind) {
			t.Fatalf("not a PSP: %s %s", o.APIVersion, o.Kind)
		}
		p, es := FromObject(o)
		for _, e := range es {
			errs = append(errs, e.Error())
		}
		if p != nil {
			names = append(names, p.Name)
		}
		return nil
	}, func(e *manifest.Error) { errs = append(errs, e.Error()) })
	if err != nil {
		t.Fatal(err)
	}
	return names, errs
}

const minimal = `apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata:
  name: %s
spec:
  seLinux:
    rule: RunAsAny
  runAsUser:
    rule: RunAsAny
  supplementalGroups:
    rule: RunAsAny
  fsGroup:
    rule: RunAsAny
`

func TestDecodeStrict(t *testing.T) {
	named := strings.Replace(minimal, "%s", "p", 1)
	for _, tc := range []struct {
		name, src string
		names     []string
		errs      []string
	}{
		{"minimal", strings.Replace(minimal, "%s", "a", 1), []string{"a"}, nil},
		{"extensions/v1beta1", strings.Replace(strings.Replace(minimal, "%s", "old", 1), "policy/v1beta1", "extensions/v1beta1", 1), []string{"old"}, nil},
		{"kubectl get psp -o yaml", "apiVersion: v1\nkind: List\nitems:\n" +
			indent(strings.Replace(minimal, "%s", "x", 1)) + indent(strings.Replace(minimal, "%s", "yy", 1)), []string{"x", "yy"}, nil},
		{"PodSecurityPolicyList", "apiVersion: policy/v1beta1\nkind: PodSecurityPolicyList\nitems:\n" +
			indent(strings.Replace(minimal, "%s", "z", 1)), []string{"z"}, nil},
		{"unknown field", strings.Replace(named, "    rule: RunAsAny\n  runAsUser:", "    rule: RunAsAny\n    seLinuxOption: {}\n  runAsUser:", 1), nil,
			[]string{`psp.yaml:8: unknown field "spec.seLinux.seLinuxOption"`}},
		{"wrong type", strings.Replace(named, "spec:\n", "spec:\n  hostPorts: [{min: x, max: 2}]\n", 1), nil,
			[]string{`psp.yaml:6: spec.hostPorts.min: expected int32, found string`}},
		{"bad rule and range", strings.Replace(strings.Replace(named, "    rule: RunAsAny\n  supplementalGroups", "    rule: MustRunAs\n  supplementalGroups", 1), "  seLinux:\n    rule: RunAsAny", "  seLinux:\n    rule: Sometimes", 1), nil,
			[]string{`psp.yaml:7: spec.seLinux.rule: "Sometimes": want MustRunAs or RunAsAny`, `psp.yaml:8: spec.runAsUser.ranges: MustRunAs requires at least one range`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			names, errs := readAll(t, tc.src)
			if strings.Join(names, ",") != strings.Join(tc.names, ",") || strings.Join(errs, "\n") != strings.Join(tc.errs, "\n") {
				t.Errorf("names %q errors %q\nwant names %q errors %q", names, errs, tc.names, tc.errs)
			}
		})
	}
}

func indent(doc string) string {
	lines := strings.Split(strings.TrimSuffix(doc, "\n"), "\n")
	for i, l := range lines {
		if i == 0 {
			lines[i] = "- " + l
		} else {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// FuzzDecode: any input decodes or fails with an error, never a panic; a
// PSP that decodes is analysed and its policy generated without panicking,
// and every uncovered validation has an expression and a message.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*-psp.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(strings.Replace(minimal, "%s", "a", 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Decode(data)
		if err != nil {
			if p != nil {
				t.Fatal("a PSP and an error")
			}
			return
		}
		a := Analyze(p, pspVersion)
		for _, u := range a.Uncovered {
			if u.Expression == "" || u.Message == "" {
				t.Fatalf("uncovered %s without expression or message", u.Field)
			}
		}
		vap, b := a.Policy()
		if (vap == nil) != (len(a.Uncovered) == 0) || (vap != nil && b.Spec.PolicyName != vap.Name) {
			t.Fatal("policy and binding do not match the analysis")
		}
	})
}
