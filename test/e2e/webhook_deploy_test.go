//go:build e2e

package e2e

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// kwNames are the names of kubeward's two webhooks, which the API server uses
// in denial messages and as the prefix of their audit annotations.
type kwNames struct {
	Enforcing string // pods, pods/ephemeralcontainers, namespaces; failurePolicy Fail
	Advisory  string // workloads; failurePolicy Ignore
	// Excluded are the namespaces the enforcing webhook's namespaceSelector
	// leaves out by name (kubeward's own, so that it can always start).
	Excluded []string
}

// kwDeployDir is the repository's deploy/ directory.
const kwDeployDir = "../../deploy"

// kwDeployManifests reads the ValidatingWebhookConfigurations and
// ClusterRoles of deploy/ (plain YAML files; directories named overlays,
// deploy/audit and kustomization files are skipped). found is false when deploy/ does not
// exist yet.
func kwDeployManifests(t testing.TB) (vwcs []*admissionregistrationv1.ValidatingWebhookConfiguration, roles []*rbacv1.ClusterRole, found bool) {
	t.Helper()
	if _, err := os.Stat(kwDeployDir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil, false
	}
	err := filepath.WalkDir(kwDeployDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			// deploy/audit is the audit CronJob's, not the webhook's.
			if d.Name() == "overlays" || path == filepath.Join(kwDeployDir, "audit") {
				return filepath.SkipDir
			}
			return nil
		}
		ext := filepath.Ext(path)
		if (ext != ".yaml" && ext != ".yml") || strings.HasPrefix(d.Name(), "kustomization") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			var raw runtime.RawExtension
			if err := dec.Decode(&raw); err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
			if len(bytes.TrimSpace(raw.Raw)) == 0 {
				continue
			}
			var tm struct{ APIVersion, Kind string }
			if err := yaml.Unmarshal(raw.Raw, &tm); err != nil {
				return err
			}
			switch {
			case tm.APIVersion == "admissionregistration.k8s.io/v1" && tm.Kind == "ValidatingWebhookConfiguration":
				var v admissionregistrationv1.ValidatingWebhookConfiguration
				if err := yaml.UnmarshalStrict(raw.Raw, &v); err != nil {
					return err
				}
				vwcs = append(vwcs, &v)
			case tm.APIVersion == "rbac.authorization.k8s.io/v1" && tm.Kind == "ClusterRole":
				var r rbacv1.ClusterRole
				if err := yaml.UnmarshalStrict(raw.Raw, &r); err != nil {
					return err
				}
				roles = append(roles, &r)
			}
		}
	})
	if err != nil {
		t.Fatalf("reading %s: %v", kwDeployDir, err)
	}
	return vwcs, roles, true
}

// kwDeployWebhookConfig turns deploy/'s webhook configuration into one that
// calls url with caBundle, keeping everything else (names, rules, failure
// policies, selectors, timeouts), and names its enforcing and advisory
// webhooks. ok is false when deploy/ has no ValidatingWebhookConfiguration.
func kwDeployWebhookConfig(t testing.TB, url string, caBundle []byte) (cfg *admissionregistrationv1.ValidatingWebhookConfiguration, names kwNames, ok bool) {
	t.Helper()
	vwcs, _, found := kwDeployManifests(t)
	if !found || len(vwcs) == 0 {
		return nil, kwNames{}, false
	}
	cfg = &admissionregistrationv1.ValidatingWebhookConfiguration{}
	cfg.Name = "kubeward"
	for _, v := range vwcs {
		for _, w := range v.Webhooks {
			w.ClientConfig = admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: caBundle}
			cfg.Webhooks = append(cfg.Webhooks, w)
			var resources []string
			for _, r := range w.Rules {
				resources = append(resources, r.Resources...)
			}
			fail := w.FailurePolicy == nil || *w.FailurePolicy == admissionregistrationv1.Fail
			switch {
			case slices.Contains(resources, "pods"):
				if !fail {
					t.Errorf("deploy/: webhook %s for pods has failurePolicy Ignore, want Fail", w.Name)
				}
				names.Enforcing = w.Name
				if sel := w.NamespaceSelector; sel != nil {
					for _, e := range sel.MatchExpressions {
						if e.Key == "kubernetes.io/metadata.name" && e.Operator == metav1.LabelSelectorOpNotIn {
							names.Excluded = append(names.Excluded, e.Values...)
						}
					}
				}
			case slices.Contains(resources, "deployments"):
				if fail {
					t.Errorf("deploy/: webhook %s for workloads has failurePolicy Fail, want Ignore", w.Name)
				}
				names.Advisory = w.Name
			}
		}
	}
	if names.Enforcing == "" || names.Advisory == "" {
		t.Fatalf("deploy/: want a webhook for pods and one for deployments, got %+v", names)
	}
	return cfg, names, true
}

// kwDeployRBACRules returns the rules of deploy/'s ClusterRoles; ok is false
// when deploy/ has none.
func kwDeployRBACRules(t testing.TB) (rules []rbacv1.PolicyRule, ok bool) {
	t.Helper()
	_, roles, found := kwDeployManifests(t)
	if !found || len(roles) == 0 {
		return nil, false
	}
	for _, r := range roles {
		rules = append(rules, r.Rules...)
	}
	return rules, true
}
