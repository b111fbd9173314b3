//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/test/e2e/controlplane"
)

// TestNetpolCluster applies the tenancy example to a real API server (which
// defaults policyTypes, protocols and the namespace name label itself) and
// checks that `kubeward netpol --kubeconfig` reads the same connectivity
// from the cluster as from the manifests.
func TestNetpolCluster(t *testing.T) {
	cp := controlplane.Start(t, controlplane.Options{})
	dir := "../../docs/examples/tenancy"
	var r manifest.Reader
	var objs []*manifest.Object
	if err := r.Read([]string{dir}, func(o *manifest.Object) error { objs = append(objs, o); return nil }, func(e *manifest.Error) { t.Fatalf("reading %s: %v", dir, e) }); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, o := range objs {
		if err := create(ctx, cp.Client, o); err != nil {
			t.Fatalf("creating %s %s/%s: %v", o.Kind, o.Namespace, o.Name, err)
		}
	}
	code, fromFiles, errs := runKubeward("netpol", dir)
	if code != 0 {
		t.Fatalf("netpol %s: exit %d: %s", dir, code, errs)
	}
	kubeconfig := cp.Kubeconfig(t, "kubeward-netpol", "system:masters")
	code, fromCluster, errs := runKubeward("netpol", "--kubeconfig", kubeconfig)
	if code != 0 {
		t.Fatalf("netpol --kubeconfig: exit %d: %s", code, errs)
	}
	if d := cmp.Diff(fromFiles, fromCluster); d != "" {
		t.Errorf("connectivity from the cluster differs from the manifests' (-files +cluster):\n%s", d)
	}
	code, out, _ := runKubeward("netpol", "eval", "--kubeconfig", kubeconfig, "--src", "shop/web", "--dst", "shop/db", "-p", "5432/TCP")
	if code != 0 {
		t.Errorf("eval shop/web → shop/db 5432: exit %d:\n%s", code, out)
	}

	// The tenancy report of `audit` over the cluster equals the one `scan`
	// gives for the manifests, for the namespaces of the manifests (the
	// cluster adds its own: default, kube-system, ...). controls holds a
	// namespace with every control and one with none, whose service account
	// has cluster-scoped, cross-tenant and quota-modifying permissions.
	const controls = "testdata/tenancy-controls.yaml"
	if err := r.Read([]string{controls}, func(o *manifest.Object) error { return create(ctx, cp.Client, o) }, func(e *manifest.Error) { t.Fatalf("reading %s: %v", controls, e) }); err != nil {
		t.Fatal(err)
	}
	fileRep := tenancyReport(t, "scan", "--rules", "tenancy", "-o", "json", dir, controls)
	clusterRep := tenancyReport(t, "audit", "--rules", "tenancy", "-o", "json", "--kubeconfig", kubeconfig)
	if len(fileRep.Tenancy.Namespaces) != 5 {
		t.Fatalf("scan's tenancy section has %d namespaces, want the manifests' 5", len(fileRep.Tenancy.Namespaces))
	}
	cl, _ := clusterRep.only([]string{"t-bare", "t-full"})
	want := []string{
		"tenancy/cross-tenant-access high Namespace /t-bare: ServiceAccount:t-bare:builder (tenant t-bare) may get secrets in t-full",
		"tenancy/no-compute-quota medium Namespace /t-bare: no ResourceQuota limits cpu and memory in namespace t-bare",
		"tenancy/no-default-deny-egress low Namespace /t-bare: no NetworkPolicy with podSelector: {} isolates namespace t-bare for egress",
		"tenancy/pod-security-not-enforced medium Namespace /t-bare: namespace t-bare has no pod-security.kubernetes.io/enforce label",
		"tenancy/tenant-cluster-scope high Namespace /t-bare: ServiceAccount:t-bare:builder (tenant t-bare) may list nodes",
		"tenancy/tenant-modifies-quota high Namespace /t-bare: ServiceAccount:t-bare:builder (tenant t-bare) may update resourcequotas in t-bare, delete resourcequotas in t-bare",
	}
	if d := cmp.Diff(want, cl); d != "" {
		t.Errorf("audit's tenancy findings for t-bare (no controls) and t-full (every control) (-want +got):\n%s", d)
	}
	fl, fr := fileRep.only(fileRep.namespaces())
	cl, cr := clusterRep.only(fileRep.namespaces())
	if d := cmp.Diff([]any{fl, fr}, []any{cl, cr}); d != "" {
		t.Errorf("audit's tenancy report differs from scan's for the same objects (-scan +audit):\n%s", d)
	}
}

