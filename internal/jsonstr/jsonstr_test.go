package jsonstr

import (
	"bytes"
	"encoding/json"
	"testing"
)

func encodingJSON(s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestAppendMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "tab\tnew\nline\rcr", "backspace \b formfeed \f", "\x00\x01\x1f\x7f",
		"<html> & 'x'", "é ü 日本", "\u2028\u2029", "bad \xff utf8 \xc3", "emoji 🙂"} {
		if got, want := Append(nil, s), encodingJSON(s); !bytes.Equal(got, want) {
			t.Errorf("Append(%q) = %s, encoding/json %s", s, got, want)
		}
	}
}

func FuzzAppend(f *testing.F) {
	f.Add("hello\n\"world\"\xff\u2028")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Append(nil, s), encodingJSON(s); !bytes.Equal(got, want) {
			t.Fatalf("Append(%q) = %s, encoding/json %s", s, got, want)
		}
	})
}
