package psp

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NamespaceLabel is the namespace label the generated bindings select:
// kubeward.io/psp=NAME applies PSP NAME's ValidatingAdmissionPolicy to the
// namespace's pods.
const NamespaceLabel = "kubeward.io/psp"

// SourceAnnotation names, on generated objects, the PSP they replace.
const SourceAnnotation = "kubeward.io/source-psp"

// Policy returns the ValidatingAdmissionPolicy that makes a's uncovered
// validations and its binding, which applies it to the pods of namespaces
// labelled NamespaceLabel=<PSP name>; nil, nil when nothing is uncovered.
//
// The policy denies (failurePolicy Fail) pod creations, and ephemeral
// container updates, that the PSP would have denied and Pod Security at
// a.Level admits. Pod updates are not checked: PSP-era pods were mutated
// at creation and most pod fields cannot change afterwards.
func (a *Analysis) Policy() (*admissionregistrationv1.ValidatingAdmissionPolicy, *admissionregistrationv1.ValidatingAdmissionPolicyBinding) {
	if len(a.Uncovered) == 0 {
		return nil, nil
	}
	name := a.PolicyName()
	fail := admissionregistrationv1.Fail
	meta := metav1.ObjectMeta{Name: name, Annotations: map[string]string{SourceAnnotation: a.Name}}
	vap := &admissionregistrationv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: meta,
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: &fail,
			MatchConstraints: &admissionregistrationv1.MatchResources{
				ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{
					{RuleWithOperations: rule(admissionregistrationv1.Create, "pods")},
					{RuleWithOperations: rule(admissionregistrationv1.Update, "pods/ephemeralcontainers")},
				},
			},
		},
	}
	for _, u := range a.Uncovered {
		vap.Spec.Validations = append(vap.Spec.Validations, admissionregistrationv1.Validation{
			Expression: u.Expression,
			Message:    u.Message + " (" + u.Field + ")",
		})
	}
	binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: *meta.DeepCopy(),
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        name,
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
			MatchResources: &admissionregistrationv1.MatchResources{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{NamespaceLabel: a.Name}},
			},
		},
	}
	return vap, binding
}

func rule(op admissionregistrationv1.OperationType, resource string) admissionregistrationv1.RuleWithOperations {
	return admissionregistrationv1.RuleWithOperations{
		Operations: []admissionregistrationv1.OperationType{op},
		Rule: admissionregistrationv1.Rule{
			APIGroups:   []string{""},
			APIVersions: []string{"v1"},
			Resources:   []string{resource},
		},
	}
}
