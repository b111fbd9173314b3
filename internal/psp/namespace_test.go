package psp

import (
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/podsecurity"
	"github.com/kubeward/kubeward/internal/rbac"
)

// loadInventory reads testdata the way the CLI does.
func loadInventory(t *testing.T) *Inventory {
	t.Helper()
	inv := &Inventory{Version: podsecurity.MajorMinor(37)}
	pol := &rbac.Policy{}
	r := manifest.Reader{}
	err := r.Read([]string{"testdata"}, func(o *manifest.Object) error {
		if IsPSP(o.APIVersion, o.Kind) {
			p, errs := FromObject(o)
			if len(errs) > 0 {
				t.Fatalf("%v", errs[0])
			}
			inv.Analyses = append(inv.Analyses, Analyze(p, inv.Version))
			return nil
		}
		switch x := o.Object.(type) {
		case *corev1.Pod:
			inv.Pods = append(inv.Pods, x)
		case *corev1.Namespace:
			inv.Namespaces = append(inv.Namespaces, x.Name)
		default:
			pol.Add(o.Object, rbac.Source{File: o.File, Line: o.Line})
		}
		return nil
	}, func(e *manifest.Error) { t.Fatalf("%v", e) })
	if err != nil {
		t.Fatal(err)
	}
	inv.Authz = rbac.NewIndex(pol, rbac.Options{Aggregate: true})
	return inv
}

func TestPlan(t *testing.T) {
	plans := Plan(loadInventory(t))
	want := map[string]struct {
		podLevel, suggested podsecurity.Level
		policy              string
		usable              []string
		note                bool
	}{
		"empty":  {restr, restr, "restricted-selinux", []string{"restricted-selinux"}, false},
		"legacy": {base, priv, "baseline", []string{"baseline", "restricted-selinux"}, true},
		"ops":    {priv, priv, "privileged", []string{"privileged", "restricted-selinux"}, false},
		"shop":   {restr, restr, "restricted-selinux", []string{"restricted-selinux"}, false},
	}
	if len(plans) != len(want) {
		t.Fatalf("%d plans, want %d", len(plans), len(want))
	}
	for _, p := range plans {
		w, ok := want[p.Namespace]
		if !ok {
			t.Errorf("unexpected namespace %s", p.Namespace)
			continue
		}
		var usable []string
		for _, u := range p.Usable {
			usable = append(usable, u.Name)
		}
		if p.PodLevel != w.podLevel || p.Suggested != w.suggested || p.Policy != w.policy || filepath.Join(usable...) != filepath.Join(w.usable...) || (p.Note != "") != w.note {
			t.Errorf("%s: podLevel %v suggested %v policy %q usable %q note %q; want %+v", p.Namespace, p.PodLevel, p.Suggested, p.Policy, usable, p.Note, w)
		}
		wantCmd := "kubectl label ns " + p.Namespace + " pod-security.kubernetes.io/enforce=" + p.Suggested.String() +
			" pod-security.kubernetes.io/enforce-version=v1.37 " + NamespaceLabel + "=" + p.Policy + " --overwrite"
		if p.Command != wantCmd {
			t.Errorf("%s: command %q, want %q", p.Namespace, p.Command, wantCmd)
		}
	}
	// The suggestion never rejects a pod the namespace runs: checked with
	// the Pod Security engine itself.
	inv := loadInventory(t)
	for _, pod := range inv.Pods {
		for _, p := range plans {
			if p.Namespace == pod.Namespace {
				if v := podsecurity.Default.Evaluate(podsecurity.LevelVersion{Level: p.Suggested, Version: inv.Version}, &pod.ObjectMeta, &pod.Spec); len(v) > 0 {
					t.Errorf("pod %s/%s violates the suggested %v: %s", pod.Namespace, pod.Name, p.Suggested, podsecurity.AggregateMessage(v))
				}
			}
		}
	}
}
