package rbac

import "github.com/kubeward/kubeward/internal/finding"

// DocURL is the Kubernetes page the rbac/ rules follow.
const DocURL = "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"

// Rule IDs of the rbac/ family.
const (
	RuleSecretsRead            = "rbac/secrets-read"
	RuleWorkloadCreate         = "rbac/workload-create"
	RulePVCreate               = "rbac/pv-create"
	RuleNodesProxy             = "rbac/nodes-proxy"
	RuleEscalate               = "rbac/escalate"
	RuleBind                   = "rbac/bind"
	RuleImpersonate            = "rbac/impersonate"
	RuleCSRApprove             = "rbac/csr-approve"
	RuleTokenRequest           = "rbac/token-request"
	RuleWebhookConfig          = "rbac/webhook-config"
	RulePodExec                = "rbac/pod-exec"
	RuleWildcard               = "rbac/wildcard"
	RuleClusterAdminBinding    = "rbac/cluster-admin-binding"
	RuleSystemMasters          = "rbac/system-masters"
	RuleUnauthenticatedBinding = "rbac/unauthenticated-binding"
	RuleCouldBeNamespaced      = "rbac/clusterrolebinding-could-be-namespaced"
	RuleDanglingSubject        = "rbac/dangling-subject"
	RuleDanglingRoleRef        = "rbac/dangling-role-ref"
	RuleSATokenAutomount       = "rbac/sa-token-automount"
	RuleNoObjectQuota          = "rbac/no-object-quota"
)

