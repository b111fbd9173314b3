// Package manifest reads Kubernetes manifests (files, directories, stdin;
// multi-document YAML, JSON, List kinds) into typed objects that remember where
// they came from, down to the line of any field.
//
// NOTE: this file is the API contract other packages build against; the
// implementation is being written.
package manifest

import (
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/runtime"
)

// Object is one decoded Kubernetes object with its provenance.
type Object struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	// Object is the typed object (*corev1.Pod, *appsv1.Deployment, *rbacv1.Role,
	// ...) for kinds kubeward knows, else *unstructured.Unstructured.
	Object runtime.Object
	// File is the path as given by the user ("-" for stdin); Line is the
	// 1-based line where the object's document (or List item) starts.
	File string
	Line int

	lines lineIndex
}

type lineIndex interface{ line(path string) (int, bool) }

// FieldLine returns the 1-based line of the field at path, written as
// dotted keys with [i] list indexes and ["key"] for map keys containing dots
// or slashes, e.g. spec.template.spec.containers[0].securityContext.privileged
// or metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"].
// When the field is absent it returns the line of its nearest present
// ancestor, and the object's start line at worst.
func (o *Object) FieldLine(path string) int {
	if o.lines != nil {
		if l, ok := o.lines.line(path); ok {
			return l
		}
	}
	return o.Line
}

// Error is a problem with the input, located at File:Line (Line 0 when the
// whole file is at fault).
type Error struct {
	File string
	Line int
	Err  error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Reader streams objects from paths. Set Stdin to read "-".
type Reader struct {
	Stdin io.Reader
}

// Read walks paths in order (directories recursively, files with .yaml, .yml
// or .json, in lexical order) and calls fn for each object as it is decoded,
// and onErr for each input problem; reading continues after a problem. The
// Object passed to fn is only valid during the call unless fn keeps it. Read
// returns the first error returned by fn, which stops the walk.
func (r *Reader) Read(paths []string, fn func(*Object) error, onErr func(*Error)) error {
	return nil
}
