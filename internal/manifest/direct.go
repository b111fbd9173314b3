package manifest

import (
	"encoding"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// This file decodes a YAML node tree straight into a typed object, without
// the JSON round trip of decodeObject (emitter, then sigs.k8s.io/json). It
// is a fast path only: it handles the plain and certain cases and returns
// errNotDirect for anything else — aliases, anchors, merge keys, tags,
// duplicate or unknown keys, type mismatches, values a custom unmarshaler
// rejects, types it does not model — and the caller then decodes a fresh
// object the JSON way, which gives the errors, warnings and lines. When it
// succeeds the object equals (reflect.DeepEqual) what the JSON way gives:
// scalars are resolved by the emitter's rules and stored by
// sigs.k8s.io/json's (encoding/json's, case-sensitive), and types with
// their own UnmarshalJSON are handed the bytes the emitter would write.

// directDecode switches the fast path on; tests turn it off to compare.
var directDecode = true

// errNotDirect says that a value is left to the JSON path.
var errNotDirect = errors.New("manifest: value not decoded directly")

// maxDirectDepth bounds the nesting the fast path follows; deeper
// documents take the JSON path, which has its own limit.
const maxDirectDepth = 500

var (
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	jsonNumberType      = reflect.TypeFor[json.Number]()
	stringMapType       = reflect.TypeFor[map[string]string]()
)

// typeInfo is what the fast path needs to know about a Go type, computed
// once per type.
type typeInfo struct {
	kind reflect.Kind
	// unsupported types always take the JSON path.
	unsupported bool
	// unmarshaler is set when sigs.k8s.io/json hands values of this type
	// their JSON: a named non-pointer type whose pointer implements
	// json.Unmarshaler, or a pointer type that implements it.
	unmarshaler bool
	// fields of a struct by exact JSON name; names encoding/json's
	// dominance rules drop are absent (unknown, so the JSON path reports
	// them).
	fields map[string]*fieldInfo
}

// fieldInfo is one JSON field of a struct.
type fieldInfo struct {
	// index is as for reflect.Value.FieldByIndex, through embedded
	// structs; embedded pointers on the way are allocated, as
	// encoding/json does.
	index []int
	bit   uint64 // this field's bit in the struct's seen-set
	// unsupported fields (",string" options, embedded pointers to
	// unexported types) take the JSON path when present.
	unsupported bool
}

var typeInfos sync.Map // reflect.Type → *typeInfo

func infoOf(t reflect.Type) *typeInfo {
	if ti, ok := typeInfos.Load(t); ok {
		return ti.(*typeInfo)
	}
	ti, _ := typeInfos.LoadOrStore(t, newTypeInfo(t))
	return ti.(*typeInfo)
}

func newTypeInfo(t reflect.Type) *typeInfo {
	ti := &typeInfo{kind: t.Kind()}
	jsonU, textU := false, false
	switch {
	case t.Kind() == reflect.Pointer:
		jsonU = t.Implements(jsonUnmarshaler)
		textU = t.Implements(textUnmarshalerType)
	case t.Name() != "":
		jsonU = reflect.PointerTo(t).Implements(jsonUnmarshaler)
		textU = reflect.PointerTo(t).Implements(textUnmarshalerType)
	default:
		// sigs.k8s.io/json ignores methods an unnamed type gets from
		// embedded fields; do not model that.
		ti.unsupported = reflect.PointerTo(t).NumMethod() > 0
	}
	ti.unmarshaler = jsonU
	if textU && !jsonU {
		ti.unsupported = true
	}
	if t == jsonNumberType || strings.HasSuffix(t.PkgPath(), "encoding/json") {
		ti.unsupported = true
	}
	if jsonU {
		return ti
	}
	switch t.Kind() {
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.Pointer, reflect.Slice:
	case reflect.Map:
		// Keys of other kinds are converted from the JSON key text (or
		// through TextUnmarshaler); only string keys are modelled.
		k := t.Key()
		if k.Kind() != reflect.String || reflect.PointerTo(k).Implements(textUnmarshalerType) {
			ti.unsupported = true
		}
	case reflect.Struct:
		ti.fields = structFields(t)
		if ti.fields == nil {
			ti.unsupported = true
		}
	default: // interfaces, arrays, channels, functions, complex numbers...
		ti.unsupported = true
	}
	return ti
}

// structFields computes the JSON fields of struct type t as
// sigs.k8s.io/json's typeFields does (encoding/json's rules: tags, "-",
// embedded structs promoted unless named by their tag, the shallowest
// field of a name winning, a tagged one among equals, ambiguity dropping
// the name). It returns nil when t has more than 64 fields.
func structFields(t reflect.Type) map[string]*fieldInfo {
	type field struct {
		name   string
		tagged bool
		index  []int
		bad    bool
	}
	type queued struct {
		typ   reflect.Type
		index []int
		bad   bool
	}
	var fields []field
	current, next := []queued{}, []queued{{typ: t}}
	var count, nextCount map[reflect.Type]int
	visited := map[reflect.Type]bool{}
	for len(next) > 0 {
		current, next = next, current[:0]
		count, nextCount = nextCount, map[reflect.Type]int{}
		for _, f := range current {
			if visited[f.typ] {
				continue
			}
			visited[f.typ] = true
			for i := 0; i < f.typ.NumField(); i++ {
				sf := f.typ.Field(i)
				if sf.Anonymous {
					et := sf.Type
					if et.Kind() == reflect.Pointer {
						et = et.Elem()
					}
					if !sf.IsExported() && et.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !validTag(name) {
					name = ""
				}
				index := append(slices.Clip(f.index), i)
				ft := sf.Type
				ptr := false
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
					ptr = true
				}
				if name != "" || !sf.Anonymous || ft.Kind() != reflect.Struct {
					tagged := name != ""
					if name == "" {
						name = sf.Name
					}
					fd := field{name: name, tagged: tagged, index: index, bad: f.bad}
					for _, o := range strings.Split(opts, ",") {
						if o == "string" {
							fd.bad = true // maybe quoted: not modelled
						}
					}
					fields = append(fields, fd)
					if count[f.typ] > 1 {
						fields = append(fields, fd) // annihilated below
					}
					continue
				}
				nextCount[ft]++
				if nextCount[ft] == 1 {
					next = append(next, queued{
						typ:   ft,
						index: index,
						// An embedded pointer to an unexported type
						// cannot be allocated.
						bad: f.bad || (ptr && !sf.IsExported()),
					})
				}
			}
		}
	}
	slices.SortStableFunc(fields, func(a, b field) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		if c := len(a.index) - len(b.index); c != 0 {
			return c
		}
		if a.tagged != b.tagged {
			if a.tagged {
				return -1
			}
			return 1
		}
		return slices.Compare(a.index, b.index)
	})
	out := map[string]*fieldInfo{}
	for i := 0; i < len(fields); {
		j := i + 1
		for j < len(fields) && fields[j].name == fields[i].name {
			j++
		}
		group := fields[i:j]
		i = j
		// The dominant field: the only one at the smallest depth, or the
		// only tagged one there; else the name is dropped.
		depth := len(group[0].index)
		k := 1
		for k < len(group) && len(group[k].index) == depth {
			k++
		}
		group = group[:k]
		if len(group) > 1 {
			if !group[0].tagged || group[1].tagged {
				continue
			}
		}
		f := group[0]
		out[f.name] = &fieldInfo{index: f.index, unsupported: f.bad}
	}
	if len(out) > 64 {
		return nil
	}
	// Bits in field order, for the seen-set.
	infos := make([]*fieldInfo, 0, len(out))
	for _, f := range out {
		infos = append(infos, f)
	}
	slices.SortFunc(infos, func(a, b *fieldInfo) int { return slices.Compare(a.index, b.index) })
	for i, f := range infos {
		f.bit = 1 << i
	}
	return out
}

