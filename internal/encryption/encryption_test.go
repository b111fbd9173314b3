package encryption

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

const (
	key16 = "MTIzNDU2Nzg5MDEyMzQ1Ng=="                     // 16 bytes
	key32 = "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=" // 32 bytes
	key10 = "MTIzNDU2Nzg5MA=="                             // 10 bytes
)

func decode(t *testing.T, body string) *Config {
	t.Helper()
	c, err := Decode([]byte("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n" + body))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return c
}

// TestValidate is a table covering each rule of kube-apiserver's
// encryption configuration validation and loading (see Validate).
func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		minor int
		body  string
		want  []string // "code path", sorted
	}{
		{name: "valid", body: `
resources:
- resources: [secrets, configmaps]
  providers:
  - aesgcm: {keys: [{name: k1, secret: ` + key32 + `}]}
  - secretbox: {keys: [{name: k2, secret: ` + key32 + `}]}
  - kms: {apiVersion: v2, name: vault, endpoint: unix:///run/kms.sock}
  - identity: {}
- resources: ["*.apps"]
  providers: [{aescbc: {keys: [{name: k3, secret: ` + key16 + `}]}}]
- resources: ["*.*"]
  providers: [{identity: {}}]
`},
		{name: "no resources", body: "resources: []\n", want: []string{"no-resources resources"}},
		{name: "entry without resources or providers", body: "resources:\n- resources: []\n", want: []string{
			"no-providers resources[0].providers", "no-resources resources[0].resources"}},
		{name: "duplicate", body: "resources:\n- resources: [secrets, secrets]\n  providers: [{identity: {}}]\n",
			want: []string{"duplicate resources[0].resources"}},
		{name: "overlap core wildcard", body: "resources:\n- resources: [secrets, \"*.\"]\n  providers: [{identity: {}}]\n",
			want: []string{"overlap resources[0].resources"}},
		{name: "overlap everything", body: "resources:\n- resources: [\"*.*\", deployments.apps]\n  providers: [{identity: {}}]\n",
			want: []string{"overlap resources[0].resources"}},
		{name: "different groups do not overlap", body: "resources:\n- resources: [\"*.apps\", secrets]\n  providers: [{identity: {}}]\n"},
		{name: "capital", body: "resources:\n- resources: [Secrets]\n  providers: [{identity: {}}]\n",
			want: []string{"capital resources[0].resources[0]"}},
		{name: "bare star", body: "resources:\n- resources: [\"*\"]\n  providers: [{identity: {}}]\n",
			want: []string{"bare-star resources[0].resources[0]"}},
		{name: "not rest", body: "resources:\n- resources: [serviceipallocations, apiserveripinfo, servicenodeportallocations]\n  providers: [{identity: {}}]\n",
			want: []string{"not-rest resources[0].resources[0]", "not-rest resources[0].resources[1]", "not-rest resources[0].resources[2]"}},
		{name: "events group", body: "resources:\n- resources: [events.events.k8s.io]\n  providers: [{identity: {}}]\n",
			want: []string{"events-group resources[0].resources[0]"}},
		{name: "extensions group", body: "resources:\n- resources: [ingresses.extensions]\n  providers: [{identity: {}}]\n",
			want: []string{"extensions-group resources[0].resources[0]"}},
		{name: "across groups", body: "resources:\n- resources: [deployments.*]\n  providers: [{identity: {}}]\n",
			want: []string{"across-groups resources[0].resources[0]"}},
		{name: "provider none", body: "resources:\n- resources: [secrets]\n  providers: [{}]\n",
			want: []string{"provider-none resources[0].providers[0]"}},
		{name: "provider several", body: "resources:\n- resources: [secrets]\n  providers: [{identity: {}, aescbc: {keys: [{name: k, secret: " + key16 + "}]}}]\n",
			want: []string{"provider-several resources[0].providers[0]"}},
		{name: "no keys", body: "resources:\n- resources: [secrets]\n  providers: [{aesgcm: {keys: []}}]\n",
			want: []string{"no-keys resources[0].providers[0].aesgcm.keys"}},
		{name: "key without name or secret", body: "resources:\n- resources: [secrets]\n  providers: [{aescbc: {keys: [{name: \"\", secret: \"\"}]}}]\n",
			want: []string{"key-name resources[0].providers[0].aescbc.keys[0].name", "key-secret resources[0].providers[0].aescbc.keys[0].secret"}},
		{name: "key not base64", body: "resources:\n- resources: [secrets]\n  providers: [{aescbc: {keys: [{name: k, secret: \"not base64!\"}]}}]\n",
			want: []string{"key-base64 resources[0].providers[0].aescbc.keys[0].secret"}},
		{name: "url-safe base64 refused", body: "resources:\n- resources: [secrets]\n  providers: [{aescbc: {keys: [{name: k, secret: \"-_-_-_-_-_-_-_-_-_-_-_==\"}]}}]\n",
			want: []string{"key-base64 resources[0].providers[0].aescbc.keys[0].secret"}},
		{name: "aes key size", body: "resources:\n- resources: [secrets]\n  providers: [{aesgcm: {keys: [{name: k, secret: " + key10 + "}]}}]\n",
			want: []string{"key-size resources[0].providers[0].aesgcm.keys[0].secret"}},
		{name: "secretbox needs 32 bytes", body: "resources:\n- resources: [secrets]\n  providers: [{secretbox: {keys: [{name: k, secret: " + key16 + "}]}}]\n",
			want: []string{"key-size resources[0].providers[0].secretbox.keys[0].secret"}},
		{name: "kms without name or endpoint", body: "resources:\n- resources: [secrets]\n  providers: [{kms: {apiVersion: v2}}]\n",
			want: []string{"kms-endpoint resources[0].providers[0].kms.endpoint", "kms-name resources[0].providers[0].kms.name"}},
		{name: "kms v2 name with colon", body: "resources:\n- resources: [secrets]\n  providers: [{kms: {apiVersion: v2, name: \"a:b\", endpoint: \"unix:///s\"}}]\n",
			want: []string{"kms-name resources[0].providers[0].kms.name"}},
		{name: "kms v2 duplicate name", body: "resources:\n- resources: [secrets]\n  providers:\n  - kms: {apiVersion: v2, name: a, endpoint: \"unix:///s\"}\n  - kms: {apiVersion: v2, name: a, endpoint: \"unix:///t\"}\n",
			want: []string{"kms-duplicate resources[0].providers[1].kms.name"}},
		{name: "kms timeout", body: "resources:\n- resources: [secrets]\n  providers: [{kms: {apiVersion: v2, name: a, endpoint: \"unix:///s\", timeout: 0s}}]\n",
			want: []string{"kms-timeout resources[0].providers[0].kms.timeout"}},
		{name: "kms endpoint scheme", body: "resources:\n- resources: [secrets]\n  providers: [{kms: {apiVersion: v2, name: a, endpoint: \"tcp://10.0.0.1:80\"}}]\n",
			want: []string{"kms-endpoint resources[0].providers[0].kms.endpoint"}},
		{name: "kms endpoint not url", body: "resources:\n- resources: [secrets]\n  providers: [{kms: {apiVersion: v2, name: a, endpoint: \"unix://%zz\"}}]\n",
			want: []string{"kms-endpoint resources[0].providers[0].kms.endpoint"}},
		{name: "kms v2 cachesize", body: "resources:\n- resources: [secrets]\n  providers: [{kms: {apiVersion: v2, name: a, endpoint: \"unix:///s\", cachesize: 10}}]\n",
			want: []string{"kms-cachesize resources[0].providers[0].kms.cachesize"}},
		{name: "kms v1 cachesize zero on 1.28", minor: 28, body: "resources:\n- resources: [secrets]\n  providers: [{kms: {name: a, endpoint: \"unix:///s\", cachesize: 0}}]\n",
			want: []string{"kms-cachesize resources[0].providers[0].kms.cachesize"}},
		{name: "kms v1 accepted on 1.28", minor: 28, body: "resources:\n- resources: [secrets]\n  providers: [{kms: {name: a, endpoint: \"unix:///s\"}}]\n"},
		{name: "kms v1 off by default on 1.29", minor: 29, body: "resources:\n- resources: [secrets]\n  providers: [{kms: {name: a, endpoint: \"unix:///s\"}}]\n",
			want: []string{"kms-v1-disabled resources[0].providers[0].kms.apiVersion"}},
		{name: "kms apiVersion", body: "resources:\n- resources: [secrets]\n  providers: [{kms: {apiVersion: v3, name: a, endpoint: \"unix:///s\"}}]\n",
			want: []string{"kms-apiversion resources[0].providers[0].kms.apiVersion"}},
		{name: "masked by group", body: "resources:\n- resources: [\"*.\"]\n  providers: [{identity: {}}]\n- resources: [secrets]\n  providers: [{identity: {}}]\n",
			want: []string{"masked resources[1].resources[0]"}},
		{name: "masked by everything", body: "resources:\n- resources: [\"*.*\"]\n  providers: [{identity: {}}]\n- resources: [deployments.apps]\n  providers: [{identity: {}}]\n",
			want: []string{"masked resources[1].resources[0]"}},
		{name: "specific before wildcard is fine", body: "resources:\n- resources: [secrets]\n  providers: [{identity: {}}]\n- resources: [\"*.\"]\n  providers: [{identity: {}}]\n- resources: [\"*.*\"]\n  providers: [{identity: {}}]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range Validate(decode(t, tt.body), tt.minor) {
				if strings.Contains(p.Message, "MTIz") {
					t.Errorf("message echoes a secret: %s", p.Message)
				}
				got = append(got, p.Code+" "+p.Path)
			}
			sort.Strings(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProviders(t *testing.T) {
	c := decode(t, `
resources:
- resources: [secrets]
  providers:
  - identity: {}
  - aescbc: {keys: [{name: old, secret: `+key16+`}]}
- resources: [configmaps, secrets]
  providers:
  - aesgcm: {keys: [{name: new, secret: `+key32+`}]}
- resources: ["*.apps"]
  providers: [{kms: {apiVersion: v2, name: vault, endpoint: "unix:///k"}}]
- resources: ["*.*"]
  providers: [{secretbox: {keys: [{name: box, secret: `+key32+`}]}}]
`)
	names := func(ps []Provider) []string {
		var s []string
		for _, p := range ps {
			s = append(s, p.String()+"@"+p.Path())
		}
		return s
	}
	for _, tt := range []struct {
		gr   schema.GroupResource
		want []string
	}{
		{schema.GroupResource{Resource: "secrets"}, []string{"identity@resources[0].providers[0]", "aescbc:old@resources[0].providers[1]", "aesgcm:new@resources[1].providers[0]"}},
		{schema.GroupResource{Resource: "configmaps"}, []string{"aesgcm:new@resources[1].providers[0]"}},
		{schema.GroupResource{Group: "apps", Resource: "deployments"}, []string{"kms:v2:vault@resources[2].providers[0]"}},
		{schema.GroupResource{Group: "batch", Resource: "jobs"}, []string{"secretbox:box@resources[3].providers[0]"}},
		{schema.GroupResource{Resource: "pods"}, []string{"secretbox:box@resources[3].providers[0]"}},
	} {
		if diff := cmp.Diff(tt.want, names(Providers(c, tt.gr))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.gr, diff)
		}
	}
	if p, ok := WriteProvider(c, schema.GroupResource{Resource: "secrets"}); !ok || p.Type != Identity || Encrypts(c, schema.GroupResource{Resource: "secrets"}) {
		t.Errorf("secrets: WriteProvider = %v, %v; want identity", p, ok)
	}
	only := decode(t, "resources:\n- resources: [configmaps]\n  providers: [{aescbc: {keys: [{name: k, secret: "+key16+"}]}}]\n")
	if _, ok := WriteProvider(only, schema.GroupResource{Resource: "secrets"}); ok {
		t.Error("secrets covered by a configuration that lists only configmaps")
	}
}

func TestDecode(t *testing.T) {
	legacy := "kind: EncryptionConfig\napiVersion: v1\nresources:\n- resources: [secrets]\n  providers: [{identity: {}}]\n"
	if _, err := Decode([]byte(legacy)); err != nil {
		t.Errorf("legacy kind: %v", err)
	}
	for name, in := range map[string]string{
		"unknown field": "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resource: [secrets]\n",
		"wrong kind":    "apiVersion: v1\nkind: ConfigMap\n",
		"empty":         "",
		"not yaml":      "resources: [",
	} {
		if _, err := Decode([]byte(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Decode(data)
		if err != nil {
			return
		}
		for _, p := range Validate(c, 0) {
			if p.Code == "" || p.Path == "" {
				t.Errorf("problem without code or path: %+v", p)
			}
		}
		for _, gr := range []schema.GroupResource{{Resource: "secrets"}, {Group: "apps", Resource: "deployments"}} {
			_, _ = WriteProvider(c, gr)
		}
	})
}
