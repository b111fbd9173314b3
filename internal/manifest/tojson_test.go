package manifest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// toJSON converts one YAML document the way decodeObject does.
func toJSON(t testing.TB, src string) ([]byte, error) {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		return nil, err
	}
	var e emitter
	e.setDocument(&n)
	if err := e.emit(&n); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// TestToJSONMatchesSigsYAML checks the node-tree conversion against
// sigs.k8s.io/yaml (which kubectl uses) on inputs where YAML is tricky: the
// result must be equal, or we must report an error (wantErr) where the
// reference silently picks a value.
func TestToJSONMatchesSigsYAML(t *testing.T) {
	tests := []struct {
		name, in string
		wantErr  string // substring; empty means must match sigs.k8s.io/yaml
	}{
		{"yaml 1.1 booleans", "a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: n\ng: True\nh: false\ni: Y\n", ""},
		{"quoted booleans are strings", "a: 'yes'\nb: \"on\"\nc: |\n  true\n", ""},
		{"nulls", "a: ~\nb: null\nc:\nd: Null\ne: NULL\nf: ''\n", ""},
		{"integers", "a: 10\nb: -3\nc: +5\nd: 0x1F\ne: 017\nf: 0o17\ng: 1_000\nh: 0b101\ni: -0b101\nj: 9223372036854775807\nk: 18446744073709551615\nl: 0\n", ""},
		{"integer overflow is a float", "a: 18446744073709551616\nb: -9223372036854775809\n", ""},
		{"floats", "a: 1.0\nb: 1e3\nc: .5\nd: -2.5E-3\ne: 1.\nf: 6.02e+23\ng: 1e-7\nh: 123456789012345678901234\n", ""},
		{"not numbers", "a: 1.2.3\nb: 0x\nc: 1e\nd: 12:30\ne: 1_0x\nf: +\ng: '-'\nh: .\n", ""},
		{"timestamps stay text", "a: 2001-12-14t21:59:43.10-05:00\nb: 2002-12-14\nc: 2001-12-14 21:59:43.10\nd: 2021-13-45\n", ""},
		{"NaN", "a: .nan\n", "unsupported value .nan"},
		{"infinity", "a: -.inf\n", "unsupported value -.inf"},
		{"anchors and aliases", "base: &b {x: 1, y: [a, b]}\nc: *b\nd: &s hello\ne: *s\n", ""},
		{"merge key", "base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n", ""},
		{"merge before explicit key", "base: &b {x: 1, y: 2}\nm:\n  y: 3\n  <<: *b\n", ""},
		{"merge sequence", "a: &a {x: 1}\nb: &b {x: 2, z: 3}\nm:\n  <<: [*a, *b]\n  w: 4\n", ""},
		{"nested merge", "a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nm: {<<: *b, z: 3}\n", ""},
		{"quoted merge key is a key", "m: {'<<': 1}\n", ""},
		{"merge of a scalar", "a: &a 1\nm: {<<: *a}\n", "map merge requires map"},
		{"numeric keys", "1: a\n2.5: b\ntrue: c\n0x10: e\n-1: f\n1e3: g\n.inf: h\n", ""},
		{"null key", "~: a\n", "mapping key must not be null"},
		{"sequence key", "? [a]\n: b\n", "mapping key must be a scalar"},
		{"large mapping", manyKeys(100), ""},
		{"explicit tags", "a: !!str 123\nb: !!int \"42\"\nc: !!float 1\nd: !!bool yes\ne: !!null ''\nf: !custom text\ng: !!binary aGVsbG8=\nh: !!str yes\n", ""},
		{"long tags", "a: !<tag:yaml.org,2002:int> '7'\n", ""},
		{"bad tagged int", "a: !!int abc\n", "cannot decode !!str `abc` as a !!int"},
		{"bad binary", "a: !!binary '%%%'\n", "invalid base64"},
		{"strings", "a: hello world\nb: \"tab\\there\\u00e9\\U0001F600\"\nc: 'it''s'\nd: >\n  folded\n  text\ne: |-\n  literal\n  text\nf: multi\n  line plain\ng: \"\\x00\\x1f \\\" \\\\ \\u2028\"\nh: <b>&amp;</b>\n", ""},
		{"empty document", "", ""},
		{"scalar document", "just text\n", ""},
		{"sequence document", "- 1\n- a\n- {b: [c]}\n", ""},
		{"flow collections", "a: {b: [1, {c: d}], e: []}\nf: {}\n", ""},
		{"json style", "{\"a\":1,\"b\":[true,null,\"x\"],\"c\":{\"d\":-0.5}}", ""},
		{"unicode keys and values", "ключ: значение\n名前: 値\n", ""},
		{"keys that look special", "y: 1\nn: 2\n\"no\": 3\nyes_no: 4\n", ""},
		{"emoji", "a: 😀\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := toJSON(t, tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("toJSON() error = %v, want it to contain %q (json %s)", err, tc.wantErr, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("toJSON() error = %v", err)
			}
			var want, have any
			if err := sigsyaml.Unmarshal([]byte(tc.in), &want); err != nil {
				t.Fatalf("sigs.k8s.io/yaml.Unmarshal() error = %v", err)
			}
			if err := json.Unmarshal(got, &have); err != nil {
				t.Fatalf("our JSON %s does not parse: %v", got, err)
			}
			if diff := cmp.Diff(want, have); diff != "" {
				t.Errorf("differs from sigs.k8s.io/yaml (-want +got):\n%s\nour JSON: %s", diff, got)
			}
			// YAMLToJSON (what kubectl sends) must agree as well.
			ref, err := sigsyaml.YAMLToJSON([]byte(tc.in))
			if err != nil {
				t.Fatalf("YAMLToJSON() error = %v", err)
			}
			var refv any
			if err := json.Unmarshal(ref, &refv); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(refv, have); diff != "" {
				t.Errorf("differs from YAMLToJSON (-want +got):\n%s", diff)
			}
		})
	}
}

