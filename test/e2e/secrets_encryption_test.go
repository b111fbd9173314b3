//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeward/kubeward/internal/secrets"
	"github.com/kubeward/kubeward/test/e2e/controlplane"
)

// encryptionConfig returns an EncryptionConfiguration for secrets with the
// given providers in order: "identity" or an aescbc key name.
func encryptionConfig(providers ...string) string {
	keys := map[string]string{
		"key1": "2n95pEtS+ORDXR47vMEC5U1xAG4rtmftJ2PeypTjjfs=", // 32 bytes
		"key2": "MTIzNDU2Nzg5MGFiY2RlZjEyMzQ1Njc4OTBhYmNkZWY=", // 32 bytes
	}
	s := "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n"
	for _, p := range providers {
		if p == "identity" {
			s += "      - identity: {}\n"
			continue
		}
		s += fmt.Sprintf("      - aescbc:\n          keys:\n            - name: %s\n              secret: %s\n", p, keys[p])
	}
	return s
}

// verifyReport is the part of verify-encryption's JSON document the test reads.
type verifyReport struct {
	Findings []struct {
		Rule   string `json:"rule"`
		Object struct {
			Namespace string `json:"namespace"`
			Name      string `json:"name"`
		} `json:"object"`
		Message string `json:"message"`
	} `json:"findings"`
	Encryption []secrets.ResourceResult `json:"encryption"`
}

func verifyEncryption(t *testing.T, etcd, config string) (int, verifyReport) {
	t.Helper()
	code, out, errOut := runKubeward("secrets", "verify-encryption", "--no-config-file", "--etcd-endpoints", etcd,
		"--encryption-config", config, "--page-size", "2", "-o", "json")
	if code == 2 {
		t.Fatalf("verify-encryption: exit 2\n%s", errOut)
	}
	var r verifyReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("decoding report: %v\n%s", err, out)
	}
	return code, r
}

// found returns "namespace/name" of the findings of rule.
func found(r verifyReport, rule string) []string {
	out := []string{}
	for _, f := range r.Findings {
		if f.Rule == rule {
			out = append(out, f.Object.Namespace+"/"+f.Object.Name)
		}
	}
	sort.Strings(out)
	return out
}

// allSecrets lists every Secret of the cluster as namespace/name.
func allSecrets(t *testing.T, cs kubernetes.Interface) []string {
	t.Helper()
	l, err := cs.CoreV1().Secrets("").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, s := range l.Items {
		out = append(out, s.Namespace+"/"+s.Name)
	}
	sort.Strings(out)
	return out
}

