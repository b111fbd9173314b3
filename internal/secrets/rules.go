package secrets

import "github.com/kubeward/kubeward/internal/finding"

// DocURL is the Kubernetes page the secrets/ rules follow.
const DocURL = "https://kubernetes.io/docs/concepts/security/secrets-good-practices/"

// Family is the rule family of this package.
const Family = "secrets"

// Rule IDs of the secrets/ family.
const (
	RuleCommitted           = "secrets/committed-secret"
	RuleServiceAccountToken = "secrets/service-account-token"
	RuleEnvCredential       = "secrets/env-credential"
	RuleConfigMapCredential = "secrets/configmap-credential"
	RuleCommandCredential   = "secrets/command-credential"
	RuleSecretInEnv         = "secrets/secret-in-env"
	RuleVolumeAllContainers = "secrets/volume-all-containers"
	RuleReadable            = "secrets/readable"
	RulePlaintextInEtcd     = "secrets/plaintext-in-etcd"
	RuleStaleKey            = "secrets/stale-encryption-key"
)

// Rules returns the metadata of every secrets/ rule.
func Rules() []finding.Rule {
	r := func(id, title string, sev finding.Severity, doc, desc, fix string) finding.Rule {
		return finding.Rule{ID: id, Title: title, Severity: sev, Description: desc, Remediation: fix, DocURL: doc}
	}
	const (
		good    = DocURL
		saToken = "https://kubernetes.io/docs/concepts/configuration/secret/#serviceaccount-token-secrets"
		envVars = "https://kubernetes.io/docs/concepts/security/secrets-good-practices/#developers"
		rest    = "https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/"
	)
	return []finding.Rule{
		r(RuleCommitted, "Secret committed with its data", finding.SeverityHigh, good,
			"A manifest file holds a Secret with data or stringData. The values of data are only base64-encoded, which anyone who reads the repository decodes; committing them gives the credentials to everyone with access to the source and its history. Secrets whose values are all placeholders, SOPS-encrypted documents and kinds made to be committed (SealedSecret, ExternalSecret) are not reported.",
			"Keep the values out of the repository: commit a SealedSecret or a SOPS-encrypted file, or an ExternalSecret that fetches the value from a secret store, and rotate the credentials that were committed."),
		r(RuleServiceAccountToken, "Long-lived service account token Secret", finding.SeverityMedium, saToken,
			"The Secret has type kubernetes.io/service-account-token: the token controller fills it with a token that never expires and is not bound to a Pod, usable by whoever reads the Secret for as long as the Secret exists.",
			"Use short-lived, audience-bound tokens from the TokenRequest API (projected serviceAccountToken volumes, or kubectl create token) and delete service account token Secrets; keep one only where nothing else can work, and then restrict who can read it."),
		r(RuleEnvCredential, "Credential in an environment variable value", finding.SeverityHigh, envVars,
			"A container's environment variable is set by a literal value that is a credential: a known token or key format, or a non-placeholder value under a name such as PASSWORD, TOKEN or API_KEY. The value is part of the Pod spec, readable by everyone who can read the workload, and stored unencrypted in etcd.",
			"Put the credential in a Secret (created outside the repository) and mount it as a volume, or reference it with valueFrom.secretKeyRef; then rotate it."),
		r(RuleConfigMapCredential, "Credential in a ConfigMap", finding.SeverityHigh, good,
			"A ConfigMap entry is a credential, or a configuration file in a ConfigMap sets a credential. ConfigMaps are not meant for confidential data: they are never encrypted at rest and RBAC roles such as view let many subjects read them.",
			"Move the credential to a Secret and mount it beside the configuration, or have the application read it from a file or environment variable that a Secret provides; then rotate it."),
		r(RuleCommandCredential, "Credential on a container's command line", finding.SeverityHigh, envVars,
			"A container's command or args carry a credential. Command lines are part of the Pod spec, visible in process listings on the node and often logged.",
			"Pass the credential in a file from a Secret volume (or an environment variable from a Secret) and give the program its path instead; then rotate it."),
		r(RuleSecretInEnv, "Secret consumed through environment variables", finding.SeverityLow, envVars,
			"A container takes Secret values into environment variables (valueFrom.secretKeyRef or envFrom.secretRef). Environment variables are inherited by child processes, shown by crash reporters and debugging tools and printed by applications that log their configuration, and they do not follow a rotated Secret. The Secrets good practices prefer volumes.",
			"Mount the Secret as a volume (readOnly) in the containers that need it and read the credential from the file."),
		r(RuleVolumeAllContainers, "Secret volume mounted in every container", finding.SeverityLow, good,
			"A Pod with several containers mounts a Secret volume in every one of them. Sidecars rarely need the application's credentials; every container that mounts a Secret can leak it.",
			"Mount the Secret volume only in the containers that use it."),
		r(RuleReadable, "Secret readable by non-system subjects", finding.SeverityMedium, "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#listing-secrets",
			"RBAC objects among the input let users, groups or service accounts that are not Kubernetes system components get, list or watch this Secret. Subjects are found with who-can over the input's roles and bindings and Kubernetes' default policy; system:masters and system components are not counted.",
			"Limit read access to Secrets to the workloads that need them: get on named Secrets (resourceNames) in their namespace, no list or watch."),
		r(RulePlaintextInEtcd, "Secret stored in plaintext in etcd", finding.SeverityHigh, rest,
			"kubeward secrets verify-encryption read the object from etcd and its value is not encrypted (it has no k8s:enc: prefix): whoever reads etcd or its backups reads the Secret.",
			"Configure an encryption provider other than identity first in the API server's EncryptionConfiguration, then rewrite every Secret through the API (kubectl get secrets -A -o json | kubectl replace -f -)."),
		r(RuleStaleKey, "Secret encrypted with a key that is no longer the write key", finding.SeverityMedium, rest,
			"kubeward secrets verify-encryption found the object encrypted with a provider or key that is not the first of the EncryptionConfiguration: after a key rotation the object keeps its old encryption until it is written again, and the old key cannot be removed before then.",
			"Rewrite every Secret through the API (kubectl get secrets -A -o json | kubectl replace -f -) after the new key became the first, then remove the old key."),
	}
}