// validTag is encoding/json's isValidTag.
func validTag(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}

// directDecoder fills typed objects from node trees; it owns a scratch
// buffer and is not safe for concurrent use.
type directDecoder struct {
	em      *emitter // for the JSON of collections handed to unmarshalers
	scratch []byte
	// infos caches infoOf for this decoder's goroutine: a plain map
	// look-up per value instead of the shared sync.Map's.
	infos map[reflect.Type]*typeInfo
}

// info is infoOf through the decoder's own cache.
func (dd *directDecoder) info(t reflect.Type) *typeInfo {
	if ti, ok := dd.infos[t]; ok {
		return ti
	}
	ti := infoOf(t)
	if dd.infos == nil {
		dd.infos = map[reflect.Type]*typeInfo{}
	}
	dd.infos[t] = ti
	return ti
}

// decode fills obj, a pointer to a fresh zero value, from the mapping n.
// On errNotDirect obj holds a partial value and must be thrown away.
func (dd *directDecoder) decode(n *yaml.Node, obj any) error {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return errNotDirect
	}
	if !dd.value(n, v.Elem(), 0) {
		return errNotDirect
	}
	return nil
}

// plainCollection reports whether a mapping or sequence node may be
// decoded directly: no anchor, no tag.
func plainCollection(n *yaml.Node, tag string) bool {
	return n.Anchor == "" && n.Style&yaml.TaggedStyle == 0 && (n.Tag == tag || n.Tag == "")
}

