package psp

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeward/kubeward/internal/cluster"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/podsecurity"
	"github.com/kubeward/kubeward/internal/psp"
	"github.com/kubeward/kubeward/internal/rbac"
)

// readCluster adds to in what the cluster of kubeconfig holds: its
// PodSecurityPolicies when it still serves them (policy/v1beta1, before
// v1.25), namespaces, pods and RBAC objects, listed in pages.
func readCluster(ctx context.Context, in *input, kubeconfig, kubecontext string, v podsecurity.Version) error {
	cfg, err := cluster.Load(kubeconfig, kubecontext, "kubeward-psp")
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
	l := &cluster.Lister{Client: client, PageSize: 500}
	err = l.Each(ctx, cluster.Named(cluster.AuditResources, "namespaces", "pods", "clusterroles", "clusterrolebindings", "roles", "rolebindings"), func(obj runtime.Object) error {
		switch o := obj.(type) {
		case *corev1.Namespace:
			in.nss = append(in.nss, o.Name)
		case *corev1.Pod:
			in.pods = append(in.pods, o)
		default:
			in.policy.Add(obj, src)
		}
		return nil
	})
	if err != nil {
		return err
	}
	in.fromCluster = true
	return nil
}
