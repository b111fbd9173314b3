// Package encryption reads an EncryptionConfiguration (the file of
// kube-apiserver's --encryption-provider-config) exactly as kube-apiserver
// does: which provider encrypts writes of each resource, which providers
// can read what is stored, and every problem for which the API server
// refuses the file.
//
// Resolution, as k8s.io/apiserver's encryption config loader does it: every
// entry of resources[] lists resources ("secrets", "deployments.apps",
// "*.apps" for a whole group, "*." for the core group, "*.*" for
// everything) and providers; a resource listed by several entries gets the
// providers of all of them, earlier entries first. A resource is looked up
// exactly, then as its group's "*.group" entry, then as "*.*"; the first
// provider found encrypts writes, all of them decrypt reads, and a resource
// no entry matches is stored as written (identity).
package encryption

import (
	"bytes"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Config is the v1 EncryptionConfiguration, the only version kube-apiserver reads.
type Config = apiserverv1.EncryptionConfiguration

// The provider types, as their keys are spelled in the file.
const (
	AESGCM    = "aesgcm"
	AESCBC    = "aescbc"
	Secretbox = "secretbox"
	Identity  = "identity"
	KMS       = "kms"
)

// Provider is one provider of a resource's list.
type Provider struct {
	// Type is one of AESGCM, AESCBC, Secretbox, Identity or KMS.
	Type string
	// KMSAPIVersion is "v1" or "v2" (defaulted to v1 as the API server
	// does) for KMS providers, else "".
	KMSAPIVersion string
	// Name is the KMS provider's name, or the name of the first key (the
	// key that encrypts writes) of the other keyed providers.
	Name string
	// Entry and Index locate the provider: resources[Entry].providers[Index].
	Entry, Index int
}

// Path is the provider's field path in the file.
func (p Provider) Path() string {
	return fmt.Sprintf("resources[%d].providers[%d]", p.Entry, p.Index)
}

// String names the provider as the storage prefix does: "aescbc:key1",
// "kms:v2:name", "identity".
func (p Provider) String() string {
	switch {
	case p.Type == KMS:
		return KMS + ":" + p.KMSAPIVersion + ":" + p.Name
	case p.Name != "":
		return p.Type + ":" + p.Name
	}
	return p.Type
}

// Decode decodes an EncryptionConfiguration from YAML or JSON, strictly
// (unknown and duplicate fields are errors, as kube-apiserver's strict
// decoder reports them). Both apiVersion apiserver.config.k8s.io/v1, kind
// EncryptionConfiguration, and the legacy apiVersion v1, kind
// EncryptionConfig that kube-apiserver still accepts are read; any other
// type is an error.
func Decode(data []byte) (*Config, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	return decodeJSON(js)
}

// FromMap decodes an already parsed object (an unstructured object's
// content) as Decode does.
func FromMap(obj map[string]any) (*Config, error) {
	js, err := yaml.Marshal(obj)
	if err != nil {
		return nil, err
	}
	return Decode(js)
}

func decodeJSON(js []byte) (*Config, error) {
	if len(bytes.TrimSpace(js)) == 0 || bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
		return nil, fmt.Errorf("empty encryption configuration")
	}
	c := &Config{}
	strict, err := sigsjson.UnmarshalStrict(js, c)
	if err != nil {
		return nil, err
	}
	if len(strict) > 0 {
		msgs := make([]string, len(strict))
		for i, e := range strict {
			msgs[i] = e.Error()
		}
		return nil, fmt.Errorf("strict decoding error: %s", strings.Join(msgs, ", "))
	}
	if !IsKind(c.APIVersion, c.Kind) {
		return nil, fmt.Errorf("not an encryption configuration: apiVersion %q, kind %q", c.APIVersion, c.Kind)
	}
	return c, nil
}

// IsKind reports whether apiVersion and kind name an encryption
// configuration kube-apiserver reads.
func IsKind(apiVersion, kind string) bool {
	return (apiVersion == apiserverv1.SchemeGroupVersion.String() && kind == "EncryptionConfiguration") ||
		(apiVersion == "v1" && kind == "EncryptionConfig")
}

// providerType returns the type of p, or "" when it names none or several
// (Validate reports those).
func providerType(p apiserverv1.ProviderConfiguration) (typ string, n int) {
	if p.AESGCM != nil {
		typ, n = AESGCM, n+1
	}
	if p.AESCBC != nil {
		typ, n = AESCBC, n+1
	}
	if p.Secretbox != nil {
		typ, n = Secretbox, n+1
	}
	if p.Identity != nil {
		typ, n = Identity, n+1
	}
	if p.KMS != nil {
		typ, n = KMS, n+1
	}
	if n != 1 {
		return "", n
	}
	return typ, n
}

func provider(c *Config, entry, index int) Provider {
	p := c.Resources[entry].Providers[index]
	typ, _ := providerType(p)
	out := Provider{Type: typ, Entry: entry, Index: index}
	switch {
	case p.KMS != nil && typ == KMS:
		out.Name = p.KMS.Name
		out.KMSAPIVersion = p.KMS.APIVersion
		if out.KMSAPIVersion == "" {
			out.KMSAPIVersion = "v1"
		}
	case p.AESGCM != nil && len(p.AESGCM.Keys) > 0:
		out.Name = p.AESGCM.Keys[0].Name
	case p.AESCBC != nil && len(p.AESCBC.Keys) > 0:
		out.Name = p.AESCBC.Keys[0].Name
	case p.Secretbox != nil && len(p.Secretbox.Keys) > 0:
		out.Name = p.Secretbox.Keys[0].Name
	}
	return out
}

// ParseResource parses a resource as the file writes it ("secrets",
// "deployments.apps", "*.apps", "*.", "*.*") into a group and resource, as
// kube-apiserver does (schema.ParseGroupResource).
func ParseResource(s string) schema.GroupResource { return schema.ParseGroupResource(s) }

// Providers returns, in order, the providers kube-apiserver uses for gr:
// the first encrypts writes, all of them decrypt reads. It returns nil when
// no entry matches gr, which means gr is stored unencrypted. gr's resource
// is a plain resource name such as "secrets" (group "" for the core group).
func Providers(c *Config, gr schema.GroupResource) []Provider {
	if c == nil {
		return nil
	}
	for _, key := range []schema.GroupResource{gr, {Group: gr.Group, Resource: "*"}, {Group: "*", Resource: "*"}} {
		var out []Provider
		for i, rc := range c.Resources {
			if !lists(rc.Resources, key) {
				continue
			}
			for j := range rc.Providers {
				out = append(out, provider(c, i, j))
			}
		}
		if out != nil {
			return out
		}
	}
	return nil
}

func lists(resources []string, key schema.GroupResource) bool {
	for _, r := range resources {
		if ParseResource(r) == key {
			return true
		}
	}
	return false
}

// WriteProvider returns the provider that encrypts writes of gr, and false
// when no entry matches gr (it is stored in plaintext, as with identity).
func WriteProvider(c *Config, gr schema.GroupResource) (Provider, bool) {
	ps := Providers(c, gr)
	if len(ps) == 0 {
		return Provider{Type: Identity, Entry: -1, Index: -1}, false
	}
	return ps[0], true
}

// Encrypts reports whether writes of gr are encrypted (the provider that
// writes is not identity).
func Encrypts(c *Config, gr schema.GroupResource) bool {
	p, ok := WriteProvider(c, gr)
	return ok && p.Type != Identity
}
