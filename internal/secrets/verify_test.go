package secrets

import (
	"bytes"
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Storage
	}{
		{"k8s:enc:aescbc:v1:key1:\x8f\x00ciphertext", Storage{Encrypted: true, Provider: "aescbc", Version: "v1", Key: "key1"}},
		{"k8s:enc:aesgcm:v1:2024-05:\x01\x02", Storage{Encrypted: true, Provider: "aesgcm", Version: "v1", Key: "2024-05"}},
		{"k8s:enc:secretbox:v1:sb:xx", Storage{Encrypted: true, Provider: "secretbox", Version: "v1", Key: "sb"}},
		{"k8s:enc:kms:v2:vault-kms:\n\x0a", Storage{Encrypted: true, Provider: "kms", Version: "v2", Key: "vault-kms"}},
		{"k8s:enc:kms:v1:legacy:", Storage{Encrypted: true, Provider: "kms", Version: "v1", Key: "legacy"}},
		{"k8s:enc:aescbc:v1:", Storage{Encrypted: true, Provider: "unknown"}},
		{"k8s:enc::v1:k:", Storage{Encrypted: true, Provider: "unknown"}},
		{"k8s:enc:aescbc:v1:bad\x00key:", Storage{Encrypted: true, Provider: "unknown"}},
		{"k8s\x00\n\x0c\n\x02v1\x12\x06Secret", Storage{Provider: "protobuf"}},
		{`{"kind":"Secret","apiVersion":"v1"}`, Storage{Provider: "json"}},
		{"  \n{\"kind\":\"Secret\"}", Storage{Provider: "json"}},
		{"", Storage{Provider: "unknown"}},
		{"k8s", Storage{Provider: "unknown"}},
	} {
		if got := Classify([]byte(tc.in)); got != tc.want {
			t.Errorf("Classify(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

// FuzzClassify checks that any value classifies without panic, that the
// key it names is a printable piece of the value's prefix, and that the
// value is not modified.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{"k8s:enc:aescbc:v1:key1:abc", "k8s:enc:kms:v2:p:", "k8s\x00\x0a", "{}", "k8s:enc:", "k8s:enc:a:b:c"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		orig := bytes.Clone(v)
		st := Classify(v)
		if !bytes.Equal(v, orig) {
			t.Fatal("value modified")
		}
		if st.Encrypted != bytes.HasPrefix(v, []byte(encPrefix)) {
			t.Fatalf("Encrypted = %v for %q", st.Encrypted, v)
		}
		if st.Encrypted && st.Provider != "unknown" {
			prefix := encPrefix + st.Provider + ":" + st.Version + ":" + st.Key + ":"
			if !bytes.HasPrefix(v, []byte(prefix)) {
				t.Fatalf("%+v is not the prefix of %q", st, v)
			}
		}
	})
}

type mapPager struct {
	kv    map[string]string
	pages int
}

