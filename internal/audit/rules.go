package audit

import "github.com/kubeward/kubeward/internal/finding"

// RuleFamily is the family of the live Pod Security Admission rules: each
// object judged against its own namespace's policy, and the namespaces'
// labels themselves.
const RuleFamily = "psa"

// The rules of the family.
const (
	RuleNoEnforceLabel          = "psa/no-enforce-label"
	RuleInvalidLabel            = "psa/invalid-label"
	RuleExemptNamespace         = "psa/exempt-namespace"
	RuleEnforceCanBeRaised      = "psa/enforce-can-be-raised"
	RulePodViolatesEnforce      = "psa/pod-violates-enforce"
	RuleTemplateViolatesEnforce = "psa/template-violates-enforce"
	RuleViolatesAuditOrWarn     = "psa/violates-audit-or-warn"
)

// The Kubernetes pages the rules enforce.
const (
	docAdmission = "https://kubernetes.io/docs/concepts/security/pod-security-admission/"
	docLabels    = "https://kubernetes.io/docs/tasks/configure-pod-container/enforce-standards-namespace-labels/"
	docConfig    = "https://kubernetes.io/docs/tasks/configure-pod-container/enforce-standards-admission-controller/"
)

// Rules returns the rules of the family, for the rule registry.
func Rules() []finding.Rule {
	return []finding.Rule{
		{
			ID: RuleNoEnforceLabel, Title: "Namespace enforces no Pod Security level", Severity: finding.SeverityMedium,
			Description: "The namespace has no pod-security.kubernetes.io/enforce label and the cluster's default enforce level is privileged, so Pod Security Admission lets any pod into it. The Pod Security pages recommend enforcing at least baseline in every namespace.",
			Remediation: "Label the namespace with the highest level its pods and workloads already meet, pinned to the cluster's version, as the plan's kubectl label command does; fix the workloads it lists to reach the next level.",
			DocURL:      docLabels,
		},
		{
			ID: RuleInvalidLabel, Title: "Invalid Pod Security label", Severity: finding.SeverityMedium,
			Description: "A pod-security.kubernetes.io label of the namespace has a value Kubernetes does not accept. Kubernetes then enforces restricted for an invalid enforce level, privileged for an invalid audit or warn level and latest for an invalid version, which is rarely what was meant.",
			Remediation: "Set the label to privileged, baseline or restricted (levels) or to latest or v1.N (versions).",
			DocURL:      docLabels,
		},
		{
			ID: RuleExemptNamespace, Title: "Namespace exempt from Pod Security", Severity: finding.SeverityLow,
			Description: "The API server's admission configuration exempts the namespace from Pod Security Admission: its labels are ignored and any pod is admitted. Exemptions suit only namespaces of trusted system components.",
			Remediation: "Remove the namespace from exemptions.namespaces of the PodSecurityConfiguration unless only cluster administrators can create pods in it.",
			DocURL:      docConfig,
		},
		{
			ID: RuleEnforceCanBeRaised, Title: "Namespace could enforce a stricter Pod Security level", Severity: finding.SeverityLow,
			Description: "Every pod and every workload template of the namespace meets a stricter level than the one it enforces, so enforcing that level now breaks nothing and keeps new workloads from regressing.",
			Remediation: "Apply the plan's kubectl label command for the namespace.",
			DocURL:      docLabels,
		},
		{
			ID: RulePodViolatesEnforce, Title: "Running pod violates its namespace's enforce level", Severity: finding.SeverityHigh,
			Description: "A pod that exists in the namespace violates the Pod Security level the namespace enforces: it was created before the label was set, or through an exemption. The API server would reject it if it were created now, and its controller cannot recreate it.",
			Remediation: "Fix the pod's workload as the finding says and roll it out, or delete the pod if it is not managed.",
			DocURL:      docAdmission,
		},
		{
			ID: RuleTemplateViolatesEnforce, Title: "Workload's pods will be rejected", Severity: finding.SeverityHigh,
			Description: "The pod template of a workload (Deployment, StatefulSet, DaemonSet, Job, CronJob, ReplicaSet, ReplicationController or PodTemplate) violates the level its namespace enforces, so the API server will reject the pods it creates at the next rollout, scale-up or schedule, even when none runs today.",
			Remediation: "Change the pod template as the finding says before the next rollout.",
			DocURL:      docAdmission,
		},
		{
			ID: RuleViolatesAuditOrWarn, Title: "Pod or workload violates its namespace's audit or warn level", Severity: finding.SeverityMedium,
			Description: "A pod or workload template meets the level its namespace enforces but not the stricter level the namespace audits or warns about: users see warnings and the audit log records violations for it.",
			Remediation: "Change the pod template as the finding says, so that the namespace can enforce the stricter level.",
			DocURL:      docAdmission,
		},
	}
}
