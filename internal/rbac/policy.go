package rbac

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Source locates an object in the input: File and the 1-based Line where its
// document starts, or Cluster for objects read from a live cluster.
type Source struct {
	File    string
	Line    int
	Cluster bool
	// Default marks objects of Kubernetes' bootstrap policy (see
	// internal/rbac/bootstrap); risks are not reported on them.
	Default bool
}

// ObjectKey names an object: Kind, Namespace (empty for cluster-scoped kinds) and Name.
type ObjectKey struct {
	Kind, Namespace, Name string
}

func (k ObjectKey) String() string {
	if k.Namespace == "" {
		return k.Kind + "/" + k.Name
	}
	return k.Kind + "/" + k.Namespace + "/" + k.Name
}

// Workload is a pod, or an object with a pod template, that runs as a service account.
type Workload struct {
	Key        ObjectKey
	APIVersion string
	// Spec holds the fields of the pod template the rules read (service
	// account and token automounting); Add keeps only those.
	Spec *corev1.PodSpec
}

// Policy is the set of objects the engine reasons about. Build it with Add
// (or by filling the slices); it must not change once an Index is built from it.
type Policy struct {
	Roles               []*rbacv1.Role
	ClusterRoles        []*rbacv1.ClusterRole
	RoleBindings        []*rbacv1.RoleBinding
	ClusterRoleBindings []*rbacv1.ClusterRoleBinding

	// Objects the risk rules look at besides RBAC.
	ServiceAccounts []*corev1.ServiceAccount
	Namespaces      []*corev1.Namespace
	ResourceQuotas  []*corev1.ResourceQuota
	Workloads       []Workload

	// Sources records where each object came from; objects without an entry
	// have an unknown origin.
	Sources map[ObjectKey]Source
	// ServiceAccountsListed says ServiceAccounts holds every service account
	// that exists (true for a live cluster), so a binding to another one is
	// dangling. When false, only namespaces that have at least one
	// ServiceAccount in the input are checked.
	ServiceAccountsListed bool
	// Duplicates lists objects given twice (see Add).
	Duplicates []error
}

// Add files obj under its kind and records src. It reports whether obj is a
// kind the engine uses; other objects are ignored. An object whose kind,
// namespace and name were already added replaces the earlier one, as a later
// `kubectl apply` would: silently when the earlier one is part of the default
// policy, else with a problem recorded in Duplicates. A default-policy object
// never replaces one of the user's.
func (p *Policy) Add(obj runtime.Object, src Source) bool {
	switch o := obj.(type) {
	case *rbacv1.Role:
		addObject(p, "Role", true, &p.Roles, o, src)
	case *rbacv1.ClusterRole:
		addObject(p, "ClusterRole", false, &p.ClusterRoles, o, src)
	case *rbacv1.RoleBinding:
		addObject(p, "RoleBinding", true, &p.RoleBindings, o, src)
	case *rbacv1.ClusterRoleBinding:
		addObject(p, "ClusterRoleBinding", false, &p.ClusterRoleBindings, o, src)
	case *corev1.ServiceAccount:
		addObject(p, "ServiceAccount", true, &p.ServiceAccounts, o, src)
	case *corev1.Namespace:
		addObject(p, "Namespace", false, &p.Namespaces, o, src)
	case *corev1.ResourceQuota:
		addObject(p, "ResourceQuota", true, &p.ResourceQuotas, o, src)
	default:
		w, ok := workloadOf(obj)
		if !ok {
			return false
		}
		if ok, dup := p.admit(w.Key, src); ok {
			upsert(dup, &p.Workloads, w, func(x Workload) bool { return x.Key == w.Key })
		}
	}
	return true
}

// addObject records o of kind in list, keyed by its namespace and name; a
// cluster-scoped kind is keyed by name alone (a namespace written on it in a
// manifest is ignored, as the API server ignores it).
func addObject[T metav1.Object](p *Policy, kind string, namespaced bool, list *[]T, o T, src Source) {
	ns, name := "", o.GetName()
	if namespaced {
		ns = o.GetNamespace()
	}
	if ok, dup := p.admit(ObjectKey{kind, ns, name}, src); ok {
		upsert(dup, list, o, func(x T) bool { return (!namespaced || x.GetNamespace() == ns) && x.GetName() == name })
	}
}

// admit decides whether an object with key from src is recorded, records
// its source, and says whether it replaces an earlier one.
func (p *Policy) admit(key ObjectKey, src Source) (ok, dup bool) {
	if p.Sources == nil {
		p.Sources = map[ObjectKey]Source{}
	}
	old, dup := p.Sources[key]
	if dup {
		switch {
		case src.Default && !old.Default:
			return false, true
		case !src.Default && !old.Default:
			p.Duplicates = append(p.Duplicates, fmt.Errorf("%s is defined twice, at %s and %s; the latter is used", key, old, src))
		}
	}
	p.Sources[key] = src
	return true, dup
}

// upsert appends v, or when dup replaces the element matching same.
func upsert[T any](dup bool, list *[]T, v T, same func(T) bool) {
	for i := range *list {
		if !dup {
			break
		}
		if same((*list)[i]) {
			(*list)[i] = v
			return
		}
	}
	*list = append(*list, v)
}

// String renders a source as file:line, "cluster" or "default policy".
func (s Source) String() string {
	switch {
	case s.Default:
		return "default policy"
	case s.Cluster:
		return "cluster"
	case s.Line > 0:
		return fmt.Sprintf("%s:%d", s.File, s.Line)
	case s.File != "":
		return s.File
	}
	return "unknown source"
}

func workloadOf(obj runtime.Object) (Workload, bool) {
	mk := func(kind, apiVersion, ns, name string, spec *corev1.PodSpec) (Workload, bool) {
		// Keep only what the risk rules read, so that a policy built while
		// streaming a large manifest tree does not hold every workload.
		slim := &corev1.PodSpec{
			ServiceAccountName:           spec.ServiceAccountName,
			DeprecatedServiceAccount:     spec.DeprecatedServiceAccount,
			AutomountServiceAccountToken: spec.AutomountServiceAccountToken,
		}
		return Workload{Key: ObjectKey{kind, ns, name}, APIVersion: apiVersion, Spec: slim}, true
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		return mk("Pod", "v1", o.Namespace, o.Name, &o.Spec)
	case *corev1.ReplicationController:
		if o.Spec.Template == nil {
			return Workload{}, false
		}
		return mk("ReplicationController", "v1", o.Namespace, o.Name, &o.Spec.Template.Spec)
	case *appsv1.Deployment:
		return mk("Deployment", "apps/v1", o.Namespace, o.Name, &o.Spec.Template.Spec)
	case *appsv1.ReplicaSet:
		return mk("ReplicaSet", "apps/v1", o.Namespace, o.Name, &o.Spec.Template.Spec)
	case *appsv1.StatefulSet:
		return mk("StatefulSet", "apps/v1", o.Namespace, o.Name, &o.Spec.Template.Spec)
	case *appsv1.DaemonSet:
		return mk("DaemonSet", "apps/v1", o.Namespace, o.Name, &o.Spec.Template.Spec)
	case *batchv1.Job:
		return mk("Job", "batch/v1", o.Namespace, o.Name, &o.Spec.Template.Spec)
	case *batchv1.CronJob:
		return mk("CronJob", "batch/v1", o.Namespace, o.Name, &o.Spec.JobTemplate.Spec.Template.Spec)
	}
	return Workload{}, false
}
