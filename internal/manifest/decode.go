package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	kjson "sigs.k8s.io/json"
)

// knownTypes maps every kind registered in client-go's scheme to its Go
// type. Unversioned kinds (Status, WatchEvent, ...) only match under the
// group versions they are registered with.
var knownTypes = sync.OnceValue(func() map[schema.GroupVersionKind]reflect.Type {
	return scheme.Scheme.AllKnownTypes()
})

// newTyped returns a new typed object for gvk, or nil when the kind is not
// built into Kubernetes.
func newTyped(gvk schema.GroupVersionKind) runtime.Object {
	t, ok := knownTypes()[gvk]
	if !ok {
		return nil
	}
	obj, _ := reflect.New(t).Interface().(runtime.Object)
	return obj
}

// decoder decodes documents into events; it owns reusable buffers and is
// not safe for concurrent use.
type decoder struct {
	em     emitter
	direct directDecoder // the fast path, from node tree to typed object
	events []event       // what the current document yielded, in order
	doc    *doc          // the current document, released after delivery

	// What the current document says about its file (see job): set for
	// every document, used for walked ones.
	class  docClass
	why    string
	broken bool
	// walked is set for a document of a file found by walking;
	// reasonLine0 is the line of the document in that file, for the lines
	// named in why.
	walked      bool
	reasonLine0 int
	// prepare is Reader.Prepare.
	prepare func(*Object) any
}

// event is one result of decoding: an object or an input problem.
type event struct {
	obj *Object
	err *Error
}

func (dc *decoder) onErr(e *Error)   { dc.events = append(dc.events, event{err: e}) }
func (dc *decoder) object(o *Object) { dc.events = append(dc.events, event{obj: o}) }

// doc is one YAML document (or JSON value) of a file. Objects decoded from it
// share it to resolve field lines: the parsed tree is kept while fn runs and
// dropped afterwards, since it takes about nine times the memory of the
// source; FieldLine then re-parses src, keeping the result in a small cache
// shared by all documents.
type doc struct {
	mu     sync.Mutex
	src    []byte     // a part of its file's buffer until retain copies it
	copied bool       // src is the document's own copy
	line0  int        // line of src's first line in the file, 1-based
	isJSON bool       // src is a JSON value
	root   *yaml.Node // the parsed root content node while fn runs
}

// parseDoc parses a YAML document or a JSON value into a DocumentNode (or
// a zero Node when src holds no document).
func parseDoc(src []byte, isJSON bool) (*yaml.Node, error) {
	if isJSON {
		return parseJSON(src)
	}
	var n yaml.Node
	err := yaml.Unmarshal(src, &n)
	return &n, err
}

// tree returns the document's root content node, or nil if src does not
// parse. Trees are never modified once built, so callers walk them without
// locks.
func (d *doc) tree() *yaml.Node {
	d.mu.Lock()
	root := d.root
	d.mu.Unlock()
	if root != nil {
		return root
	}
	return reparsed.get(d)
}

// source returns the document's text.
func (d *doc) source() []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.src
}

// retain gives the document its own copy of its text (see Object.Retain).
func (d *doc) retain() {
	d.mu.Lock()
	if !d.copied {
		d.src, d.copied = bytes.Clone(d.src), true
	}
	d.mu.Unlock()
}

func (d *doc) release() {
	d.mu.Lock()
	d.root = nil
	d.mu.Unlock()
}

// treeCache holds the trees of the documents most recently re-parsed for
// FieldLine, so that looking up several fields of one object parses once.
type treeCache struct {
	mu      sync.Mutex
	entries [16]struct {
		d    *doc
		root *yaml.Node
	}
	next int
}

var reparsed treeCache

func (c *treeCache) get(d *doc) *yaml.Node {
	c.mu.Lock()
	for _, e := range c.entries {
		if e.d == d {
			c.mu.Unlock()
			return e.root
		}
	}
	c.mu.Unlock()
	n, err := parseDoc(d.source(), d.isJSON)
	if err != nil || n.Kind != yaml.DocumentNode || len(n.Content) == 0 {
		return nil
	}
	root := resolveAlias(n.Content[0])
	c.mu.Lock()
	c.entries[c.next].d, c.entries[c.next].root = d, root
	c.next = (c.next + 1) % len(c.entries)
	c.mu.Unlock()
	return root
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 1000; i++ {
		n = n.Alias
	}
	return n
}

var yamlErrLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// kustomizeGroup is the API group of kustomize's own configuration files
// (Kustomization, Component), which are not Kubernetes objects; Flux's
// Kustomization (kustomize.toolkit.fluxcd.io) is one.
const kustomizeGroup = "kustomize.config.k8s.io"

// decodeDoc decodes one document whose first line is line0 of file into
// dc.events. The caller releases dc.doc once the events are delivered.
// tree, when not nil, is src already parsed (see parseBatch).
func (dc *decoder) decodeDoc(file string, src []byte, tree *yaml.Node, line0 int, isJSON bool) {
	n, err := tree, error(nil)
	if tree == nil {
		n, err = parseDoc(src, isJSON)
	}
	if err != nil {
		rel, msg := 1, strings.TrimPrefix(err.Error(), "yaml: ")
		if m := yamlErrLine.FindStringSubmatch(err.Error()); m != nil {
			rel, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		what := "invalid YAML: "
		if isJSON {
			what = "invalid JSON: "
		}
		dc.onErr(&Error{File: file, Line: line0 + rel - 1, Err: errors.New(what + msg)})
		dc.brokenDoc(src, isJSON, dc.reasonLine0+rel-1, msg)
		return
	}
	if n.Kind == 0 || len(n.Content) == 0 {
		return // only comments and whitespace
	}
	root := n.Content[0]
	if root.Kind == yaml.ScalarNode && root.Value == "" && root.Tag == "!!null" && root.Style == 0 {
		return // "---" followed by nothing
	}
	d := &doc{src: src, line0: line0, isJSON: isJSON, root: resolveAlias(root)}
	dc.doc = d
	dc.em.setDocument(n)
	if d.root.Kind != yaml.MappingNode {
		dc.onErr(&Error{File: file, Line: line0 + root.Line - 1, Err: fmt.Errorf("expected an object with apiVersion and kind, found a %s", kindName(d.root.Kind))})
		dc.other(root.Line, "a "+kindName(d.root.Kind))
		return
	}
	apiVersion, kind, err := typeOf(d.root)
	switch {
	case err != nil:
		dc.other(err.(*emitError).line, err.Error())
	case apiVersion == "" || kind == "":
		dc.other(root.Line, missing(apiVersion, kind).Error())
	case strings.HasPrefix(apiVersion, kustomizeGroup+"/"):
		dc.onErr(&Error{File: file, Line: line0 + root.Line - 1, Err: fmt.Errorf("kustomize configuration (%s %s), not a Kubernetes object", apiVersion, kind)})
		dc.class, dc.why = classOther, fmt.Sprintf("kustomize configuration (%s %s), not a Kubernetes object", apiVersion, kind)
		return
	default:
		dc.class = classManifest
		if dc.walked && !isJSON {
			if i := bytes.Index(src, []byte("{{")); i >= 0 {
				// An unrendered template counts only if it yields an
				// object (run sees to that).
				dc.class = classOther
				dc.why = fmt.Sprintf("unrendered template (%q at line %d)", "{{", dc.reasonLine0+bytes.Count(src[:i], []byte{'\n'}))
			}
		}
	}
	dc.decodeNode(file, d, d.root, line0+root.Line-1, nil, "", "")
}

// other classifies the current document as not a manifest because of what
// is at line rel of it.
func (dc *decoder) other(rel int, what string) {
	dc.class = classOther
	dc.why = fmt.Sprintf("no document has apiVersion and kind (line %d: %s)", dc.reasonLine0+rel-1, what)
}

// brokenDoc classifies a document that does not parse (msg says why, at
// line of the file): it is a manifest when it holds no template action and
// names apiVersion and kind at its top level.
func (dc *decoder) brokenDoc(src []byte, isJSON bool, line int, msg string) {
	what := "YAML"
	if isJSON {
		what = "JSON"
	}
	tmpl := bytes.Index(src, []byte("{{"))
	if tmpl < 0 && namesType(src, isJSON) {
		dc.class = classManifest
		return
	}
	dc.class, dc.broken = classOther, true
	dc.why = fmt.Sprintf("not %s a manifest parser accepts: line %d: %s", what, line, msg)
	if tmpl >= 0 && dc.reasonLine0 > 0 {
		dc.why += fmt.Sprintf(" (unrendered template: %q at line %d)", "{{", dc.reasonLine0+bytes.Count(src[:tmpl], []byte{'\n'}))
	}
}

// namesType reports whether src, a document that does not parse, has the
// apiVersion and kind of an object: lines starting with "apiVersion:" and
// "kind:" in YAML, the keys "apiVersion" and "kind" in JSON.
func namesType(src []byte, isJSON bool) bool {
	if isJSON {
		return bytes.Contains(src, []byte(`"apiVersion"`)) && bytes.Contains(src, []byte(`"kind"`))
	}
	var api, kind bool
	for len(src) > 0 && !(api && kind) {
		line := src
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			src = nil
		}
		api = api || bytes.HasPrefix(line, []byte("apiVersion:"))
		kind = kind || bytes.HasPrefix(line, []byte("kind:"))
	}
	return api && kind
}

