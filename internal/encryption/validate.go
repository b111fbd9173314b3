package encryption

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
)

// Problem is one reason kube-apiserver refuses an encryption configuration
// and does not start.
type Problem struct {
	// Path is the offending field, e.g. resources[0].providers[1].aescbc.keys[0].secret.
	Path string
	// Code names the validation rule, e.g. "key-size" (see Validate).
	Code string
	// Message explains the problem; it never holds a key's secret.
	Message string
}

func (p Problem) String() string { return p.Path + ": " + p.Message }

// The key sizes kube-apiserver accepts, in bytes after base64 decoding.
var (
	aesKeySizes       = []int{16, 24, 32}
	secretboxKeySizes = []int{32}
)

// Validate returns every problem for which kube-apiserver (the version
// judged, minor = its minor version; 0 means the latest) refuses c. These
// are the rules of k8s.io/apiserver's encryption configuration validation
// and of its loader, by Code:
//
//	no-resources      resources[] is empty, or an entry lists no resources
//	no-providers      an entry lists no providers
//	duplicate         an entry lists the same resource twice
//	overlap           an entry lists a resource and a wildcard covering it ("secrets" and "*.", or anything with "*.*")
//	capital           a resource name holds capital letters
//	bare-star         a resource is "*" (the core group is "*.", everything "*.*")
//	not-rest          apiserveripinfo, serviceipallocations, servicenodeportallocations
//	events-group      the group events.k8s.io (stored as "events")
//	extensions-group  the removed group extensions
//	across-groups     "resource.*": one resource in every group
//	provider-none     a provider entry names no provider
//	provider-several  a provider entry names more than one provider
//	no-keys           a keyed provider without keys
//	key-name          a key without a name
//	key-secret        a key without a secret
//	key-base64        a secret that is not standard base64
//	key-size          a secret whose size the cipher refuses (AES 16, 24, 32 bytes; secretbox 32)
//	kms-name          a KMS provider without a name, or a v2 name holding ':'
//	kms-duplicate     a KMS v2 name used twice among KMS providers
//	kms-timeout       a KMS timeout not positive
//	kms-endpoint      a KMS endpoint missing, not a URL, or not unix://
//	kms-cachesize     a v1 cachesize of 0, or a cachesize on v2
//	kms-apiversion    a KMS apiVersion other than v1 and v2
//	kms-v1-disabled   a KMS v1 provider from 1.29 on, where the KMSv1 feature gate is off by default
//	masked            a resource listed after an earlier entry's "*.group" or "*.*" that covers it
//
// KMS fields are defaulted first, as the API server does: apiVersion v1,
// timeout 3s, and for v1 a cachesize of 1000.
func Validate(c *Config, minor int) []Problem {
	var ps []Problem
	add := func(path, code, format string, args ...any) {
		ps = append(ps, Problem{Path: path, Code: code, Message: fmt.Sprintf(format, args...)})
	}
	if c == nil || len(c.Resources) == 0 {
		add("resources", "no-resources", "at least one resources entry is required")
		return ps
	}
	kmsNames := map[string]bool{}
	for i, rc := range c.Resources {
		rpath := fmt.Sprintf("resources[%d].resources", i)
		ppath := fmt.Sprintf("resources[%d].providers", i)
		if len(rc.Resources) == 0 {
			add(rpath, "no-resources", "at least one resource is required")
		}
		dup, overlap := overlaps(rc.Resources)
		if dup {
			add(rpath, "duplicate", "the same resource is listed more than once")
		}
		if overlap {
			add(rpath, "overlap", "a resource and a wildcard that covers it (such as \"secrets\" and \"*.\") are listed together; the wildcard masks it")
		}
		for j, r := range rc.Resources {
			validateResource(fmt.Sprintf("%s[%d]", rpath, j), r, add)
		}
		if len(rc.Providers) == 0 {
			add(ppath, "no-providers", "at least one provider is required")
		}
		for j, p := range rc.Providers {
			path := fmt.Sprintf("%s[%d]", ppath, j)
			switch _, n := providerType(p); {
			case n == 0:
				add(path, "provider-none", "names none of the providers aesgcm, aescbc, secretbox, identity, kms")
				continue
			case n > 1:
				add(path, "provider-several", "names more than one provider; give each its own list item")
				continue
			}
			switch {
			case p.KMS != nil:
				validateKMS(path+".kms", *p.KMS, kmsNames, minor, add)
			case p.AESGCM != nil:
				validateKeys(path+".aesgcm.keys", p.AESGCM.Keys, aesKeySizes, add)
			case p.AESCBC != nil:
				validateKeys(path+".aescbc.keys", p.AESCBC.Keys, aesKeySizes, add)
			case p.Secretbox != nil:
				validateKeys(path+".secretbox.keys", p.Secretbox.Keys, secretboxKeySizes, add)
			}
		}
	}
	ps = append(ps, masked(c)...)
	return ps
}

