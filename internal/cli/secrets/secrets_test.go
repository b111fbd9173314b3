package secrets

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubeward/kubeward/internal/rules"
	"github.com/kubeward/kubeward/internal/secrets"
)

func TestFindingsAndCounts(t *testing.T) {
	r := []secrets.ResourceResult{{
		Resource: "secrets", EtcdPrefix: "/registry/secrets/", Objects: 3, WriteKey: "aescbc:v1:k2",
		Counts:    []secrets.StorageCount{{Storage: "aescbc:v1:k1", Objects: 1}, {Storage: "aescbc:v1:k2", Objects: 1}, {Storage: "identity (protobuf)", Objects: 1}},
		Plaintext: []secrets.ObjectName{{Namespace: "a", Name: "one"}},
		Stale:     []secrets.StaleObject{{ObjectName: secrets.ObjectName{Namespace: "b", Name: "two"}, Storage: "aescbc:v1:k1"}},
	}, {Resource: "configmaps", EtcdPrefix: "/registry/configmaps/", Counts: []secrets.StorageCount{}}}
	var got []string
	for _, f := range Findings(rules.Builtin(), r[0]) {
		got = append(got, f.Rule+" "+f.Object.String()+": "+f.Message)
	}
	want := []string{
		"secrets/plaintext-in-etcd Secret/a/one: Secret is stored in plaintext in etcd at /registry/secrets/a/one (new writes use aescbc:v1:k2: rewrite it)",
		"secrets/stale-encryption-key Secret/b/two: Secret is encrypted with aescbc:v1:k1, new writes use aescbc:v1:k2: rewrite it",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
	var buf bytes.Buffer
	if err := printCounts(&buf, r); err != nil {
		t.Fatal(err)
	}
	wantText := `RESOURCE    STORED AS            OBJECTS
secrets     aescbc:v1:k1         1
secrets     aescbc:v1:k2         1
secrets     identity (protobuf)  1
configmaps  (none)               0
secrets: new writes use aescbc:v1:k2
`
	if d := cmp.Diff(wantText, buf.String()); d != "" {
		t.Errorf("counts (-want +got):\n%s", d)
	}
}
