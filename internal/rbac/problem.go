package rbac

import "strings"

// Problem is an input problem found while building a policy or an index:
// where it is, what is wrong, and whether Kubernetes would still accept the
// input. Policy.Add (Duplicates), Validate and the ClusterRole aggregation
// report them; Index.Problems collects them all.
//
// A Problem is an error, so it can be joined, wrapped and printed as one;
// callers that render locations (a report with file and line) read its
// fields instead.
type Problem struct {
	// Source is where the object starts in the input (its document line;
	// see Field for a finer location). Zero when the problem concerns no
	// single object.
	Source Source
	// Object is the object at fault; zero when the problem concerns no
	// single object.
	Object ObjectKey
	// Field is the path of the offending field relative to the object's
	// root, in the form Kubernetes uses for field errors:
	// "subjects[0].namespace", "rules[2].verbs", "metadata.name". Empty when
	// the problem concerns the whole object.
	Field string
	// Message says what is wrong, lowercase, without the location.
	Message string
	// Warning is true when Kubernetes would accept the input anyway (an
	// object given twice: the later one is applied over the earlier); false
	// when kube-apiserver or its controllers would refuse it.
	Warning bool
}

// Error renders the problem as "source: Kind/ns/name: field: message",
// leaving out the parts that are empty.
func (p *Problem) Error() string {
	var b strings.Builder
	if p.Source != (Source{}) {
		b.WriteString(p.Source.String())
		b.WriteString(": ")
	}
	b.WriteString(p.Detail())
	return b.String()
}

// Detail renders the problem without its source: "Kind/ns/name: field:
// message". Use it beside a separately rendered file and line.
func (p *Problem) Detail() string {
	var b strings.Builder
	if p.Object != (ObjectKey{}) {
		b.WriteString(p.Object.String())
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}
