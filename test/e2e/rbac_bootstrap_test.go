//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/kubeward/kubeward/internal/rbac/bootstrap"
)

var updateBootstrap = flag.Bool("update-bootstrap", false, "rewrite internal/rbac/bootstrap/policy.yaml and policy.json from a fresh kube-apiserver")

const bootstrapSelector = "kubernetes.io/bootstrapping=rbac-defaults"

// dumpBootstrapPolicy lists the default policy objects of a fresh server and
// renders them as kubeward embeds them: sorted, server-set metadata removed,
// aggregated ClusterRoles without rules (the engine computes them).
func dumpBootstrapPolicy(t *testing.T, c kubernetes.Interface) []byte {
	t.Helper()
	ctx := context.Background()
	opts := metav1.ListOptions{LabelSelector: bootstrapSelector}
	crs, err := c.RbacV1().ClusterRoles().List(ctx, opts)
	if err != nil {
		t.Fatalf("listing ClusterRoles: %v", err)
	}
	crbs, err := c.RbacV1().ClusterRoleBindings().List(ctx, opts)
	if err != nil {
		t.Fatalf("listing ClusterRoleBindings: %v", err)
	}
	roles, err := c.RbacV1().Roles("").List(ctx, opts)
	if err != nil {
		t.Fatalf("listing Roles: %v", err)
	}
	rbs, err := c.RbacV1().RoleBindings("").List(ctx, opts)
	if err != nil {
		t.Fatalf("listing RoleBindings: %v", err)
	}
	clean := func(m metav1.ObjectMeta) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, Labels: m.Labels, Annotations: m.Annotations}
	}
	var docs [][]byte
	add := func(obj any) {
		b, err := yaml.Marshal(obj)
		if err != nil {
			t.Fatalf("encoding: %v", err)
		}
		docs = append(docs, b)
	}
	sort.Slice(crs.Items, func(i, j int) bool { return crs.Items[i].Name < crs.Items[j].Name })
	for _, o := range crs.Items {
		o.ObjectMeta = clean(o.ObjectMeta)
		o.TypeMeta = metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"}
		if o.AggregationRule != nil {
			o.Rules = nil
		}
		add(o)
	}
	sort.Slice(crbs.Items, func(i, j int) bool { return crbs.Items[i].Name < crbs.Items[j].Name })
	for _, o := range crbs.Items {
		o.ObjectMeta = clean(o.ObjectMeta)
		o.TypeMeta = metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"}
		add(o)
	}
	sort.Slice(roles.Items, func(i, j int) bool {
		a, b := roles.Items[i], roles.Items[j]
		return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
	})
	for _, o := range roles.Items {
		o.ObjectMeta = clean(o.ObjectMeta)
		o.TypeMeta = metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"}
		add(o)
	}
	sort.Slice(rbs.Items, func(i, j int) bool {
		a, b := rbs.Items[i], rbs.Items[j]
		return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
	})
	for _, o := range rbs.Items {
		o.ObjectMeta = clean(o.ObjectMeta)
		o.TypeMeta = metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"}
		add(o)
	}
	var out bytes.Buffer
	out.WriteString("# Kubernetes " + bootstrap.Version + " default RBAC policy, dumped from a fresh kube-apiserver by\n")
	out.WriteString("# go test -tags e2e ./test/e2e -run 'TestRBAC$/BootstrapPolicy' -update-bootstrap\n")
	for _, d := range docs {
		out.WriteString("---\n")
		out.Write(d)
	}
	return out.Bytes()
}

// checkBootstrapPolicy compares (or with -update-bootstrap rewrites) the
// embedded default policy with the one the running server created.
func checkBootstrapPolicy(t *testing.T, c kubernetes.Interface) {
	got := dumpBootstrapPolicy(t, c)
	if *updateBootstrap {
		path := filepath.Join("..", "..", "internal", "rbac", "bootstrap", "policy.yaml")
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("writing %s: %v", path, err)
		}
		t.Logf("wrote %s (%d bytes)", path, len(got))
		objs, err := bootstrap.Decode(got)
		if err != nil {
			t.Fatal(err)
		}
		js, err := bootstrap.MarshalJSON(objs)
		if err != nil {
			t.Fatal(err)
		}
		jsPath := filepath.Join(filepath.Dir(path), "policy.json")
		if err := os.WriteFile(jsPath, js, 0o644); err != nil {
			t.Fatalf("writing %s: %v", jsPath, err)
		}
		t.Logf("wrote %s (%d bytes)", jsPath, len(js))
		return
	}
	if diff := cmp.Diff(string(bootstrap.YAML()), string(got)); diff != "" {
		t.Errorf("embedded default policy differs from a fresh kube-apiserver's (-embedded +server); rerun with -update-bootstrap:\n%s", diff)
	}
	objs, err := bootstrap.Objects()
	if err != nil {
		t.Fatalf("decoding embedded policy: %v", err)
	}
	n := map[string]int{}
	for _, o := range objs {
		switch o.(type) {
		case *rbacv1.ClusterRole:
			n["ClusterRole"]++
		case *rbacv1.ClusterRoleBinding:
			n["ClusterRoleBinding"]++
		case *rbacv1.Role:
			n["Role"]++
		case *rbacv1.RoleBinding:
			n["RoleBinding"]++
		}
	}
	t.Logf("default policy: %d ClusterRoles, %d ClusterRoleBindings, %d Roles, %d RoleBindings", n["ClusterRole"], n["ClusterRoleBinding"], n["Role"], n["RoleBinding"])
}
