package secrets

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	"sigs.k8s.io/yaml"
)

// KeyValue is one etcd pair. Verify reads Value's prefix and drops it.
type KeyValue struct {
	Key   string
	Value []byte
}

// Pager reads etcd in pages: up to limit pairs with keys in [from, end),
// in key order, and whether more remain after them. The etcd client
// implements it in the CLI; tests give a map.
type Pager interface {
	Page(ctx context.Context, from, end string, limit int64) (kvs []KeyValue, more bool, err error)
}

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// Prefix is kube-apiserver's --etcd-prefix; "" means /registry.
	Prefix string
	// Resources are the resources to walk ("secrets", "configmaps",
	// "deployments.apps"); empty means secrets.
	Resources []string
	// PageSize is the number of pairs read per request; 0 means 500.
	PageSize int64
	// Write gives, per resource, the key new writes are encrypted with
	// (see WriteKeys); a resource without one is reported without stale
	// objects.
	Write map[string]WriteKey
}

// ObjectName names one object found in etcd.
type ObjectName struct {
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// StorageCount is the number of objects stored one way.
type StorageCount struct {
	Storage string `json:"storage"`
	Objects int    `json:"objects"`
}

// StaleObject is an object encrypted otherwise than new writes are.
type StaleObject struct {
	ObjectName
	Storage string `json:"storage"`
}

// ResourceResult is what Verify found for one resource.
type ResourceResult struct {
	Resource   string `json:"resource"`
	EtcdPrefix string `json:"etcdPrefix"`
	Objects    int    `json:"objects"`
	// WriteKey is the provider and key new writes use, when the
	// EncryptionConfiguration was given.
	WriteKey string         `json:"writeKey,omitempty"`
	Counts   []StorageCount `json:"counts"`
	// Plaintext lists every object stored without encryption.
	Plaintext []ObjectName `json:"plaintext"`
	// Stale lists every encrypted object whose provider or key is not the
	// one new writes use (only with WriteKey).
	Stale []StaleObject `json:"stale"`
}

// Verify walks every resource of opts in etcd, page by page, and reports
// how each object is stored. It reads only each value's prefix (see
// Classify) and keeps nothing of the values. Keys below a resource's
// prefix that do not name an object are errors.
func Verify(ctx context.Context, p Pager, opts VerifyOptions) ([]ResourceResult, error) {
	resources := opts.Resources
	if len(resources) == 0 {
		resources = []string{"secrets"}
	}
	size := opts.PageSize
	if size <= 0 {
		size = 500
	}
	var out []ResourceResult
	for _, res := range resources {
		prefix := etcdPrefix(opts.Prefix, res)
		rr := ResourceResult{Resource: res, EtcdPrefix: prefix, Counts: []StorageCount{}, Plaintext: []ObjectName{}, Stale: []StaleObject{}}
		w, haveWrite := opts.Write[res]
		if haveWrite {
			rr.WriteKey = w.String()
		}
		counts := map[string]int{}
		from, end := prefix, prefixEnd(prefix)
		for {
			kvs, more, err := p.Page(ctx, from, end, size)
			if err != nil {
				return nil, fmt.Errorf("reading %s from etcd after %d objects: %w", prefix, rr.Objects, err)
			}
			for i := range kvs {
				kv := &kvs[i]
				ns, name, err := objectName(kv.Key, prefix)
				if err != nil {
					return nil, err
				}
				st := Classify(kv.Value)
				kv.Value = nil
				rr.Objects++
				counts[st.String()]++
				on := ObjectName{Namespace: ns, Name: name}
				switch {
				case !st.Encrypted:
					rr.Plaintext = append(rr.Plaintext, on)
				case haveWrite && !w.Matches(st):
					rr.Stale = append(rr.Stale, StaleObject{ObjectName: on, Storage: st.String()})
				}
			}
			if !more || len(kvs) == 0 {
				break
			}
			from = kvs[len(kvs)-1].Key + "\x00"
		}
		for s, n := range counts {
			rr.Counts = append(rr.Counts, StorageCount{Storage: s, Objects: n})
		}
		sort.Slice(rr.Counts, func(i, j int) bool { return rr.Counts[i].Storage < rr.Counts[j].Storage })
		out = append(out, rr)
	}
	return out, nil
}

// prefixEnd returns the end of the range of keys starting with prefix.
func prefixEnd(prefix string) string {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return "\x00"
}

// WriteKeys reads an EncryptionConfiguration (apiserver.config.k8s.io/v1,
// as kube-apiserver's --encryption-provider-config) and returns, for each
// of resources, the provider and key new writes use: the first provider
// of the first entry naming the resource (exactly, or by *.<group>, *. for
// the core group, or *.*). A resource no entry names is written in
// plaintext (identity). Unknown fields are errors.
func WriteKeys(data []byte, resources []string) (map[string]WriteKey, error) {
	var cfg apiserverv1.EncryptionConfiguration
	if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
		return nil, fmt.Errorf("decoding EncryptionConfiguration: %w", err)
	}
	if cfg.Kind != "EncryptionConfiguration" || cfg.APIVersion != "apiserver.config.k8s.io/v1" {
		return nil, fmt.Errorf("not an EncryptionConfiguration of apiserver.config.k8s.io/v1 (kind %q, apiVersion %q)", cfg.Kind, cfg.APIVersion)
	}
	out := map[string]WriteKey{}
	var errs []error
	for _, res := range resources {
		w := WriteKey{Identity: true}
	entries:
		for i, rc := range cfg.Resources {
			for _, pattern := range rc.Resources {
				if !resourceMatches(pattern, res) {
					continue
				}
				if len(rc.Providers) == 0 {
					errs = append(errs, fmt.Errorf("resources[%d]: no providers", i))
					break entries
				}
				var err error
				w, err = writeKey(rc.Providers[0])
				if err != nil {
					errs = append(errs, fmt.Errorf("resources[%d].providers[0]: %w", i, err))
				}
				break entries
			}
		}
		out[res] = w
	}
	return out, errors.Join(errs...)
}

func resourceMatches(pattern, res string) bool {
	_, group, _ := strings.Cut(res, ".")
	switch {
	case pattern == res || pattern == "*.*":
		return true
	case pattern == "*.":
		return group == ""
	case strings.HasPrefix(pattern, "*."):
		return group != "" && pattern[2:] == group
	}
	return false
}

func writeKey(p apiserverv1.ProviderConfiguration) (WriteKey, error) {
	firstKey := func(c *apiserverv1.AESConfiguration) (string, error) {
		if len(c.Keys) == 0 {
			return "", errors.New("no keys")
		}
		return c.Keys[0].Name, nil
	}
	switch {
	case p.Identity != nil:
		return WriteKey{Identity: true}, nil
	case p.AESCBC != nil:
		k, err := firstKey(p.AESCBC)
		return WriteKey{Provider: "aescbc", Version: "v1", Key: k}, err
	case p.AESGCM != nil:
		k, err := firstKey(p.AESGCM)
		return WriteKey{Provider: "aesgcm", Version: "v1", Key: k}, err
	case p.Secretbox != nil:
		if len(p.Secretbox.Keys) == 0 {
			return WriteKey{}, errors.New("no keys")
		}
		return WriteKey{Provider: "secretbox", Version: "v1", Key: p.Secretbox.Keys[0].Name}, nil
	case p.KMS != nil:
		v := p.KMS.APIVersion
		if v == "" {
			v = "v1"
		}
		return WriteKey{Provider: "kms", Version: v, Key: p.KMS.Name}, nil
	}
	return WriteKey{}, errors.New("no provider set")
}