// TestSecretsEncryption proves verify-encryption against a real
// kube-apiserver and etcd: Secrets written while identity was the first
// provider are found in plaintext, exactly those, until rewritten through
// the API; after a key rotation every Secret is found under the old key
// until rewritten.
func TestSecretsEncryption(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	config := filepath.Join(dir, "encryption.yaml")
	write := func(providers ...string) {
		if err := os.WriteFile(config, []byte(encryptionConfig(providers...)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("identity", "key1")
	cp := controlplane.Start(t, controlplane.Options{APIServerFlags: []string{"--encryption-provider-config=" + config}})
	cs := cp.Client
	etcd := cp.EtcdURL()

	const ns = "enc"
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	create := func(cs kubernetes.Interface, names ...string) {
		for _, n := range names {
			s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: n, Namespace: ns}, StringData: map[string]string{"password": "p-" + n}}
			if _, err := cs.CoreV1().Secrets(ns).Create(ctx, s, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	create(cs, "before-1", "before-2", "before-3")
	plaintext := allSecrets(t, cs) // every Secret so far, the cluster's own included

	// Encryption on: aescbc first. Only new writes are encrypted.
	write("key1", "identity")
	_, cs = cp.RestartAPIServer(t)
	create(cs, "after-1", "after-2")

	code, r := verifyEncryption(t, etcd, config)
	// The text report, for people (docs/secrets.md shows it).
	_, text, _ := runKubeward("secrets", "verify-encryption", "--no-config-file", "--etcd-endpoints", etcd, "--encryption-config", config, "--color", "never")
	t.Logf("kubeward secrets verify-encryption --etcd-endpoints %s --encryption-config encryption.yaml\n%s", etcd, text)
	if code != 1 {
		t.Errorf("exit %d, want 1 (findings)", code)
	}
	if d := cmp.Diff(plaintext, found(r, secrets.RulePlaintextInEtcd)); d != "" {
		t.Errorf("plaintext Secrets (-want +got):\n%s", d)
	}
	if got := found(r, secrets.RuleStaleKey); len(got) != 0 {
		t.Errorf("stale Secrets %v, want none", got)
	}
	if len(r.Encryption) != 1 || r.Encryption[0].WriteKey != "aescbc:v1:key1" {
		t.Fatalf("encryption section %+v, want secrets with write key aescbc:v1:key1", r.Encryption)
	}
	counts := map[string]int{}
	for _, c := range r.Encryption[0].Counts {
		counts[c.Storage] = c.Objects
	}
	if d := cmp.Diff(map[string]int{"aescbc:v1:key1": 2, "identity (protobuf)": len(plaintext)}, counts); d != "" {
		t.Errorf("counts (-want +got):\n%s", d)
	}

	// Rewrite through the API (get + update, as kubectl replace does).
	rewrite := func(cs kubernetes.Interface) {
		l, err := cs.CoreV1().Secrets("").List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range l.Items {
			if _, err := cs.CoreV1().Secrets(l.Items[i].Namespace).Update(ctx, &l.Items[i], metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	rewrite(cs)
	code, r = verifyEncryption(t, etcd, config)
	if code != 0 || len(r.Findings) != 0 {
		t.Errorf("after rewrite: exit %d, findings %+v; want 0 and none", code, r.Findings)
	}

	// Rotation: key2 becomes the write key; every Secret is under key1
	// until rewritten.
	write("key2", "key1", "identity")
	_, cs = cp.RestartAPIServer(t)
	code, r = verifyEncryption(t, etcd, config)
	_, text, _ = runKubeward("secrets", "verify-encryption", "--no-config-file", "--etcd-endpoints", etcd, "--encryption-config", config, "--color", "never")
	t.Logf("after rotation to key2:\n%s", text)
	if code != 1 {
		t.Errorf("after rotation: exit %d, want 1", code)
	}
	if d := cmp.Diff(allSecrets(t, cs), found(r, secrets.RuleStaleKey)); d != "" {
		t.Errorf("stale Secrets after rotation (-want +got):\n%s", d)
	}
	rewrite(cs)
	code, r = verifyEncryption(t, etcd, config)
	if code != 0 || len(r.Findings) != 0 {
		t.Errorf("after rewrite with key2: exit %d, findings %+v; want 0 and none", code, r.Findings)
	}
}

// TestSecretsEncryptionTLS reads an etcd that requires client
// certificates, as kubeadm runs it, with --cacert/--cert/--key, and checks
// that the walk goes page by page past many objects and that a client
// without a certificate is refused.
func TestSecretsEncryptionTLS(t *testing.T) {
	e := controlplane.StartTLSEtcd(t)
	tlsCfg, err := transport.TLSInfo{CertFile: e.CertFile, KeyFile: e.KeyFile, TrustedCAFile: e.CAFile}.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{e.Endpoint}, TLS: tlsCfg, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// 120 Secrets as kube-apiserver stores them: every tenth in plaintext.
	want := []string{}
	for i := range 120 {
		key := fmt.Sprintf("/registry/secrets/ns%d/s%03d", i%3, i)
		val := "k8s:enc:aesgcm:v1:k1:\x00\x01opaque"
		if i%10 == 0 {
			val = "k8s\x00\n\x0c\n\x02v1\x12\x06Secret"
			want = append(want, fmt.Sprintf("ns%d/s%03d", i%3, i))
		}
		if _, err := cli.Put(ctx, key, val); err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(want)
	code, out, errOut := runKubeward("secrets", "verify-encryption", "--no-config-file", "--etcd-endpoints", e.Endpoint,
		"--cacert", e.CAFile, "--cert", e.CertFile, "--key", e.KeyFile, "--page-size", "7", "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, errOut)
	}
	var r verifyReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, found(r, secrets.RulePlaintextInEtcd)); d != "" {
		t.Errorf("plaintext (-want +got):\n%s", d)
	}
	if len(r.Encryption) != 1 || r.Encryption[0].Objects != 120 {
		t.Errorf("encryption section %+v, want 120 secrets", r.Encryption)
	}
	code, _, errOut = runKubeward("secrets", "verify-encryption", "--no-config-file", "--etcd-endpoints", e.Endpoint,
		"--cacert", e.CAFile, "--timeout", "3s")
	if code != 2 {
		t.Errorf("without a client certificate: exit %d, want 2\n%s", code, errOut)
	}
	t.Logf("without a client certificate: %s", strings.TrimSpace(errOut))
}