// Rules returns the metadata of every rbac/ rule. A rule's Severity is the
// severity of its findings unless its Description says when one is lowered:
// Risks may lower the severity of a single finding (a grant limited by
// resourceNames, a token holding only default roles through its groups),
// never raise it.
func Rules() []finding.Rule {
	r := func(id, title string, sev finding.Severity, desc, fix string) finding.Rule {
		return finding.Rule{ID: id, Title: title, Severity: sev, Description: desc, Remediation: fix, DocURL: DocURL}
	}
	return []finding.Rule{
		r(RuleSecretsRead, "Subjects can read Secrets", finding.SeverityHigh,
			"The binding grants get, list or watch on Secrets. List and watch return the contents of every Secret in scope, not only their names, so any of the three reveals credentials, including service account tokens that carry their own permissions. When every rule granting it is limited by resourceNames, as the remediation recommends, the finding is low: the subject still reads the credentials in those Secrets, which matters if they are powerful, but no others.",
			"Grant access to Secrets only to the workloads that need them, with get on named Secrets (resourceNames) in their own namespace, and never list or watch cluster-wide."),
		r(RuleWorkloadCreate, "Subjects can create workloads", finding.SeverityHigh,
			"The binding grants create on Pods or on a kind that creates Pods (Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs, CronJobs, ReplicationControllers). Whoever can create a Pod in a namespace can mount any Secret, ConfigMap or volume there and run as any ServiceAccount of the namespace, so they hold the union of those permissions; without Pod Security enforcement they can also escape to the node.",
			"Give workload creation only to deployment pipelines and namespace owners, enforce the restricted Pod Security level in the namespace, and keep powerful ServiceAccounts out of namespaces where others can create workloads."),
		r(RulePVCreate, "Subjects can create PersistentVolumes", finding.SeverityHigh,
			"The binding grants create on PersistentVolumes, which can be hostPath volumes: a Pod bound to such a volume reads and writes the node's filesystem, whatever the Pod Security level of its namespace.",
			"Leave PersistentVolume creation to cluster administrators and dynamic provisioners; let users create PersistentVolumeClaims instead."),
		r(RuleNodesProxy, "Subjects can use the nodes/proxy subresource", finding.SeverityCritical,
			"The binding grants access to nodes/proxy, which reaches the kubelet API directly: it bypasses admission and audit, and even get allows running commands in every Pod of the node over WebSocket.",
			"Remove nodes/proxy from every role except those of monitoring components that strictly need it, and prefer the metrics and stats endpoints they actually use."),
		r(RuleEscalate, "Subjects can escalate roles", finding.SeverityCritical,
			"The binding grants the escalate verb on Roles or ClusterRoles, which lets the subject write roles with permissions it does not hold, and so give itself any permission.",
			"Remove the escalate verb; administrators who edit roles should hold the permissions they grant."),
		r(RuleBind, "Subjects can bind any role", finding.SeverityCritical,
			"The binding grants the bind verb on Roles or ClusterRoles, which lets the subject create bindings to roles with permissions it does not hold, such as cluster-admin.",
			"Remove the bind verb, or restrict it with resourceNames to the specific roles the subject may hand out."),
		r(RuleImpersonate, "Subjects can impersonate", finding.SeverityCritical,
			"The binding grants impersonate on users, groups, service accounts, UIDs or user extras. Impersonating a user, a group such as system:masters or a service account gives the subject that identity's permissions.",
			"Remove impersonation rights, or restrict them with resourceNames to the identities a support tool legitimately needs."),
		r(RuleCSRApprove, "Subjects can approve certificate signing requests", finding.SeverityCritical,
			"The binding grants update on certificatesigningrequests/approval and approve on signers (or the subject gets them from several ClusterRoleBindings together). With create on certificatesigningrequests as well, the subject can obtain a client certificate for any user or group, system:masters included, when the signer is kubernetes.io/kube-apiserver-client.",
			"Keep CSR approval to the controllers that need it, and restrict approve on signers with resourceNames to the signers they handle."),
		r(RuleTokenRequest, "Subjects can request service account tokens", finding.SeverityHigh,
			"The binding grants create on serviceaccounts/token, which issues tokens for existing ServiceAccounts, so the subject acts with their permissions. When every rule granting it is limited by resourceNames, as the remediation recommends, the finding is low: the subject still acts as those ServiceAccounts, but no others.",
			"Remove create on serviceaccounts/token, or restrict it with resourceNames to the ServiceAccounts the subject manages."),
		r(RuleWebhookConfig, "Subjects can change admission webhook configurations", finding.SeverityCritical,
			"The binding grants write access to ValidatingWebhookConfigurations or MutatingWebhookConfigurations. Such a subject can read every object sent to a webhook it registers, mutate objects as they are admitted, or remove the webhooks that enforce policy.",
			"Limit webhook configuration changes to cluster administrators and the operators that own them, with resourceNames where possible."),
		r(RulePodExec, "Subjects can exec into, attach to or port-forward Pods", finding.SeverityMedium,
			"The binding grants create on pods/exec, pods/attach or pods/portforward. Exec gives a shell in running containers, with their service account tokens, mounted Secrets and network position. Before Kubernetes v1.35, exec over WebSocket was authorized as get alone, so get counts too when an older version is judged; from v1.35 the AuthorizePodWebsocketUpgradeCreatePermission feature gate, on by default, also requires create.",
			"Grant exec, attach and port-forward only for debugging, temporarily, in the namespaces concerned, and on clusters before v1.35 treat get on these subresources like create."),
		r(RuleWildcard, "Role uses wildcards", finding.SeverityMedium,
			"A rule of the role uses * in verbs, resources or apiGroups. Wildcards grant today's permissions and every future verb, resource and API group, including custom resources installed later.",
			"List the verbs, resources and API groups the subjects need explicitly."),
		r(RuleClusterAdminBinding, "Binding to cluster-admin", finding.SeverityCritical,
			"The binding grants the cluster-admin ClusterRole, which allows every action on every resource. Through a ClusterRoleBinding it covers the whole cluster; through a RoleBinding, everything in the namespace including its RBAC.",
			"Bind cluster-admin to nobody routinely; give administrators narrower roles and keep a break-glass procedure for full access."),
		r(RuleSystemMasters, "Binding names the system:masters group", finding.SeverityHigh,
			"The binding names the group system:masters. Members of that group bypass authorization entirely, so the binding grants nothing, but it shows the group is in use: its members cannot be restricted by RBAC and their credentials cannot be revoked short of rotating the cluster's certificate authority.",
			"Do not put users or tools in system:masters; give them an RBAC role instead and remove the binding."),
		r(RuleUnauthenticatedBinding, "Binding grants permissions to unauthenticated users", finding.SeverityCritical,
			"The binding names the group system:unauthenticated or the user system:anonymous, so anyone who can reach the API server holds its permissions without credentials. The default policy only lets them read health and version information.",
			"Remove the binding; grant the permissions to authenticated identities instead."),
		r(RuleCouldBeNamespaced, "ClusterRoleBinding only grants namespaced resources", finding.SeverityLow,
			"The ClusterRoleBinding grants a role whose rules name only namespaced resources, so it grants them in every namespace, present and future, where a RoleBinding per namespace would do.",
			"Replace the ClusterRoleBinding with RoleBindings in the namespaces the subjects need."),
		r(RuleDanglingSubject, "Binding names a ServiceAccount that does not exist", finding.SeverityMedium,
			"The binding names a ServiceAccount that does not exist. Whoever creates a ServiceAccount with that name later, for example someone allowed to create ServiceAccounts in that namespace, inherits the binding's permissions. The default ServiceAccount, which Kubernetes creates in every namespace, always exists.",
			"Remove the subject from the binding, or delete the binding."),
		r(RuleDanglingRoleRef, "Binding refers to a role that does not exist", finding.SeverityLow,
			"The binding refers to a Role or ClusterRole that does not exist, so it grants nothing today, but whoever creates a role with that name later grants its permissions to the binding's subjects.",
			"Delete the binding, or create the role it was meant to refer to."),
		r(RuleSATokenAutomount, "ServiceAccount token with API permissions is automounted", finding.SeverityMedium,
			"A ServiceAccount's token is mounted into Pods (automountServiceAccountToken is not false on the Pod nor on the ServiceAccount), so anyone who compromises a container acts with its permissions. Reported when a binding of the input gives the ServiceAccount more than the default discovery permissions: at medium when the binding names the ServiceAccount, or binds its groups (system:serviceaccounts, system:serviceaccounts:<namespace>) to a role that is not Kubernetes' default; at low when its groups hold only default roles such as view. A token without permissions of its own is not reported.",
			"Set automountServiceAccountToken: false on the ServiceAccount, and on the Pods that do not call the API; mount a projected token only where it is needed."),
		r(RuleNoObjectQuota, "Subjects can create objects in a namespace without object-count quota", finding.SeverityLow,
			"Subjects can create objects in the namespace, but no ResourceQuota limits object counts there, so they can exhaust etcd or the control plane by creating objects in bulk (a denial of service). Only grants of create on resources an object-count quota counts are considered: stored, namespaced resources and custom resources, without resourceNames; never virtual resources (token and access reviews, bindings), subresources (pods/exec, serviceaccounts/token, pods/eviction, */status) or cluster-scoped resources.",
			"Add a ResourceQuota with count limits (pods, services, secrets, configmaps, persistentvolumeclaims or count/<resource>) to the namespace."),
	}
}
