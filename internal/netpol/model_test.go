package netpol

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func owned(o metav1.Object, kind, name string) {
	t := true
	o.SetOwnerReferences([]metav1.OwnerReference{{Kind: kind, Name: name, Controller: &t}})
}

// TestWorkloads checks grouping to the top owner and the namespaces
// known by name only.
func TestWorkloads(t *testing.T) {
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}, Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}}}},
	}}}
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-5d8f"}, Spec: appsv1.ReplicaSetSpec{Template: corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web", "pod-template-hash": "5d8f"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}},
	}}}
	owned(rs, "Deployment", "web")
	p1 := podObj("shop", "web-5d8f-aaaaa", map[string]string{"app": "web", "pod-template-hash": "5d8f"})
	p2 := podObj("shop", "web-5d8f-bbbbb", map[string]string{"app": "web", "pod-template-hash": "5d8f"})
	owned(p1, "ReplicaSet", "web-5d8f")
	owned(p2, "ReplicaSet", "web-5d8f")
	// A pod whose owner is not in the input is grouped under that owner.
	job := podObj("batch", "report-123-xyz", map[string]string{"job": "report"})
	owned(job, "Job", "report-123")
	lone := podObj("", "lone", nil) // no namespace: the engine takes it as given
	lone.Namespace = "default"
	all := []runtime.Object{p1, rs, dep, p2, job, lone}
	n := build(t, all...)
	var trimmed []runtime.Object
	for _, o := range all {
		trimmed = append(trimmed, Trim(o))
	}
	if d := cmp.Diff(n.Workloads, build(t, trimmed...).Workloads, cmpopts.IgnoreFields(Workload{}, "Spec")); d != "" {
		t.Errorf("trimmed workloads differ (-full +trimmed):\n%s", d)
	}
	var got []string
	for _, w := range n.Workloads {
		got = append(got, w.String())
	}
	want := []string{"batch/report-123[Job]", "default/lone[Pod]", "shop/web[Deployment]"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("workloads (-want +got):\n%s", d)
	}
	web := n.Workloads[idx(t, n, "shop/web")]
	if web.Labels["pod-template-hash"] != "" || len(web.Ports) != 1 || web.Ports[0].Name != "http" {
		t.Errorf("web should take the Deployment's template: %+v", web)
	}
	var nss []string
	for _, ns := range n.Namespaces {
		if ns.Defined || len(ns.Labels) != 1 || ns.Labels[NamespaceLabel] != ns.Name {
			t.Errorf("namespace %s: %+v", ns.Name, ns)
		}
		nss = append(nss, ns.Name)
	}
	if d := cmp.Diff([]string{"batch", "default", "shop"}, nss); d != "" {
		t.Errorf("namespaces (-want +got):\n%s", d)
	}
}

// TestTrim checks that trimming keeps the connectivity of every random
// input of the differential test.
func TestTrim(t *testing.T) {
	for seed := range uint64(50) {
		r := rand.New(rand.NewPCG(seed, 1))
		objs, _, _, _ := genInput(r)
		objs = append(objs, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns0", Name: "web", Annotations: map[string]string{"a": "b"}, Labels: map[string]string{"l": "v"}},
			Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Port: 80}}},
		})
		var trimmed []runtime.Object
		for _, o := range objs {
			trimmed = append(trimmed, Trim(o))
		}
		a, b := build(t, objs...), build(t, trimmed...)
		if d := cmp.Diff(a.Connections(), b.Connections()); d != "" {
			t.Fatalf("seed %d: (-full +trimmed):\n%s", seed, d)
		}
		if d := cmp.Diff(a.Services, b.Services); d != "" {
			t.Fatalf("seed %d: services (-full +trimmed):\n%s", seed, d)
		}
		ignore := cmpopts.IgnoreFields(Namespace{}, "Object")
		if d := cmp.Diff(a.Namespaces, b.Namespaces, ignore); d != "" {
			t.Fatalf("seed %d: namespaces (-full +trimmed):\n%s", seed, d)
		}
		type pol struct {
			ID              string
			Ingress, Egress bool
			Spec            networkingv1.NetworkPolicySpec
			Source          Source
		}
		pols := func(n *Network) (out []pol) {
			for _, p := range n.Policies {
				out = append(out, pol{p.String(), p.Ingress, p.Egress, p.Object.Spec, p.Source})
			}
			return out
		}
		if d := cmp.Diff(pols(a), pols(b)); d != "" {
			t.Fatalf("seed %d: policies (-full +trimmed):\n%s", seed, d)
		}
	}
}

// TestValidateReportsWhatBuildDoes gives Validate and Build the same
// objects (duplicates, a policy the API server rejects, a rejected policy
// replaced by a valid definition, a valid one replaced by a rejected one)
// and expects the same errors, in the same order.
func TestValidateReportsWhatBuildDoes(t *testing.T) {
	bad := policy("a", "bad", &metav1.LabelSelector{MatchLabels: map[string]string{"k": "not a value!"}}, ingressOnly, nil, nil)
	badCIDR := policy("b", "cidr", nil, ingressOnly, []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/33"}}}}}, nil)
	good := policy("a", "bad", nil, ingressOnly, nil, nil)
	cases := map[string][]runtime.Object{
		"none":             {nsObj("a", nil), podObj("a", "p", nil), good},
		"rejected":         {bad, badCIDR, podObj("a", "p", nil)},
		"replaced by good": {bad, good},
		"replaced by bad":  {good, bad},
		"duplicates":       {nsObj("a", nil), nsObj("a", nil), podObj("a", "p", nil), podObj("a", "p", nil), badCIDR},
	}
	for name, objs := range cases {
		var b Builder
		for i, o := range objs {
			b.Add(o, Source{File: "test.yaml", Line: i + 1})
		}
		_, berr := b.Build()
		verr := b.Validate()
		if fmt.Sprint(berr) != fmt.Sprint(verr) {
			t.Errorf("%s: Validate() = %v, Build() error = %v", name, verr, berr)
		}
		if name != "none" && verr == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
