// Package bootstrap holds Kubernetes' default RBAC policy: the ClusterRoles,
// ClusterRoleBindings, Roles and RoleBindings a fresh kube-apiserver v1.37
// creates at start-up (label kubernetes.io/bootstrapping=rbac-defaults),
// dumped from a real one into policy.yaml (see test/e2e/rbac_bootstrap_test.go,
// which regenerates it, and policy.json, with -update-bootstrap and
// otherwise checks it against a fresh server). Aggregated roles (admin,
// edit, view, ...) are stored with their aggregationRule and no rules: the
// engine computes them.
package bootstrap

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	yamlutil "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

//go:embed policy.yaml
var policyYAML []byte

// policyJSON is policy.yaml as DecodeJSON reads it (see MarshalJSON):
// decoding it takes about a fifteenth of the time the YAML takes (1.3 ms
// against 19.5 ms), and every command that judges RBAC pays it at start.
// TestPolicyJSON keeps it equal to policy.yaml.
//
//go:embed policy.json
var policyJSON []byte

// Version is the Kubernetes version the policy was dumped from.
const Version = "v1.37.2"

// YAML returns the policy as multi-document YAML.
func YAML() []byte { return policyYAML }

var (
	once    sync.Once
	objects []runtime.Object
	loadErr error
)

// Objects returns the default policy's objects (*rbacv1.ClusterRole,
// *rbacv1.ClusterRoleBinding, *rbacv1.Role, *rbacv1.RoleBinding), decoded
// once. Callers must not modify them.
func Objects() ([]runtime.Object, error) {
	once.Do(func() { objects, loadErr = DecodeJSON(policyJSON) })
	return objects, loadErr
}

// Decode decodes multi-document YAML holding only RBAC objects.
func Decode(data []byte) ([]runtime.Object, error) {
	r := yamlutil.NewYAMLReader(bufioReader(data))
	var out []runtime.Object
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		// One YAML parse per document (this runs at every start of a
		// command that judges RBAC): YAML to JSON strictly, as
		// yaml.UnmarshalStrict does, then JSON decoding.
		js, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: error converting YAML to JSON: %w", i+1, err)
		}
		if bytes.Equal(js, []byte("null")) {
			continue // only comments
		}
		obj, err := decodeObject(js, fmt.Sprintf("document %d", i+1))
		if err != nil {
			return nil, err
		}
		out = append(out, obj)
	}
}

// decodeObject decodes one RBAC object from JSON, strictly, by its kind;
// where names the object in errors ("document 3", "object 3").
func decodeObject(js []byte, where string) (runtime.Object, error) {
	var meta struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(js, &meta); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	kind := meta.Kind
	var obj runtime.Object
	switch kind {
	case "ClusterRole":
		obj = &rbacv1.ClusterRole{}
	case "ClusterRoleBinding":
		obj = &rbacv1.ClusterRoleBinding{}
	case "Role":
		obj = &rbacv1.Role{}
	case "RoleBinding":
		obj = &rbacv1.RoleBinding{}
	default:
		return nil, fmt.Errorf("%s: unexpected kind %q", where, kind)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		return nil, fmt.Errorf("%s (%s): error unmarshaling JSON: while decoding JSON: %w", where, kind, err)
	}
	return obj, nil
}

// MarshalJSON renders RBAC objects as the JSON DecodeJSON reads: an array
// with one object per line.
func MarshalJSON(objs []runtime.Object) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("[\n")
	for i, o := range objs {
		js, err := json.Marshal(o)
		if err != nil {
			return nil, err
		}
		b.Write(js)
		if i < len(objs)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]\n")
	return b.Bytes(), nil
}

// DecodeJSON decodes a JSON array of RBAC objects, as MarshalJSON writes.
func DecodeJSON(data []byte) ([]runtime.Object, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	out := make([]runtime.Object, 0, len(raw))
	for i, js := range raw {
		obj, err := decodeObject(js, fmt.Sprintf("object %d", i+1))
		if err != nil {
			return nil, err
		}
		out = append(out, obj)
	}
	return out, nil
}
