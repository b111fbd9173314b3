package webhook

import (
	"errors"
	"fmt"

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

// errBadReview is wrapped by every error that makes a request body unusable
// as an AdmissionReview (the handler answers 400 to those).
var errBadReview = errors.New("bad AdmissionReview")

// decodeReview decodes body into env and checks the parts without which no
// AdmissionResponse can be addressed: apiVersion, kind, request and uid.
// Strings in env may point into body, which must not be modified afterwards.
func decodeReview(body []byte, env *reviewEnvelope) error {
	if !fastReview(body, env) {
		*env = reviewEnvelope{}
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
// deserializer does for Kubernetes' own webhook. pre, when not nil, is raw
// already decoded as def by the fast path. It returns nil, nil when raw is
// empty. In the common case (the object's kind is def's) the object is
// scanned once.
func decodeObject(raw []byte, pre runtime.Object, def *objectKind) (runtime.Object, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	obj := pre
	if obj == nil {
		obj = fastObject(raw, def)
	}
	if obj == nil {
		obj = def.new()
		if err := kjson.UnmarshalCaseSensitivePreserveInts(raw, obj); err != nil {
			return nil, fmt.Errorf("decoding %s: %w", def.gvk.Kind, err)
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
	if obj = fastObject(raw, other); obj != nil {
		return obj, nil
	}
	obj = other.new()
	if err := kjson.UnmarshalCaseSensitivePreserveInts(raw, obj); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", other.gvk.Kind, err)
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