var anyResource = schema.GroupResource{Group: "*", Resource: "*"}

// overlaps reports whether resources holds a duplicate, and whether it
// holds a wildcard together with something it covers ("*.*" with anything,
// "*.group" with a resource of that group or another "*.group").
func overlaps(resources []string) (dup, overlap bool) {
	grs := make([]schema.GroupResource, len(resources))
	for i, r := range resources {
		grs[i] = ParseResource(r)
	}
	for i, a := range grs {
		for j, b := range grs {
			if i == j {
				continue
			}
			if a == b {
				dup = true
				continue
			}
			if a == anyResource || (a.Group == b.Group && (a.Resource == "*" || b.Resource == "*")) {
				overlap = true
			}
		}
	}
	return dup, overlap
}

func validateResource(path, r string, add func(path, code, format string, args ...any)) {
	gr := ParseResource(r)
	switch {
	case strings.ToLower(r) != r:
		add(path, "capital", "resource %q holds capital letters; resource names are lowercase", r)
	case r == "*":
		add(path, "bare-star", "resource \"*\" is not allowed: write \"*.\" for every resource of the core group or \"*.*\" for every resource")
	case r == "apiserveripinfo" || r == "serviceipallocations" || r == "servicenodeportallocations":
		add(path, "not-rest", "resource %q has no REST API and cannot be encrypted", r)
	case gr.Group == "events.k8s.io":
		add(path, "events-group", "resource %q: events.k8s.io objects are stored under the group \"events\"; write %q", r, gr.Resource+".events")
	case gr.Group == "extensions":
		add(path, "extensions-group", "resource %q: the group extensions was removed and cannot be encrypted", r)
	case gr.Group == "*" && gr.Resource != "*":
		add(path, "across-groups", "resource %q names one resource in every group, which is not supported", r)
	}
}

