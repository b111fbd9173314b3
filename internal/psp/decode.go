package psp

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/kubeward/kubeward/internal/manifest"
)

// Kind is the kind of a PodSecurityPolicy.
const Kind = "PodSecurityPolicy"

// IsPSP reports whether apiVersion and kind name a PodSecurityPolicy:
// policy/v1beta1, or extensions/v1beta1 as clusters before v1.16 served it.
func IsPSP(apiVersion, kind string) bool {
	return kind == Kind && (apiVersion == "policy/v1beta1" || apiVersion == "extensions/v1beta1")
}

// FieldError is a problem with one field of a PSP; Path is the field's
// path in the object (spec.seLinux.rule).
type FieldError struct {
	Path string
	Err  error
}

func (e *FieldError) Error() string {
	msg := e.Err.Error()
	if strings.Contains(msg, `"`+e.Path+`"`) {
		return msg // sigs.k8s.io/json's strict errors name the path already
	}
	return e.Path + ": " + msg
}
func (e *FieldError) Unwrap() error { return e.Err }

// FromObject decodes a PSP read by internal/manifest, strictly: unknown
// fields, values of the wrong type and invalid strategy rules are errors,
// each located at the offending field's line. o must satisfy IsPSP. When
// errors is non-empty the PSP is nil.
func FromObject(o *manifest.Object) (*PodSecurityPolicy, []*manifest.Error) {
	u, ok := o.Object.(*unstructured.Unstructured)
	if !ok {
		return nil, []*manifest.Error{{File: o.File, Line: o.Line, Err: fmt.Errorf("%s %s: not decoded as an unstructured object", o.APIVersion, o.Kind)}}
	}
	data, err := json.Marshal(u.Object)
	if err != nil {
		return nil, []*manifest.Error{{File: o.File, Line: o.Line, Err: err}}
	}
	p, errs := decodeJSON(data)
	var out []*manifest.Error
	for _, e := range errs {
		line := o.Line
		var fe *FieldError
		if errors.As(e, &fe) {
			line = o.FieldLine(fe.Path)
		}
		out = append(out, &manifest.Error{File: o.File, Line: line, Err: e})
	}
	if len(out) > 0 {
		return nil, out
	}
	return p, nil
}

// Decode decodes one PSP from YAML or JSON data, strictly (see FromObject);
// the error joins every problem, each naming its field.
func Decode(data []byte) (*PodSecurityPolicy, error) {
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	p, errs := decodeJSON(j)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

func decodeJSON(data []byte) (*PodSecurityPolicy, []error) {
	var p PodSecurityPolicy
	strict, err := kjson.UnmarshalStrict(data, &p, kjson.DisallowUnknownFields)
	if err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, []error{&FieldError{Path: te.Field, Err: fmt.Errorf("expected %s, found %s", te.Type, te.Value)}}
		}
		return nil, []error{errors.New(strings.TrimPrefix(err.Error(), "json: "))}
	}
	var errs []error
	for _, se := range strict {
		var fe kjson.FieldError
		if errors.As(se, &fe) {
			errs = append(errs, &FieldError{Path: fe.FieldPath(), Err: se})
			continue
		}
		errs = append(errs, se)
	}
	if !IsPSP(p.APIVersion, p.Kind) {
		errs = append(errs, fmt.Errorf("apiVersion %q, kind %q: not a PodSecurityPolicy (want policy/v1beta1 or extensions/v1beta1 PodSecurityPolicy)", p.APIVersion, p.Kind))
	}
	errs = append(errs, p.validate()...)
	if len(errs) > 0 {
		return nil, errs
	}
	return &p, nil
}

// validate reports what the API server's validation of PSPs rejected and
// the mapping depends on: strategy rules and ranges.
func (p *PodSecurityPolicy) validate() []error {
	var errs []error
	bad := func(path string, format string, args ...any) {
		errs = append(errs, &FieldError{Path: path, Err: fmt.Errorf(format, args...)})
	}
	if p.Name == "" {
		bad("metadata.name", "required")
	}
	s := &p.Spec
	switch s.SELinux.Rule {
	case ruleMustRunAs, ruleRunAsAny:
	default:
		bad("spec.seLinux.rule", "%q: want MustRunAs or RunAsAny", s.SELinux.Rule)
	}
	switch s.RunAsUser.Rule {
	case ruleMustRunAs, ruleMustRunAsNonRoot, ruleRunAsAny:
	default:
		bad("spec.runAsUser.rule", "%q: want MustRunAs, MustRunAsNonRoot or RunAsAny", s.RunAsUser.Rule)
	}
	checkRanges := func(path, rule string, rs []IDRange, rules ...string) {
		ok := false
		for _, r := range rules {
			ok = ok || r == rule
		}
		if !ok {
			bad(path+".rule", "%q: want %s", rule, strings.Join(rules, ", "))
		}
		if (rule == ruleMustRunAs) && len(rs) == 0 {
			bad(path+".ranges", "MustRunAs requires at least one range")
		}
		for i, r := range rs {
			if r.Min < 0 || r.Max < r.Min {
				bad(fmt.Sprintf("%s.ranges[%d]", path, i), "min %d, max %d: want 0 <= min <= max", r.Min, r.Max)
			}
		}
	}
	checkRanges("spec.runAsUser", s.RunAsUser.Rule, s.RunAsUser.Ranges, ruleMustRunAs, ruleMustRunAsNonRoot, ruleRunAsAny)
	if s.RunAsGroup != nil {
		checkRanges("spec.runAsGroup", s.RunAsGroup.Rule, s.RunAsGroup.Ranges, ruleMustRunAs, ruleMayRunAs, ruleRunAsAny)
	}
	// An empty supplementalGroups or fsGroup rule is RunAsAny, as defaulting made it.
	for _, g := range []struct {
		path string
		o    *GroupStrategyOptions
	}{{"spec.supplementalGroups", &s.SupplementalGroups}, {"spec.fsGroup", &s.FSGroup}} {
		if g.o.Rule == "" {
			g.o.Rule = ruleRunAsAny
		}
		checkRanges(g.path, g.o.Rule, g.o.Ranges, ruleMustRunAs, ruleMayRunAs, ruleRunAsAny)
	}
	for i, r := range s.HostPorts {
		if r.Min < 0 || r.Max > 65535 || r.Max < r.Min {
			bad(fmt.Sprintf("spec.hostPorts[%d]", i), "min %d, max %d: want 0 <= min <= max <= 65535", r.Min, r.Max)
		}
	}
	return errs
}