// sourceComment looks for a "# Source: PATH" line among the comments that
// open the YAML document src (after its "---" line), as helm template
// writes them. When there is one it returns PATH and the line0 that makes
// the line after that comment line 1; else file and line0 unchanged.
func sourceComment(file string, src []byte, line0 int) (string, int) {
	for i := 0; len(src) > 0; i++ {
		line := src
		if j := bytes.IndexByte(src, '\n'); j >= 0 {
			line, src = src[:j], src[j+1:]
		} else {
			src = nil
		}
		t := bytes.TrimLeft(line, " \t")
		switch {
		case i == 0 && isMarker(line, '-'):
			if rest := bytes.TrimSpace(line[3:]); len(rest) > 0 && rest[0] != '#' {
				return file, line0 // content on the "---" line
			}
		case len(bytes.TrimSpace(t)) == 0:
		case t[0] == '#':
			if p, ok := bytes.CutPrefix(t, []byte("# Source: ")); ok {
				if p = bytes.TrimSpace(p); len(p) > 0 {
					// Take the last such line before the content.
					file, line0 = string(p), -i
				}
			}
		default:
			return file, line0
		}
	}
	return file, line0
}

// maxListNesting bounds Lists inside Lists.
const maxListNesting = 10

// decodeNode decodes the object mapping n starting at line of the file, at
// items (the indexes leading to it through List items, nil for a document).
// An item of a typed list (PodList, ...) may leave out apiVersion and kind,
// which then default to listAPIVersion and the list's item kind. A List is
// expanded into its items, recursively.
func (dc *decoder) decodeNode(file string, d *doc, n *yaml.Node, line int, items []int, listAPIVersion, listKind string) {
	abs := func(l int) int { return d.line0 + l - 1 }
	apiVersion, kind, err := typeOf(n)
	if err != nil {
		dc.onErr(&Error{File: file, Line: abs(err.(*emitError).line), Err: errors.New(err.Error())})
		return
	}
	if kind == "" && apiVersion == "" && listKind != "" && listKind != "List" {
		apiVersion, kind = listAPIVersion, strings.TrimSuffix(listKind, "List")
	}
	if strings.HasSuffix(kind, "List") && apiVersion != "" {
		// A built-in list kind is always a list; another kind ending in
		// List (a custom resource's list, say) is one when it has items.
		builtin := kind == "List" || newTyped(schema.FromAPIVersionAndKind(apiVersion, kind)) != nil
		list, ok := lookup(n, "items")
		if ok {
			list = resolveAlias(list)
		}
		switch {
		case ok && list.Kind == yaml.SequenceNode:
			dc.warnTopDups(file, d, n)
			if len(items) >= maxListNesting {
				dc.onErr(&Error{File: file, Line: line, Err: fmt.Errorf("lists nested more than %d deep", maxListNesting)})
				return
			}
			for i, it := range list.Content {
				itemLine := abs(it.Line)
				it = resolveAlias(it)
				if it.Kind != yaml.MappingNode {
					dc.onErr(&Error{File: file, Line: itemLine, Err: fmt.Errorf("%s item %d: expected an object, found a %s", kind, i, kindName(it.Kind))})
					continue
				}
				dc.decodeNode(file, d, it, itemLine, append(items[:len(items):len(items)], i), apiVersion, kind)
			}
			return
		case !builtin:
		case !ok || (list.Kind == yaml.ScalarNode && list.Tag == "!!null" && list.Style&yaml.TaggedStyle == 0):
			return // an empty list
		default:
			dc.onErr(&Error{File: file, Line: abs(list.Line), Err: fmt.Errorf("%s items must be a list, found a %s", kind, kindName(list.Kind))})
			return
		}
	}
	if apiVersion == "" || kind == "" {
		dc.onErr(&Error{File: file, Line: line, Err: missing(apiVersion, kind)})
		return
	}
	dc.decodeObject(file, d, n, line, items, apiVersion, kind)
}

