package webhook

import (
	"errors"
	"fmt"
	"reflect"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"

	"github.com/kubeward/kubeward/internal/admission"
)

// The AdmissionReview group/version/kind this webhook speaks. kube-apiserver
// sends the first version listed in the webhook configuration's
// admissionReviewVersions that it supports; deploy/ lists only v1.
const (
	reviewAPIVersion = "admission.k8s.io/v1"
	reviewKind       = "AdmissionReview"
)

// reviewEnvelope is the part of an AdmissionReview the webhook reads. It is
// decoded case-sensitively (sigs.k8s.io/json, the decoder apimachinery
// itself uses), so field matching is exactly Kubernetes'. The embedded
// objects stay raw until we know which Go type they decode into.
type reviewEnvelope struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	Request    *requestEnvelope `json:"request"`
}

type requestEnvelope struct {
	UID                string                      `json:"uid"`
	Kind               metav1.GroupVersionKind     `json:"kind"`
	Resource           metav1.GroupVersionResource `json:"resource"`
	SubResource        string                      `json:"subResource"`
	RequestSubResource string                      `json:"requestSubResource"`
	Name               string                      `json:"name"`
	Namespace          string                      `json:"namespace"`
	Operation          string                      `json:"operation"`
	UserInfo           userInfo                    `json:"userInfo"`
	Object             rawObject                   `json:"object"`
	OldObject          rawObject                   `json:"oldObject"`
	DryRun             *bool                       `json:"dryRun"`

	// object and oldObject are Object and OldObject already decoded, in the
	// same pass as the envelope, by the fast path (nil when it did not).
	object, oldObject runtime.Object
	// objectErr and oldObjectErr say why the fast path stopped decoding
	// Object or OldObject for good: the review's decoding budget is spent
	// (budget.go). Neither decoder is then tried again on them.
	objectErr, oldObjectErr error
}

type userInfo struct {
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
}

// rawObject holds an embedded object's JSON. Unlike json.RawMessage it
// treats a JSON null as absent, as runtime.RawExtension does.
type rawObject []byte

func (r *rawObject) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*r = nil
		return nil
	}
	*r = append((*r)[:0], b...)
	return nil
}

var reviewEnvelopeType = reflect.TypeFor[reviewEnvelope]()

// errBadReview is wrapped by every error that makes a request body unusable
// as an AdmissionReview (the handler answers 400 to those).
var errBadReview = errors.New("bad AdmissionReview")

// decodeReview decodes body into env, charging bud, and checks the parts
// without which no AdmissionResponse can be addressed: apiVersion, kind,
// request and uid. Strings in env may point into body, which must not be
// modified afterwards. A review whose envelope alone spends bud is bad; one
// whose object does has that error in env (decodeObject returns it).
func decodeReview(body []byte, env *reviewEnvelope, bud *decodeBudget) error {
	left := bud.save()
	if !fastReview(body, env, bud) {
		if err := bud.Err(); err != nil {
			return fmt.Errorf("%w: request %w", errBadReview, err)
		}
		*env = reviewEnvelope{}
		// The complete decoder is bounded before it runs. It copies the
		// objects' bytes but does not decode them (rawObject).
		bud.restore(left)
		if err := chargeDecode(body, reviewEnvelopeType, bud); err != nil {
			return fmt.Errorf("%w: request %w", errBadReview, err)
		}
		if err := kjson.UnmarshalCaseSensitivePreserveInts(body, env); err != nil {
			return fmt.Errorf("%w: decoding JSON: %v", errBadReview, err)
		}
	}
	if env.APIVersion != reviewAPIVersion || env.Kind != reviewKind {
		return fmt.Errorf("%w: got apiVersion %q kind %q, want apiVersion %q kind %q (list only %q in admissionReviewVersions)",
			errBadReview, env.APIVersion, env.Kind, reviewAPIVersion, reviewKind, "v1")
	}
	if env.Request == nil {
		return fmt.Errorf("%w: no request", errBadReview)
	}
	if env.Request.UID == "" {
		return fmt.Errorf("%w: request has no uid", errBadReview)
	}
	return nil
}

// objectKind describes how one resource's objects decode.
type objectKind struct {
	gvk schema.GroupVersionKind
	// label is the resource label of upstream's metrics: pod, namespace or controller.
	label string
	// oldObject is whether the decision reads the old object on UPDATE
	// (pods and namespaces; upstream never reads it for workloads).
	oldObject bool
	new       func() runtime.Object
	// fast is the fast-path decoder of this kind (fastdecode.go), nil if none.
	fast func(*fastDec) runtime.Object
}

// kinds maps the Go types this webhook decodes objects into, by their
// group/version/kind: the resources Kubernetes' PodSecurity admission handles
// (pods, namespaces and the workload resources with a pod template), in the
// versions kube-apiserver serves them.
var kinds = map[schema.GroupVersionKind]*objectKind{}

// resources maps the group/resource of a request to the kind its objects
// are expected to be.
var resources = map[schema.GroupResource]*objectKind{}

func addKind(gr schema.GroupResource, gvk schema.GroupVersionKind, label string, oldObject bool, newObj func() runtime.Object) {
	k := &objectKind{gvk: gvk, label: label, oldObject: oldObject, new: newObj, fast: fastDecoders[gvk.Kind]}
	kinds[gvk] = k
	resources[gr] = k
}

