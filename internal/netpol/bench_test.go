package netpol

import (
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// largeCluster returns namespaces × workloads Deployments with three
// policies per namespace, as a tenant platform would have them: deny all
// (ingress and egress) but DNS, allow the namespace's own pods to its
// "api" workload on TCP 8080, and let the shared "gateway" namespace reach
// every "web" workload on TCP 80. Plus kube-system's DNS, not isolated.
func largeCluster(namespaces, workloads int) []runtime.Object {
	var objs []runtime.Object
	objs = append(objs, nsObj("kube-system", nil), podObj("kube-system", "coredns", map[string]string{"k8s-app": "kube-dns"}, corev1.ContainerPort{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP}))
	objs = append(objs, nsObj("gateway", map[string]string{"role": "gateway"}), podObj("gateway", "envoy", map[string]string{"app": "envoy"}))
	for i := range namespaces {
		ns := fmt.Sprintf("tenant-%04d", i)
		objs = append(objs, nsObj(ns, map[string]string{"tenant": ns}))
		for j := range workloads {
			app := fmt.Sprintf("svc-%d", j)
			switch j {
			case 0:
				app = "web"
			case 1:
				app = "api"
			}
			objs = append(objs, &appsv1.Deployment{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: app},
				Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}}}},
				}},
			})
		}
		objs = append(objs,
			policy(ns, "default-deny", nil, both, nil, []networkingv1.NetworkPolicyEgressRule{{
				To:    []networkingv1.NetworkPolicyPeer{{NamespaceSelector: sel(NamespaceLabel, "kube-system"), PodSelector: sel("k8s-app", "kube-dns")}},
				Ports: []networkingv1.NetworkPolicyPort{port("UDP", 53), port("TCP", 53)},
			}}),
			policy(ns, "api-from-namespace", sel("app", "api"), ingressOnly, []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}},
				Ports: []networkingv1.NetworkPolicyPort{namedPort("TCP", "http")},
			}}, []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}}}}),
			policy(ns, "web-from-gateway", sel("app", "web"), ingressOnly, []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: sel("role", "gateway")}},
				Ports: []networkingv1.NetworkPolicyPort{port("TCP", 80)},
			}}, nil),
		)
	}
	return objs
}

// BenchmarkConnectivity builds the model of 1,000 namespaces × 10
// workloads × 3 policies and computes every allowed workload pair and
// every workload's traffic to and from outside the cluster.
func BenchmarkConnectivity(b *testing.B) {
	objs := largeCluster(1000, 10)
	b.ReportAllocs()
	var pairs, ext int
	for b.Loop() {
		var bd Builder
		for _, o := range objs {
			bd.Add(o, Source{})
		}
		n, err := bd.Build()
		if err != nil {
			b.Fatal(err)
		}
		pairs, ext = 0, 0
		n.EachPair(func(Pair) { pairs++ })
		for i := range n.Workloads {
			ext += len(n.Egress(i)) + len(n.Ingress(i))
		}
	}
	b.ReportMetric(float64(pairs), "pairs")
	b.ReportMetric(float64(ext), "external")
}

// BenchmarkConnectivityOpen is the worst case: 100 namespaces × 10
// workloads (plus DNS and the gateway, 1,002) and no policy at all, so
// every one of the 1,003,002 ordered pairs is connected and visited.
func BenchmarkConnectivityOpen(b *testing.B) {
	var objs []runtime.Object
	for _, o := range largeCluster(100, 10) {
		if _, ok := o.(*networkingv1.NetworkPolicy); !ok {
			objs = append(objs, o)
		}
	}
	b.ReportAllocs()
	var pairs int
	for b.Loop() {
		var bd Builder
		for _, o := range objs {
			bd.Add(o, Source{})
		}
		n, err := bd.Build()
		if err != nil {
			b.Fatal(err)
		}
		pairs = 0
		n.EachPair(func(Pair) { pairs++ })
	}
	b.ReportMetric(float64(pairs), "pairs")
}