func missing(apiVersion, kind string) error {
	switch {
	case apiVersion == "" && kind == "":
		return errors.New("missing apiVersion and kind")
	case apiVersion == "":
		return errors.New("missing apiVersion")
	}
	return errors.New("missing kind")
}

// typeOf reads apiVersion and kind from an object mapping; absent ones are "".
func typeOf(obj *yaml.Node) (apiVersion, kind string, err error) {
	get := func(name string) (string, error) {
		v, ok := lookup(obj, name)
		if !ok {
			return "", nil
		}
		v = resolveAlias(v)
		if v.Kind == yaml.ScalarNode {
			s, err := resolveScalar(v)
			if err != nil {
				return "", err
			}
			switch s.kind {
			case kindString:
				return s.text, nil
			case kindNull:
				return "", nil
			}
		}
		return "", &emitError{v.Line, name + " must be a string"}
	}
	if apiVersion, err = get("apiVersion"); err != nil {
		return "", "", err
	}
	kind, err = get("kind")
	return apiVersion, kind, err
}

// warnTopDups warns about keys repeated at the top level of a List's
// mapping n, which is not converted to JSON as a whole.
func (dc *decoder) warnTopDups(file string, d *doc, n *yaml.Node) {
	for i := 2; i+1 < len(n.Content); i += 2 {
		k, err := mapKey(n.Content[i])
		if err != nil {
			continue
		}
		for j := 0; j < i; j += 2 {
			if f, err := mapKey(n.Content[j]); err == nil && f == k {
				dc.onErr(dupWarning(file, d, dupKey{key: k, line: int32(n.Content[i].Line), first: int32(n.Content[j].Line)}))
				break
			}
		}
	}
}

// dupWarning is the warning for a duplicate key of document d.
func dupWarning(file string, d *doc, k dupKey) *Error {
	return &Error{
		File:    file,
		Line:    d.line0 + int(k.line) - 1,
		Err:     fmt.Errorf("duplicate key %q (first at line %d); the last value is used", k.key, d.line0+int(k.first)-1),
		Warning: true,
	}
}

// decodeObject decodes the object mapping n, which starts at line of the
// file: straight from the tree when directDecoder can, else by converting
// it to JSON and decoding that. Duplicate keys are reported after the
// object, or after the error that stopped it.
func (dc *decoder) decodeObject(file string, d *doc, n *yaml.Node, line int, items []int, apiVersion, kind string) {
	abs := func(l int) int { return d.line0 + l - 1 }
	rel := line - d.line0 + 1 // the object's line within the document
	gvk := schema.FromAPIVersionAndKind(apiVersion, kind)
	if directDecode {
		// The fast path; when it declines, the object is decoded again
		// from scratch below, which reports what there is to report.
		if typed := newTyped(gvk); typed != nil {
			dc.direct.em = &dc.em
			if dc.direct.decode(n, typed) == nil {
				typed.GetObjectKind().SetGroupVersionKind(gvk)
				dc.newObject(file, d, line, items, apiVersion, kind, typed)
				return
			}
		}
	}
	err := dc.em.emit(n)
	if len(dc.em.dups) > 0 {
		dups := append([]dupKey(nil), dc.em.dups...)
		defer func() {
			for _, k := range dups {
				dc.onErr(dupWarning(file, d, k))
			}
		}()
	}
	if err != nil {
		l := rel
		var ee *emitError
		if errors.As(err, &ee) {
			l = ee.line
		}
		dc.onErr(&Error{File: file, Line: abs(l), Err: errors.New(err.Error())})
		return
	}
	var obj runtime.Object
	var strict []error
	if typed := newTyped(gvk); typed != nil {
		var err error
		strict, err = kjson.UnmarshalStrict(dc.em.buf, typed, kjson.DisallowUnknownFields)
		if err != nil {
			l, msg := dc.locate(err, reflect.TypeOf(typed), rel)
			dc.onErr(&Error{File: file, Line: abs(l), Err: errors.New(msg)})
			return
		}
		typed.GetObjectKind().SetGroupVersionKind(gvk)
		obj = typed
	} else {
		var m map[string]any
		if err := kjson.UnmarshalCaseSensitivePreserveInts(dc.em.buf, &m); err != nil {
			dc.onErr(&Error{File: file, Line: line, Err: err})
			return
		}
		u := &unstructured.Unstructured{Object: m}
		u.SetAPIVersion(apiVersion)
		u.SetKind(kind)
		obj = u
	}
	dc.newObject(file, d, line, items, apiVersion, kind, obj)
	for _, se := range strict {
		l := rel
		var fe kjson.FieldError
		if errors.As(se, &fe) {
			if fl, ok := fieldLine(n, fe.FieldPath()); ok {
				l = fl
			}
		}
		dc.onErr(&Error{File: file, Line: abs(l), Err: errors.New(se.Error())})
	}
}

