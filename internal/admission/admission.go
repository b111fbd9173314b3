package admission

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeward/kubeward/internal/podsecurity"
)

// Kubernetes' limits for checking existing pods when a namespace's enforce
// level changes.
const (
	DefaultNamespaceMaxPodsToCheck  = 3000
	DefaultNamespacePodCheckTimeout = time.Second
)

// NamespaceGetter returns a namespace by name. An error (including not found)
// makes pod requests fail closed and workload requests fail open, as in Kubernetes.
type NamespaceGetter interface {
	Get(ctx context.Context, name string) (*corev1.Namespace, error)
}

// PodLister lists a namespace's pods for the namespace dry-run. The decision
// never modifies the returned pods or slice.
type PodLister interface {
	ListPods(ctx context.Context, namespace string) ([]*corev1.Pod, error)
}

// WorkloadLister lists a namespace's workloads (typed *appsv1.Deployment,
// *batchv1.CronJob, ... objects) for the full namespace dry-run. The decision
// never modifies the returned objects or slice.
type WorkloadLister interface {
	ListWorkloads(ctx context.Context, namespace string) ([]runtime.Object, error)
}

// Options configures an Admission. Config, Namespaces and Pods are required.
type Options struct {
	// Config is the PodSecurityConfiguration (defaults and exemptions), as
	// returned by LoadConfig or ParseConfig. Nil means DefaultConfig().
	Config *PodSecurityConfiguration
	// Exemptions are kubeward's narrow exemptions, as returned by
	// LoadExemptions or ParseExemptions. Nil means none.
	Exemptions *ExemptionsConfig
	// Evaluator evaluates pods. Nil means podsecurity.Default.
	Evaluator *podsecurity.Evaluator
	// Namespaces returns namespaces by name (normally from an informer cache).
	Namespaces NamespaceGetter
	// Pods lists existing pods for the namespace dry-run.
	Pods PodLister
	// Workloads lists workloads for the full namespace dry-run; required when
	// FullNamespaceDryRun is set.
	Workloads WorkloadLister
	// Recorder receives metric events. Nil means NopRecorder.
	Recorder Recorder
	// FullNamespaceDryRun is kubeward's opt-in namespace dry-run: when a
	// namespace's enforce level changes, every pod is checked (no pod count
	// or time budget beyond the request's own deadline) and so are the pod
	// templates of the namespace's workloads (including Deployments scaled to
	// zero and CronJobs). Off, the dry-run is exactly Kubernetes'.
	FullNamespaceDryRun bool
	// NamespaceMaxPodsToCheck and NamespacePodCheckTimeout bound the
	// Kubernetes dry-run. Zero means Kubernetes' values (3000 pods, 1s).
	NamespaceMaxPodsToCheck  int
	NamespacePodCheckTimeout time.Duration
	// Now returns the current time, for exemption expiry. Nil means time.Now.
	Now func() time.Time
	// NamespaceErrorPolicy decides a pod whose namespace cannot be read
	// (the lookup failed or the namespace does not exist): NamespaceErrorFail
	// (the zero value) denies it, as Kubernetes does; NamespaceErrorIgnore
	// admits it unchecked, with an "error" audit annotation and a warning.
	// Workloads are admitted either way, as Kubernetes does.
	NamespaceErrorPolicy NamespaceErrorPolicy
}

// NamespaceErrorPolicy is what happens to a pod whose namespace cannot be
// read; see Options.NamespaceErrorPolicy.
type NamespaceErrorPolicy string

// The namespace error policies, named as a webhook's failurePolicy values.
const (
	NamespaceErrorFail   NamespaceErrorPolicy = "Fail"   // deny the pod (Kubernetes' behaviour)
	NamespaceErrorIgnore NamespaceErrorPolicy = "Ignore" // admit the pod unchecked, and say so
)

// Admission decides Pod Security Admission requests. It is immutable after
// New and safe for concurrent use.
type Admission struct {
	defaultPolicy Policy
	config        *PodSecurityConfiguration

	exemptUsers          map[string]bool
	exemptNamespaces     map[string]bool
	exemptRuntimeClasses map[string]bool

	narrow map[string][]*NarrowExemption // by namespace

	eval      *podsecurity.Evaluator
	nsGetter  NamespaceGetter
	pods      PodLister
	workloads WorkloadLister
	rec       Recorder
	fullDry   bool
	nsIgnore  bool // Options.NamespaceErrorPolicy is NamespaceErrorIgnore
	maxPods   int
	podBudget time.Duration
	now       func() time.Time
}

var _ Validator = (*Admission)(nil)

