package manifest

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"go.yaml.in/yaml/v3"
)

// This file turns a yaml.v3 node tree into JSON without an intermediate
// map. The conversion follows sigs.k8s.io/yaml.YAMLToJSON (what kubectl and
// client-go do before a manifest reaches the API server), whose scalar
// resolution is YAML 1.1 as implemented by go.yaml.in/yaml/v2: plain yes/no/
// on/off/y/n are booleans, 0x1F and 017 are integers, timestamps stay strings,
// merge keys (<<) are applied, non-string keys are stringified, and of
// duplicate keys the last one wins. Duplicates are recorded (emitter.dups)
// so that the caller can warn about them.

// emitLimitNodes bounds the number of nodes one document may expand to
// through aliases ("billion laughs"); see emitter.visit.
const (
	aliasFreeVisits = 10000
	aliasMaxRatio   = 100
)

// rec records where one JSON value emitted from the tree sits in the output,
// so that a decoding error at a JSON offset maps back to a YAML line and path.
type rec struct {
	start, end int32 // byte offsets of the value in the JSON output
	line       int32 // line of the key (mapping value) or item (sequence)
	parent     int32 // index of the enclosing value's rec, -1 for the root
	index      int32 // sequence index, or -1 when key names the value
	key        string
	node       *yaml.Node // the value node, aliases resolved
}

// emitError is a conversion problem at a line of the document.
type emitError struct {
	line int
	msg  string
}

func (e *emitError) Error() string { return e.msg }

// emitter converts node trees to JSON; reuse one to amortize its buffers.
// The zero value is ready to use; it is not safe for concurrent use.
type emitter struct {
	buf      []byte
	recs     []rec
	keys     []string // scratch: keys of the mappings being emitted
	keyLine  []int32
	aliases  []*yaml.Node // aliases being expanded, to catch self-reference
	aliasUse []int        // lines where those aliases are used
	visits   int
	limit    int
	doc      *yaml.Node // the document being converted, to size the limit
	docSize  int        // nodes in doc, 0 until counted

	// dups lists the duplicate keys met by the last emit, in document
	// order, each once.
	dups []dupKey
	// crossType is set when two keys of different YAML types (1 and "1")
	// gave the same JSON key: sigs.k8s.io/yaml then keeps either value
	// depending on map iteration order, we keep the last.
	crossType bool
}

// dupKey is a mapping key written again at line, first written at first.
type dupKey struct {
	key         string
	line, first int32
}

// setDocument tells the emitter which parsed document the next emits come
// from; the alias expansion limit is proportional to its size.
func (e *emitter) setDocument(doc *yaml.Node) {
	e.doc, e.docSize = doc, 0
}

// emit writes the JSON form of n into e.buf (replacing its content) and
// rebuilds e.recs.
func (e *emitter) emit(n *yaml.Node) error {
	e.buf = e.buf[:0]
	e.recs = e.recs[:0]
	e.keys = e.keys[:0]
	e.keyLine = e.keyLine[:0]
	e.aliases = e.aliases[:0]
	e.aliasUse = e.aliasUse[:0]
	e.dups = e.dups[:0]
	e.crossType = false
	e.visits = 0
	e.limit = aliasFreeVisits
	if e.docSize > 0 {
		e.limit += aliasMaxRatio * e.docSize
	}
	err := e.value(n, int32(n.Line), -1, -1, "")
	// A mapping finds its duplicates before emitting its values.
	slices.SortStableFunc(e.dups, func(a, b dupKey) int { return cmp.Compare(a.line, b.line) })
	return err
}

// bombLine is the line to blame for excessive expansion: where the
// outermost alias being expanded is used, else line.
func (e *emitter) bombLine(line int) int {
	if len(e.aliasUse) > 0 {
		return e.aliasUse[0]
	}
	return line
}

// overLimit counts a visit of k nodes and reports whether the document
// expanded beyond aliasMaxRatio times its size (a document without aliases
// never does: it visits each node once).
func (e *emitter) overLimit(k int) bool {
	e.visits += k
	if e.visits <= e.limit {
		return false
	}
	if e.docSize == 0 {
		e.docSize = 1
		if e.doc != nil {
			e.docSize = countNodes(e.doc)
		}
		e.limit = aliasFreeVisits + aliasMaxRatio*e.docSize
		return e.visits > e.limit
	}
	return true
}