// plainScalar resolves a scalar node that has no anchor and no tag.
func plainScalar(n *yaml.Node) (scalar, bool) {
	if n.Kind != yaml.ScalarNode || n.Anchor != "" || n.Style&yaml.TaggedStyle != 0 {
		return scalar{}, false
	}
	switch n.Tag {
	case "!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp", "":
	default:
		return scalar{}, false // !!merge, local tags...
	}
	s, err := resolveScalar(n)
	return s, err == nil
}

// value decodes n into v (settable); false means errNotDirect.
func (dd *directDecoder) value(n *yaml.Node, v reflect.Value, depth int) bool {
	if depth > maxDirectDepth {
		return false
	}
	t := v.Type()
	ti := dd.info(t)
	if ti.unsupported {
		return false
	}
	var s scalar
	switch n.Kind {
	case yaml.ScalarNode:
		var ok bool
		if s, ok = plainScalar(n); !ok {
			return false
		}
		if s.kind == kindNull && ti.kind == reflect.Pointer {
			v.SetZero()
			return true
		}
	case yaml.MappingNode:
		if !plainCollection(n, "!!map") {
			return false
		}
	case yaml.SequenceNode:
		if !plainCollection(n, "!!seq") {
			return false
		}
	default: // aliases
		return false
	}
	if ti.unmarshaler {
		return dd.unmarshal(n, s, v, ti)
	}
	if ti.kind == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return dd.value(n, v.Elem(), depth+1)
	}
	switch n.Kind {
	case yaml.MappingNode:
		switch ti.kind {
		case reflect.Struct:
			return dd.structValue(n, v, ti, depth)
		case reflect.Map:
			return dd.mapValue(n, v, depth)
		}
		return false
	case yaml.SequenceNode:
		if ti.kind != reflect.Slice {
			return false
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, c := range n.Content {
			if !dd.value(c, s.Index(i), depth+1) {
				return false
			}
		}
		v.Set(s)
		return true
	}
	return storeScalar(s, v, ti.kind)
}

// storeScalar stores a resolved scalar into v of kind k (not a pointer,
// not an unmarshaler) as sigs.k8s.io/json stores the JSON the emitter
// writes for it.
func storeScalar(s scalar, v reflect.Value, k reflect.Kind) bool {
	switch s.kind {
	case kindNull:
		// null leaves values alone, and zeroes maps and slices, which are
		// still nil in a fresh object.
		switch k {
		case reflect.Map, reflect.Slice:
			v.SetZero()
		}
		return true
	case kindString:
		if !utf8.ValidString(s.text) {
			return false // the emitter writes U+FFFD
		}
		switch k {
		case reflect.String:
			v.SetString(s.text)
			return true
		case reflect.Slice:
			if v.Type().Elem().Kind() != reflect.Uint8 {
				return false
			}
			b := make([]byte, base64.StdEncoding.DecodedLen(len(s.text)))
			n, err := base64.StdEncoding.Decode(b, []byte(s.text))
			if err != nil {
				return false
			}
			v.SetBytes(b[:n])
			return true
		}
		return false
	case kindBool:
		if k != reflect.Bool {
			return false
		}
		v.SetBool(s.b)
		return true
	case kindInt:
		switch k {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			i, err := strconv.ParseInt(s.text, 10, 64)
			if err != nil || v.OverflowInt(i) {
				return false
			}
			v.SetInt(i)
			return true
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			u, err := strconv.ParseUint(s.text, 10, 64)
			if err != nil || v.OverflowUint(u) {
				return false
			}
			v.SetUint(u)
			return true
		case reflect.Float32, reflect.Float64:
			return storeFloat(s.text, v)
		}
		return false
	case kindFloat:
		// A float into an integer field decodes when its JSON text is
		// integral (1e3 is written 1000); not modelled.
		if k != reflect.Float32 && k != reflect.Float64 || math.IsNaN(s.f) || math.IsInf(s.f, 0) {
			return false // NaN and infinities are emitter errors
		}
		var buf [32]byte
		return storeFloat(string(appendFloat(buf[:0], s.f)), v)
	}
	return false
}

