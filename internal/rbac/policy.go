package rbac

import (
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
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
	Spec       *corev1.PodSpec
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
}

// Add files obj under its kind and records src. It reports whether obj is a
// kind the engine uses; other objects are ignored.
func (p *Policy) Add(obj runtime.Object, src Source) bool {
	var key ObjectKey
	switch o := obj.(type) {
	case *rbacv1.Role:
		p.Roles = append(p.Roles, o)
		key = ObjectKey{"Role", o.Namespace, o.Name}
	case *rbacv1.ClusterRole:
		p.ClusterRoles = append(p.ClusterRoles, o)
		key = ObjectKey{"ClusterRole", "", o.Name}
	case *rbacv1.RoleBinding:
		p.RoleBindings = append(p.RoleBindings, o)
		key = ObjectKey{"RoleBinding", o.Namespace, o.Name}
	case *rbacv1.ClusterRoleBinding:
		p.ClusterRoleBindings = append(p.ClusterRoleBindings, o)
		key = ObjectKey{"ClusterRoleBinding", "", o.Name}
	case *corev1.ServiceAccount:
		p.ServiceAccounts = append(p.ServiceAccounts, o)
		key = ObjectKey{"ServiceAccount", o.Namespace, o.Name}
	case *corev1.Namespace:
		p.Namespaces = append(p.Namespaces, o)
		key = ObjectKey{"Namespace", "", o.Name}
	case *corev1.ResourceQuota:
		p.ResourceQuotas = append(p.ResourceQuotas, o)
		key = ObjectKey{"ResourceQuota", o.Namespace, o.Name}
	default:
		w, ok := workloadOf(obj)
		if !ok {
			return false
		}
		p.Workloads = append(p.Workloads, w)
		key = w.Key
	}
	if p.Sources == nil {
		p.Sources = map[ObjectKey]Source{}
	}
	p.Sources[key] = src
	return true
}

func workloadOf(obj runtime.Object) (Workload, bool) {
	mk := func(kind, apiVersion, ns, name string, spec *corev1.PodSpec) (Workload, bool) {
		return Workload{Key: ObjectKey{kind, ns, name}, APIVersion: apiVersion, Spec: spec}, true
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
