package secrets

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/kubeward/kubeward/internal/manifest/manifesttest"
	corev1 "k8s.io/api/core/v1"
)

func TestWords(t *testing.T) {
	for in, want := range map[string][]string{
		"dbPassword_FILE":       {"db", "password", "file"},
		"AWS_SECRET_ACCESS_KEY": {"aws", "secret", "access", "key"},
		"spring.datasource.pwd": {"spring", "datasource", "pwd"},
		"APIKey":                {"api", "key"},
		"--github-token":        {"github", "token"},
	} {
		if got := Words(in); !cmp.Equal(got, want) {
			t.Errorf("Words(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCredentialName(t *testing.T) {
	for name, want := range map[string]bool{
		"DB_PASSWORD": true, "password": true, "apiKey": true, "API_KEY": true, "private_key": true,
		"GITHUB_TOKEN": true, "clientSecret": true, "SMTP_PASS": true, "dbpassword": true, "credentials": true,
		"PASSWORD_FILE": false, "TOKEN_TTL": false, "SECRET_NAME": false, "PASSWORD_MIN_LENGTH": false,
		"KEYCLOAK_URL": false, "KEY": false, "CACHE_KEY": false, "PUBLIC_KEY_ID": false, "LOG_LEVEL": false,
		"passthrough": false, "SECRETS_DIR": false, "bypass": false,
	} {
		if got := CredentialName(name); got != want {
			t.Errorf("CredentialName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestPlaceholder(t *testing.T) {
	for v, want := range map[string]bool{
		"changeme": true, "<password>": true, "${PASSWORD}": true, "$(DB_PASS)": true, "{{ .Values.pw }}": true,
		"%PASSWORD%": true, "__TOKEN__": true, "@PW@": true, "`cat f`": true, "xxxxxxxx": true, "********": true,
		"/run/secrets/pw": true, "your-api-key": true, "": true, "EXAMPLEKEY": true,
		"hunter2": false, "Zx9mQ2vLw7Tr4K": false, "postgres": false,
	} {
		if got := Placeholder(v); got != want {
			t.Errorf("Placeholder(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestHint(t *testing.T) {
	for v, want := range map[string]string{"short": "(5 chars)", "Zx9mQ2vLw7Tr4K": "Zx… (14 chars)", "ééééééééé": "éé… (9 chars)"} {
		if got := Hint(v); got != want {
			t.Errorf("Hint(%q) = %q, want %q", v, got, want)
		}
	}
}

func TestFindFormat(t *testing.T) {
	for _, tc := range []struct{ in, kind string }{
		{"key AKIA2E3FN5KMTB7WQXRZ in text", "AWS access key ID"},
		{"AKIAIOSFODNN7EXAMPLE", ""},
		{"ghp_" + strings.Repeat("x", 36), ""},
		{"ghp_Ab3dE7gH1jK9mN2pQ5rS8tU0vW4xY6zA1c3E", "GitHub token"},
		{"https://user:pa55w0rd!@git.example.com/repo", "URL with a password"},
		{"https://user:${PASSWORD}@git.example.com/repo", ""},
		{"https://git.example.com/repo", ""},
		{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4eXoxMjMifQ.c2lnbmF0dXJlc2lnbmF0dXJl", "JSON Web Token"},
		{"eyJub3RhbGciOiJ4In0.eyJzdWIiOiJ4eXoxMjMifQ.c2lnbmF0dXJlc2lnbmF0dXJl", ""},
		{"-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----", ""},
	} {
		m, ok := FindFormat(tc.in)
		if ok != (tc.kind != "") || m.Kind != tc.kind {
			t.Errorf("FindFormat(%q) = %q, %v; want %q", tc.in, m.Kind, ok, tc.kind)
		}
	}
}

// BenchmarkCheckPod measures the per-object cost of the secrets/ checks on
// a workload with a typical environment.
func BenchmarkCheckPod(b *testing.B) {
	spec := &corev1.PodSpec{Containers: []corev1.Container{{
		Name: "app",
		Args: []string{"--listen=:8080", "--config=/etc/app/config.yaml", "--log-level=info"},
		Env: []corev1.EnvVar{
			{Name: "LOG_LEVEL", Value: "info"}, {Name: "DB_HOST", Value: "db.shop.svc"},
			{Name: "DB_PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "password"}}},
			{Name: "TOKEN_URL", Value: "https://auth.example.com/token"}, {Name: "JAVA_OPTS", Value: "-Xmx512m"},
		},
	}, {Name: "proxy", Args: []string{"--upstream=http://localhost:8080"}}}}
	in := Input{Object: &corev1.Pod{Spec: *spec}, FromFile: true, Pod: spec}
	var out []Issue
	b.ReportAllocs()
	for b.Loop() {
		out = Check(in, out[:0])
	}
}

// TestCheckSecretSource checks that only Secrets read from files are
// reported as committed (a live Secret holds its data by design), that
// SOPS documents are not, and that service account token Secrets are
// reported from either source.
func TestCheckSecretSource(t *testing.T) {
	s := &corev1.Secret{StringData: map[string]string{"password": "Zx9mQ2vLw7Tr4K"}}
	tok := &corev1.Secret{Type: corev1.SecretTypeServiceAccountToken}
	for _, tc := range []struct {
		name string
		in   Input
		want []string
	}{
		{"file", Input{Object: s, FromFile: true}, []string{RuleCommitted}},
		{"live", Input{Object: s}, nil},
		{"sops", Input{Object: s, FromFile: true, SOPS: true}, nil},
		{"token file", Input{Object: tok, FromFile: true}, []string{RuleServiceAccountToken}},
		{"token live", Input{Object: tok}, []string{RuleServiceAccountToken}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, is := range Check(tc.in, nil) {
				got = append(got, is.Rule)
			}
			if !cmp.Equal(got, tc.want) {
				t.Errorf("rules %v, want %v", got, tc.want)
			}
		})
	}
}

var hintForm = regexp.MustCompile(`^(?s:(.{1,2})… )?\(\d+ chars\)$`)

// FuzzCredential checks that any name and value (an env var, a ConfigMap
// entry, a configuration file, a command line) are checked without panic
// and that every message carries a redacted hint, never more than two
// characters of a value.
func FuzzCredential(f *testing.F) {
	f.Add("DB_PASSWORD", "Zx9mQ2vLw7Tr4K")
	f.Add("config.ini", "[db]\npassword = Zx9mQ2vLw7Tr4K\nuser = app\n")
	f.Add("x", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----")
	f.Add("URL", "https://u:Zx9mQ2vLw7Tr4K@h/p")
	f.Add("args", "sh -c exec app --token Zx9mQ2vLw7Tr4K")
	f.Fuzz(func(t *testing.T, name, value string) {
		if m, ok := Credential(name, value); ok && !hintForm.MatchString(m.Hint) {
			t.Fatalf("hint %q is not redacted", m.Hint)
		}
		cm := &corev1.ConfigMap{Data: map[string]string{name: value}}
		for _, is := range Check(Input{Object: cm}, nil) {
			if len(value) >= 12 && !strings.Contains(name, value) && strings.Contains(is.Message, value) {
				t.Fatalf("message %q echoes the value", is.Message)
			}
		}
		if _, m, ok := commandCredential(strings.Fields(value)); ok && !hintForm.MatchString(m.Hint) {
			t.Fatalf("hint %q is not redacted", m.Hint)
		}
	})
}

// BenchmarkFindFormat measures FindFormat on the values the scan benchmark
// corpus gives it: ConfigMap data (property files) and environment values.
func BenchmarkFindFormat(b *testing.B) {
	var values []string
	var size int64
	for _, doc := range strings.Split(string(manifesttest.Corpus(1, 2000)), "---\n") {
		var obj struct {
			Data map[string]string `json:"data"`
		}
		if yaml.Unmarshal([]byte(doc), &obj) != nil {
			continue
		}
		for _, v := range obj.Data {
			values = append(values, v)
			size += int64(len(v))
		}
	}
	b.SetBytes(size)
	for b.Loop() {
		for _, v := range values {
			FindFormat(v)
		}
	}
}
