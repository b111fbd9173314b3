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
