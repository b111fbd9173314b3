// Package manifest reads Kubernetes manifests (files, directories, stdin;
// multi-document YAML, JSON, List kinds) into typed objects that remember where
// they came from, down to the line of any field.
//
// YAML is converted to JSON the way kubectl does it (sigs.k8s.io/yaml: YAML
// 1.1 scalars, so a plain yes is a boolean; of duplicate keys the last one
// wins) but straight from the parsed node tree, and decoded strictly and
// case-sensitively as the API server does: unknown fields and values of the
// wrong type are reported with the line they are on, duplicate keys as
// warnings. Files in UTF-16 with a byte order mark are read as kubectl reads
// them.
//
// Real repositories hold YAML that is not Kubernetes objects (Helm values
// and templates, kustomize configuration, CI workflows, OpenAPI documents).
// Read passes over such files when it meets them walking a directory and
// reports them as skipped (see Reader.Read for the rule); it can also hand
// directories to a Renderer (Helm, kustomize) and read what it renders.
package manifest

import (
	"errors"
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
	// File is the path as given by the user ("STDIN" for standard input,
	// as kubectl names it); Line is the 1-based line where the object
	// starts: the first line of its content in its document (after
	// comments and "---"), or its List item's line. For a document that
	// a "# Source: PATH" comment introduces (helm template output), File
	// is PATH and lines count from the line after that comment: they are
	// lines of the rendered template, not of the template source.
	File string
	Line int
	// Prepared holds what Reader.Prepare returned for the object; nil
	// without Prepare.
	Prepared any

	lines *objLines
}

// Retain prepares o to be held after Read's fn has returned, for FieldLine
// later on: it gives o's document its own copy of its text, so that the
// buffer its file was read into (every other document of the file) can be
// freed. Without it, holding one object of a file holds the whole file.
// Safe for concurrent use.
func (o *Object) Retain() {
	if o.lines != nil {
		o.lines.doc.retain()
	}
}

// FieldLine returns the 1-based line of the field at path, counted as Line
// is (see File). A path is written as dotted keys with [i] list indexes and
// ["key"] for map keys containing dots or slashes, e.g.
// spec.template.spec.containers[0].securityContext.privileged or
// metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"].
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
	// Warning marks a problem Kubernetes tolerates, such as a duplicate
	// mapping key (the last value wins, as with kubectl). A warning never
	// stops an object from being delivered: it is reported after the
	// object it concerns (or after the error that stopped the object).
	Warning bool
}