// newObject yields obj, decoded from document d at line of the file.
func (dc *decoder) newObject(file string, d *doc, line int, items []int, apiVersion, kind string, obj runtime.Object) {
	o := &Object{
		APIVersion: apiVersion,
		Kind:       kind,
		Object:     obj,
		File:       file,
		Line:       line,
		lines:      &objLines{doc: d, items: items},
	}
	if m, ok := obj.(metav1.Object); ok {
		o.Namespace, o.Name = m.GetNamespace(), m.GetName()
	}
	dc.object(o)
}

// locate turns the error of decoding the emitted JSON into typ into a line
// of the document and a message naming the field path. Type mismatches
// carry the offset of the value; errors of custom unmarshalers (quantities,
// int-or-string, times, base64) carry nothing, so the value is found by
// walking the type alongside the JSON. Errors it cannot place are placed at
// objLine.
func (dc *decoder) locate(err error, typ reflect.Type, objLine int) (int, string) {
	// A custom unmarshaler's error may wrap a type error whose offset is
	// relative to the value it was given, so look for those values first.
	if r, verr := dc.em.findBadValue(typ); r >= 0 {
		rc := dc.em.recs[r]
		return int(rc.line), fmt.Sprintf("%s: %s", dc.em.path(r), strings.TrimPrefix(verr.Error(), "json: "))
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if r := dc.em.recAt(te.Offset); r >= 0 {
			rc := dc.em.recs[r]
			want := "a valid value"
			if te.Type != nil {
				want = jsonTypeName(te.Type)
			}
			return int(rc.line), fmt.Sprintf("%s: expected %s, found %s", dc.em.path(r), want, describe(rc.node))
		}
	}
	return objLine, strings.TrimPrefix(err.Error(), "json: ")
}

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

// findBadValue walks the emitted values alongside the Go type t of the
// root value and returns the first value that a type with its own JSON
// decoding (or a []byte) rejects, with the error; -1 when there is none.
func (e *emitter) findBadValue(t reflect.Type) (int, error) {
	children := make([][]int32, len(e.recs))
	for i, r := range e.recs {
		if r.parent >= 0 {
			children[r.parent] = append(children[r.parent], int32(i))
		}
	}
	var walk func(ri int32, t reflect.Type, depth int) (int, error)
	walk = func(ri int32, t reflect.Type, depth int) (int, error) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if depth > 200 {
			return -1, nil
		}
		rc := e.recs[ri]
		if reflect.PointerTo(t).Implements(jsonUnmarshaler) ||
			(t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8) {
			v := reflect.New(t)
			if err := kjson.UnmarshalCaseSensitivePreserveInts(e.buf[rc.start:rc.end], v.Interface()); err != nil {
				return int(ri), err
			}
			return -1, nil
		}
		switch t.Kind() {
		case reflect.Struct:
			for _, c := range children[ri] {
				if ft, ok := jsonField(t, e.recs[c].key); ok {
					if r, err := walk(c, ft, depth+1); r >= 0 {
						return r, err
					}
				}
			}
		case reflect.Slice, reflect.Array:
			for _, c := range children[ri] {
				if r, err := walk(c, t.Elem(), depth+1); r >= 0 {
					return r, err
				}
			}
		case reflect.Map:
			for _, c := range children[ri] {
				if r, err := walk(c, t.Elem(), depth+1); r >= 0 {
					return r, err
				}
			}
		}
		return -1, nil
	}
	if len(e.recs) == 0 {
		return -1, nil
	}
	return walk(0, t, 0)
}

// jsonField returns the type of the field of struct t named name in JSON,
// looking into embedded structs as encoding/json does.
func jsonField(t reflect.Type, name string) (reflect.Type, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		tagName, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && tagName == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if inner, ok := jsonField(ft, name); ok {
					return inner, true
				}
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if tagName == "" {
			tagName = f.Name
		}
		if tagName == name {
			return f.Type, true
		}
	}
	return nil, false
}

