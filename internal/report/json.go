package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
)

// writeJSON writes r exactly as a json.Encoder with two-space indentation
// and HTML escaping off would write it, but one element at a time: a large
// scan's document (34 MB for 100,000 objects) is never held whole in
// memory, only each finding's encoding in turn.
func writeJSON(w io.Writer, r *Report) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	// encode writes v's encoding, indented for a value at the given prefix.
	encode := func(prefix string, v any) error {
		buf.Reset()
		enc.SetIndent(prefix, "  ")
		if err := enc.Encode(v); err != nil {
			return err
		}
		_, err := bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		return err
	}
	// array writes a member holding n elements (null when isNil).
	array := func(name string, n int, isNil bool, elem func(i int) any) error {
		bw.WriteString("  \"" + name + "\": ")
		switch {
		case isNil:
			bw.WriteString("null")
			return nil
		case n == 0:
			bw.WriteString("[]")
			return nil
		}
		bw.WriteString("[")
		for i := range n {
			if i > 0 {
				bw.WriteString(",")
			}
			bw.WriteString("\n    ")
			if err := encode("    ", elem(i)); err != nil {
				return err
			}
		}
		bw.WriteString("\n  ]")
		return nil
	}
	bw.WriteString("{\n")
	if err := array("findings", len(r.Findings), r.Findings == nil, func(i int) any { return &r.Findings[i] }); err != nil {
		return err
	}
	bw.WriteString(",\n")
	if err := array("errors", len(r.Errors), r.Errors == nil, func(i int) any { return &r.Errors[i] }); err != nil {
		return err
	}
	bw.WriteString(",\n  \"summary\": ")
	if err := encode("  ", &r.Summary); err != nil {
		return err
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}