// TestToJSONDuplicateKeys checks that of duplicate keys the last wins, as
// with sigs.k8s.io/yaml.YAMLToJSON (kubectl), and that each duplicate is
// recorded with its line and the line of the first occurrence.
func TestToJSONDuplicateKeys(t *testing.T) {
	tests := []struct {
		name, in  string
		dups      []string // "key line first"
		crossType bool     // the reference's choice is not deterministic
	}{
		{"repeated key", "a: 1\nb: 2\na: 3\n", []string{"a 3 1"}, false},
		{"three times", "a: 1\na: 2\nb: x\na: 3\n", []string{"a 2 1", "a 4 1"}, false},
		{"nested", "metadata:\n  name: a\n  labels: {x: '1', x: '2'}\n  name: b\n", []string{"x 3 3", "name 4 2"}, false},
		{"in a large mapping", manyKeys(100) + "k7: again\n", []string{"k7 101 8"}, false},
		{"yaml 1.1 booleans collide", "y: 1\non: 3\n", []string{"true 2 1"}, false},
		{"non-string keys", "1: a\n2.5: b\ntrue: c\nyes: d\n0x10: e\n-1: f\n1e3: g\n16: h\n", []string{"true 4 3", "16 8 5"}, false},
		{"beside a merge key", "base: &b {x: 1}\nm:\n  <<: *b\n  z: 1\n  z: 2\n", []string{"z 5 4"}, false},
		{"through an alias, once", "a: &a {k: 1, k: 2}\nb: *a\nc: *a\n", []string{"k 1 1"}, false},
		{"a value after the duplicate", "a: {x: 1}\nb: 2\na: {y: [1, 2]}\nc: 3\n", []string{"a 3 1"}, false},
		{"integer and string keys", "1: a\n\"1\": b\n", []string{"1 2 1"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var n yaml.Node
			if err := yaml.Unmarshal([]byte(tc.in), &n); err != nil {
				t.Fatal(err)
			}
			var e emitter
			e.setDocument(&n)
			if err := e.emit(&n); err != nil {
				t.Fatalf("emit() = %v", err)
			}
			var dups []string
			for _, d := range e.dups {
				dups = append(dups, fmt.Sprintf("%s %d %d", d.key, d.line, d.first))
			}
			if diff := cmp.Diff(tc.dups, dups); diff != "" {
				t.Errorf("duplicates (-want +got):\n%s", diff)
			}
			if e.crossType != tc.crossType {
				t.Errorf("crossType = %v, want %v", e.crossType, tc.crossType)
			}
			var have any
			if err := json.Unmarshal(e.buf, &have); err != nil {
				t.Fatalf("our JSON %s does not parse: %v", e.buf, err)
			}
			if tc.crossType {
				return
			}
			ref, err := sigsyaml.YAMLToJSON([]byte(tc.in))
			if err != nil {
				t.Fatalf("YAMLToJSON() error = %v", err)
			}
			var want any
			if err := json.Unmarshal(ref, &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, have); diff != "" {
				t.Errorf("differs from YAMLToJSON (-want +got):\n%s\nours: %s\ntheirs: %s", diff, e.buf, ref)
			}
		})
	}
}

func TestToJSONAliasBombs(t *testing.T) {
	laughs := `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`
	mergeBomb := "a: &a {x: 1}\n"
	for i := 'b'; i <= 'z'; i++ {
		mergeBomb += string(i) + ": &" + string(i) + " {<<: [" + strings.Repeat("*"+string(i-1)+", ", 9) + "*" + string(i-1) + "]}\n"
	}
	tests := []struct{ name, in, wantErr string }{
		{"billion laughs", laughs, "too many nodes"},
		{"merge bomb", mergeBomb, "too many nodes"},
		{"self reference", "a: &a [1, *a]\n", "contains itself"},
		{"self merge", "a: &a {<<: *a}\n", ""},
	}
	t.Run("through Decode", func(t *testing.T) {
		var got events
		in := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\n" + laughs
		if err := Decode("bomb.yaml", []byte(in), got.fn, got.onErr); err != nil {
			t.Fatal(err)
		}
		want := []string{"bomb.yaml:8: document expands to too many nodes through aliases"}
		if diff := cmp.Diff(want, []string(got)); diff != "" {
			t.Errorf("Decode() events (-want +got):\n%s", diff)
		}
	})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := toJSON(t, tc.in)
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("toJSON() error = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

// manyKeys returns a mapping of n keys k0..k(n-1), one per line.
func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "k%d: %d\n", i, i)
	}
	return b.String()
}
