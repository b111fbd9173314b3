package rbac

import (
	"fmt"
	"maps"
	"slices"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeward/kubeward/internal/rbac/bootstrap"
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
// (or by filling the slices); it must not change once an Index is built from
// it. Objects are kept by pointer and never modified: callers must not
// modify them either (a clone shares them, see Clone).
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
	// Duplicates lists objects given twice (see Add); each is a warning.
	Duplicates []*Problem

	// pos is the position of each object added by Add in its kind's slice,
	// so that replacing a duplicate costs O(1).
	pos map[ObjectKey]int
}

// Add files obj under its kind and records src. It reports whether obj is a
// kind the engine uses; other objects are ignored.
//
// An object whose kind, namespace and name were already added replaces the
// earlier one, as a later `kubectl apply` would: silently when the earlier
// one is part of the default policy, else with a warning recorded in
// Duplicates. A default-policy object never replaces one of the user's.
// Replacing costs O(1) (an index from key to position), so a policy of N
// objects is built in O(N) whatever the number of duplicates.
//
// An object with metadata.generateName and no name (made for `kubectl
// create`, where the API server appends a random suffix) is never a
// duplicate: Add keeps a copy named generateName + "<generated>" (then
// "<generated-2>", ...), a name no manifest can spell and no roleRef can
// match, as no roleRef can name an object whose name is not known yet.
// Its GetGenerateName still returns generateName.
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
		if m, ok := obj.(metav1.Object); ok && w.Key.Name == "" && m.GetGenerateName() != "" {
			w.Key.Name = p.generatedName(w.Key.Kind, w.Key.Namespace, m.GetGenerateName())
		}
		if ok, at := p.admit(w.Key, src); ok {
			place(p, w.Key, at, &p.Workloads, w, func(x Workload) bool { return x.Key == w.Key })
		}
	}
	return true
}

// object is what every kind kept by a Policy is: a typed Kubernetes object.
type object interface {
	metav1.Object
	runtime.Object
}

// addObject records o of kind in list, keyed by its namespace and name; a
// cluster-scoped kind is keyed by name alone (a namespace written on it in a
// manifest is ignored, as the API server ignores it).
func addObject[T object](p *Policy, kind string, namespaced bool, list *[]T, o T, src Source) {
	ns, name := "", o.GetName()
	if namespaced {
		ns = o.GetNamespace()
	}
	if name == "" && o.GetGenerateName() != "" {
		name = p.generatedName(kind, ns, o.GetGenerateName())
		o = o.DeepCopyObject().(T) // the caller's object is not ours to rename
		o.SetName(name)
	}
	key := ObjectKey{kind, ns, name}
	if ok, at := p.admit(key, src); ok {
		place(p, key, at, list, o, func(x T) bool { return (!namespaced || x.GetNamespace() == ns) && x.GetName() == name })
	}
}

// generatedName returns the name a generateName object of kind in ns is
// kept under: generateName followed by "<generated>", numbered from the
// second one on, unused so far.
func (p *Policy) generatedName(kind, ns, generateName string) string {
	name := generateName + "<generated>"
	for i := 2; ; i++ {
		if _, used := p.Sources[ObjectKey{kind, ns, name}]; !used {
			return name
		}
		name = fmt.Sprintf("%s<generated-%d>", generateName, i)
	}
}

// admit decides whether an object with key from src is recorded and records
// its source. at is the position, in its kind's slice, of the object it
// replaces; -1 when there is none, -2 when there is one at an unknown
// position (the slices were filled by hand).
func (p *Policy) admit(key ObjectKey, src Source) (ok bool, at int) {
	if p.Sources == nil {
		p.Sources = map[ObjectKey]Source{}
	}
	old, dup := p.Sources[key]
	if dup {
		switch {
		case src.Default && !old.Default:
			return false, 0
		case !src.Default && !old.Default:
			p.Duplicates = append(p.Duplicates, &Problem{
				Source: src, Object: key, Warning: true,
				Message: fmt.Sprintf("defined twice, at %s and %s; the latter is used", old, src),
			})
		}
	}
	p.Sources[key] = src
	if !dup {
		return true, -1
	}
	if i, ok := p.pos[key]; ok {
		return true, i
	}
	return true, -2
}

// place puts v in list: at position at when it replaces an object there,
// else appended; same recognises the replaced object when its position is
// unknown or stale (slices changed by hand).
func place[T any](p *Policy, key ObjectKey, at int, list *[]T, v T, same func(T) bool) {
	if at >= 0 && at < len(*list) && same((*list)[at]) {
		(*list)[at] = v
		return
	}
	if p.pos == nil {
		p.pos = map[ObjectKey]int{}
	}
	if at != -1 {
		for i := range *list {
			if same((*list)[i]) {
				(*list)[i] = v
				p.pos[key] = i
				return
			}
		}
	}
	p.pos[key] = len(*list)
	*list = append(*list, v)
}

// Clone returns a copy of p that can be extended with Add independently of
// p: slices, Sources and the position index are copied, the objects
// themselves are shared (they are never modified). Its cost is linear in
// the number of objects, with no decoding: about 60 µs of CPU for the
// default policy's 141 objects (BenchmarkPolicyPerBundle), against about
// 45 ms to decode and add them again.
func (p *Policy) Clone() *Policy {
	c := *p
	c.Roles = slices.Clone(p.Roles)
	c.ClusterRoles = slices.Clone(p.ClusterRoles)
	c.RoleBindings = slices.Clone(p.RoleBindings)
	c.ClusterRoleBindings = slices.Clone(p.ClusterRoleBindings)
	c.ServiceAccounts = slices.Clone(p.ServiceAccounts)
	c.Namespaces = slices.Clone(p.Namespaces)
	c.ResourceQuotas = slices.Clone(p.ResourceQuotas)
	c.Workloads = slices.Clone(p.Workloads)
	c.Duplicates = slices.Clone(p.Duplicates)
	c.Sources = maps.Clone(p.Sources)
	c.pos = maps.Clone(p.pos)
	return &c
}

var defaults struct {
	once   sync.Once
	policy *Policy
	err    error
}

// NewPolicyWithDefaults returns a new policy holding Kubernetes' default
// (bootstrap) policy, every object with Source{Default: true}, as a real
// cluster always has it; add the input's objects with Add. The default
// objects are decoded once per process and shared by every policy returned
// (a clone, see Clone), so a policy per bundle of input is cheap. Safe for
// concurrent use.
func NewPolicyWithDefaults() (*Policy, error) {
	defaults.once.Do(func() {
		objs, err := bootstrap.Objects()
		if err != nil {
			defaults.err = fmt.Errorf("default RBAC policy: %w", err)
			return
		}
		p := &Policy{}
		for _, o := range objs {
			p.Add(o, Source{Default: true})
		}
		defaults.policy = p
	})
	if defaults.err != nil {
		return nil, defaults.err
	}
	return defaults.policy.Clone(), nil
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
