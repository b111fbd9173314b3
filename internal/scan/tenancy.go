package scan

import (
	"errors"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/netpol"
	"github.com/kubeward/kubeward/internal/rbac"
	"github.com/kubeward/kubeward/internal/report"
	"github.com/kubeward/kubeward/internal/tenancy"
)

// tenancyAnalyzer judges tenant isolation per bundle (see
// internal/tenancy): NetworkPolicy connectivity from the engine, quotas,
// Pod Security labels and the RBAC scope of tenant subjects.
type tenancyAnalyzer struct {
	label   string
	rules   map[string]finding.Rule
	bundles []*tenancyBundle
	section *tenancy.Section
	// live is set by the first live object (see bundlePolicy).
	live bool
}

type tenancyBundle struct {
	net netpol.Builder
	// pre tells when the bundle cannot have tenants; then its network is
	// only validated, not built.
	pre    tenancy.Precheck
	quotas []tenancy.Located[*corev1.ResourceQuota]
	lrs    []tenancy.Located[*corev1.LimitRange]
	rcs    []tenancy.Located[*nodev1.RuntimeClass]
	nodes  []tenancy.Located[*corev1.Node]
	scs    []tenancy.Located[*storagev1.StorageClass]
	// rbac holds the RBAC objects and quotas, made into a policy only
	// when the bundle has tenants.
	rbac []tenancyKept
}

type tenancyKept struct {
	obj runtime.Object
	src netpol.Source
	// rsrc is the object's source for the RBAC authorizer.
	rsrc rbac.Source
}

func newTenancyAnalyzer(registry *finding.Registry, label string) *tenancyAnalyzer {
	a := &tenancyAnalyzer{label: label, rules: map[string]finding.Rule{}}
	for _, r := range tenancy.Rules() {
		if rr, ok := registry.Lookup(r.ID); ok {
			a.rules[r.ID] = rr
		}
	}
	return a
}

func (a *tenancyAnalyzer) Family() string { return tenancy.RuleFamily }

func (a *tenancyAnalyzer) Object(*Object, Emit) {}

func (a *tenancyAnalyzer) Keep(o *Object) any {
	a.live = a.live || o.Live
	src := netpol.Source{File: o.File, Line: o.Line}
	switch o.Object.Object.(type) {
	case *corev1.Pod, *corev1.ReplicationController, *appsv1.Deployment, *appsv1.ReplicaSet,
		*appsv1.StatefulSet, *appsv1.DaemonSet, *batchv1.Job, *batchv1.CronJob,
		*corev1.Namespace, *corev1.Service, *networkingv1.NetworkPolicy:
		// Held until Finish: keep only what the engine reads.
		return tenancyKept{obj: netpol.Trim(o.Object.Object), src: src}
	case *corev1.ResourceQuota, *corev1.LimitRange, *corev1.ServiceAccount,
		*rbacv1.Role, *rbacv1.ClusterRole, *rbacv1.RoleBinding, *rbacv1.ClusterRoleBinding,
		*nodev1.RuntimeClass, *corev1.Node, *storagev1.StorageClass:
		return tenancyKept{obj: o.Object.Object, src: src, rsrc: rbacSource(o)}
	}
	return nil
}

func (a *tenancyAnalyzer) Add(kept any, bundle int) {
	for len(a.bundles) <= bundle {
		a.bundles = append(a.bundles, &tenancyBundle{pre: tenancy.Precheck{TenantLabel: a.label}})
	}
	b := a.bundles[bundle]
	k := kept.(tenancyKept)
	b.pre.Add(k.obj)
	switch o := k.obj.(type) {
	case *corev1.ResourceQuota:
		b.quotas = append(b.quotas, tenancy.Located[*corev1.ResourceQuota]{Object: o, Source: k.src})
		b.rbac = append(b.rbac, k)
	case *corev1.LimitRange:
		b.lrs = append(b.lrs, tenancy.Located[*corev1.LimitRange]{Object: o, Source: k.src})
	case *nodev1.RuntimeClass:
		b.rcs = append(b.rcs, tenancy.Located[*nodev1.RuntimeClass]{Object: o, Source: k.src})
	case *corev1.Node:
		b.nodes = append(b.nodes, tenancy.Located[*corev1.Node]{Object: o, Source: k.src})
	case *storagev1.StorageClass:
		b.scs = append(b.scs, tenancy.Located[*storagev1.StorageClass]{Object: o, Source: k.src})
	case *corev1.ServiceAccount, *rbacv1.Role, *rbacv1.ClusterRole, *rbacv1.RoleBinding, *rbacv1.ClusterRoleBinding:
		b.rbac = append(b.rbac, k)
	default:
		b.net.Add(k.obj, k.src)
	}
}

func (a *tenancyAnalyzer) Finish(emit Emit, problem func(Problem)) {
	for i, b := range a.bundles {
		a.bundles[i] = nil
		report := func(err error) {
			for _, e := range unjoinErrs(err) {
				var ne *netpol.Error
				if errors.As(e, &ne) && !ne.Warning {
					problem(Problem{File: ne.Source.File, Line: ne.Source.Line, Message: ne.Object + ": " + ne.Err.Error()})
				}
			}
		}
		if !b.pre.MayBeActive() {
			report(b.net.Validate())
			continue
		}
		n, err := b.net.Build()
		report(err)
		if !tenancy.Active(n, a.label) {
			continue
		}
		p := bundlePolicy(a.live)
		for _, k := range b.rbac {
			p.Add(k.obj, k.rsrc)
		}
		fs, sec := tenancy.Evaluate(tenancy.Input{
			Network: n, Quotas: b.quotas, LimitRanges: b.lrs, TenantLabel: a.label, Rules: a.rules,
			RuntimeClasses: b.rcs, Nodes: b.nodes, StorageClasses: b.scs,
			RBAC: bundleIndex(p, a.live),
		})
		for _, f := range fs {
			emit(nil, f)
		}
		if a.section == nil {
			a.section = sec
		} else {
			a.section.Namespaces = append(a.section.Namespaces, sec.Namespaces...)
		}
	}
}

// Sections returns the "tenancy" section when some bundle had tenants.
func (a *tenancyAnalyzer) Sections() []report.Section {
	if a.section == nil {
		return nil
	}
	return []report.Section{{Name: "tenancy", Value: a.section, Text: a.section.WriteText}}
}

func unjoinErrs(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
