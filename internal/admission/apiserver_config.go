package admission

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"
)

// The kube-apiserver's admission configuration file
// (--admission-control-config-file), which holds the PodSecurity plugin's
// configuration inline or names a file holding it.
const (
	APIServerConfigKind = "AdmissionConfiguration"
	// PluginName is the PodSecurity admission plugin's name in that file.
	PluginName = "PodSecurity"
)

// apiServerConfigGroups are the groups and versions kube-apiserver reads
// the AdmissionConfiguration in.
var apiServerConfigVersions = map[string]bool{
	"apiserver.config.k8s.io/v1":       true,
	"apiserver.config.k8s.io/v1alpha1": true,
	"apiserver.k8s.io/v1alpha1":        true,
}

type apiServerConfig struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Plugins    []apiServerPlugin `json:"plugins"`
}

type apiServerPlugin struct {
	Name          string          `json:"name"`
	Path          string          `json:"path,omitempty"`
	Configuration json.RawMessage `json:"configuration,omitempty"`
}

// LoadAnyConfig reads the Pod Security configuration the API server uses
// from path: either a PodSecurityConfiguration (as LoadConfig) or the
// kube-apiserver's AdmissionConfiguration, whose PodSecurity plugin entry
// holds it inline (configuration) or names its file (path, relative to
// the AdmissionConfiguration's directory, as kube-apiserver resolves it).
// An AdmissionConfiguration without a PodSecurity entry yields
// DefaultConfig, as the API server then uses Kubernetes' defaults. Every
// problem is returned at once, naming the file.
func LoadAnyConfig(path string) (*PodSecurityConfiguration, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading pod security configuration: %w", err)
	}
	c, pluginPath, err := ParseAnyConfig(data)
	if err != nil {
		return nil, prefixErrors(path, err)
	}
	if pluginPath == "" {
		return c, nil
	}
	if !filepath.IsAbs(pluginPath) {
		pluginPath = filepath.Join(filepath.Dir(path), pluginPath)
	}
	return LoadConfig(pluginPath)
}

// ParseAnyConfig decodes a PodSecurityConfiguration or an
// AdmissionConfiguration (see LoadAnyConfig). When the PodSecurity plugin
// entry names a file instead of holding the configuration, c is nil and
// path is the file as written.
func ParseAnyConfig(data []byte) (c *PodSecurityConfiguration, path string, err error) {
	var tm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if len(data) > 0 {
		if err := yaml.Unmarshal(data, &tm); err != nil {
			return nil, "", fmt.Errorf("decoding configuration: %w", err)
		}
	}
	if tm.Kind != APIServerConfigKind {
		c, err := ParseConfig(data)
		return c, "", err
	}
	var ac apiServerConfig
	if err := yaml.UnmarshalStrict(data, &ac); err != nil {
		return nil, "", fmt.Errorf("decoding %s: %w", APIServerConfigKind, err)
	}
	if !apiServerConfigVersions[ac.APIVersion] {
		return nil, "", fmt.Errorf("apiVersion: Unsupported value: %q: must be apiserver.config.k8s.io/v1", ac.APIVersion)
	}
	var found *apiServerPlugin
	for i := range ac.Plugins {
		p := &ac.Plugins[i]
		if p.Name != PluginName {
			continue
		}
		if found != nil {
			return nil, "", fmt.Errorf("plugins[%d]: Duplicate value: %q", i, PluginName)
		}
		found = p
	}
	switch {
	case found == nil:
		return DefaultConfig(), "", nil
	case len(found.Configuration) > 0 && string(found.Configuration) != "null":
		if found.Path != "" {
			return nil, "", errors.New("plugins: PodSecurity: path and configuration are exclusive")
		}
		c, err := ParseConfig(found.Configuration)
		if err != nil {
			return nil, "", fmt.Errorf("plugins: PodSecurity: configuration: %w", err)
		}
		return c, "", nil
	case found.Path != "":
		return nil, found.Path, nil
	}
	return DefaultConfig(), "", nil
}
