package psp

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/pager"

	"github.com/kubeward/kubeward/internal/cluster"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/podsecurity"
	"github.com/kubeward/kubeward/internal/psp"
	"github.com/kubeward/kubeward/internal/rbac"
)

// readCluster adds to in what the cluster of kubeconfig holds: its
// PodSecurityPolicies when it still serves them (policy/v1beta1, before
// v1.25), namespaces, pods and RBAC objects, listed in pages.
func readCluster(ctx context.Context, in *input, kubeconfig string, v podsecurity.Version) error {
	cfg, err := cluster.Config(kubeconfig, "kubeward-psp")
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	data, err := client.Discovery().RESTClient().Get().AbsPath("/apis/policy/v1beta1/podsecuritypolicies").DoRaw(ctx)
	switch {
	case err == nil:
		const name = "cluster:podsecuritypolicies"
		derr := manifest.Decode(name, data, func(o *manifest.Object) error {
			if psp.IsPSP(o.APIVersion, o.Kind) {
				in.addPSP(o, v)
			}
			return nil
		}, func(e *manifest.Error) { in.errs = append(in.errs, e) })
		if derr != nil {
			return derr
		}
	case apierrors.IsNotFound(err):
		// Kubernetes v1.25 and later: PSPs come from files only.
	default:
		return fmt.Errorf("listing podsecuritypolicies: %w", err)
	}
	if in.policy == nil {
		in.policy = &rbac.Policy{}
	}
	src := rbac.Source{Cluster: true}
	list := func(what string, fn func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error), each func(runtime.Object)) error {
		p := pager.New(pager.ListPageFunc(fn))
		p.PageSize = 500
		if err := p.EachListItem(ctx, metav1.ListOptions{}, func(obj runtime.Object) error {
			each(obj)
			return nil
		}); err != nil {
			return fmt.Errorf("listing %s: %w", what, err)
		}
		return nil
	}
	core, rb := client.CoreV1(), client.RbacV1()
	steps := []struct {
		what string
		fn   func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error)
	}{
		{"namespaces", func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return core.Namespaces().List(ctx, o)
		}},
		{"pods", func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return core.Pods("").List(ctx, o)
		}},
		{"clusterroles", func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return rb.ClusterRoles().List(ctx, o)
		}},
		{"clusterrolebindings", func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return rb.ClusterRoleBindings().List(ctx, o)
		}},
		{"roles", func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return rb.Roles("").List(ctx, o)
		}},
		{"rolebindings", func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return rb.RoleBindings("").List(ctx, o)
		}},
	}
	for _, s := range steps {
		err := list(s.what, s.fn, func(obj runtime.Object) {
			switch o := obj.(type) {
			case *corev1.Namespace:
				in.nss = append(in.nss, o.Name)
			case *corev1.Pod:
				o.ManagedFields = nil
				in.pods = append(in.pods, o)
			default:
				in.policy.Add(obj, src)
			}
		})
		if err != nil {
			return err
		}
	}
	in.fromCluster = true
	return nil
}
