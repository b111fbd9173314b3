package psp

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeward/kubeward/internal/podsecurity"
)

// TestMutations: every mutating PSP field is listed with the pod-spec field
// that replaces it.
func TestMutations(t *testing.T) {
	f, gvisor := false, "gvisor"
	p := restrictedPSP()
	p.Annotations[AnnotationSeccompDefault] = "localhost/profiles/audit.json"
	p.Annotations[AnnotationAppArmorDefault] = "runtime/default"
	s := &p.Spec
	s.DefaultAddCapabilities = []corev1.Capability{"NET_BIND_SERVICE"}
	s.DefaultAllowPrivilegeEscalation = &f
	s.ReadOnlyRootFilesystem = true
	s.SELinux.SELinuxOptions.Type = "container_t"
	s.RunAsUser = RunAsUserStrategyOptions{Rule: ruleMustRunAs, Ranges: []IDRange{{Min: 1000, Max: 2000}}}
	s.RunAsGroup = &RunAsGroupStrategyOptions{Rule: ruleMustRunAs, Ranges: []IDRange{{Min: 3000, Max: 4000}}}
	s.SupplementalGroups = GroupStrategyOptions{Rule: ruleMustRunAs, Ranges: []IDRange{{Min: 5, Max: 6}}}
	s.FSGroup = GroupStrategyOptions{Rule: ruleMustRunAs, Ranges: []IDRange{{Min: 7, Max: 8}}}
	s.RuntimeClass = &RuntimeClassStrategyOptions{AllowedRuntimeClassNames: []string{gvisor}, DefaultRuntimeClassName: &gvisor}
	want := map[string]string{
		"spec.defaultAddCapabilities":               "spec.containers[*].securityContext.capabilities.add: [NET_BIND_SERVICE]",
		"spec.requiredDropCapabilities":             "spec.containers[*].securityContext.capabilities.drop: [ALL]",
		"spec.defaultAllowPrivilegeEscalation":      "spec.containers[*].securityContext.allowPrivilegeEscalation: false",
		"spec.readOnlyRootFilesystem":               "spec.containers[*].securityContext.readOnlyRootFilesystem: true",
		"spec.seLinux":                              "spec.securityContext.seLinuxOptions: {type: container_t, level: s0:c1,c2}",
		"spec.runAsUser":                            "spec.securityContext.runAsUser: 1000",
		"spec.runAsGroup":                           "spec.securityContext.runAsGroup: 3000",
		"spec.supplementalGroups":                   "spec.securityContext.supplementalGroups: [5]",
		"spec.fsGroup":                              "spec.securityContext.fsGroup: 7",
		"spec.runtimeClass.defaultRuntimeClassName": "spec.runtimeClassName: gvisor",
		annotationPath(AnnotationSeccompDefault):    "spec.securityContext.seccompProfile: {type: Localhost, localhostProfile: profiles/audit.json}",
		annotationPath(AnnotationAppArmorDefault):   "spec.securityContext.appArmorProfile: {type: RuntimeDefault}",
	}
	a := Analyze(p, podsecurity.LatestVersion())
	got := map[string]string{}
	for _, m := range a.Mutations {
		got[m.Field] = m.SetInstead
		if m.Effect == "" {
			t.Errorf("%s: no effect", m.Field)
		}
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: set instead %q, want %q", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected mutation %s: %s", k, got[k])
		}
	}
	// MustRunAsNonRoot mutates runAsNonRoot.
	p = restrictedPSP()
	a = Analyze(p, podsecurity.LatestVersion())
	if !slices.ContainsFunc(a.Mutations, func(m Mutation) bool { return m.SetInstead == "spec.securityContext.runAsNonRoot: true" }) {
		t.Errorf("MustRunAsNonRoot: no runAsNonRoot mutation in %+v", a.Mutations)
	}
}

// TestUncovered: the validations of testdata/custom-psp.yaml that Pod
// Security at its level (privileged) does not make, in order; each becomes
// one validation of the generated policy (their CEL is proven by TestPSP in
// test/e2e against a real API server).
func TestUncovered(t *testing.T) {
	a := Analyze(readPSP(t, "custom-psp.yaml"), podsecurity.LatestVersion())
	want := []string{"spec.privileged", "spec.hostNetwork", "spec.hostPID", "spec.hostIPC", "spec.hostPorts",
		"spec.allowedProcMountTypes", "spec.volumes", "spec.allowedHostPaths", "spec.allowedFlexVolumes", "spec.allowedCSIDrivers",
		"spec.allowedCapabilities", "spec.requiredDropCapabilities", "spec.allowPrivilegeEscalation", "spec.readOnlyRootFilesystem",
		"spec.runAsUser", "spec.runAsGroup", "spec.supplementalGroups", "spec.fsGroup", "spec.allowedUnsafeSysctls",
		"spec.runtimeClass.allowedRuntimeClassNames", annotationPath(AnnotationSeccompAllowed), annotationPath(AnnotationAppArmorAllowed)}
	var got []string
	for _, u := range a.Uncovered {
		got = append(got, u.Field)
	}
	if !slices.Equal(got, want) {
		t.Errorf("uncovered %q\nwant %q", got, want)
	}
	vap, binding := a.Policy()
	if len(vap.Spec.Validations) != len(want) || binding.Spec.MatchResources.NamespaceSelector.MatchLabels[NamespaceLabel] != "custom" {
		t.Errorf("policy has %d validations, binding selects %v", len(vap.Spec.Validations), binding.Spec.MatchResources.NamespaceSelector)
	}
	// A PSP that Pod Security covers entirely needs no policy.
	p := restrictedPSP()
	p.Spec.AllowedCapabilities = []corev1.Capability{"NET_BIND_SERVICE"}
	p.Spec.SELinux.SELinuxOptions = nil
	if a := Analyze(p, podsecurity.LatestVersion()); len(a.Uncovered) != 0 || a.PolicyName() != "" {
		t.Errorf("restricted PSP: uncovered %+v", a.Uncovered)
	}
}
