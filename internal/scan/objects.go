package scan

import (
	"encoding/json"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeward/kubeward/internal/apiversions"
	"github.com/kubeward/kubeward/internal/kinds"
	"github.com/kubeward/kubeward/internal/manifest"
)

// objectLayer resolves, once for every analyzer, what real repositories
// leave implicit:
//
//   - Namespaced objects without metadata.namespace are meant for
//     `kubectl apply -n NAMESPACE`: they get the scan's namespace (-n,
//     default "default"). Cluster-scoped kinds, and kinds whose scope is
//     unknown (custom resources), are left alone.
//   - Objects in API versions Kubernetes no longer serves are marked with
//     the version that removed them; workloads keep being evaluated on
//     their pod template, and RBAC objects of rbac.authorization.k8s.io
//     v1beta1/v1alpha1 are converted to v1 (the same fields) so the RBAC
//     rules see them.
//   - Files are grouped into bundles for the cross-object rules (see
//     bundler).
type objectLayer struct {
	namespace string
	file      string
	bundles   bundler
}

// resolve gives mo the namespace and API version information the object
// layer resolves: what depends on the object alone (and the scan's
// namespace), so it runs wherever the object is evaluated (see
// Scanner.prepare).
func resolve(mo *manifest.Object, namespace string) *Object {
	o := &Object{Object: mo}
	if mo.Namespace == "" && kinds.SetDefaultNamespace(mo.Object, namespace) {
		mo.Namespace = namespace
		o.DefaultedNamespace = true
	}
	if r, ok := apiversions.Removed(mo.APIVersion, mo.Kind); ok {
		o.RemovedIn, o.Replacement = r.RemovedIn, r.Replacement
		if conv := convertRBAC(mo.Object); conv != nil {
			mo.Object = conv
		}
	}
	return o
}

// add records o in the current file for the bundler; objects come in
// input order.
func (l *objectLayer) add(o *Object) {
	if o.Name != "" {
		l.bundles.add(objectID(o.Object))
	}
}

// objectID identifies an object for the bundler: kind, namespace, name.
func objectID(mo *manifest.Object) string {
	return mo.Kind + "/" + mo.Namespace + "/" + mo.Name
}

// repeats reports whether the current file already defined mo, in the
// namespace the object layer will give it.
func (l *objectLayer) repeats(mo *manifest.Object) bool {
	if mo.Name == "" {
		return false
	}
	ns := mo.Namespace
	if ns == "" && kinds.Namespaced(mo.APIVersion, mo.Kind) {
		ns = l.namespace
	}
	return l.bundles.current[mo.Kind+"/"+ns+"/"+mo.Name]
}

// endFile closes the current file and returns its bundle.
func (l *objectLayer) endFile() int { return l.bundles.endFile() }

// convertRBAC returns the rbac.authorization.k8s.io/v1 form of an RBAC
// object of a removed version (v1alpha1 and v1beta1 have the same fields,
// under other Go types), or nil for any other object.
func convertRBAC(obj runtime.Object) runtime.Object {
	var out runtime.Object
	switch obj.GetObjectKind().GroupVersionKind().Kind {
	case "Role":
		out = &rbacv1.Role{}
	case "ClusterRole":
		out = &rbacv1.ClusterRole{}
	case "RoleBinding":
		out = &rbacv1.RoleBinding{}
	case "ClusterRoleBinding":
		out = &rbacv1.ClusterRoleBinding{}
	default:
		return nil
	}
	if obj.GetObjectKind().GroupVersionKind().Group != rbacv1.GroupName {
		return nil
	}
	data, err := json.Marshal(obj)
	if err != nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return nil
	}
	out.GetObjectKind().SetGroupVersionKind(rbacv1.SchemeGroupVersion.WithKind(obj.GetObjectKind().GroupVersionKind().Kind))
	return out
}

// bundler groups files into bundles for the cross-object rules.
//
// A repository often holds alternatives side by side: install.yaml and
// ha/install.yaml, one manifest per cloud provider, overlays. Each defines
// the same objects and is applied alone. Merging them would make one copy
// replace the other (findings would name only the last file, and a
// binding in one file would be judged with a role of another), so a file
// that defines an object an earlier file of its bundle already defines
// starts a later bundle instead. Precisely: a file's bundle is the lowest
// index above every bundle that already holds one of its objects (kind,
// namespace and name); files that conflict with nothing stay together in
// bundle 0, so objects split over several files (a role here, its binding
// there) are judged together. Files are taken in input order, so the
// grouping is deterministic, and it costs one map look-up per object.
// An object defined again within one file (the same source file rendered
// by two kustomizations, or a file repeating itself) starts a new unit
// there, so each copy is judged with its own line, as copies in separate
// files are.
type bundler struct {
	// next[key] is the lowest bundle a later file with key may join.
	next    map[string]int
	keys    []string        // of the current file
	current map[string]bool // the same keys, for look-ups
}

func (b *bundler) add(key string) {
	if b.current == nil {
		b.current = map[string]bool{}
	}
	b.keys = append(b.keys, key)
	b.current[key] = true
}

func (b *bundler) endFile() int {
	if b.next == nil {
		b.next = map[string]int{}
	}
	bundle := 0
	for _, k := range b.keys {
		bundle = max(bundle, b.next[k])
	}
	for _, k := range b.keys {
		b.next[k] = bundle + 1
	}
	b.keys = b.keys[:0]
	clear(b.current)
	return bundle
}
