package auditlog

import "github.com/kubeward/kubeward/internal/finding"

// RuleFamily is the family of every audit log rule.
const RuleFamily = "auditlog"

// The rule IDs.
const (
	RulePodSecurity          = RuleFamily + "/pod-security-violation"
	RulePodSecurityExempt    = RuleFamily + "/pod-security-exemption-used"
	RulePodExec              = RuleFamily + "/pod-exec"
	RulePodPortForward       = RuleFamily + "/pod-portforward"
	RuleEphemeralContainer   = RuleFamily + "/ephemeral-container"
	RuleNodeProxy            = RuleFamily + "/node-proxy"
	RuleSecretRead           = RuleFamily + "/secret-read"
	RuleSecretListAll        = RuleFamily + "/secret-list-all-namespaces"
	RuleSecretEnumeration    = RuleFamily + "/secret-enumeration"
	RuleSecretReadDenied     = RuleFamily + "/secret-read-denied"
	RuleBindingPrivileged    = RuleFamily + "/rbac-privileged-binding"
	RuleRolePrivileged       = RuleFamily + "/rbac-privileged-role"
	RuleEscalateBindUsed     = RuleFamily + "/rbac-escalate-bind-used"
	RuleSystemRoleModified   = RuleFamily + "/rbac-system-role-modified"
	RuleImpersonation        = RuleFamily + "/impersonation"
	RuleAnonymousAllowed     = RuleFamily + "/anonymous-allowed"
	RuleAuthFailureBurst     = RuleFamily + "/auth-failure-burst"
	RuleTokenOtherSA         = RuleFamily + "/token-for-other-serviceaccount"
	RuleCSRApproval          = RuleFamily + "/csr-approval"
	RuleCSRSelfApproval      = RuleFamily + "/csr-self-approval"
	RuleAdmissionWebhook     = RuleFamily + "/admission-webhook-changed"
	RulePodSecurityLabelDown = RuleFamily + "/pod-security-label-lowered"
)

const (
	docAuditing    = "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/"
	docPSS         = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"
	docPSA         = "https://kubernetes.io/docs/concepts/security/pod-security-admission/"
	docRBACGood    = "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"
	docSecretsGood = "https://kubernetes.io/docs/concepts/security/secrets-good-practices/"
	docAuthn       = "https://kubernetes.io/docs/reference/access-authn-authz/authentication/"
	docSAToken     = "https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/"
	docCSR         = "https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/"
	docWebhooks    = "https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/"
	docKubelet     = "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/"
	docEphemeral   = "https://kubernetes.io/docs/concepts/workloads/pods/ephemeral-containers/"
)