// recAt returns the innermost emitted value containing JSON offset off, or -1.
func (e *emitter) recAt(off int64) int {
	best := -1
	for i, r := range e.recs {
		if int64(r.start) >= off {
			break
		}
		if int64(r.end) >= off {
			best = i
		}
	}
	return best
}

// path renders the field path of record r, e.g. spec.containers[0].name.
func (e *emitter) path(r int) string {
	var segs []string
	for ; r >= 0 && e.recs[r].parent >= 0; r = int(e.recs[r].parent) {
		rc := e.recs[r]
		if rc.index >= 0 {
			segs = append(segs, "["+strconv.Itoa(int(rc.index))+"]")
		} else if plainKey(rc.key) {
			segs = append(segs, "."+rc.key)
		} else {
			segs = append(segs, "["+strconv.Quote(rc.key)+"]")
		}
	}
	var b strings.Builder
	for i := len(segs) - 1; i >= 0; i-- {
		b.WriteString(segs[i])
	}
	return strings.TrimPrefix(b.String(), ".")
}

// plainKey reports whether k can be written bare in a field path.
func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '$') {
			return false
		}
	}
	return true
}

func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a " + t.String()
}

// describe names the kind of YAML value n for an error message.
func describe(n *yaml.Node) string {
	if n == nil {
		return "a value"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "an object"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		s, err := resolveScalar(n)
		if err != nil {
			return "a scalar"
		}
		v := n.Value
		if len(v) > 40 {
			v = v[:37] + "..."
		}
		switch s.kind {
		case kindString:
			return "string " + strconv.Quote(v)
		case kindNull:
			return "null"
		case kindBool:
			return "boolean " + v
		default:
			return "number " + v
		}
	}
	return "a " + kindName(n.Kind)
}

func countNodes(n *yaml.Node) int {
	c := 1
	for _, k := range n.Content {
		c += countNodes(k)
	}
	return c
}

// parseBatch parses the documents of a batch job with one YAML parser and
// gives each document its tree, with lines counted from the document's
// first line, exactly as parseDoc would give them. A parser costs about
// 7 KB and 5 µs to set up, as much as parsing a small object; a file of
// many small documents paid that for each.
//
// It leaves every tree unset, so that each document is parsed alone as
// before, unless the parser sees exactly the documents the batch holds and
// nothing could differ from parsing them one by one: no error (the error
// of a document parsed alone names its own lines), no directive (%YAML,
// %TAG), no alias (the parser keeps anchors from one document to the next,
// where a document parsed alone would not find them), no NUL byte and no
// invalid UTF-8 (checkDoc reports those per document). Comments may end up
// on other nodes (a comment before "---" becomes a foot comment of the
// document above only when that document is parsed alone); nothing here
// reads them (TestCommentsUnread).
func parseBatch(j *job) {
	src := j.src
	if bytes.IndexByte(src, 0) >= 0 || !utf8.Valid(src) || hasDirective(src) {
		return
	}
	// The documents must be src, in order, each starting on the line its
	// line0 says, for the lines to be shifted right.
	off := 0
	for _, d := range j.batch {
		if len(d.src) == 0 || off+len(d.src) > len(src) || &src[off] != &d.src[0] || d.line0-j.batch[0].line0 != bytes.Count(src[:off], []byte{'\n'}) {
			return
		}
		off += len(d.src)
	}
	if off != len(src) {
		return
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	trees := make([]*yaml.Node, 0, len(j.batch))
	for {
		n := new(yaml.Node)
		err := dec.Decode(n)
		if err == io.EOF {
			break
		}
		if err != nil || len(trees) == len(j.batch) {
			return
		}
		trees = append(trees, n)
	}
	if len(trees) != len(j.batch) {
		return
	}
	line0 := j.batch[0].line0
	for i, t := range trees {
		if !shiftLines(t, j.batch[i].line0-line0) {
			return
		}
	}
	for i, t := range trees {
		j.batch[i].tree = t
	}
}

// hasDirective reports whether a line of src starts with "%".
func hasDirective(src []byte) bool {
	return len(src) > 0 && src[0] == '%' || bytes.Contains(src, []byte("\n%"))
}

// shiftLines moves the lines of every node of tree up by off; false when
// the tree holds an alias.
func shiftLines(tree *yaml.Node, off int) bool {
	stack := []*yaml.Node{tree}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Kind == yaml.AliasNode {
			return false
		}
		n.Line -= off
		stack = append(stack, n.Content...)
	}
	return true
}