// tenancyJSON is the part of the JSON report the tenancy comparison reads.
type tenancyJSON struct {
	Findings []struct {
		Rule     string `json:"rule"`
		Severity string `json:"severity"`
		Object   struct {
			Kind      string `json:"kind"`
			Namespace string `json:"namespace"`
			Name      string `json:"name"`
		} `json:"object"`
		Message string `json:"message"`
	} `json:"findings"`
	Tenancy struct {
		Namespaces []map[string]any `json:"namespaces"`
	} `json:"tenancy"`
}

func tenancyReport(t *testing.T, args ...string) tenancyJSON {
	t.Helper()
	code, out, errs := runKubeward(args...)
	if code != 0 && code != 1 {
		t.Fatalf("kubeward %v: exit %d: %s", args, code, errs)
	}
	var r tenancyJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("kubeward %v: %v", args, err)
	}
	return r
}

func (r tenancyJSON) namespaces() []string {
	var ns []string
	for _, n := range r.Tenancy.Namespaces {
		ns = append(ns, n["namespace"].(string))
	}
	return ns
}

// only keeps the rows and the findings about the given namespaces, in a
// stable order: "rule kind ns/name: message" lines and the section rows.
func (r tenancyJSON) only(ns []string) (lines []string, rows []map[string]any) {
	for _, f := range r.Findings {
		o := f.Object
		if slices.Contains(ns, o.Namespace) || (o.Kind == "Namespace" && slices.Contains(ns, o.Name)) {
			lines = append(lines, fmt.Sprintf("%s %s %s %s/%s: %s", f.Rule, f.Severity, o.Kind, o.Namespace, o.Name, f.Message))
		}
	}
	sort.Strings(lines)
	for _, n := range r.Tenancy.Namespaces {
		if slices.Contains(ns, n["namespace"].(string)) {
			rows = append(rows, n)
		}
	}
	return lines, rows
}

func create(ctx context.Context, c kubernetes.Interface, o *manifest.Object) error {
	opts := metav1.CreateOptions{}
	var err error
	switch x := o.Object.(type) {
	case *corev1.Namespace:
		_, err = c.CoreV1().Namespaces().Create(ctx, x, opts)
	case *corev1.Service:
		_, err = c.CoreV1().Services(x.Namespace).Create(ctx, x, opts)
	case *appsv1.Deployment:
		_, err = c.AppsV1().Deployments(x.Namespace).Create(ctx, x, opts)
	case *appsv1.StatefulSet:
		_, err = c.AppsV1().StatefulSets(x.Namespace).Create(ctx, x, opts)
	case *appsv1.DaemonSet:
		_, err = c.AppsV1().DaemonSets(x.Namespace).Create(ctx, x, opts)
	case *networkingv1.NetworkPolicy:
		_, err = c.NetworkingV1().NetworkPolicies(x.Namespace).Create(ctx, x, opts)
	case *corev1.ServiceAccount:
		_, err = c.CoreV1().ServiceAccounts(x.Namespace).Create(ctx, x, opts)
	case *corev1.ResourceQuota:
		_, err = c.CoreV1().ResourceQuotas(x.Namespace).Create(ctx, x, opts)
	case *corev1.LimitRange:
		_, err = c.CoreV1().LimitRanges(x.Namespace).Create(ctx, x, opts)
	case *rbacv1.Role:
		_, err = c.RbacV1().Roles(x.Namespace).Create(ctx, x, opts)
	case *rbacv1.RoleBinding:
		_, err = c.RbacV1().RoleBindings(x.Namespace).Create(ctx, x, opts)
	case *rbacv1.ClusterRole:
		_, err = c.RbacV1().ClusterRoles().Create(ctx, x, opts)
	case *rbacv1.ClusterRoleBinding:
		_, err = c.RbacV1().ClusterRoleBindings().Create(ctx, x, opts)
	default:
		err = fmt.Errorf("the test does not create %T", x)
	}
	return err
}
