package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"go.yaml.in/yaml/v3"
)

// parseJSON builds a yaml.Node tree (a DocumentNode) from one JSON value,
// with 1-based lines relative to src. JSON is not parsed as YAML because
// YAML parsers reject some valid JSON: keys longer than 1024 characters and
// UTF-16 surrogate pairs in escapes. Strings become double-quoted scalars
// (so "yes" stays a string), numbers, booleans and null plain scalars.
func parseJSON(src []byte) (*yaml.Node, error) {
	var newlines []int
	for i, c := range src {
		if c == '\n' {
			newlines = append(newlines, i)
		}
	}
	// lineAt gives the line of the byte before offset off.
	lineAt := func(off int64) int {
		return 1 + sort.SearchInts(newlines, int(off)-1)
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var value func(depth int) (*yaml.Node, error)
	value = func(depth int) (*yaml.Node, error) {
		if depth > 10000 {
			return nil, errors.New("exceeded max depth of 10000")
		}
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		line := lineAt(dec.InputOffset())
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: line}
				for dec.More() {
					kt, err := dec.Token()
					if err != nil {
						return nil, err
					}
					k, ok := kt.(string)
					if !ok {
						return nil, fmt.Errorf("object key is %T", kt)
					}
					kn := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.DoubleQuotedStyle, Value: k, Line: lineAt(dec.InputOffset())}
					vn, err := value(depth + 1)
					if err != nil {
						return nil, err
					}
					n.Content = append(n.Content, kn, vn)
				}
				if _, err := dec.Token(); err != nil {
					return nil, err
				}
				return n, nil
			case '[':
				n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: line}
				for dec.More() {
					vn, err := value(depth + 1)
					if err != nil {
						return nil, err
					}
					n.Content = append(n.Content, vn)
				}
				if _, err := dec.Token(); err != nil {
					return nil, err
				}
				return n, nil
			}
			return nil, fmt.Errorf("unexpected %v", v)
		case string:
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.DoubleQuotedStyle, Value: v, Line: line}, nil
		case json.Number:
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: string(v), Line: line}, nil
		case bool:
			s := "false"
			if v {
				s = "true"
			}
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: s, Line: line}, nil
		case nil:
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null", Line: line}, nil
		}
		return nil, fmt.Errorf("unexpected token %v", tok)
	}
	root, err := value(0)
	if err != nil {
		return nil, err
	}
	return &yaml.Node{Kind: yaml.DocumentNode, Line: root.Line, Content: []*yaml.Node{root}}, nil
}