func validateKeys(path string, keys []apiserverv1.Key, sizes []int, add func(path, code, format string, args ...any)) {
	if len(keys) == 0 {
		add(path, "no-keys", "at least one key is required")
		return
	}
	for i, k := range keys {
		kp := fmt.Sprintf("%s[%d]", path, i)
		if k.Name == "" {
			add(kp+".name", "key-name", "the key has no name")
		}
		if k.Secret == "" {
			add(kp+".secret", "key-secret", "the key has no secret")
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(k.Secret)
		if err != nil {
			add(kp+".secret", "key-base64", "the secret of key %q is not standard base64", k.Name)
			continue
		}
		if !containsInt(sizes, len(raw)) {
			add(kp+".secret", "key-size", "the secret of key %q is %d bytes; the cipher takes %s", k.Name, len(raw), sizeList(sizes))
		}
	}
}

func validateKMS(path string, k apiserverv1.KMSConfiguration, names map[string]bool, minor int, add func(path, code, format string, args ...any)) {
	// Defaults, as SetDefaults_KMSConfiguration.
	if k.APIVersion == "" {
		k.APIVersion = "v1"
	}
	if k.CacheSize == nil && k.APIVersion == "v1" {
		n := int32(1000)
		k.CacheSize = &n
	}
	if k.Name == "" {
		add(path+".name", "kms-name", "the KMS provider has no name")
	}
	if k.APIVersion != "v1" && strings.Contains(k.Name, ":") {
		add(path+".name", "kms-name", "KMS v2 provider name %q must not contain ':'", k.Name)
	}
	// Names of v2 providers must be unique among all KMS providers (v1
	// names too when the configuration is reloaded automatically).
	if k.APIVersion != "v1" && names[k.Name] {
		add(path+".name", "kms-duplicate", "KMS provider name %q is used twice; names must be unique", k.Name)
	}
	names[k.Name] = true
	if k.Timeout != nil && k.Timeout.Duration <= 0 {
		add(path+".timeout", "kms-timeout", "the timeout must be positive, not %s", k.Timeout.Duration)
	}
	switch u, err := url.Parse(k.Endpoint); {
	case k.Endpoint == "":
		add(path+".endpoint", "kms-endpoint", "the KMS provider has no endpoint")
	case err != nil:
		add(path+".endpoint", "kms-endpoint", "endpoint %q is not a URL: %v", k.Endpoint, err)
	case u.Scheme != "unix":
		add(path+".endpoint", "kms-endpoint", "endpoint %q: scheme %q is not supported, only unix", k.Endpoint, u.Scheme)
	}
	if k.APIVersion != "v1" && k.CacheSize != nil {
		add(path+".cachesize", "kms-cachesize", "cachesize is not supported by KMS v2")
	}
	if k.APIVersion == "v1" && k.CacheSize != nil && *k.CacheSize == 0 {
		add(path+".cachesize", "kms-cachesize", "cachesize must be positive, or negative to disable the cache")
	}
	switch k.APIVersion {
	case "v1":
		if minor == 0 || minor >= 29 {
			add(path+".apiVersion", "kms-v1-disabled", "KMS v1 is deprecated and off by default since Kubernetes 1.29: the API server refuses it unless started with --feature-gates=KMSv1=true")
		}
	case "v2":
	default:
		add(path+".apiVersion", "kms-apiversion", "KMS apiVersion %q is not supported: use v2 (or the deprecated v1)", k.APIVersion)
	}
}

// masked reports resources listed after an earlier entry whose "*.group" or
// "*.*" covers them: the API server's loader refuses such a file, as the
// later rule could never apply.
func masked(c *Config) []Problem {
	var ps []Problem
	seen := map[schema.GroupResource]bool{}
	for i, rc := range c.Resources {
		for j, r := range rc.Resources {
			gr := ParseResource(r)
			group := schema.GroupResource{Group: gr.Group, Resource: "*"}
			path := fmt.Sprintf("resources[%d].resources[%d]", i, j)
			switch {
			case seen[group]:
				ps = append(ps, Problem{Path: path, Code: "masked", Message: fmt.Sprintf("resource %q is masked by an earlier entry's %q", r, yamlString(group))})
			case seen[anyResource]:
				ps = append(ps, Problem{Path: path, Code: "masked", Message: fmt.Sprintf("resource %q is masked by an earlier entry's \"*.*\"", r)})
			}
		}
		// Resources of one entry are added after the entry is checked,
		// as the loader does; overlaps within an entry are "overlap".
		for _, r := range rc.Resources {
			seen[ParseResource(r)] = true
		}
	}
	return ps
}

func yamlString(gr schema.GroupResource) string {
	if gr.Group == "" {
		return gr.Resource + "."
	}
	return gr.Resource + "." + gr.Group
}

func containsInt(list []int, n int) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}

func sizeList(sizes []int) string {
	s := make([]string, len(sizes))
	for i, n := range sizes {
		s[i] = fmt.Sprint(n)
	}
	if len(s) == 1 {
		return s[0] + " bytes"
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1] + " bytes"
}
