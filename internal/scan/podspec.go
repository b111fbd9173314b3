package scan

import (
	appsv1 "k8s.io/api/apps/v1"
	appsv1beta1 "k8s.io/api/apps/v1beta1"
	appsv1beta2 "k8s.io/api/apps/v1beta2"
	batchv1 "k8s.io/api/batch/v1"
	batchv1beta1 "k8s.io/api/batch/v1beta1"
	corev1 "k8s.io/api/core/v1"
	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// podTemplate is the pod part of an object as Kubernetes evaluates it for Pod
// Security: the pod itself, or a workload's pod template.
type podTemplate struct {
	meta *metav1.ObjectMeta
	spec *corev1.PodSpec
	// prefix turns a pod-relative path ("spec.containers[0]...",
	// "metadata.annotations[...]") into an object path.
	prefix string
}

// podTemplateOf returns the pod or pod template of the kinds Pod Security
// evaluates, and false for every other kind.
func podTemplateOf(obj runtime.Object) (podTemplate, bool) {
	switch o := obj.(type) {
	case *corev1.Pod:
		return podTemplate{&o.ObjectMeta, &o.Spec, ""}, true
	case *appsv1.Deployment:
		return podTemplate{&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "spec.template."}, true
	case *appsv1.ReplicaSet:
		return podTemplate{&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "spec.template."}, true
	case *appsv1.StatefulSet:
		return podTemplate{&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "spec.template."}, true
	case *appsv1.DaemonSet:
		return podTemplate{&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "spec.template."}, true
	case *batchv1.Job:
		return podTemplate{&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "spec.template."}, true
	case *batchv1.CronJob:
		t := &o.Spec.JobTemplate.Spec.Template
		return podTemplate{&t.ObjectMeta, &t.Spec, "spec.jobTemplate.spec.template."}, true
	case *corev1.ReplicationController:
		if o.Spec.Template == nil {
			return podTemplate{}, false
		}
		return podTemplate{&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "spec.template."}, true
	case *corev1.PodTemplate:
		return podTemplate{&o.Template.ObjectMeta, &o.Template.Spec, "template."}, true
	// API versions Kubernetes no longer serves: still evaluated, as their
	// replacements are (the object layer reports them as removed).
	case *extensionsv1beta1.Deployment:
		return podTemplate{&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "spec.template."}, true
	case *extensionsv1beta1.DaemonSet:
		return podTemplate{&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "spec.template."}, true
	case *extensionsv1beta1.ReplicaSet:
		return podTemplate{&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "spec.template."}, true
	case *appsv1beta1.Deployment:
		return podTemplate{&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "spec.template."}, true
	case *appsv1beta1.StatefulSet:
		return podTemplate{&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "spec.template."}, true
	case *appsv1beta2.Deployment:
		return podTemplate{&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "spec.template."}, true
	case *appsv1beta2.StatefulSet:
		return podTemplate{&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "spec.template."}, true
	case *appsv1beta2.DaemonSet:
		return podTemplate{&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "spec.template."}, true
	case *appsv1beta2.ReplicaSet:
		return podTemplate{&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, "spec.template."}, true
	case *batchv1beta1.CronJob:
		t := &o.Spec.JobTemplate.Spec.Template
		return podTemplate{&t.ObjectMeta, &t.Spec, "spec.jobTemplate.spec.template."}, true
	}
	return podTemplate{}, false
}