func (e *emitter) value(n *yaml.Node, line, parent, index int32, key string) error {
	if e.overLimit(1) {
		return &emitError{e.bombLine(int(line)), "document expands to too many nodes through aliases"}
	}
	for n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return &emitError{n.Line, "unknown anchor"}
		}
		for _, a := range e.aliases {
			if a == n.Alias {
				return &emitError{n.Line, fmt.Sprintf("anchor %q value contains itself", n.Value)}
			}
		}
		e.aliases = append(e.aliases, n.Alias)
		e.aliasUse = append(e.aliasUse, n.Line)
		defer func() {
			e.aliases = e.aliases[:len(e.aliases)-1]
			e.aliasUse = e.aliasUse[:len(e.aliasUse)-1]
		}()
		n = n.Alias
	}
	if len(e.aliases) > 10000 {
		return &emitError{int(line), "aliases nested too deeply"}
	}
	ri := int32(len(e.recs))
	e.recs = append(e.recs, rec{start: int32(len(e.buf)), line: line, parent: parent, index: index, key: key, node: n})
	var err error
	switch n.Kind {
	case yaml.MappingNode:
		err = e.mapping(n, ri)
	case yaml.SequenceNode:
		e.buf = append(e.buf, '[')
		for i, c := range n.Content {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if err = e.value(c, int32(c.Line), ri, int32(i), ""); err != nil {
				break
			}
		}
		e.buf = append(e.buf, ']')
	case yaml.ScalarNode:
		err = e.scalar(n)
	case 0:
		e.buf = append(e.buf, "null"...) // empty document
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			e.buf = append(e.buf, "null"...)
		} else {
			err = e.value(n.Content[0], line, parent, index, key)
		}
	default:
		err = &emitError{n.Line, "unexpected YAML node"}
	}
	e.recs[ri].end = int32(len(e.buf))
	return err
}

// isMerge reports whether a mapping key is the YAML merge key <<.
func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Tag == "!!merge"
}

func (e *emitter) mapping(n *yaml.Node, ri int32) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if isMerge(n.Content[i]) {
			return e.mergedMapping(n, ri)
		}
	}
	e.buf = append(e.buf, '{')
	base, dups0 := len(e.keys), len(e.dups)
	defer func() { e.keys, e.keyLine = e.keys[:base], e.keyLine[:base] }()
	// Small mappings are checked for duplicate keys by a scan, large ones
	// (a ConfigMap's data, say) with a map to stay linear.
	var seen map[string]int32
	if len(n.Content) > 64 {
		seen = make(map[string]int32, len(n.Content)/2)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		k, err := mapKey(kn)
		if err != nil {
			return err
		}
		dup := false
		if seen != nil {
			_, dup = seen[k]
			seen[k] = int32(kn.Line)
		} else {
			for j := base; j < len(e.keys); j++ {
				if e.keys[j] == k {
					dup = true
					break
				}
			}
			e.keys = append(e.keys, k)
			e.keyLine = append(e.keyLine, int32(kn.Line))
		}
		if dup {
			// Rare: start the mapping over on the slow path, which
			// keeps the last of each key.
			e.buf = e.buf[:e.recs[ri].start]
			e.recs = e.recs[:ri+1]
			e.dups = e.dups[:dups0]
			return e.mappingWithDups(n, ri)
		}
		if err := e.member(i > 0, k, kn, vn, ri); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

// member emits one "key":value member of the mapping whose record is ri,
// after a comma unless it is the first.
func (e *emitter) member(comma bool, k string, kn, vn *yaml.Node, ri int32) error {
	if comma {
		e.buf = append(e.buf, ',')
	}
	e.buf = appendString(e.buf, k)
	e.buf = append(e.buf, ':')
	return e.value(vn, int32(kn.Line), ri, -1, k)
}

// mappingWithDups emits a mapping without merge keys that repeats a key:
// each key is written once, at the place of its last occurrence, with its
// last value, as yaml.v2 leaves it in a map.
func (e *emitter) mappingWithDups(n *yaml.Node, ri int32) error {
	keys := make([]string, 0, len(n.Content)/2)
	last := make(map[string]int, len(n.Content)/2)
	first := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, err := mapKey(n.Content[i])
		if err != nil {
			return err
		}
		keys = append(keys, k)
		if f, ok := first[k]; ok {
			e.dup(k, n.Content[f], n.Content[i])
		} else {
			first[k] = i
		}
		last[k] = i
	}
	e.buf = append(e.buf, '{')
	comma := false
	for j, k := range keys {
		i := 2 * j
		if last[k] != i {
			continue
		}
		if err := e.member(comma, k, n.Content[i], n.Content[i+1], ri); err != nil {
			return err
		}
		comma = true
	}
	e.buf = append(e.buf, '}')
	return nil
}

