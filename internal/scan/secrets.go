package scan

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/rbac"
	"github.com/kubeward/kubeward/internal/secrets"
)

// secretsAnalyzer runs the secrets/ rules: per object, the checks of
// internal/secrets; across objects, who can read each Secret of a bundle
// through the bundle's RBAC objects and Kubernetes' default policy.
type secretsAnalyzer struct {
	rules map[string]finding.Rule
	// bundles holds, per bundle, its RBAC objects and its Secrets.
	bundles []*secretsBundle
	// live is set by the first live object (see bundlePolicy).
	live bool
}

type secretsBundle struct {
	rbac    []keptRBAC
	secrets []keptSecret
}

type keptSecret struct {
	ref  finding.ObjectRef
	file string
	line int
}

type keptRBAC struct {
	obj runtime.Object
	src rbac.Source
}

func newSecretsAnalyzer(registry *finding.Registry) *secretsAnalyzer {
	a := &secretsAnalyzer{rules: map[string]finding.Rule{}}
	for _, r := range registry.Rules() {
		if r.Family() == secrets.Family {
			a.rules[r.ID] = r
		}
	}
	return a
}

func (a *secretsAnalyzer) Family() string { return secrets.Family }

func (a *secretsAnalyzer) Object(o *Object, emit Emit) {
	in := secrets.Input{Object: o.Object.Object, FromFile: o.File != ""}
	if _, ok := o.Object.Object.(*corev1.Secret); ok && in.FromFile {
		// SOPS adds a top-level sops: key, which the typed Secret drops
		// (the manifest layer reports it as unknown); its line tells.
		in.SOPS = o.FieldLine("sops") != o.FieldLine("")
	}
	if o.hasPod {
		in.Pod, in.PodPrefix = o.pod.spec, o.pod.prefix
	}
	issues := secrets.Check(in, nil)
	if len(issues) == 0 {
		return
	}
	r := ref(o)
	for _, is := range issues {
		rule := a.rules[is.Rule]
		line := o.FieldLine(is.Path)
		if is.Line > 0 && line != o.Line {
			line += is.Line
		}
		emit(o, finding.Finding{
			Rule:        is.Rule,
			Severity:    rule.Severity,
			Object:      r,
			File:        o.File,
			Line:        line,
			Path:        is.Path,
			Container:   is.Container,
			Message:     is.Message,
			Remediation: rule.Remediation,
		})
	}
}

func (a *secretsAnalyzer) Keep(o *Object) any {
	a.live = a.live || o.Live
	switch o.Object.Object.(type) {
	case *corev1.Secret:
		return keptSecret{ref: ref(o), file: o.File, line: o.Line}
	case *rbacv1.Role, *rbacv1.ClusterRole, *rbacv1.RoleBinding, *rbacv1.ClusterRoleBinding:
		return keptRBAC{obj: o.Object.Object, src: rbacSource(o)}
	}
	return nil
}

func (a *secretsAnalyzer) Add(kept any, bundle int) {
	for len(a.bundles) <= bundle {
		a.bundles = append(a.bundles, nil)
	}
	b := a.bundles[bundle]
	if b == nil {
		b = &secretsBundle{}
		a.bundles[bundle] = b
	}
	switch k := kept.(type) {
	case keptSecret:
		b.secrets = append(b.secrets, k)
	case keptRBAC:
		b.rbac = append(b.rbac, k)
	}
}

func (a *secretsAnalyzer) Finish(emit Emit, _ func(Problem)) {
	rule := a.rules[secrets.RuleReadable]
	// A file in several bundles (a kustomize base rendered by several
	// overlays) is reported once per distinct answer.
	seen := map[string]bool{}
	for i, b := range a.bundles {
		a.bundles[i] = nil
		if b == nil || len(b.secrets) == 0 {
			continue
		}
		// The policy is built only for bundles with Secrets.
		p := bundlePolicy(a.live)
		for _, k := range b.rbac {
			p.Add(k.obj, k.src)
		}
		readers := secrets.NewReaderIndex(bundleIndex(p, a.live))
		for _, s := range b.secrets {
			subjects, grants := readers.Readers(s.ref.Namespace, s.ref.Name)
			key := fmt.Sprint(s.file, s.line, s.ref, subjects)
			if len(subjects) == 0 || seen[key] {
				continue
			}
			seen[key] = true
			emit(nil, finding.Finding{
				Rule:        rule.ID,
				Severity:    rule.Severity,
				Object:      s.ref,
				File:        s.file,
				Line:        s.line,
				Message:     fmt.Sprintf("Secret can be read by %s: %s", countOf(len(subjects), "non-system subject"), strings.Join(subjects, ", ")),
				Remediation: rule.Remediation,
				Subjects:    subjects,
				Grants:      grants,
			})
		}
	}
	a.bundles = nil
}

func countOf(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprint(n) + " " + what + "s"
}
