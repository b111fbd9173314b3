package cluster

import (
	"os"
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// TestAuditClusterRole: deploy/audit's ClusterRole grants get and list on
// exactly the resources audit reads, and nothing on Secrets.
func TestAuditClusterRole(t *testing.T) {
	data, err := os.ReadFile("../../deploy/audit/clusterrole.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cr rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict(data, &cr); err != nil {
		t.Fatal(err)
	}
	var granted, want []string
	for _, r := range cr.Rules {
		if !slices.Equal(r.Verbs, []string{"get", "list"}) || len(r.ResourceNames) > 0 || len(r.NonResourceURLs) > 0 {
			t.Errorf("rule %+v: want verbs get and list on whole resources", r)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				granted = append(granted, g+"/"+res)
			}
		}
	}
	for _, r := range AuditResources {
		want = append(want, r.Group+"/"+r.Resource)
	}
	slices.Sort(granted)
	slices.Sort(want)
	if !slices.Equal(granted, want) {
		t.Errorf("ClusterRole grants %q\naudit reads %q", granted, want)
	}
	if slices.Contains(granted, "/secrets") {
		t.Error("the ClusterRole grants access to Secrets")
	}
}

func TestResourcesForAndNamed(t *testing.T) {
	names := func(rs []Resource) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Resource)
		}
		return out
	}
	psa := names(ResourcesFor(AuditResources, []string{"psa", "rbac"}))
	for _, n := range []string{"services", "networkpolicies", "nodes"} {
		if slices.Contains(psa, n) {
			t.Errorf("psa and rbac runs list %s, which only tenancy reads", n)
		}
	}
	if !slices.Contains(psa, "pods") || !slices.Contains(psa, "rolebindings") {
		t.Errorf("psa and rbac runs list %v, want pods and rolebindings among them", psa)
	}
	all := names(ResourcesFor(AuditResources, []string{"tenancy"}))
	if len(all) != len(AuditResources) {
		t.Errorf("a tenancy run lists %d resources, want all %d", len(all), len(AuditResources))
	}
	if got := names(Named(AuditResources, "pods", "namespaces")); !slices.Equal(got, []string{"pods", "namespaces"}) {
		t.Errorf("Named = %v, want [pods namespaces] in that order", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("Named with an unknown resource did not panic")
		}
	}()
	Named(AuditResources, "secrets")
}
