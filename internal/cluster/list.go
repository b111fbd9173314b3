package cluster

import (
	"context"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/pager"

	"github.com/kubeward/kubeward/internal/rbac"
)

// Load returns the client configuration kubectl would use: the kubeconfig
// file given, else $KUBECONFIG or ~/.kube/config, with context (empty: the
// current context); when no kubeconfig file exists and neither is given,
// the in-cluster service account. userAgent names the caller in the API
// server's logs. The client's rate limit is raised (QPS 50, burst 100):
// listing in pages is a burst of requests.
func Load(kubeconfig, context, userAgent string) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: context}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig: %w", err)
	}
	cfg = rest.CopyConfig(cfg)
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	return rest.AddUserAgent(cfg, userAgent), nil
}

// Resource is a kind of object a Lister reads.
type Resource struct {
	// Group and Resource name it as RBAC does (Group "" for the core group).
	Group, Resource string
	// Kind is set on every listed object, with the group's version.
	Kind       schema.GroupVersionKind
	Namespaced bool
	// Families are the rule families that need the resource; empty when
	// every run needs it (see ResourcesFor).
	Families []string
	list     func(c kubernetes.Interface, namespace string) pager.ListPageFunc
}

// AuditResources are the resources `kubeward audit` reads, in the order it
// reads them: namespaces first (their labels are the policy), then the
// workloads (so that pods are grouped under the workload that owns them),
// then pods, then what the RBAC rules judge, then what only the tenancy/
// rules read (Services, NetworkPolicies, LimitRanges, RuntimeClasses,
// Nodes, StorageClasses). Secrets are deliberately not among them.
// deploy/audit's ClusterRole grants get and list on exactly these.
var AuditResources = []Resource{
	res("", "namespaces", "v1", "Namespace", false, func(c kubernetes.Interface, _ string) pager.ListPageFunc {
		return pageFunc(c.CoreV1().Namespaces().List)
	}),
	res("apps", "deployments", "apps/v1", "Deployment", true, func(c kubernetes.Interface, ns string) pager.ListPageFunc {
		return pageFunc(c.AppsV1().Deployments(ns).List)
	}),
	res("apps", "replicasets", "apps/v1", "ReplicaSet", true, func(c kubernetes.Interface, ns string) pager.ListPageFunc {
		return pageFunc(c.AppsV1().ReplicaSets(ns).List)
	}),
	res("apps", "statefulsets", "apps/v1", "StatefulSet", true, func(c kubernetes.Interface, ns string) pager.ListPageFunc {
		return pageFunc(c.AppsV1().StatefulSets(ns).List)
	}),
	res("apps", "daemonsets", "apps/v1", "DaemonSet", true, func(c kubernetes.Interface, ns string) pager.ListPageFunc {
		return pageFunc(c.AppsV1().DaemonSets(ns).List)
	}),
	res("batch", "cronjobs", "batch/v1", "CronJob", true, func(c kubernetes.Interface, ns string) pager.ListPageFunc {
		return pageFunc(c.BatchV1().CronJobs(ns).List)
	}),
	res("batch", "jobs", "batch/v1", "Job", true, func(c kubernetes.Interface, ns string) pager.ListPageFunc {
		return pageFunc(c.BatchV1().Jobs(ns).List)
	}),
	res("", "replicationcontrollers", "v1", "ReplicationController", true, func(c kubernetes.Interface, ns string) pager.ListPageFunc {
		return pageFunc(c.CoreV1().ReplicationControllers(ns).List)
	}),
	res("", "podtemplates", "v1", "PodTemplate", true, func(c kubernetes.Interface, ns string) pager.ListPageFunc {
		return pageFunc(c.CoreV1().PodTemplates(ns).List)
	}),
	res("", "pods", "v1", "Pod", true, func(c kubernetes.Interface, ns string) pager.ListPageFunc {
		return pageFunc(c.CoreV1().Pods(ns).List)
	}),
	res("rbac.authorization.k8s.io", "clusterroles", "rbac.authorization.k8s.io/v1", "ClusterRole", false, func(c kubernetes.Interface, _ string) pager.ListPageFunc {
		return pageFunc(c.RbacV1().ClusterRoles().List)
	}),
	res("rbac.authorization.k8s.io", "clusterrolebindings", "rbac.authorization.k8s.io/v1", "ClusterRoleBinding", false, func(c kubernetes.Interface, _ string) pager.ListPageFunc {
		return pageFunc(c.RbacV1().ClusterRoleBindings().List)
	}),
	res("rbac.authorization.k8s.io", "roles", "rbac.authorization.k8s.io/v1", "Role", true, func(c kubernetes.Interface, ns string) pager.ListPageFunc {
		return pageFunc(c.RbacV1().Roles(ns).List)
	}),
	res("rbac.authorization.k8s.io", "rolebindings", "rbac.authorization.k8s.io/v1", "RoleBinding", true, func(c kubernetes.Interface, ns string) pager.ListPageFunc {
		return pageFunc(c.RbacV1().RoleBindings(ns).List)
	}),
	res("", "serviceaccounts", "v1", "ServiceAccount", true, func(c kubernetes.Interface, ns string) pager.ListPageFunc {
		return pageFunc(c.CoreV1().ServiceAccounts(ns).List)
	}),
	res("", "resourcequotas", "v1", "ResourceQuota", true, func(c kubernetes.Interface, ns string) pager.ListPageFunc {
		return pageFunc(c.CoreV1().ResourceQuotas(ns).List)
	}),
	tenancy(res("", "services", "v1", "Service", true, func(c kubernetes.Interface, ns string) pager.ListPageFunc {
		return pageFunc(c.CoreV1().Services(ns).List)
	})),
	tenancy(res("networking.k8s.io", "networkpolicies", "networking.k8s.io/v1", "NetworkPolicy", true, func(c kubernetes.Interface, ns string) pager.ListPageFunc {
		return pageFunc(c.NetworkingV1().NetworkPolicies(ns).List)
	})),
	tenancy(res("", "limitranges", "v1", "LimitRange", true, func(c kubernetes.Interface, ns string) pager.ListPageFunc {
		return pageFunc(c.CoreV1().LimitRanges(ns).List)
	})),
	tenancy(res("node.k8s.io", "runtimeclasses", "node.k8s.io/v1", "RuntimeClass", false, func(c kubernetes.Interface, _ string) pager.ListPageFunc {
		return pageFunc(c.NodeV1().RuntimeClasses().List)
	})),
	tenancy(res("", "nodes", "v1", "Node", false, func(c kubernetes.Interface, _ string) pager.ListPageFunc {
		return pageFunc(c.CoreV1().Nodes().List)
	})),
	tenancy(res("storage.k8s.io", "storageclasses", "storage.k8s.io/v1", "StorageClass", false, func(c kubernetes.Interface, _ string) pager.ListPageFunc {
		return pageFunc(c.StorageV1().StorageClasses().List)
	})),
}