func (m *mapPager) Page(_ context.Context, from, end string, limit int64) ([]KeyValue, bool, error) {
	m.pages++
	var keys []string
	for k := range m.kv {
		if k >= from && k < end {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	more := int64(len(keys)) > limit
	if more {
		keys = keys[:limit]
	}
	var out []KeyValue
	for _, k := range keys {
		out = append(out, KeyValue{Key: k, Value: []byte(m.kv[k])})
	}
	return out, more, nil
}

func TestVerify(t *testing.T) {
	p := &mapPager{kv: map[string]string{
		"/registry/secrets/a/one":     "k8s\x00plain",
		"/registry/secrets/a/two":     "k8s:enc:aescbc:v1:key1:xx",
		"/registry/secrets/b/three":   "k8s:enc:aescbc:v1:key2:xx",
		"/registry/secrets/b/four":    "k8s:enc:aescbc:v1:key2:xx",
		"/registry/secrets/c/five":    `{"kind":"Secret"}`,
		"/registry/secretsX/c/no":     "k8s\x00",
		"/registry/configmaps/a/cm":   "k8s\x00",
		"/registry/configmaps/a/cm2":  "k8s:enc:aescbc:v1:key2:",
		"/registry/namespaces/x":      "k8s\x00",
		"/other/secrets/a/not-walked": "k8s\x00",
	}}
	cfg := []byte(`apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets, configmaps]
    providers:
      - aescbc:
          keys:
            - name: key2
              secret: c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==
            - name: key1
              secret: dGhpcyBpcyBwYXNzd29yZA==
      - identity: {}
`)
	w, err := WriteKeys(cfg, []string{"secrets", "configmaps", "namespaces"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Verify(context.Background(), p, VerifyOptions{Resources: []string{"secrets", "configmaps", "namespaces"}, PageSize: 2, Write: w})
	if err != nil {
		t.Fatal(err)
	}
	want := []ResourceResult{
		{Resource: "secrets", EtcdPrefix: "/registry/secrets/", Objects: 5, WriteKey: "aescbc:v1:key2",
			Counts:    []StorageCount{{"aescbc:v1:key1", 1}, {"aescbc:v1:key2", 2}, {"identity (json)", 1}, {"identity (protobuf)", 1}},
			Plaintext: []ObjectName{{"a", "one"}, {"c", "five"}},
			Stale:     []StaleObject{{ObjectName{"a", "two"}, "aescbc:v1:key1"}}},
		{Resource: "configmaps", EtcdPrefix: "/registry/configmaps/", Objects: 2, WriteKey: "aescbc:v1:key2",
			Counts:    []StorageCount{{"aescbc:v1:key2", 1}, {"identity (protobuf)", 1}},
			Plaintext: []ObjectName{{"a", "cm"}}, Stale: []StaleObject{}},
		{Resource: "namespaces", EtcdPrefix: "/registry/namespaces/", Objects: 1, WriteKey: "identity",
			Counts:    []StorageCount{{"identity (protobuf)", 1}},
			Plaintext: []ObjectName{{"", "x"}}, Stale: []StaleObject{}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Verify (-want +got):\n%s", d)
	}
	if p.pages < 5 {
		t.Errorf("read in %d pages, want pages of 2", p.pages)
	}
}

func TestWriteKeys(t *testing.T) {
	for _, tc := range []struct {
		name, cfg string
		res       string
		want      string
		err       string
	}{
		{"identity first", "resources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n  - aescbc: {keys: [{name: k, secret: eA==}]}\n", "secrets", "identity", ""},
		{"masked entry refused", "resources:\n- resources: ['*.*']\n  providers:\n  - secretbox: {keys: [{name: s, secret: eA==}]}\n- resources: [secrets]\n  providers:\n  - aescbc: {keys: [{name: k, secret: eA==}]}\n", "secrets", "", "masked by an earlier entry"},
		{"exact entry before everything", "resources:\n- resources: [secrets]\n  providers:\n  - aescbc: {keys: [{name: k, secret: eA==}]}\n- resources: ['*.*']\n  providers:\n  - secretbox: {keys: [{name: s, secret: eA==}]}\n", "secrets", "aescbc:v1:k", ""},
		{"everything else", "resources:\n- resources: [secrets]\n  providers:\n  - aescbc: {keys: [{name: k, secret: eA==}]}\n- resources: ['*.*']\n  providers:\n  - secretbox: {keys: [{name: s, secret: eA==}]}\n", "configmaps", "secretbox:v1:s", ""},
		{"core group wildcard", "resources:\n- resources: ['*.']\n  providers:\n  - aesgcm: {keys: [{name: g, secret: eA==}]}\n", "secrets", "aesgcm:v1:g", ""},
		{"group wildcard", "resources:\n- resources: ['*.apps']\n  providers:\n  - aesgcm: {keys: [{name: g, secret: eA==}]}\n", "deployments.apps", "aesgcm:v1:g", ""},
		{"group wildcard misses core", "resources:\n- resources: ['*.apps']\n  providers:\n  - aesgcm: {keys: [{name: g, secret: eA==}]}\n", "secrets", "identity", ""},
		{"kms v2", "resources:\n- resources: [secrets]\n  providers:\n  - kms: {apiVersion: v2, name: vault, endpoint: unix:///k.sock}\n", "secrets", "kms:v2:vault", ""},
		{"unknown field", "resources:\n- resources: [secrets]\n  provider: []\n", "secrets", "", "unknown field"},
		{"no keys", "resources:\n- resources: [secrets]\n  providers:\n  - aescbc: {keys: []}\n", "secrets", "", "at least one key is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n" + tc.cfg
			w, err := WriteKeys([]byte(cfg), []string{tc.res})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := w[tc.res].String(); got != tc.want {
				t.Errorf("write key = %s, want %s", got, tc.want)
			}
		})
	}
}

// FuzzWriteKeys checks that any EncryptionConfiguration decodes or fails
// without panic, and that every resource asked for gets a write key when
// it succeeds.
func FuzzWriteKeys(f *testing.F) {
	f.Add([]byte("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - aescbc: {keys: [{name: k, secret: eA==}]}\n  - identity: {}\n"))
	f.Add([]byte("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: ['*.*']\n  providers:\n  - kms: {apiVersion: v2, name: p}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := WriteKeys(data, []string{"secrets", "deployments.apps"})
		if err == nil && len(w) != 2 {
			t.Fatalf("write keys %v for two resources", w)
		}
	})
}
