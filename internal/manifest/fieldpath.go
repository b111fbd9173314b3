package manifest

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// objLines resolves field lines of one object of a document: items are
// the indexes leading to the object through List items, nil when the
// document is the object.
type objLines struct {
	doc   *doc
	items []int
}

func (l *objLines) line(path string) (int, bool) {
	d := l.doc
	n := d.tree()
	if n == nil {
		return 0, false
	}
	for _, i := range l.items {
		items, ok := lookup(n, "items")
		if !ok {
			return 0, false
		}
		items = resolveAlias(items)
		if i >= len(items.Content) {
			return 0, false
		}
		n = resolveAlias(items.Content[i])
	}
	line, ok := fieldLine(n, path)
	if !ok {
		return 0, false
	}
	return d.line0 + line - 1, true
}

// segment is one step of a field path: a key, or an index when key is
// empty and index >= 0.
type segment struct {
	key   string
	index int
}

// parsePath splits a field path such as a.b[0]["c.d/e"] into segments. It
// stops at the first malformed segment and returns what it has.
func parsePath(p string) []segment {
	var segs []segment
	for i := 0; i < len(p); {
		switch p[i] {
		case '.':
			i++
		case '[':
			j := i + 1
			if j < len(p) && p[j] == '"' {
				// Find the closing quote, honouring backslash escapes.
				k := j + 1
				for k < len(p) && p[k] != '"' {
					if p[k] == '\\' {
						k++
					}
					k++
				}
				if k >= len(p) {
					return segs
				}
				key, err := strconv.Unquote(p[j : k+1])
				if err != nil {
					return segs
				}
				segs = append(segs, segment{key: key, index: -1})
				i = k + 1
				if i < len(p) && p[i] == ']' {
					i++
				}
				continue
			}
			end := strings.IndexByte(p[j:], ']')
			if end < 0 {
				return segs
			}
			n, err := strconv.Atoi(p[j : j+end])
			if err != nil || n < 0 {
				return segs
			}
			segs = append(segs, segment{index: n})
			i = j + end + 1
		default:
			j := i
			for j < len(p) && p[j] != '.' && p[j] != '[' {
				j++
			}
			segs = append(segs, segment{key: p[i:j], index: -1})
			i = j
		}
	}
	return segs
}

// fieldLine resolves path inside the object mapping n to the line (relative
// to n's document) of the deepest field present; ok is false when not even
// the first segment exists.
func fieldLine(n *yaml.Node, path string) (line int, ok bool) {
	line = n.Line
	for _, s := range parsePath(path) {
		n = resolveAlias(n)
		if s.index >= 0 && s.key == "" {
			if n.Kind != yaml.SequenceNode || s.index >= len(n.Content) {
				return line, ok
			}
			n = n.Content[s.index]
			line, ok = n.Line, true
			continue
		}
		k, v, found := lookupKey(n, s.key, 0)
		if !found {
			return line, ok
		}
		n = v
		line, ok = k.Line, true
	}
	return line, ok
}

// lookup returns the value of key in mapping n.
func lookup(n *yaml.Node, key string) (*yaml.Node, bool) {
	_, v, ok := lookupKey(n, key, 0)
	return v, ok
}

// lookupKey finds key in mapping n, looking into merged mappings (<<) when
// it is not written in n itself. It returns the key and value nodes.
func lookupKey(n *yaml.Node, key string, depth int) (k, v *yaml.Node, ok bool) {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode || depth > 20 {
		return nil, nil, false
	}
	// Of duplicate keys the last wins, as in the JSON form.
	hasMerge := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn := n.Content[i]
		if isMerge(kn) {
			hasMerge = true
			continue
		}
		// A non-string key may convert to key too (yes → "true").
		if kn.Kind == yaml.ScalarNode {
			if s, err := mapKey(kn); err == nil && s == key {
				k, v, ok = kn, n.Content[i+1], true
			}
		}
	}
	if ok || !hasMerge {
		return k, v, ok
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !isMerge(n.Content[i]) {
			continue
		}
		m := resolveAlias(n.Content[i+1])
		if m.Kind == yaml.SequenceNode {
			for _, c := range m.Content {
				if k, v, ok := lookupKey(c, key, depth+1); ok {
					return k, v, true
				}
			}
		} else if k, v, ok := lookupKey(m, key, depth+1); ok {
			return k, v, true
		}
	}
	return nil, nil, false
}