func (e *Error) Error() string {
	w := ""
	if e.Warning {
		w = "warning: "
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s%v", e.File, e.Line, w, e.Err)
	}
	return fmt.Sprintf("%s: %s%v", e.File, w, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Skip is a file that Read passed over while walking a directory because
// its content is not Kubernetes manifests, or because it is not a regular
// file. Reason says why, e.g. "no document has apiVersion and kind (line 1:
// missing kind)".
type Skip struct {
	File, Reason string
}

// A Renderer turns a directory that is not plain manifests (a Helm chart, a
// kustomization) into a YAML stream.
type Renderer interface {
	// Name names the renderer ("helm", "kustomize") for messages.
	Name() string
	// Detect reports whether dir is rendered by this renderer.
	Detect(dir string) bool
	// Render returns the rendered YAML stream of dir. Documents carry
	// "# Source: PATH" comments naming their source file where known.
	Render(dir string) ([]byte, error)
}

// A PartialRenderer renders only the files of its directory that its
// configuration names (a kustomization reads the resources, bases and
// patches it lists). Read then also reads the directory's other files, as
// plain manifests, so that nothing beside a kustomization.yaml goes
// unchecked: every file the rendering read is passed over, and a
// subdirectory holding such a file (a base the rendering already used) is
// not rendered again, though its other files are read.
type PartialRenderer interface {
	Renderer
	// RenderRead is Render that also returns the absolute paths of the
	// files the rendering read.
	RenderRead(dir string) (data []byte, read []string, err error)
}

// StdinName is the name standard input has in Object.File and Error.File,
// the one kubectl gives it.
const StdinName = "STDIN"

// Reader streams objects from paths. Set Stdin to read "-". The zero
// Reader is ready to use; a Reader may be used by several goroutines as
// long as its fields are not changed meanwhile.
type Reader struct {
	Stdin io.Reader
	// Workers is the number of goroutines decoding documents; 0 means
	// GOMAXPROCS (at most 8), 1 decodes on the calling goroutine. Objects
	// reach fn in input order whatever the number.
	Workers int
	// OnSkip, when set, is told about each file passed over while walking
	// a directory (see Read); nil drops them silently. It is called like
	// fn and onErr: on the calling goroutine, in input order.
	OnSkip func(Skip)
	// Exclude lists glob patterns of paths not to read while walking a
	// directory. A pattern is matched with path.Match against the path
	// relative to the walked directory, with slashes, and against the
	// base name; a "**" segment matches any number of directories, so
	// "**/testdata/**", "charts/*/ci/*.yaml" and ".github" all work. An
	// excluded directory is not descended. Excluded paths are not reported
	// as skipped: the user asked for them to be left out. Paths given to
	// Read themselves are never excluded. See Validate.
	Exclude []string
	// Renderers are tried in order on each directory Read meets, given or
	// found while walking; the first whose Detect reports true renders it
	// and Read reads the rendered stream instead of descending (see Read).
	// The paths of "# Source:" comments in the stream become Object.File
	// as written, so a renderer should write them as the user would open
	// them (joined to the directory, say). Detect is called for every
	// directory walked, so it should be cheap.
	Renderers []Renderer
	// Prepare, when set, is called for each object right after it is
	// decoded, on the decoding goroutine, and its result is stored in the
	// object's Prepared field before the object reaches fn. It runs for
	// several objects at once, in no particular order, so it must be safe
	// for concurrent use and depend on nothing but its object: it is where
	// work on one object is done in parallel while fn keeps the input
	// order. FieldLine is a walk of the parsed document during the call.
	Prepare func(*Object) any
}

// Validate reports malformed Exclude patterns, all at once. Read returns
// the same error before reading anything.
func (r *Reader) Validate() error {
	var errs []error
	for _, p := range r.Exclude {
		if err := validPattern(p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Read walks paths in order and calls fn for each object as it is decoded,
// and onErr for each input problem; reading continues after a problem.
//
// A path is a file (read whatever its name and kind: a named pipe such as
// /dev/stdin is read as a stream), "-" for r.Stdin (named STDIN in objects
// and errors), or a directory, walked recursively in lexical order reading
// the files named *.yaml, *.yml or *.json (other files are not manifests
// and are passed over silently, as are paths matching r.Exclude; symbolic
// links to directories are not followed). Files are YAML streams of
// documents separated by "---" lines, or JSON (*.json, or stdin or a pipe
// starting with { or [) holding one or more values. A file starting with a UTF-16
// byte order mark is transcoded to UTF-8 first. A document whose kind ends
// in "List" and that has an items list yields one object per item.
//
// Files found by walking a directory are judged by their content first:
// a file none of whose documents is a manifest is passed over as a whole
// and reported to r.OnSkip instead of onErr; a file with at least one
// manifest document is read as any other, its bad documents reported to
// onErr. A document is a manifest when it parses to a mapping whose
// apiVersion and kind are non-empty strings, apart from kustomize's own
// configuration (group kustomize.config.k8s.io: Kustomization, Component)
// and from unrendered templates (a YAML document holding "{{" counts only
// if it yields an object); a document that does not parse (or is not UTF-8
// text) counts when it holds no "{{" and has lines starting with
// "apiVersion:" and "kind:" (for JSON, the keys "apiVersion" and "kind"),
// so that a broken manifest remains an error. Blank documents do not count
// either way, and a file of blank documents yields nothing. The skip's
// reason names the first parse error when a document did not parse ("not
// YAML a manifest parser accepts: line 3: ..."), else what the first
// document is. Named pipes, sockets and devices met while walking are
// skipped too, never opened. Files given as paths are never skipped: what
// is not a manifest in them is an error.
//
// A directory that one of r.Renderers detects, given or met while walking
// (and not excluded), is rendered and not descended: the rendered stream is
// read as a file named after the directory, except that documents
// introduced by "# Source: PATH" comments are attributed to PATH (see
// Object.File). A render error is reported to onErr as an Error for the
// directory, or as the renderer's own *Error when its error wraps one.
//
// Input problems never stop the walk: a document that cannot be parsed or
// decoded is reported to onErr and skipped, the other documents of the
// file are still read; after a malformed JSON value, reading resumes at the
// next line that starts with { or [ (the next value of a JSON-lines
// stream). Unknown fields of built-in kinds and duplicate keys (warnings,
// see Error.Warning) are reported to onErr after the object itself was
// passed to fn. Blank documents are skipped silently.
//
// fn, onErr and r.OnSkip are called on the calling goroutine, one at a
// time, in input order. Memory stays bounded whatever the input size: Read
// holds the file being read (streamed document by document when larger than
// 32 MiB, and always for stdin) and decodes a window of about 2×Workers
// documents ahead of fn; the parsed YAML of a document is dropped once fn
// has seen its objects. While a walked file has shown no manifest document
// yet, the errors of its documents are held back (at most 1,000; more are
// counted in one final error) until the file is judged. The Object passed
// to fn is not reused by Read, so fn may keep it. Read returns the error of
// Validate, or else the first error returned by fn, which stops the walk.
func (r *Reader) Read(paths []string, fn func(*Object) error, onErr func(*Error)) error {
	if err := r.Validate(); err != nil {
		return err
	}
	return r.read(paths, fn, onErr)
}

// ReadBytes reads one YAML or JSON stream held in data as if it were the
// file named name (a ".json" suffix selects JSON, as does content starting
// with { or [), with the same callbacks and guarantees as Read.
func (r *Reader) ReadBytes(name string, data []byte, fn func(*Object) error, onErr func(*Error)) error {
	return r.run(func(sink func(*job) error) error {
		return readData(name, data, isJSONName(name) || looksJSON(data), false, sink)
	}, fn, onErr)
}

// Decode is ReadBytes with a zero Reader.
func Decode(name string, data []byte, fn func(*Object) error, onErr func(*Error)) error {
	return (&Reader{}).ReadBytes(name, data, fn, onErr)
}