// New validates o and returns an Admission. Every problem is reported at once.
func New(o Options) (*Admission, error) {
	var errs []error
	a := &Admission{
		config:    o.Config,
		eval:      o.Evaluator,
		nsGetter:  o.Namespaces,
		pods:      o.Pods,
		workloads: o.Workloads,
		rec:       o.Recorder,
		fullDry:   o.FullNamespaceDryRun,
		maxPods:   o.NamespaceMaxPodsToCheck,
		podBudget: o.NamespacePodCheckTimeout,
		now:       o.Now,
	}
	if a.config == nil {
		a.config = DefaultConfig()
	} else {
		c := *a.config // defaulted copy: the caller's value is never modified
		c.setDefaults()
		a.config = &c
		if fe := c.validate(); len(fe) > 0 {
			errs = append(errs, fmt.Errorf("invalid pod security configuration: %w", fe.ToAggregate()))
		}
	}
	p, err := a.config.DefaultPolicy()
	if err != nil {
		errs = append(errs, fmt.Errorf("invalid pod security defaults: %w", err))
	}
	a.defaultPolicy = p
	a.exemptUsers = toSet(a.config.Exemptions.Usernames)
	a.exemptNamespaces = toSet(a.config.Exemptions.Namespaces)
	a.exemptRuntimeClasses = toSet(a.config.Exemptions.RuntimeClasses)
	if o.Exemptions != nil {
		ec := *o.Exemptions // validated copy: the caller's value is never modified
		ec.Exemptions = slices.Clone(ec.Exemptions)
		if err := ec.validate(); err != nil {
			errs = append(errs, fmt.Errorf("invalid exemptions: %w", err))
		}
		a.narrow = make(map[string][]*NarrowExemption)
		for i := range ec.Exemptions {
			e := &ec.Exemptions[i]
			a.narrow[e.Namespace] = append(a.narrow[e.Namespace], e)
		}
	}
	if a.eval == nil {
		a.eval = podsecurity.Default
	}
	if a.rec == nil {
		a.rec = NopRecorder{}
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.maxPods == 0 {
		a.maxPods = DefaultNamespaceMaxPodsToCheck
	}
	if a.podBudget == 0 {
		a.podBudget = DefaultNamespacePodCheckTimeout
	}
	if a.maxPods < 0 || a.podBudget < 0 {
		errs = append(errs, errors.New("namespace pod check limits must not be negative"))
	}
	if a.nsGetter == nil {
		errs = append(errs, errors.New("a namespace getter is required"))
	}
	if a.pods == nil {
		errs = append(errs, errors.New("a pod lister is required"))
	}
	switch o.NamespaceErrorPolicy {
	case "", NamespaceErrorFail:
	case NamespaceErrorIgnore:
		a.nsIgnore = true
	default:
		errs = append(errs, fmt.Errorf("namespace error policy %q: want %q or %q", o.NamespaceErrorPolicy, NamespaceErrorFail, NamespaceErrorIgnore))
	}
	if a.fullDry && a.workloads == nil {
		errs = append(errs, errors.New("a workload lister is required for the full namespace dry-run"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return a, nil
}

func toSet(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, s := range list {
		m[s] = true
	}
	return m
}

// DefaultPolicy returns the policy of namespaces without Pod Security labels.
func (a *Admission) DefaultPolicy() Policy { return a.defaultPolicy }

// Validate decides req, dispatching on its resource as Kubernetes does:
// namespaces, pods, and every other resource as a pod controller. The
// Response may be shared and must not be modified. A nil req is denied.
func (a *Admission) Validate(ctx context.Context, req *Request) *Response {
	if req == nil {
		return errorResponse(nil, badRequest("missing admission request"))
	}
	if req.Resource.Group == "" {
		switch req.Resource.Resource {
		case "namespaces":
			return a.validateNamespace(ctx, req)
		case "pods":
			return a.validatePod(ctx, req)
		}
	}
	return a.validateWorkload(ctx, req)
}

func (a *Admission) exemptNamespace(ns string) bool {
	return ns != "" && a.exemptNamespaces[ns]
}

func (a *Admission) exemptUser(u string) bool {
	return u != "" && a.exemptUsers[u]
}

func (a *Admission) exemptRuntimeClass(rc *string) bool {
	return rc != nil && *rc != "" && a.exemptRuntimeClasses[*rc]
}

// getNamespace looks up a namespace; a nil namespace without
// error counts as not found.
func (a *Admission) getNamespace(ctx context.Context, name string) (*corev1.Namespace, error) {
	ns, err := a.nsGetter.Get(ctx, name)
	if err == nil && ns == nil {
		err = fmt.Errorf("namespace %q not found", name)
	}
	return ns, err
}
