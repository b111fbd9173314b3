package netpol

import (
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Trim returns a copy of a pod or workload keeping only what the engine
// (and the checks built on Workload.Spec: host networking, runtime class,
// node placement) reads: name, namespace, labels, owners, and of the pod
// template its labels, containers' names and ports, hostNetwork,
// runtimeClassName, nodeSelector, tolerations and node affinity. A caller
// that holds many objects until the end of a run (a scan) keeps them
// small this way. Of a Service it keeps name, namespace, type and
// selector; of a Namespace its name and labels; of a NetworkPolicy its
// name, namespace and spec. Other objects are returned as they are.
func Trim(o runtime.Object) runtime.Object {
	switch x := o.(type) {
	case *corev1.Service:
		return &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: x.Name, Namespace: x.Namespace},
			Spec:       corev1.ServiceSpec{Type: x.Spec.Type, Selector: x.Spec.Selector},
		}
	case *corev1.Namespace:
		return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: x.Name, Labels: x.Labels}}
	case *networkingv1.NetworkPolicy:
		return &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: x.Name, Namespace: x.Namespace}, Spec: x.Spec}
	case *corev1.Pod:
		return &corev1.Pod{ObjectMeta: trimMeta(&x.ObjectMeta), Spec: trimSpec(&x.Spec)}
	case *corev1.ReplicationController:
		out := &corev1.ReplicationController{ObjectMeta: trimMeta(&x.ObjectMeta)}
		if x.Spec.Template != nil {
			t := trimTemplate(x.Spec.Template)
			out.Spec.Template = &t
		}
		return out
	case *appsv1.Deployment:
		out := &appsv1.Deployment{ObjectMeta: trimMeta(&x.ObjectMeta)}
		out.Spec.Template = trimTemplate(&x.Spec.Template)
		return out
	case *appsv1.ReplicaSet:
		out := &appsv1.ReplicaSet{ObjectMeta: trimMeta(&x.ObjectMeta)}
		out.Spec.Template = trimTemplate(&x.Spec.Template)
		return out
	case *appsv1.StatefulSet:
		out := &appsv1.StatefulSet{ObjectMeta: trimMeta(&x.ObjectMeta)}
		out.Spec.Template = trimTemplate(&x.Spec.Template)
		return out
	case *appsv1.DaemonSet:
		out := &appsv1.DaemonSet{ObjectMeta: trimMeta(&x.ObjectMeta)}
		out.Spec.Template = trimTemplate(&x.Spec.Template)
		return out
	case *batchv1.Job:
		out := &batchv1.Job{ObjectMeta: trimMeta(&x.ObjectMeta)}
		out.Spec.Template = trimTemplate(&x.Spec.Template)
		return out
	case *batchv1.CronJob:
		out := &batchv1.CronJob{ObjectMeta: trimMeta(&x.ObjectMeta)}
		out.Spec.JobTemplate.Spec.Template = trimTemplate(&x.Spec.JobTemplate.Spec.Template)
		return out
	}
	return o
}

func trimMeta(m *metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, Labels: m.Labels, OwnerReferences: m.OwnerReferences}
}

func trimTemplate(t *corev1.PodTemplateSpec) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: t.Labels}, Spec: trimSpec(&t.Spec)}
}

func trimSpec(s *corev1.PodSpec) corev1.PodSpec {
	out := corev1.PodSpec{
		HostNetwork: s.HostNetwork, RuntimeClassName: s.RuntimeClassName,
		NodeSelector: s.NodeSelector, Tolerations: s.Tolerations,
	}
	if s.Affinity != nil && s.Affinity.NodeAffinity != nil {
		out.Affinity = &corev1.Affinity{NodeAffinity: s.Affinity.NodeAffinity}
	}
	trim := func(cs []corev1.Container) []corev1.Container {
		if len(cs) == 0 {
			return nil
		}
		out := make([]corev1.Container, len(cs))
		for i := range cs {
			out[i] = corev1.Container{Name: cs[i].Name, Ports: cs[i].Ports}
		}
		return out
	}
	out.Containers, out.InitContainers = trim(s.Containers), trim(s.InitContainers)
	return out
}
