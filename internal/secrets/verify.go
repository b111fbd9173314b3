package secrets

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/kubeward/kubeward/internal/encryption"
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

// WriteKeys reads an EncryptionConfiguration (as kube-apiserver's
// --encryption-provider-config; internal/encryption decodes it strictly) and
// returns, for each of resources ("secrets", "deployments.apps"), the
// provider and key new writes use, resolved as kube-apiserver resolves them
// (encryption.WriteProvider: the exact resource's entry, then its group's
// "*.group", then "*.*"). A resource no entry names is written in
// plaintext (identity). A file the API server would refuse because what
// writes cannot be told (no providers, several providers in one entry, no
// keys, overlapping or masked resources) is an error; other problems
// (key sizes, KMS settings) are `kubeward config`'s to judge.
func WriteKeys(data []byte, resources []string) (map[string]WriteKey, error) {
	cfg, err := encryption.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("decoding EncryptionConfiguration: %w", err)
	}
	var errs []error
	for _, p := range encryption.Validate(cfg, 0) {
		switch p.Code {
		case "no-resources", "no-providers", "duplicate", "overlap", "bare-star", "provider-none", "provider-several", "no-keys", "masked":
			errs = append(errs, errors.New(p.String()))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	out := map[string]WriteKey{}
	for _, res := range resources {
		p, ok := encryption.WriteProvider(cfg, encryption.ParseResource(res))
		switch {
		case !ok || p.Type == encryption.Identity:
			out[res] = WriteKey{Identity: true}
		case p.Type == encryption.KMS:
			out[res] = WriteKey{Provider: p.Type, Version: p.KMSAPIVersion, Key: p.Name}
		default:
			out[res] = WriteKey{Provider: p.Type, Version: "v1", Key: p.Name}
		}
	}
	return out, nil
}
