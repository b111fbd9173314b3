package netpol

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func nsObj(name string, ls map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: ls}}
}

func podObj(ns, name string, ls map[string]string, ports ...corev1.ContainerPort) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: ls},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Ports: ports}}},
	}
}

func sel(kv ...string) *metav1.LabelSelector {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return &metav1.LabelSelector{MatchLabels: m}
}

func proto(p string) *corev1.Protocol { v := corev1.Protocol(p); return &v }

func port(p string, n int) networkingv1.NetworkPolicyPort {
	v := intstr.FromInt32(int32(n))
	return networkingv1.NetworkPolicyPort{Protocol: proto(p), Port: &v}
}

func portRange(p string, lo, hi int) networkingv1.NetworkPolicyPort {
	np := port(p, lo)
	e := int32(hi)
	np.EndPort = &e
	return np
}

func namedPort(p, name string) networkingv1.NetworkPolicyPort {
	v := intstr.FromString(name)
	return networkingv1.NetworkPolicyPort{Protocol: proto(p), Port: &v}
}

func policy(ns, name string, podSel *metav1.LabelSelector, types []networkingv1.PolicyType, in []networkingv1.NetworkPolicyIngressRule, out []networkingv1.NetworkPolicyEgressRule) *networkingv1.NetworkPolicy {
	if podSel == nil {
		podSel = &metav1.LabelSelector{}
	}
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       networkingv1.NetworkPolicySpec{PodSelector: *podSel, PolicyTypes: types, Ingress: in, Egress: out},
	}
}

var (
	ingressOnly = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	egressOnly  = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
	both        = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
)

func build(t testing.TB, objs ...runtime.Object) *Network {
	t.Helper()
	var b Builder
	for i, o := range objs {
		b.Add(o, Source{File: "test.yaml", Line: i + 1})
	}
	n, err := b.Build()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return n
}

// idx returns the index of workload "ns/name".
func idx(t testing.TB, n *Network, id string) int {
	t.Helper()
	ns, name, _ := strings.Cut(id, "/")
	i := n.Workload(ns, name, "")
	if i < 0 {
		t.Fatalf("no workload %s", id)
	}
	return i
}
