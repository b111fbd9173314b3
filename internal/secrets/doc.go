// Package secrets implements the Secrets good practices of the Kubernetes
// documentation (https://kubernetes.io/docs/concepts/security/secrets-good-practices/):
// the secrets/ rule family over manifests and live objects (credentials
// committed in Secrets, ConfigMaps, environment variables and command
// lines; Secrets exposed through environment variables or to containers
// that do not use them; Secrets readable by non-system RBAC subjects), and
// the proof of encryption at rest read from etcd (verify-encryption).
//
// Credential values are never kept in findings or reports: a finding names
// the field and gives a redacted hint (see Hint).
package secrets
