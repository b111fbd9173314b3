// Package manifest reads Kubernetes manifests (files, directories, stdin;
// multi-document YAML, JSON, List kinds) into typed objects that remember where
// they came from, down to the line of any field.
//
// YAML is converted to JSON the way kubectl does it (sigs.k8s.io/yaml: YAML
// 1.1 scalars, so a plain yes is a boolean) but straight from the parsed node
// tree, and decoded strictly and case-sensitively as the API server does:
// unknown fields, duplicate keys and values of the wrong type are reported
// with the line they are on.
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
	// ...) for kinds registered in client-go's scheme, else
	// *unstructured.Unstructured. Its apiVersion and kind are always set.
	Object runtime.Object
	// File is the path as given by the user ("-" for stdin); Line is the
	// 1-based line where the object starts: the first line of its content
	// in its document (after comments and "---"), or its List item's line.
	File string
	Line int

	lines *objLines
}

// FieldLine returns the 1-based line of the field at path, written as
// dotted keys with [i] list indexes and ["key"] for map keys containing dots
// or slashes, e.g. spec.template.spec.containers[0].securityContext.privileged
// or metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"].
// When the field is absent it returns the line of its nearest present
// ancestor, and the object's start line at worst.
//
// FieldLine is safe for concurrent use. During the call of Read's fn it is a
// walk of the parsed document; afterwards Read keeps only the document's
// source text, and FieldLine re-parses it (a small cache of recent
// documents makes repeated calls on one object cheap).
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

// Reader streams objects from paths. Set Stdin to read "-". The zero
// Reader is ready to use; a Reader may be used by several goroutines.
type Reader struct {
	Stdin io.Reader
	// Workers is the number of goroutines decoding documents; 0 means
	// GOMAXPROCS (at most 8), 1 decodes on the calling goroutine. Objects
	// reach fn in input order whatever the number.
	Workers int
}

// Read walks paths in order and calls fn for each object as it is decoded,
// and onErr for each input problem; reading continues after a problem.
//
// A path is a file (read whatever its name), "-" for r.Stdin, or a directory,
// walked recursively in lexical order reading the files named *.yaml, *.yml
// or *.json (other files are not manifests and are passed over; symbolic
// links to directories are not followed). Files are YAML streams of
// documents separated by "---" lines, or JSON (*.json, or stdin starting
// with { or [) holding one or more values. A document whose kind ends in
// "List" and that has an items list yields one object per item.
//
// Input problems never stop the walk: a document that cannot be parsed or
// decoded is reported to onErr and skipped, the other documents of the
// file are still read. Unknown fields of built-in kinds are reported to
// onErr after the object itself was passed to fn (the object decoded
// without them). Blank documents are skipped silently.
//
// fn and onErr are called on the calling goroutine, one at a time, in
// input order. Memory stays bounded whatever the input size: Read holds the
// file being read (streamed document by document when larger than 32 MiB,
// and always for stdin) and decodes a window of about 2×Workers documents
// ahead of fn; the parsed YAML of a document is dropped once fn has seen its
// objects. The Object passed to fn is not reused by Read, so fn may keep
// it. Read returns the first error returned by fn, which stops the walk.
func (r *Reader) Read(paths []string, fn func(*Object) error, onErr func(*Error)) error {
	return r.read(paths, fn, onErr)
}

// ReadBytes reads one YAML or JSON stream held in data as if it were the
// file named name (a ".json" suffix selects JSON, as does content starting
// with { or [), with the same callbacks and guarantees as Read.
func (r *Reader) ReadBytes(name string, data []byte, fn func(*Object) error, onErr func(*Error)) error {
	return r.run(func(sink func(*job) error) error {
		return readData(name, data, isJSONName(name) || looksJSON(data), sink)
	}, fn, onErr)
}

// Decode is ReadBytes with a zero Reader.
func Decode(name string, data []byte, fn func(*Object) error, onErr func(*Error)) error {
	return (&Reader{}).ReadBytes(name, data, fn, onErr)
}
