// Package cluster connects kubeward to a live cluster through client-go: a
// client from a kubeconfig file or the in-cluster service account, and the
// read-only views the admission decision needs (namespaces from an informer
// cache, pods and workloads listed live for the namespace dry-run).
package cluster

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
)

// Config returns the client configuration: from kubeconfig when it is not
// empty, else the in-cluster service account. userAgent names the caller in
// the API server's logs.
func Config(kubeconfig, userAgent string) (*rest.Config, error) {
	var (
		cfg *rest.Config
		err error
	)
	if kubeconfig != "" {
		cfg, err = clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("loading kubeconfig %s: %w", kubeconfig, err)
		}
	} else {
		cfg, err = rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("no kubeconfig given and not running in a cluster: %w", err)
		}
	}
	cfg = rest.CopyConfig(cfg)
	// Namespace lookups that miss the cache and dry-run pod lists are rare
	// bursts; give them room beyond client-go's default 5 QPS.
	if cfg.QPS == 0 {
		cfg.QPS = 50
		cfg.Burst = 100
	}
	return rest.AddUserAgent(cfg, userAgent), nil
}

// Namespaces is a namespace cache backed by a shared informer. It implements
// admission.NamespaceGetter. Create it with NewNamespaces, then Start it.
type Namespaces struct {
	client  kubernetes.Interface
	factory informers.SharedInformerFactory
	lister  corev1listers.NamespaceLister
	synced  cache.InformerSynced
}

// NewNamespaces builds a namespace cache over client. Nothing runs until Start.
func NewNamespaces(client kubernetes.Interface) *Namespaces {
	f := informers.NewSharedInformerFactory(client, 0 /* no resync: watch events suffice */)
	inf := f.Core().V1().Namespaces()
	return &Namespaces{client: client, factory: f, lister: inf.Lister(), synced: inf.Informer().HasSynced}
}

// Start starts the informer; it stops when ctx is done.
func (n *Namespaces) Start(ctx context.Context) { n.factory.Start(ctx.Done()) }

// Synced reports whether the initial list has been loaded. It is cheap
// enough for every /readyz probe.
func (n *Namespaces) Synced() bool { return n.synced() }

// WaitForSync blocks until the cache has synced or ctx is done.
func (n *Namespaces) WaitForSync(ctx context.Context) error {
	if !cache.WaitForCacheSync(ctx.Done(), n.synced) {
		return fmt.Errorf("waiting for the namespace cache: %w", context.Cause(ctx))
	}
	return nil
}

// Get returns the named namespace from the cache. On a cache miss (a
// namespace created a moment ago whose watch event has not arrived, or a
// cache that has not synced yet) it asks the API server directly, as
// Kubernetes' own webhook does, within ctx's deadline — with a list limited
// to that name, so that the webhook needs no permission beyond list and
// watch. An error, including a namespace that does not exist, makes the
// decision fail closed for pods (denied) and open for workloads (admitted
// with an "error" audit annotation), as in Kubernetes. The returned
// namespace is shared and must not be modified.
func (n *Namespaces) Get(ctx context.Context, name string) (*corev1.Namespace, error) {
	ns, err := n.lister.Get(name)
	if err == nil {
		return ns, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, err
	}
	list, err := n.client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String(),
	})
	if err != nil {
		return nil, fmt.Errorf("getting namespace %q: %w", name, err)
	}
	for i := range list.Items {
		if list.Items[i].Name == name {
			return &list.Items[i], nil
		}
	}
	return nil, apierrors.NewNotFound(corev1.Resource("namespaces"), name)
}

// Pods lists pods live from the API server, for the namespace dry-run (a
// pod cache of the whole cluster would cost far more memory than these
// rare lists). It implements admission.PodLister.
type Pods struct{ Client kubernetes.Interface }

// ListPods implements admission.PodLister.
func (p Pods) ListPods(ctx context.Context, namespace string) ([]*corev1.Pod, error) {
	list, err := p.Client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing pods in namespace %q: %w", namespace, err)
	}
	out := make([]*corev1.Pod, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}

// Workloads lists the workload resources with pod templates live, for
// kubeward's full namespace dry-run. It needs list permission on each of
// them (deploy/ grants it only in the full-dry-run overlay). It implements
// admission.WorkloadLister.
type Workloads struct{ Client kubernetes.Interface }

// ListWorkloads implements admission.WorkloadLister. It returns every
// Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob,
// ReplicationController and PodTemplate in namespace; an error names the
// first resource that could not be listed.
func (w Workloads) ListWorkloads(ctx context.Context, namespace string) ([]runtime.Object, error) {
	c, opts := w.Client, metav1.ListOptions{}
	var out []runtime.Object
	var errs []error
	check := func(resource string, err error) bool {
		if err != nil {
			errs = append(errs, fmt.Errorf("listing %s in namespace %q: %w", resource, namespace, err))
		}
		return err == nil
	}
	if l, err := c.AppsV1().Deployments(namespace).List(ctx, opts); check("deployments", err) {
		out = appendAll(out, l.Items)
	}
	if l, err := c.AppsV1().ReplicaSets(namespace).List(ctx, opts); check("replicasets", err) {
		out = appendAll(out, l.Items)
	}
	if l, err := c.AppsV1().StatefulSets(namespace).List(ctx, opts); check("statefulsets", err) {
		out = appendAll(out, l.Items)
	}
	if l, err := c.AppsV1().DaemonSets(namespace).List(ctx, opts); check("daemonsets", err) {
		out = appendAll(out, l.Items)
	}
	if l, err := c.BatchV1().Jobs(namespace).List(ctx, opts); check("jobs", err) {
		out = appendAll(out, l.Items)
	}
	if l, err := c.BatchV1().CronJobs(namespace).List(ctx, opts); check("cronjobs", err) {
		out = appendAll(out, l.Items)
	}
	if l, err := c.CoreV1().ReplicationControllers(namespace).List(ctx, opts); check("replicationcontrollers", err) {
		out = appendAll(out, l.Items)
	}
	if l, err := c.CoreV1().PodTemplates(namespace).List(ctx, opts); check("podtemplates", err) {
		out = appendAll(out, l.Items)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func appendAll[T any, PT interface {
	*T
	runtime.Object
}](out []runtime.Object, items []T) []runtime.Object {
	for i := range items {
		out = append(out, PT(&items[i]))
	}
	return out
}

// StaticNamespaces is a fixed set of namespaces, for tests and the load
// test; it implements admission.NamespaceGetter. Unknown names are an error
// (not found), exactly as a live lookup would report them.
type StaticNamespaces map[string]*corev1.Namespace

// Get implements admission.NamespaceGetter.
func (s StaticNamespaces) Get(_ context.Context, name string) (*corev1.Namespace, error) {
	if ns, ok := s[name]; ok {
		return ns, nil
	}
	return nil, apierrors.NewNotFound(corev1.Resource("namespaces"), name)
}