// ResourcesFor returns the resources of rs that a run of the given rule
// families needs, in order.
func ResourcesFor(rs []Resource, families []string) []Resource {
	var out []Resource
	for _, r := range rs {
		if len(r.Families) == 0 || slices.ContainsFunc(r.Families, func(f string) bool { return slices.Contains(families, f) }) {
			out = append(out, r)
		}
	}
	return out
}

// Named returns the resources of rs with the given plural names, in the
// order of names. A name not in rs is a programming error and panics.
func Named(rs []Resource, names ...string) []Resource {
	out := make([]Resource, 0, len(names))
	for _, n := range names {
		i := slices.IndexFunc(rs, func(r Resource) bool { return r.Resource == n })
		if i < 0 {
			panic("cluster: no resource " + n)
		}
		out = append(out, rs[i])
	}
	return out
}

func tenancy(r Resource) Resource {
	r.Families = []string{"tenancy"}
	return r
}

func res(group, resource, apiVersion, kind string, namespaced bool, list func(kubernetes.Interface, string) pager.ListPageFunc) Resource {
	return Resource{Group: group, Resource: resource, Kind: schema.FromAPIVersionAndKind(apiVersion, kind), Namespaced: namespaced, list: list}
}

func pageFunc[L runtime.Object](list func(context.Context, metav1.ListOptions) (L, error)) pager.ListPageFunc {
	return func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return list(ctx, o) }
}

// Lister lists resources in pages with client-go's pager, as kubectl does,
// holding at most one page (plus the one being fetched) at a time.
type Lister struct {
	Client kubernetes.Interface
	// PageSize is the number of objects per request; 0 lists each
	// resource in one response.
	PageSize int64
	// Namespace restricts namespaced resources to one namespace; the
	// namespace itself is then read with get, and cluster-scoped resources
	// other than namespaces are still listed whole.
	Namespace string
}

// Each lists each resource in turn and calls fn with every object, typed,
// with its apiVersion and kind set and its managedFields dropped. The
// object is fn's to keep; pages are not retained by the Lister. An error
// names the resource; fn's error stops the listing and is returned.
func (l *Lister) Each(ctx context.Context, resources []Resource, fn func(runtime.Object) error) error {
	for _, r := range resources {
		emit := func(o runtime.Object) error {
			o.GetObjectKind().SetGroupVersionKind(r.Kind)
			if m, ok := o.(metav1.Object); ok {
				m.SetManagedFields(nil)
			}
			return fn(o)
		}
		if l.Namespace != "" && r.Resource == "namespaces" {
			ns, err := l.Client.CoreV1().Namespaces().Get(ctx, l.Namespace, metav1.GetOptions{})
			if err != nil {
				return fmt.Errorf("getting namespace %q: %w", l.Namespace, err)
			}
			if err := emit(ns); err != nil {
				return err
			}
			continue
		}
		ns := ""
		if r.Namespaced {
			ns = l.Namespace
		}
		pg := pager.New(r.list(l.Client, ns))
		pg.PageSize = l.PageSize
		pg.PageBufferSize = 1
		if err := pg.EachListItemWithAlloc(ctx, metav1.ListOptions{}, emit); err != nil {
			where := r.Resource
			if ns != "" {
				where += " in namespace " + ns
			}
			return fmt.Errorf("listing %s: %w", where, err)
		}
	}
	return nil
}

// RBACResources are what the RBAC authorizer and its risks read from a
// cluster: roles and bindings, service accounts, namespaces, resource
// quotas, and pods (the workload risks).
var RBACResources = Named(AuditResources, "clusterroles", "clusterrolebindings", "roles", "rolebindings",
	"serviceaccounts", "namespaces", "resourcequotas", "pods")

// Policy lists resources (RBACResources or a part of it) and adds every
// object to a new RBAC policy as a cluster object, the cluster's default
// policy marked as such. The cluster's aggregation controller has already
// aggregated its ClusterRoles, and its service accounts are all listed when
// resources include serviceaccounts.
func (l *Lister) Policy(ctx context.Context, resources []Resource) (*rbac.Policy, error) {
	p := &rbac.Policy{}
	err := l.Each(ctx, resources, func(o runtime.Object) error {
		p.Add(o, rbac.Source{Cluster: true, Default: rbac.IsBootstrap(o)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	p.ServiceAccountsListed = slices.ContainsFunc(resources, func(r Resource) bool { return r.Resource == "serviceaccounts" }) && l.Namespace == ""
	return p, nil
}
