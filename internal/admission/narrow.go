package admission

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/kubeward/kubeward/internal/podsecurity"
)

// ExemptionsAPIVersion and ExemptionsKind identify kubeward's narrow exemptions file.
const (
	ExemptionsAPIVersion = "kubeward.io/v1alpha1"
	ExemptionsKind       = "PodSecurityExemptions"
)

// ExemptionsConfig is kubeward's narrow exemptions file, written by the
// cluster operator:
//
//	apiVersion: kubeward.io/v1alpha1
//	kind: PodSecurityExemptions
//	exemptions:
//	- name: node-agent-hostpath
//	  namespace: monitoring
//	  kind: DaemonSet
//	  workloadName: node-agent
//	  checks: [hostPathVolumes]
//	  reason: reads /var/log on every node (SEC-123)
//	  expires: "2027-01-01T00:00:00Z"
type ExemptionsConfig struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Exemptions []NarrowExemption `json:"exemptions"`
}

// NarrowExemption lets one workload in one namespace fail some checks. It
// applies to the workload's own requests and to its pods (matched through
// their controller owner reference, including Deployment → ReplicaSet → Pod
// and CronJob → Job → Pod); the violations of the named checks are dropped
// from every mode's result, and the exemption is named in the
// kubeward-exemptions audit annotation. With Containers or Images, only those
// containers are exempt: the check is re-evaluated without them.
//
// Exemptions are keyed by names, which anyone allowed to create that kind of
// workload in the namespace can reuse: they narrow a policy, they do not
// authenticate a workload.
type NarrowExemption struct {
	// Name identifies the exemption in audit annotations and metrics.
	Name string `json:"name"`
	// Namespace is the namespace of the workload.
	Namespace string `json:"namespace"`
	// Kind is Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job,
	// CronJob, ReplicationController or PodTemplate.
	Kind string `json:"kind"`
	// WorkloadName is the name of the workload (or pod, for kind Pod).
	WorkloadName string `json:"workloadName"`
	// Checks are the exempted Pod Security check IDs, as reported in
	// violations (e.g. capabilities_restricted at the restricted level).
	Checks []string `json:"checks"`
	// Containers, when set, limits the exemption to containers (including
	// init and ephemeral containers) with these names.
	Containers []string `json:"containers,omitempty"`
	// Images, when set, limits the exemption to containers whose image is
	// one of these; a trailing "*" matches any image with that prefix.
	Images []string `json:"images,omitempty"`
	// Reason says why the exemption exists; required.
	Reason string `json:"reason"`
	// Expires, when set, is the RFC 3339 time after which the exemption no
	// longer applies (and is reported as expired).
	Expires string `json:"expires,omitempty"`

	expires time.Time // parsed Expires; zero when unset
}

// ExpiresAt returns the expiry time, zero when the exemption does not expire.
func (e *NarrowExemption) ExpiresAt() time.Time { return e.expires }

// exemptableKinds are the kinds an exemption may name.
var exemptableKinds = []string{"Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet",
	"Job", "CronJob", "ReplicationController", "PodTemplate"}

// LoadExemptions reads a narrow exemptions file. Every problem found is
// returned at once (errors.Join), each naming the file.
func LoadExemptions(path string) (*ExemptionsConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading exemptions: %w", err)
	}
	c, err := ParseExemptions(data)
	if err != nil {
		return nil, prefixErrors(path, err)
	}
	return c, nil
}

