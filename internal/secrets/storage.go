package secrets

import (
	"bytes"
	"fmt"
	"strings"
)

// Storage says how kube-apiserver stored one object in etcd, read from the
// prefix of the value alone.
type Storage struct {
	// Encrypted is true for a value with a k8s:enc: prefix.
	Encrypted bool
	// Provider is the encryption provider (aescbc, aesgcm, secretbox, kms)
	// for an encrypted value; for a plaintext value it is the encoding:
	// "protobuf", "json" or "unknown".
	Provider string
	// Version is the provider's format version (v1, v2 for KMS v2).
	Version string
	// Key is the key name (the KMS plugin name for kms) of an encrypted value.
	Key string
}

// String renders s as the prefix it was read from ("aescbc:v1:key1") or
// "identity (protobuf)".
func (s Storage) String() string {
	if !s.Encrypted {
		return "identity (" + s.Provider + ")"
	}
	return s.Provider + ":" + s.Version + ":" + s.Key
}

const encPrefix = "k8s:enc:"

// protobufMagic starts the values kube-apiserver stores as protobuf.
var protobufMagic = []byte("k8s\x00")

// Classify reads how a value read from etcd was stored, looking only at its
// prefix: "k8s:enc:<provider>:<version>:<key>:" for an encrypted value
// (transformers of k8s.io/apiserver write aescbc, aesgcm and secretbox as
// v1 with the key name, kms as v1 or v2 with the plugin name), the
// protobuf magic "k8s\x00" or a JSON object for plaintext. An encrypted
// prefix that does not parse is reported as encrypted by provider
// "unknown". Classify does not retain or copy v.
func Classify(v []byte) Storage {
	if bytes.HasPrefix(v, []byte(encPrefix)) {
		rest := v[len(encPrefix):]
		// provider:version:key: — the key name ends at the next colon.
		var parts [3]string
		for i := range parts {
			j := bytes.IndexByte(rest, ':')
			if j <= 0 || j > 256 {
				return Storage{Encrypted: true, Provider: "unknown"}
			}
			parts[i] = string(rest[:j])
			rest = rest[j+1:]
		}
		if !printable(parts[0]) || !printable(parts[1]) || !printable(parts[2]) {
			return Storage{Encrypted: true, Provider: "unknown"}
		}
		return Storage{Encrypted: true, Provider: parts[0], Version: parts[1], Key: parts[2]}
	}
	if bytes.HasPrefix(v, protobufMagic) {
		return Storage{Provider: "protobuf"}
	}
	t := bytes.TrimLeft(v, " \t\r\n")
	if len(t) > 0 && t[0] == '{' {
		return Storage{Provider: "json"}
	}
	return Storage{Provider: "unknown"}
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// WriteKey is the provider and key kube-apiserver encrypts new writes of a
// resource with: the first provider of the first matching entry of its
// EncryptionConfiguration. Identity is true when writes are stored in
// plaintext.
type WriteKey struct {
	Identity bool
	Provider string
	Version  string
	Key      string
}

// Matches reports whether a value stored as s was written with w.
func (w WriteKey) Matches(s Storage) bool {
	if w.Identity {
		return !s.Encrypted
	}
	return s.Encrypted && s.Provider == w.Provider && s.Version == w.Version && s.Key == w.Key
}

// String renders w as a prefix ("aescbc:v1:key2") or "identity".
func (w WriteKey) String() string {
	if w.Identity {
		return "identity"
	}
	return w.Provider + ":" + w.Version + ":" + w.Key
}

// etcdPrefix returns the etcd key prefix under which kube-apiserver stores
// resource ("secrets", "configmaps", "deployments.apps") below prefix
// (default /registry): /registry/secrets/. Resources of API groups are
// stored under their resource name alone, as the API server does for
// built-in groups.
func etcdPrefix(prefix, resource string) string {
	if prefix == "" {
		prefix = "/registry"
	}
	r, _, _ := strings.Cut(resource, ".")
	return strings.TrimRight(prefix, "/") + "/" + r + "/"
}

// objectName splits an etcd key below its resource prefix into namespace
// and name: /registry/secrets/NS/NAME, or /registry/RES/NAME for
// cluster-scoped resources.
func objectName(key, prefix string) (namespace, name string, err error) {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok || rest == "" {
		return "", "", fmt.Errorf("etcd key %q is not below %q", key, prefix)
	}
	ns, n, found := strings.Cut(rest, "/")
	if !found {
		return "", ns, nil
	}
	return ns, n, nil
}