// dup records that key node again repeats the key of node first. A
// mapping reached through several aliases is recorded once.
func (e *emitter) dup(key string, first, again *yaml.Node) {
	d := dupKey{key: key, line: int32(again.Line), first: int32(first.Line)}
	for _, x := range e.dups {
		if x == d {
			return
		}
	}
	if len(e.dups) < maxDups {
		e.dups = append(e.dups, d)
	}
	if !sameKeyValue(first, again) {
		e.crossType = true
	}
}

// maxDups bounds the duplicate keys recorded for one document.
const maxDups = 100

// sameKeyValue reports whether two key nodes that give the same JSON key
// also are the same YAML value (as yes and true are, but not 1 and "1").
func sameKeyValue(a, b *yaml.Node) bool {
	a, b = resolveAlias(a), resolveAlias(b)
	if a.Kind != yaml.ScalarNode || b.Kind != yaml.ScalarNode {
		return false
	}
	sa, erra := resolveScalar(a)
	sb, errb := resolveScalar(b)
	return erra == nil && errb == nil && sa.kind == sb.kind
}

// entry is one key of a mapping that uses merge keys.
type entry struct {
	key   string
	line  int32
	value *yaml.Node
}

// mergedMapping emits a mapping containing merge keys. Like yaml.v2, keys
// are set in document order and a merge sets each merged key, so a key
// written after << overrides the merged one; among a sequence of merged
// mappings the earlier ones win.
func (e *emitter) mergedMapping(n *yaml.Node, ri int32) error {
	var entries []entry
	index := map[string]int{}
	explicit := map[string]*yaml.Node{}
	set := func(k string, line int32, v *yaml.Node) {
		if i, ok := index[k]; ok {
			entries[i].line, entries[i].value = line, v
			return
		}
		index[k] = len(entries)
		entries = append(entries, entry{k, line, v})
	}
	var merge func(m *yaml.Node, depth int) error
	merge = func(m *yaml.Node, depth int) error {
		if depth > 100 {
			return &emitError{m.Line, "merge keys nested too deeply"}
		}
		line := m.Line
		for m.Kind == yaml.AliasNode && m.Alias != nil {
			m = m.Alias
		}
		if e.overLimit(1 + len(m.Content)) {
			return &emitError{e.bombLine(line), "document expands to too many nodes through aliases"}
		}
		switch m.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(m.Content); i += 2 {
				kn, vn := m.Content[i], m.Content[i+1]
				if isMerge(kn) {
					if err := mergeValue(merge, vn, depth); err != nil {
						return err
					}
					continue
				}
				k, err := mapKey(kn)
				if err != nil {
					return err
				}
				set(k, int32(kn.Line), vn)
			}
			return nil
		default:
			return &emitError{m.Line, "map merge requires map or sequence of maps as the value"}
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		if isMerge(kn) {
			if err := mergeValue(merge, vn, 0); err != nil {
				return err
			}
			continue
		}
		k, err := mapKey(kn)
		if err != nil {
			return err
		}
		if first, dup := explicit[k]; dup {
			e.dup(k, first, kn)
		} else {
			explicit[k] = kn
		}
		set(k, int32(kn.Line), vn)
	}
	e.buf = append(e.buf, '{')
	for i, en := range entries {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = appendString(e.buf, en.key)
		e.buf = append(e.buf, ':')
		if err := e.value(en.value, en.line, ri, -1, en.key); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

func mergeValue(merge func(*yaml.Node, int) error, v *yaml.Node, depth int) error {
	t := v
	for t.Kind == yaml.AliasNode && t.Alias != nil {
		t = t.Alias
	}
	if t.Kind != yaml.SequenceNode {
		return merge(v, depth+1)
	}
	for i := len(t.Content) - 1; i >= 0; i-- {
		c := t.Content[i]
		r := c
		for r.Kind == yaml.AliasNode && r.Alias != nil {
			r = r.Alias
		}
		if r.Kind != yaml.MappingNode {
			return &emitError{c.Line, "map merge requires map or sequence of maps as the value"}
		}
		if err := merge(c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// scalarKind is the JSON type a YAML scalar resolves to.
type scalarKind uint8

const (
	kindString scalarKind = iota
	kindNull
	kindBool
	kindInt   // text holds the decimal digits
	kindFloat // f holds the value
)

type scalar struct {
	kind scalarKind
	text string
	b    bool
	f    float64
}

const quotedStyles = yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle | yaml.LiteralStyle | yaml.FoldedStyle

// resolveScalar gives the value of a scalar node the way yaml.v2 decodes it
// into an interface{}.
func resolveScalar(n *yaml.Node) (scalar, error) {
	if n.Style&yaml.TaggedStyle != 0 {
		return resolveTagged(n)
	}
	if n.Style&quotedStyles != 0 {
		return scalar{kind: kindString, text: n.Value}, nil
	}
	return resolvePlain(n.Value), nil
}

func resolveTagged(n *yaml.Node) (scalar, error) {
	tag := n.Tag
	if strings.HasPrefix(tag, "tag:yaml.org,2002:") {
		tag = "!!" + tag[len("tag:yaml.org,2002:"):]
	}
	switch tag {
	case "!!str":
		return scalar{kind: kindString, text: n.Value}, nil
	case "!!binary":
		b, err := base64.StdEncoding.DecodeString(n.Value)
		if err != nil {
			return scalar{}, &emitError{n.Line, "!!binary value contains invalid base64 data"}
		}
		return scalar{kind: kindString, text: string(b)}, nil
	case "!!int", "!!float", "!!bool", "!!null", "!!timestamp":
		s := resolvePlain(n.Value)
		got := ""
		switch s.kind {
		case kindString:
			got = "!!str"
			if isTimestamp(n.Value) {
				got = "!!timestamp"
			}
		case kindNull:
			got = "!!null"
		case kindBool:
			got = "!!bool"
		case kindInt:
			got = "!!int"
			if tag == "!!float" {
				f, _ := strconv.ParseFloat(s.text, 64)
				return scalar{kind: kindFloat, f: f}, nil
			}
		case kindFloat:
			got = "!!float"
		}
		if got != tag {
			return scalar{}, &emitError{n.Line, fmt.Sprintf("cannot decode %s `%s` as a %s", got, n.Value, tag)}
		}
		if tag == "!!timestamp" {
			s = scalar{kind: kindString, text: n.Value}
		}
		return s, nil
	}
	// yaml.v2 keeps the text of scalars with tags it does not resolve.
	return scalar{kind: kindString, text: n.Value}, nil
}

var yamlStyleFloat = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

// resolvePlain resolves an untagged plain scalar with YAML 1.1 rules as
// yaml.v2 does.
func resolvePlain(in string) scalar {
	if in == "" {
		return scalar{kind: kindNull}
	}
	switch c := in[0]; {
	case strings.IndexByte("yYnNtTfFoO~", c) >= 0:
		switch in {
		case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
			return scalar{kind: kindBool, b: true}
		case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
			return scalar{kind: kindBool}
		case "~", "null", "Null", "NULL":
			return scalar{kind: kindNull}
		}
	case c == '.':
		switch in {
		case ".nan", ".NaN", ".NAN":
			return scalar{kind: kindFloat, f: math.NaN()}
		case ".inf", ".Inf", ".INF":
			return scalar{kind: kindFloat, f: math.Inf(1)}
		}
		if f, err := strconv.ParseFloat(in, 64); err == nil {
			return scalar{kind: kindFloat, f: f}
		}
	case c == '+' || c == '-' || (c >= '0' && c <= '9'):
		switch in {
		case "+.inf", "+.Inf", "+.INF":
			return scalar{kind: kindFloat, f: math.Inf(1)}
		case "-.inf", "-.Inf", "-.INF":
			return scalar{kind: kindFloat, f: math.Inf(-1)}
		}
		if isTimestamp(in) {
			return scalar{kind: kindString, text: in} // v2 keeps timestamps as text
		}
		plain := in
		if strings.IndexByte(in, '_') >= 0 {
			plain = strings.ReplaceAll(in, "_", "")
		}
		if i, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return scalar{kind: kindInt, text: intText(plain, i)}
		}
		if u, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return scalar{kind: kindInt, text: strconv.FormatUint(u, 10)}
		}
		if yamlStyleFloat.MatchString(plain) {
			if f, err := strconv.ParseFloat(plain, 64); err == nil {
				return scalar{kind: kindFloat, f: f}
			}
		}
		if strings.HasPrefix(plain, "0b") {
			if i, err := strconv.ParseInt(plain[2:], 2, 64); err == nil {
				return scalar{kind: kindInt, text: strconv.FormatInt(i, 10)}
			}
			if u, err := strconv.ParseUint(plain[2:], 2, 64); err == nil {
				return scalar{kind: kindInt, text: strconv.FormatUint(u, 10)}
			}
		} else if strings.HasPrefix(plain, "-0b") {
			if i, err := strconv.ParseInt("-"+plain[3:], 2, 64); err == nil {
				return scalar{kind: kindInt, text: strconv.FormatInt(i, 10)}
			}
		}
	}
	return scalar{kind: kindString, text: in}
}

// intText returns the decimal form of i, reusing s when it already is.
func intText(s string, i int64) string {
	if len(s) > 0 && len(s) < 19 && (s[0] != '0' || len(s) == 1) {
		simple := true
		for j := 0; j < len(s); j++ {
			if s[j] < '0' || s[j] > '9' {
				simple = false
				break
			}
		}
		if simple {
			return s
		}
	}
	return strconv.FormatInt(i, 10)
}

// timestampFormats are the layouts yaml.v2 recognizes as timestamps.
var timestampFormats = []string{
	"2006-1-2T15:4:5.999999999Z07:00",
	"2006-1-2t15:4:5.999999999Z07:00",
	"2006-1-2 15:4:5.999999999",
	"2006-1-2",
}

func isTimestamp(s string) bool {
	if len(s) < 5 || s[4] != '-' {
		return false
	}
	for i := 0; i < 4; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	for _, f := range timestampFormats {
		if _, err := time.Parse(f, s); err == nil {
			return true
		}
	}
	return false
}

func (e *emitter) scalar(n *yaml.Node) error {
	s, err := resolveScalar(n)
	if err != nil {
		return err
	}
	e.buf, err = appendScalar(e.buf, s, n)
	return err
}

// appendScalar appends the JSON of s, the resolved value of scalar node n.
func appendScalar(b []byte, s scalar, n *yaml.Node) ([]byte, error) {
	switch s.kind {
	case kindString:
		b = appendString(b, s.text)
	case kindNull:
		b = append(b, "null"...)
	case kindBool:
		b = strconv.AppendBool(b, s.b)
	case kindInt:
		b = append(b, s.text...)
	case kindFloat:
		if math.IsNaN(s.f) || math.IsInf(s.f, 0) {
			return b, &emitError{n.Line, fmt.Sprintf("unsupported value %s (JSON has no NaN or infinity)", n.Value)}
		}
		b = appendFloat(b, s.f)
	}
	return b, nil
}

// appendFloat formats f as encoding/json does.
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// mapKey gives the JSON key for a mapping key node, stringifying non-string
// keys as sigs.k8s.io/yaml does.
func mapKey(k *yaml.Node) (string, error) {
	for k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		return "", &emitError{k.Line, "mapping key must be a scalar, not a " + kindName(k.Kind)}
	}
	if k.Style == 0 && k.Tag == "!!str" {
		// Fast path: yaml.v3 resolved a plain key to a string. Its rules are
		// YAML 1.2, so only keys that YAML 1.1 reads differently need work.
		if c := k.Value[0]; c != 'y' && c != 'Y' && c != 'n' && c != 'N' && c != 'o' && c != 'O' && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.' {
			return k.Value, nil
		}
	}
	s, err := resolveScalar(k)
	if err != nil {
		return "", err
	}
	switch s.kind {
	case kindString:
		return s.text, nil
	case kindBool:
		return strconv.FormatBool(s.b), nil
	case kindInt:
		if _, err := strconv.ParseInt(s.text, 10, 64); err != nil {
			return "", &emitError{k.Line, fmt.Sprintf("unsupported map key %s", k.Value)}
		}
		return s.text, nil
	case kindFloat:
		f := strconv.FormatFloat(s.f, 'g', -1, 32)
		switch f {
		case "+Inf":
			f = ".inf"
		case "-Inf":
			f = "-.inf"
		case "NaN":
			f = ".nan"
		}
		return f, nil
	}
	return "", &emitError{k.Line, "mapping key must not be null"}
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	case yaml.ScalarNode:
		return "scalar"
	case yaml.AliasNode:
		return "alias"
	case yaml.DocumentNode:
		return "document"
	}
	return "node"
}

// appendString appends s as a JSON string. Invalid UTF-8 (only a decoded
// !!binary value can hold it: yaml.v3 rejects documents that are not UTF-8)
// becomes U+FFFD, as encoding/json writes it in sigs.k8s.io/yaml's
// conversion; the error saying so is not needed.
func appendString(dst []byte, s string) []byte {
	dst, _ = jsontext.AppendQuote(dst, s)
	return dst
}