// Rules returns the audit log rules, for the one registry (internal/rules).
func Rules() []finding.Rule {
	return []finding.Rule{
		{ID: RulePodSecurity, Title: "Pod admitted that violates the Pod Security level", Severity: finding.SeverityHigh,
			Description: "A pod, or a workload's pod template, was created or updated (including ephemeral containers added) with a spec that violates the chosen Pod Security level (--pod-security, default baseline), evaluated on the request object with the same checks as scan; each failing check is one finding, named by its Kubernetes check ID.",
			Remediation: "Find out who created the object and why; enforce the level on the namespace with the pod-security.kubernetes.io/enforce label and change the workload so that it meets it.",
			DocURL:      docPSS},
		{ID: RulePodSecurityExempt, Title: "Pod admitted despite the namespace's enforced Pod Security level", Severity: finding.SeverityCritical,
			Description: "A pod violating the level its namespace enforces (the pod-security.kubernetes.io/enforce-policy audit annotation) was nevertheless admitted, because Pod Security admission exempted the user, namespace or runtime class (the pod-security.kubernetes.io/exempt annotation).",
			Remediation: "Review the exemptions of the PodSecurity admission configuration; exempt only the identities that must create such pods and watch what they create.",
			DocURL:      docPSA},
		{ID: RulePodExec, Title: "Command executed in a pod", Severity: finding.SeverityMedium,
			Description: "A user requested pods/exec or pods/attach, which runs commands inside a container with the container's identity and access to its Secrets and service account token.",
			Remediation: "Make sure the session was expected; grant the create verb on pods/exec and pods/attach only to those who need an interactive shell, and only in their namespaces.",
			DocURL:      docRBACGood},
		{ID: RulePodPortForward, Title: "Port forwarded into a pod", Severity: finding.SeverityLow,
			Description: "A user requested pods/portforward, which opens a tunnel to any port of a pod and bypasses Services and NetworkPolicies applied at the pod's network edge.",
			Remediation: "Make sure the tunnel was expected; grant pods/portforward only to those who debug the workloads of a namespace.",
			DocURL:      docRBACGood},
		{ID: RuleEphemeralContainer, Title: "Ephemeral container added to a pod", Severity: finding.SeverityMedium,
			Description: "A user added an ephemeral container to a running pod (pods/ephemeralcontainers), which runs a new process in the pod's namespaces, possibly with a different image and security context.",
			Remediation: "Make sure the debugging session was expected; grant update on pods/ephemeralcontainers only to those who debug workloads.",
			DocURL:      docEphemeral},
		{ID: RuleNodeProxy, Title: "Kubelet API reached through nodes/proxy", Severity: finding.SeverityHigh,
			Description: "A request went through the nodes/proxy subresource, which gives direct access to the kubelet API (including running commands in any pod of the node) without the pods/exec authorization and its audit trail.",
			Remediation: "Grant nodes/proxy only to monitoring components that need it and to nobody else; see the kubelet authorization page.",
			DocURL:      docKubelet},
		{ID: RuleSecretRead, Title: "Secret read by a person or workload", Severity: finding.SeverityLow,
			Description: "A Secret was read (get) by an identity that is neither a control plane component nor a kube-system controller.",
			Remediation: "Make sure the identity needs the Secret; prefer mounting Secrets into pods to reading them through the API, and grant get on named Secrets (resourceNames) only.",
			DocURL:      docSecretsGood},
		{ID: RuleSecretListAll, Title: "Secrets listed or watched across all namespaces", Severity: finding.SeverityHigh,
			Description: "An identity that is not a control plane component listed or watched Secrets in every namespace at once, which returns the contents of every Secret of the cluster.",
			Remediation: "Grant list and watch on Secrets cluster-wide only to the controllers that must have them; everyone else should read named Secrets in their own namespaces.",
			DocURL:      docSecretsGood},
		{ID: RuleSecretEnumeration, Title: "One identity read many distinct Secrets in a short time", Severity: finding.SeverityHigh,
			Description: "One identity read at least --secrets-threshold distinct Secrets within --secrets-window: a pattern of credential harvesting rather than of a workload that reads its own configuration.",
			Remediation: "Find out what the identity is and why it read so many Secrets; revoke its access to Secrets it does not need and rotate the Secrets it read if it was not expected to.",
			DocURL:      docSecretsGood},
		{ID: RuleSecretReadDenied, Title: "Secret read denied", Severity: finding.SeverityMedium,
			Description: "An attempt to read a Secret (get, list or watch) was forbidden or unauthenticated: an identity probing for Secrets it has no access to.",
			Remediation: "Find out what made the request; a workload that keeps being denied is misconfigured or compromised.",
			DocURL:      docSecretsGood},
		{ID: RuleBindingPrivileged, Title: "Binding to a cluster-admin-like role created", Severity: finding.SeverityCritical,
			Description: "A RoleBinding or ClusterRoleBinding was created or changed that binds cluster-admin, or a role (known from the request or from --rbac) that grants escalate, bind, impersonate or a wildcard verb or resource.",
			Remediation: "Verify the binding was intended and remove it otherwise; bind the least privileged role that does the job.",
			DocURL:      docRBACGood},
		{ID: RuleRolePrivileged, Title: "Role created with wildcards or pods/exec", Severity: finding.SeverityHigh,
			Description: "A Role or ClusterRole was created or changed with a wildcard verb, resource or API group, or granting escalate, bind, impersonate or pods/exec.",
			Remediation: "List the verbs and resources the role needs instead of wildcards, and keep escalate, bind, impersonate and pods/exec out of roles that do not need them.",
			DocURL:      docRBACGood},
		{ID: RuleEscalateBindUsed, Title: "RBAC escalate or bind permission used", Severity: finding.SeverityHigh,
			Description: "A role or binding was written by an identity that holds the escalate or bind verb on the role concerned (known from --rbac): the request may grant more than its author holds, which RBAC prevents unless these verbs are granted.",
			Remediation: "Grant escalate and bind only to the identities that administer RBAC, and review what this request granted.",
			DocURL:      docRBACGood},
		{ID: RuleSystemRoleModified, Title: "Kubernetes system role or binding modified", Severity: finding.SeverityHigh,
			Description: "A role or binding whose name starts with system: was changed or deleted by an identity that is not a control plane component; these objects grant the control plane its permissions and changing them can grant or break far-reaching access.",
			Remediation: "Restore the object (kube-apiserver reconciles its bootstrap roles at start-up) and find out why it was changed; create your own roles instead of changing system: ones.",
			DocURL:      docRBACGood},
		{ID: RuleImpersonation, Title: "User impersonation used", Severity: finding.SeverityMedium,
			Description: "A request was made as another user, group or service account through impersonation (Impersonate-User and Impersonate-Group headers).",
			Remediation: "Make sure the impersonation was expected; grant the impersonate verb only to administrators and proxies that need it, naming the users and groups they may impersonate.",
			DocURL:      docRBACGood},
		{ID: RuleAnonymousAllowed, Title: "Anonymous request allowed", Severity: finding.SeverityHigh,
			Description: "A request by system:anonymous was allowed on something other than the health, version and discovery endpoints the default policy opens to everyone.",
			Remediation: "Remove the bindings that grant system:anonymous or system:unauthenticated access, or disable anonymous authentication (--anonymous-auth=false or an AuthenticationConfiguration limiting it to health endpoints).",
			DocURL:      docAuthn},
		{ID: RuleAuthFailureBurst, Title: "Burst of unauthenticated or forbidden requests", Severity: finding.SeverityMedium,
			Description: "One identity or one source address received at least --auth-failures-threshold 401 or 403 responses within --auth-failures-window: credential guessing or a permission probe.",
			Remediation: "Find the client behind the identity or address; block it or fix its credentials and permissions.",
			DocURL:      docAuthn},
		{ID: RuleTokenOtherSA, Title: "Service account token requested for another service account", Severity: finding.SeverityHigh,
			Description: "A token was requested (serviceaccounts/token) for a service account by an identity other than that service account and other than the control plane: whoever holds the token acts with the service account's permissions.",
			Remediation: "Grant create on serviceaccounts/token only to the identities that must mint tokens, and find out what the token was used for.",
			DocURL:      docSAToken},
		{ID: RuleCSRApproval, Title: "Certificate signing request approved by a person or workload", Severity: finding.SeverityMedium,
			Description: "A CertificateSigningRequest was approved (certificatesigningrequests/approval) by an identity that is not the control plane's CSR approver; an approved CSR for a kube-apiserver-client signer becomes a credential.",
			Remediation: "Make sure the approval was expected and that the certificate's subject carries no privileged group such as system:masters.",
			DocURL:      docCSR},
		{ID: RuleCSRSelfApproval, Title: "Certificate signing request approved by its own requester", Severity: finding.SeverityCritical,
			Description: "A CertificateSigningRequest was approved by the same user who created it (spec.username), a path for an identity to mint itself a credential.",
			Remediation: "Revoke the approve permission on signers from identities that can also create CSRs, and find out what the certificate was used for.",
			DocURL:      docCSR},
		{ID: RuleAdmissionWebhook, Title: "Admission webhook configuration changed", Severity: finding.SeverityHigh,
			Description: "A ValidatingWebhookConfiguration or MutatingWebhookConfiguration (or a ValidatingAdmissionPolicy or its binding) was created, changed or deleted: admission control can be silenced or pointed at an attacker's endpoint.",
			Remediation: "Make sure the change was expected; grant write access to admission configuration only to cluster administrators and deployment pipelines.",
			DocURL:      docWebhooks},
		{ID: RulePodSecurityLabelDown, Title: "Namespace Pod Security enforce label lowered or removed", Severity: finding.SeverityHigh,
			Description: "A namespace's pod-security.kubernetes.io/enforce label was lowered (restricted to baseline or privileged, baseline to privileged) or removed, allowing pods the namespace refused before.",
			Remediation: "Restore the label unless the change was approved, and review the pods created in the namespace since.",
			DocURL:      docPSA},
	}
}