func init() {
	core := corev1.SchemeGroupVersion
	apps := appsv1.SchemeGroupVersion
	batch := batchv1.SchemeGroupVersion
	addKind(corev1.Resource("pods"), core.WithKind("Pod"), "pod", true, func() runtime.Object { return new(corev1.Pod) })
	addKind(corev1.Resource("namespaces"), core.WithKind("Namespace"), "namespace", true, func() runtime.Object { return new(corev1.Namespace) })
	addKind(corev1.Resource("replicationcontrollers"), core.WithKind("ReplicationController"), "controller", false, func() runtime.Object { return new(corev1.ReplicationController) })
	addKind(corev1.Resource("podtemplates"), core.WithKind("PodTemplate"), "controller", false, func() runtime.Object { return new(corev1.PodTemplate) })
	addKind(appsv1.Resource("replicasets"), apps.WithKind("ReplicaSet"), "controller", false, func() runtime.Object { return new(appsv1.ReplicaSet) })
	addKind(appsv1.Resource("deployments"), apps.WithKind("Deployment"), "controller", false, func() runtime.Object { return new(appsv1.Deployment) })
	addKind(appsv1.Resource("statefulsets"), apps.WithKind("StatefulSet"), "controller", false, func() runtime.Object { return new(appsv1.StatefulSet) })
	addKind(appsv1.Resource("daemonsets"), apps.WithKind("DaemonSet"), "controller", false, func() runtime.Object { return new(appsv1.DaemonSet) })
	addKind(batchv1.Resource("jobs"), batch.WithKind("Job"), "controller", false, func() runtime.Object { return new(batchv1.Job) })
	addKind(batchv1.Resource("cronjobs"), batch.WithKind("CronJob"), "controller", false, func() runtime.Object { return new(batchv1.CronJob) })
}

// decodeObject decodes raw into the Go type of its own apiVersion/kind,
// defaulting to def for the parts it omits, as apimachinery's universal
// deserializer does for Kubernetes' own webhook, charging bud. pre, when not
// nil, is raw already decoded as def by the fast path; preErr, when not nil,
// is why the fast path stopped decoding raw for good, and is returned. It
// returns nil, nil when raw is empty. In the common case (the object's kind
// is def's) the object is scanned once. An object that would spend bud, or
// is still decoding at bud's deadline, is an error wrapping errDecodeBudget
// or the context's error.
func decodeObject(raw []byte, pre runtime.Object, preErr error, def *objectKind, bud *decodeBudget) (runtime.Object, error) {
	if preErr != nil {
		return nil, preErr
	}
	if len(raw) == 0 {
		return nil, nil
	}
	obj := pre
	if obj == nil {
		var err error
		if obj, err = tryFastObject(raw, def, bud); err != nil {
			return nil, err
		}
	}
	if obj == nil {
		var err error
		if obj, err = completeObject(raw, def, bud); err != nil {
			return nil, err
		}
	}
	got := obj.GetObjectKind().GroupVersionKind()
	if got.Kind == "" {
		got.Kind = def.gvk.Kind
	}
	if got.Version == "" && got.Group == "" {
		got.Group, got.Version = def.gvk.Group, def.gvk.Version
	}
	if got == def.gvk {
		return obj, nil
	}
	// The object names another kind than the request's: decode it as that
	// kind, so the type the decision sees is the one the object declares.
	other, ok := kinds[got]
	if !ok {
		return nil, fmt.Errorf("decoding object: kind %q in version %q is not one kubeward decodes", got.Kind, got.GroupVersion().String())
	}
	if obj, err := tryFastObject(raw, other, bud); obj != nil || err != nil {
		return obj, err
	}
	return completeObject(raw, other, bud)
}

// tryFastObject is fastObject that returns bud's error, when it was spent,
// instead of nil. What a fast decoder that gave up charged is returned to
// bud (its allocations are garbage, and the complete decoder is charged
// for the same bytes).
func tryFastObject(raw []byte, kind *objectKind, bud *decodeBudget) (runtime.Object, error) {
	left := bud.save()
	obj := fastObject(raw, kind, bud)
	if err := bud.Err(); err != nil {
		return nil, err
	}
	if obj == nil {
		bud.restore(left)
	}
	return obj, nil
}

// completeObject decodes raw as kind's type with sigs.k8s.io/json, as
// apimachinery does, once its cost is charged to bud.
func completeObject(raw []byte, kind *objectKind, bud *decodeBudget) (runtime.Object, error) {
	obj := kind.new()
	if err := chargeDecode(raw, reflect.TypeOf(obj).Elem(), bud); err != nil {
		return nil, err
	}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(raw, obj); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", kind.gvk.Kind, err)
	}
	return obj, nil
}

// toRequest fills req from env (whose Request must be non-nil) without the
// objects.
func toRequest(env *requestEnvelope, req *admission.Request) {
	*req = admission.Request{
		UID:      env.UID,
		Kind:     schema.GroupVersionKind(env.Kind),
		Resource: schema.GroupVersionResource(env.Resource),
		// Kubernetes' webhook reads the subresource from requestSubResource
		// (the subresource the client addressed); so do we.
		SubResource: env.RequestSubResource,
		Name:        env.Name,
		Namespace:   env.Namespace,
		Operation:   env.Operation,
		Username:    env.UserInfo.Username,
		Groups:      env.UserInfo.Groups,
		DryRun:      env.DryRun != nil && *env.DryRun,
	}
}