// ParseExemptions decodes a narrow exemptions file from YAML or JSON strictly
// (unknown or duplicate fields are errors) and validates it. Every problem
// found is returned at once (errors.Join).
func ParseExemptions(data []byte) (*ExemptionsConfig, error) {
	var c ExemptionsConfig
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", ExemptionsKind, err)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// validate checks the file and parses expiry times. Expired exemptions are
// valid: they are reported at admission time.
func (c *ExemptionsConfig) validate() error {
	g, v, _ := strings.Cut(ExemptionsAPIVersion, "/")
	errs := checkTypeMeta(c.APIVersion, c.Kind, g, []string{v}, ExemptionsKind)
	var fe field.ErrorList
	names := map[string]bool{}
	root := field.NewPath("exemptions")
	for i := range c.Exemptions {
		e := &c.Exemptions[i]
		p := root.Index(i)
		switch {
		case e.Name == "":
			fe = append(fe, field.Required(p.Child("name"), ""))
		case len(validation.IsDNS1123Subdomain(e.Name)) > 0:
			fe = append(fe, field.Invalid(p.Child("name"), e.Name, strings.Join(validation.IsDNS1123Subdomain(e.Name), ", ")))
		case names[e.Name]:
			fe = append(fe, field.Duplicate(p.Child("name"), e.Name))
		}
		names[e.Name] = true
		if e.Namespace == "" {
			fe = append(fe, field.Required(p.Child("namespace"), ""))
		} else if msgs := apivalidation.ValidateNamespaceName(e.Namespace, false); len(msgs) > 0 {
			fe = append(fe, field.Invalid(p.Child("namespace"), e.Namespace, strings.Join(msgs, ", ")))
		}
		if e.Kind == "" {
			fe = append(fe, field.Required(p.Child("kind"), ""))
		} else if !slices.Contains(exemptableKinds, e.Kind) {
			fe = append(fe, field.NotSupported(p.Child("kind"), e.Kind, exemptableKinds))
		}
		if e.WorkloadName == "" {
			fe = append(fe, field.Required(p.Child("workloadName"), ""))
		} else if msgs := validation.IsDNS1123Subdomain(e.WorkloadName); len(msgs) > 0 {
			fe = append(fe, field.Invalid(p.Child("workloadName"), e.WorkloadName, strings.Join(msgs, ", ")))
		}
		if len(e.Checks) == 0 {
			fe = append(fe, field.Required(p.Child("checks"), "at least one check ID"))
		}
		seen := map[string]bool{}
		for j, id := range e.Checks {
			switch {
			case !knownCheck(id):
				fe = append(fe, field.Invalid(p.Child("checks").Index(j), id, "unknown Pod Security check ID"))
			case seen[id]:
				fe = append(fe, field.Duplicate(p.Child("checks").Index(j), id))
			}
			seen[id] = true
		}
		for j, cn := range e.Containers {
			if msgs := validation.IsDNS1123Label(cn); len(msgs) > 0 {
				fe = append(fe, field.Invalid(p.Child("containers").Index(j), cn, strings.Join(msgs, ", ")))
			}
		}
		for j, im := range e.Images {
			if strings.TrimSpace(im) == "" || im == "*" || strings.ContainsAny(im, " \t\n") || strings.Count(im, "*") > 1 ||
				(strings.Contains(im, "*") && !strings.HasSuffix(im, "*")) {
				fe = append(fe, field.Invalid(p.Child("images").Index(j), im, `must be an image reference, optionally ending in "*"`))
			}
		}
		if strings.TrimSpace(e.Reason) == "" {
			fe = append(fe, field.Required(p.Child("reason"), "say why the exemption is needed"))
		}
		e.expires = time.Time{}
		if e.Expires != "" {
			t, err := time.Parse(time.RFC3339, e.Expires)
			if err != nil {
				fe = append(fe, field.Invalid(p.Child("expires"), e.Expires, "must be an RFC 3339 time, e.g. 2027-01-31T00:00:00Z"))
			} else {
				e.expires = t
			}
		}
	}
	for _, f := range fe {
		errs = append(errs, f)
	}
	return errors.Join(errs...)
}

// Expired returns the names of the exemptions that have expired at now, in
// file order, so that a server can report them at startup. The
// configuration must come from ParseExemptions or LoadExemptions.
func (c *ExemptionsConfig) Expired(now time.Time) []string {
	var names []string
	for i := range c.Exemptions {
		if e := &c.Exemptions[i]; !e.expires.IsZero() && !now.Before(e.expires) {
			names = append(names, e.Name)
		}
	}
	return names
}

func knownCheck(id string) bool {
	_, ok := podsecurity.LookupCheck(id)
	return ok
}

// narrowMatch is the narrow exemptions that match one request's subject.
type narrowMatch struct {
	matched bool // some exemption matched, active or expired
	active  []*NarrowExemption
	expired []*NarrowExemption
	used    []bool // parallel to active: removed or narrowed a violation
}

// matchNarrow finds the exemptions for subj in namespace ns.
func (a *Admission) matchNarrow(ns string, subj subject) narrowMatch {
	var m narrowMatch
	cands := a.narrow[ns]
	if len(cands) == 0 || subj.meta == nil {
		return m
	}
	now := a.now()
	for _, e := range cands {
		if !subjectMatches(e, subj) {
			continue
		}
		m.matched = true
		if !e.expires.IsZero() && !now.Before(e.expires) {
			m.expired = append(m.expired, e)
			continue
		}
		m.active = append(m.active, e)
	}
	m.used = make([]bool, len(m.active))
	return m
}

// subjectMatches reports whether e names subj itself, its controller, or (for
// pods of Deployments and CronJobs) its controller's controller.
func subjectMatches(e *NarrowExemption, subj subject) bool {
	if e.Kind == subj.kind && e.WorkloadName == subj.name {
		return true
	}
	owner := controllerOf(subj.meta)
	if owner == nil {
		return false
	}
	if e.Kind == owner.Kind && e.WorkloadName == owner.Name {
		return true
	}
	switch {
	case e.Kind == "Deployment" && owner.Kind == "ReplicaSet":
		// A Deployment's ReplicaSet is named <deployment>-<pod-template-hash>.
		hash := subj.meta.GetLabels()["pod-template-hash"]
		return hash != "" && owner.Name == e.WorkloadName+"-"+hash
	case e.Kind == "CronJob" && owner.Kind == "Job":
		// A CronJob's Job is named <cronjob>-<scheduled time in minutes>.
		rest, ok := strings.CutPrefix(owner.Name, e.WorkloadName+"-")
		if !ok || rest == "" {
			return false
		}
		_, err := strconv.ParseUint(rest, 10, 64)
		return err == nil
	}
	return false
}

func controllerOf(m metav1.Object) *metav1.OwnerReference {
	refs := m.GetOwnerReferences()
	for i := range refs {
		if refs[i].Controller != nil && *refs[i].Controller {
			return &refs[i]
		}
	}
	return nil
}

// applyNarrow drops or narrows the violations the active exemptions cover.
// vs is owned by the caller and may be reused for the result.
func (a *Admission) applyNarrow(m *narrowMatch, lv podsecurity.LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec, vs []podsecurity.Violation) []podsecurity.Violation {
	out := vs[:0]
	for _, v := range vs {
		whole := false
		var scoped []int // indexes into m.active of container-scoped exemptions for v.Check
		for i, e := range m.active {
			if !slices.Contains(e.Checks, v.Check) {
				continue
			}
			if len(e.Containers) == 0 && len(e.Images) == 0 {
				whole = true
				m.used[i] = true
			} else {
				scoped = append(scoped, i)
			}
		}
		if whole {
			continue
		}
		if len(scoped) == 0 {
			out = append(out, v)
			continue
		}
		// Re-evaluate without the exempt containers and keep what remains of
		// this check's violation.
		narrowed, removed := withoutContainers(spec, func(c *corev1.Container) bool {
			for _, i := range scoped {
				if containerExempt(m.active[i], c) {
					return true
				}
			}
			return false
		})
		var rest *podsecurity.Violation
		for _, rv := range a.eval.Evaluate(lv, withoutContainerAnnotations(meta, removed), narrowed) {
			if rv.Check == v.Check {
				rest = &rv
				break
			}
		}
		if rest != nil && rest.Reason == v.Reason && rest.Detail == v.Detail {
			out = append(out, v) // the exempt containers did not contribute
			continue
		}
		for _, i := range scoped {
			m.used[i] = true
		}
		if rest != nil {
			out = append(out, *rest)
		}
	}
	return out
}

// containerExempt reports whether the container-scoped exemption covers c:
// name listed (or no names given) and image matched (or no images given).
func containerExempt(e *NarrowExemption, c *corev1.Container) bool {
	if len(e.Containers) > 0 && !slices.Contains(e.Containers, c.Name) {
		return false
	}
	if len(e.Images) == 0 {
		return true
	}
	for _, im := range e.Images {
		if p, ok := strings.CutSuffix(im, "*"); ok {
			if strings.HasPrefix(c.Image, p) {
				return true
			}
		} else if c.Image == im {
			return true
		}
	}
	return false
}

// withoutContainers returns a shallow copy of spec without the containers
// (of any kind) for which drop returns true, and the names of those containers.
func withoutContainers(spec *corev1.PodSpec, drop func(*corev1.Container) bool) (*corev1.PodSpec, []string) {
	var removed []string
	s := *spec
	s.Containers = nil
	for i := range spec.Containers {
		if c := &spec.Containers[i]; drop(c) {
			removed = append(removed, c.Name)
		} else {
			s.Containers = append(s.Containers, *c)
		}
	}
	s.InitContainers = nil
	for i := range spec.InitContainers {
		if c := &spec.InitContainers[i]; drop(c) {
			removed = append(removed, c.Name)
		} else {
			s.InitContainers = append(s.InitContainers, *c)
		}
	}
	s.EphemeralContainers = nil
	for i := range spec.EphemeralContainers {
		if c := (*corev1.Container)(&spec.EphemeralContainers[i].EphemeralContainerCommon); drop(c) {
			removed = append(removed, c.Name)
		} else {
			s.EphemeralContainers = append(s.EphemeralContainers, spec.EphemeralContainers[i])
		}
	}
	return &s, removed
}

// withoutContainerAnnotations returns meta without the per-container
// AppArmor annotations of the named containers (a shallow copy when any is
// dropped), so that exempting a container also exempts its annotation.
func withoutContainerAnnotations(meta *metav1.ObjectMeta, containers []string) *metav1.ObjectMeta {
	if meta == nil || len(containers) == 0 {
		return meta
	}
	var out *metav1.ObjectMeta
	for _, name := range containers {
		key := corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix + name
		if _, ok := meta.Annotations[key]; !ok {
			continue
		}
		if out == nil {
			m := *meta
			m.Annotations = maps.Clone(meta.Annotations)
			out = &m
		}
		delete(out.Annotations, key)
	}
	if out == nil {
		return meta
	}
	return out
}

// usedNames returns the names of the exemptions that changed a result, sorted.
func (m *narrowMatch) usedNames() []string {
	var names []string
	for i, e := range m.active {
		if m.used[i] {
			names = append(names, e.Name)
		}
	}
	slices.Sort(names)
	return names
}

// annotate records the used and expired exemptions in the audit annotations.
func (m *narrowMatch) annotate(annotations map[string]string) {
	if used := m.usedNames(); len(used) > 0 {
		annotations[AnnotationNarrowExemptions] = strings.Join(used, ",")
	}
	if len(m.expired) > 0 {
		names := make([]string, len(m.expired))
		for i, e := range m.expired {
			names[i] = e.Name
		}
		slices.Sort(names)
		annotations[AnnotationExpiredExemptions] = strings.Join(names, ",")
	}
}