func storeFloat(text string, v reflect.Value) bool {
	f, err := strconv.ParseFloat(text, v.Type().Bits())
	if err != nil || v.OverflowFloat(f) {
		return false
	}
	v.SetFloat(f)
	return true
}

// unmarshal hands v, whose type has its own UnmarshalJSON, the JSON the
// emitter writes for n (s when n is a scalar).
func (dd *directDecoder) unmarshal(n *yaml.Node, s scalar, v reflect.Value, ti *typeInfo) bool {
	var js []byte
	if n.Kind == yaml.ScalarNode {
		var err error
		if dd.scratch, err = appendScalar(dd.scratch[:0], s, n); err != nil {
			return false
		}
		js = dd.scratch
	} else {
		// The emitter keeps no state across values of a document without
		// aliases (the expansion limit counts from the start of the
		// object), so the JSON of a plain subtree is the slice the
		// object's JSON would hold; duplicate keys are warned about by
		// the JSON path.
		if !plainTree(n, 0) {
			return false
		}
		if err := dd.em.emit(n); err != nil || len(dd.em.dups) > 0 || dd.em.crossType {
			return false
		}
		js = dd.em.buf
	}
	p := v
	if ti.kind == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
	} else {
		p = v.Addr()
	}
	if !p.CanInterface() {
		return false
	}
	u, ok := p.Interface().(json.Unmarshaler)
	return ok && u.UnmarshalJSON(js) == nil
}

// plainTree reports whether the tree under n holds no alias, anchor, tag
// or merge key.
func plainTree(n *yaml.Node, depth int) bool {
	if depth > maxDirectDepth || n.Kind == yaml.AliasNode || n.Anchor != "" || n.Style&yaml.TaggedStyle != 0 || n.Tag == "!!merge" {
		return false
	}
	for _, c := range n.Content {
		if !plainTree(c, depth+1) {
			return false
		}
	}
	return true
}

// directKey returns the JSON key of a mapping key node when it is a string by
// the emitter's rules and carries nothing else.
func directKey(k *yaml.Node) (string, bool) {
	if k.Tag != "!!str" && k.Tag != "" {
		return "", false // numbers, booleans, null, merge keys
	}
	s, ok := plainScalar(k)
	if !ok || s.kind != kindString || !utf8.ValidString(s.text) {
		return "", false // a 1.1 boolean such as yes, a timestamp's text...
	}
	return s.text, true
}

func (dd *directDecoder) structValue(n *yaml.Node, v reflect.Value, ti *typeInfo, depth int) bool {
	var seen uint64
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, ok := directKey(n.Content[i])
		if !ok {
			return false
		}
		f := ti.fields[k]
		if f == nil || f.unsupported || seen&f.bit != 0 {
			return false // unknown or repeated
		}
		seen |= f.bit
		fv := v
		for _, x := range f.index {
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					if !fv.CanSet() {
						return false
					}
					fv.Set(reflect.New(fv.Type().Elem()))
				}
				fv = fv.Elem()
			}
			fv = fv.Field(x)
		}
		if !fv.CanSet() {
			return false
		}
		if !dd.value(n.Content[i+1], fv, depth+1) {
			return false
		}
	}
	return true
}

func (dd *directDecoder) mapValue(n *yaml.Node, v reflect.Value, depth int) bool {
	t := v.Type()
	if t == stringMapType {
		// Labels, annotations, ConfigMap data: no reflection per entry.
		m := v.Interface().(map[string]string)
		if m == nil {
			m = make(map[string]string, len(n.Content)/2)
			v.Set(reflect.ValueOf(m))
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, ok := directKey(n.Content[i])
			if !ok {
				return false
			}
			if _, dup := m[k]; dup {
				return false
			}
			s, ok := plainScalar(n.Content[i+1])
			if !ok {
				return false
			}
			switch {
			case s.kind == kindString && utf8.ValidString(s.text):
				m[k] = s.text
			case s.kind == kindNull:
				m[k] = "" // null leaves the zero value
			default:
				return false
			}
		}
		return true
	}
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(t, len(n.Content)/2))
	}
	kt, et := t.Key(), t.Elem()
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, ok := directKey(n.Content[i])
		if !ok {
			return false
		}
		kv := reflect.New(kt).Elem()
		kv.SetString(k)
		if v.MapIndex(kv).IsValid() {
			return false // a duplicate key: the JSON path warns
		}
		ev := reflect.New(et).Elem()
		if !dd.value(n.Content[i+1], ev, depth+1) {
			return false
		}
		v.SetMapIndex(kv, ev)
	}
	return true
}
