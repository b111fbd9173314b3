package admission

import (
	"errors"
	"fmt"
	"os"
	"strings"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/kubeward/kubeward/internal/podsecurity"
)

// ConfigGroup is the API group of the PodSecurityConfiguration file that
// Kubernetes' PodSecurity admission (plugin and webhook) reads.
const ConfigGroup = "pod-security.admission.config.k8s.io"

// ConfigKind is the kind of that file.
const ConfigKind = "PodSecurityConfiguration"

// configVersions are the versions Kubernetes' own webhook accepts for --config.
var configVersions = []string{"v1", "v1beta1", "v1alpha1"}

// PodSecurityConfiguration is Kubernetes' PodSecurity admission configuration
// (pod-security.admission.config.k8s.io v1, v1beta1 or v1alpha1; the three
// versions share one schema). After ParseConfig or LoadConfig every Defaults
// field is set and valid.
type PodSecurityConfiguration struct {
	APIVersion string                `json:"apiVersion"`
	Kind       string                `json:"kind"`
	Defaults   PodSecurityDefaults   `json:"defaults"`
	Exemptions PodSecurityExemptions `json:"exemptions"`
}

// PodSecurityDefaults is the policy of a namespace without Pod Security
// labels. Empty levels default to privileged and empty versions to latest.
type PodSecurityDefaults struct {
	Enforce        string `json:"enforce,omitempty"`
	EnforceVersion string `json:"enforce-version,omitempty"`
	Audit          string `json:"audit,omitempty"`
	AuditVersion   string `json:"audit-version,omitempty"`
	Warn           string `json:"warn,omitempty"`
	WarnVersion    string `json:"warn-version,omitempty"`
}

// PodSecurityExemptions lists requests that are never evaluated: by the
// requesting user, by namespace, or by the pod's runtimeClassName.
type PodSecurityExemptions struct {
	Usernames      []string `json:"usernames,omitempty"`
	Namespaces     []string `json:"namespaces,omitempty"`
	RuntimeClasses []string `json:"runtimeClasses,omitempty"`
}

// DefaultConfig returns the configuration Kubernetes uses when none is given:
// privileged:latest in every mode and no exemptions.
func DefaultConfig() *PodSecurityConfiguration {
	c := &PodSecurityConfiguration{APIVersion: ConfigGroup + "/v1", Kind: ConfigKind}
	c.setDefaults()
	return c
}

// LoadConfig reads a PodSecurityConfiguration file, as Kubernetes' webhook
// does for --config: an empty file yields DefaultConfig. Every problem found
// is returned at once (errors.Join), each naming the file.
func LoadConfig(path string) (*PodSecurityConfiguration, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading pod security configuration: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, prefixErrors(path, err)
	}
	return c, nil
}

// ParseConfig decodes a PodSecurityConfiguration from YAML or JSON strictly
// (unknown or duplicate fields are errors), applies Kubernetes' defaults and
// validates it the way Kubernetes does. Empty data yields DefaultConfig.
// Every problem found is returned at once (errors.Join).
func ParseConfig(data []byte) (*PodSecurityConfiguration, error) {
	if len(data) == 0 {
		return DefaultConfig(), nil
	}
	var c PodSecurityConfiguration
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", ConfigKind, err)
	}
	var errs []error
	errs = append(errs, checkTypeMeta(c.APIVersion, c.Kind, ConfigGroup, configVersions, ConfigKind)...)
	c.setDefaults()
	for _, fe := range c.validate() {
		errs = append(errs, fe)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &c, nil
}

// checkTypeMeta reports a wrong or missing apiVersion or kind.
func checkTypeMeta(apiVersion, kind, group string, versions []string, wantKind string) []error {
	var errs []error
	switch {
	case apiVersion == "":
		errs = append(errs, fmt.Errorf("apiVersion: Required value: must be %s/%s", group, strings.Join(versions, " or "+group+"/")))
	default:
		g, v, ok := strings.Cut(apiVersion, "/")
		known := false
		for _, want := range versions {
			known = known || (ok && g == group && v == want)
		}
		if !known {
			errs = append(errs, fmt.Errorf("apiVersion: Unsupported value: %q: must be %s/%s", apiVersion, group, strings.Join(versions, " or "+group+"/")))
		}
	}
	switch kind {
	case wantKind:
	case "":
		errs = append(errs, fmt.Errorf("kind: Required value: must be %s", wantKind))
	default:
		errs = append(errs, fmt.Errorf("kind: Unsupported value: %q: must be %s", kind, wantKind))
	}
	return errs
}

