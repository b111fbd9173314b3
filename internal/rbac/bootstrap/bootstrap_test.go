package bootstrap

import (
	"errors"
	"flag"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	yamlutil "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

func TestObjects(t *testing.T) {
	objs, err := Objects()
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	names := map[string]bool{}
	for _, o := range objs {
		switch o := o.(type) {
		case *rbacv1.ClusterRole:
			count["ClusterRole"]++
			names[o.Name] = true
			if o.Labels["kubernetes.io/bootstrapping"] != "rbac-defaults" {
				t.Errorf("ClusterRole %s lacks the bootstrapping label", o.Name)
			}
			if o.AggregationRule != nil && len(o.Rules) > 0 {
				t.Errorf("aggregated ClusterRole %s stored with rules", o.Name)
			}
		case *rbacv1.ClusterRoleBinding:
			count["ClusterRoleBinding"]++
		case *rbacv1.Role:
			count["Role"]++
		case *rbacv1.RoleBinding:
			count["RoleBinding"]++
		}
	}
	want := map[string]int{"ClusterRole": 73, "ClusterRoleBinding": 54, "Role": 7, "RoleBinding": 7}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%d %ss, want %d", count[k], k, n)
		}
	}
	for _, n := range []string{"cluster-admin", "admin", "edit", "view", "system:basic-user", "system:discovery", "system:public-info-viewer"} {
		if !names[n] {
			t.Errorf("ClusterRole %s missing", n)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"kind: Pod\n", `document 1: unexpected kind "Pod"`},
		{"kind: Role\n---\nkind: Role\nrules: 3\n", "document 2 (Role)"},
		{"kind: Role\nbogus: 1\n", `unknown field "bogus"`},
	} {
		if _, err := Decode([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Decode(%q) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

// TestDecodeMatchesUnmarshalStrict checks that Decode's single YAML parse
// per document gives the objects sigs.k8s.io/yaml.UnmarshalStrict gives.
func TestDecodeMatchesUnmarshalStrict(t *testing.T) {
	got, err := Decode(YAML())
	if err != nil {
		t.Fatal(err)
	}
	r := yamlutil.NewYAMLReader(bufioReader(YAML()))
	var want []runtime.Object
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var meta struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil || meta.Kind == "" {
			continue
		}
		var obj runtime.Object
		switch meta.Kind {
		case "ClusterRole":
			obj = &rbacv1.ClusterRole{}
		case "ClusterRoleBinding":
			obj = &rbacv1.ClusterRoleBinding{}
		case "Role":
			obj = &rbacv1.Role{}
		case "RoleBinding":
			obj = &rbacv1.RoleBinding{}
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			t.Fatal(err)
		}
		want = append(want, obj)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Decode differs from yaml.UnmarshalStrict (%d and %d objects)", len(got), len(want))
	}
}

var update = flag.Bool("update", false, "rewrite policy.json from policy.yaml")

// TestPolicyJSON checks that policy.json, which Objects decodes, holds
// exactly the objects of policy.yaml; -update rewrites it.
func TestPolicyJSON(t *testing.T) {
	want, err := Decode(policyYAML)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		js, err := MarshalJSON(want)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("policy.json", js, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := DecodeJSON(policyJSON)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatal("policy.json differs from policy.yaml; run go test ./internal/rbac/bootstrap -run TestPolicyJSON -update")
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{}`, "cannot unmarshal object"},
		{`[{"kind": "Pod"}]`, `object 1: unexpected kind "Pod"`},
		{`[{"kind": "Role", "rulez": []}]`, `object 1 (Role): error unmarshaling JSON: while decoding JSON: json: unknown field "rulez"`},
	} {
		_, err := DecodeJSON([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("DecodeJSON(%s) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}