// setDefaults applies Kubernetes' defaulting: privileged and latest.
func (c *PodSecurityConfiguration) setDefaults() {
	d := &c.Defaults
	for _, p := range []*string{&d.Enforce, &d.Audit, &d.Warn} {
		if *p == "" {
			*p = podsecurity.LevelPrivileged.String()
		}
	}
	for _, p := range []*string{&d.EnforceVersion, &d.AuditVersion, &d.WarnVersion} {
		if *p == "" {
			*p = "latest"
		}
	}
}

// validate checks a defaulted configuration as Kubernetes does: valid levels
// and versions; exempt namespaces are valid namespace names, runtime classes
// valid DNS subdomains, usernames non-empty; no duplicates.
func (c *PodSecurityConfiguration) validate() field.ErrorList {
	var errs field.ErrorList
	defaults := field.NewPath("defaults")
	d := &c.Defaults
	for _, l := range []struct{ name, value string }{{"enforce", d.Enforce}, {"warn", d.Warn}, {"audit", d.Audit}} {
		if _, err := parseLevel(l.value); err != nil {
			errs = append(errs, field.Invalid(defaults.Child(l.name), l.value, err.Error()))
		}
	}
	for _, v := range []struct{ name, value string }{{"enforce-version", d.EnforceVersion}, {"warn-version", d.WarnVersion}, {"audit-version", d.AuditVersion}} {
		if _, err := parseVersion(v.value); err != nil {
			errs = append(errs, field.Invalid(defaults.Child(v.name), v.value, err.Error()))
		}
	}
	exemptions := field.NewPath("exemptions")
	errs = append(errs, validateNames(exemptions.Child("namespaces"), c.Exemptions.Namespaces, func(s string) []string {
		return apivalidation.ValidateNamespaceName(s, false)
	})...)
	errs = append(errs, validateNames(exemptions.Child("runtimeClasses"), c.Exemptions.RuntimeClasses, func(s string) []string {
		return apivalidation.NameIsDNSSubdomain(s, false)
	})...)
	errs = append(errs, validateNames(exemptions.Child("usernames"), c.Exemptions.Usernames, func(s string) []string {
		if s == "" {
			return []string{"username must not be empty"}
		}
		return nil
	})...)
	return errs
}

// validateNames reports invalid and duplicate entries of a list.
func validateNames(p *field.Path, names []string, check func(string) []string) field.ErrorList {
	var errs field.ErrorList
	seen := make(map[string]bool, len(names))
	for i, n := range names {
		if msgs := check(n); len(msgs) > 0 {
			errs = append(errs, field.Invalid(p.Index(i), n, strings.Join(msgs, ", ")))
			continue
		}
		if seen[n] {
			errs = append(errs, field.Duplicate(p.Index(i), n))
			continue
		}
		seen[n] = true
	}
	return errs
}

// DefaultPolicy returns the policy the configuration's defaults describe.
// It fails only on a configuration that ParseConfig would have rejected.
func (c *PodSecurityConfiguration) DefaultPolicy() (Policy, error) {
	var (
		p    Policy
		errs []error
	)
	d := &c.Defaults
	for _, m := range []struct {
		lv             *podsecurity.LevelVersion
		name, level, v string
	}{
		{&p.Enforce, "enforce", d.Enforce, d.EnforceVersion},
		{&p.Audit, "audit", d.Audit, d.AuditVersion},
		{&p.Warn, "warn", d.Warn, d.WarnVersion},
	} {
		var err error
		if m.lv.Level, err = parseLevel(m.level); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m.name, err))
		}
		if m.lv.Version, err = parseVersion(m.v); err != nil {
			errs = append(errs, fmt.Errorf("%s-version: %w", m.name, err))
		}
	}
	return p, errors.Join(errs...)
}

// prefixErrors prefixes every joined error with the file name.
func prefixErrors(path string, err error) error {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		list := joined.Unwrap()
		out := make([]error, len(list))
		for i, e := range list {
			out[i] = fmt.Errorf("%s: %w", path, e)
		}
		return errors.Join(out...)
	}
	return fmt.Errorf("%s: %w", path, err)
}
