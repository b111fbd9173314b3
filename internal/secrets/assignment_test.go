package secrets

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// assignmentRE is the definition splitAssignment implements: one
// "name: value" or "name=value" line, with optional quotes, list dash and
// export.
var assignmentRE = regexp.MustCompile(`^\s*(?:-\s*|export\s+)?["']?([A-Za-z_][A-Za-z0-9_.\-]*)["']?\s*[:=]\s*(.*?)\s*,?\s*$`)

func checkSplitAssignment(t *testing.T, line string) {
	t.Helper()
	name, val, ok := splitAssignment(line)
	m := assignmentRE.FindStringSubmatch(line)
	if (m != nil) != ok || m != nil && (m[1] != name || m[2] != val) {
		t.Fatalf("splitAssignment(%q) = %q, %q, %v; the regexp gives %q", line, name, val, ok, m)
	}
}

func TestSplitAssignmentMatchesRegexp(t *testing.T) {
	for _, line := range []string{
		"", " ", "a=1", "a: 1", "  a : 1  ", "- a: 1", "-a:1", "- 'a': 1", `"a"=1`, `'a"=1`,
		"export A=1", "export  A = 1", "export=1", "export = 1", "exportA=1", "export\tA=1", "export -a=1",
		"a=1,", "a=1, ,", "a=1,,", "a=,", "a=", "a:", "a = ' x ' ,", "a.b-c_d=e", "1a=1", "_a=1", "a b=1",
		"a=1\r", "\fa=\f1\f", "a=\v1\v", "a\u00a0=1", "a=é ,", "a=\xff", "-", "- ", "export", "export ",
		"a==b", "a:=b", "a=b=c", "#a=1", "a  ", "'=1", "a'", "a' =1", "a'' =1", "- export a=1", "--a=1",
	} {
		checkSplitAssignment(t, line)
	}
	// Random lines over the characters the definition distinguishes.
	const alphabet = "aZ_9.-'\" \t\r\f\v:=,#exportEXPORT\u00a0é"
	runes := []rune(alphabet)
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]rune, r.IntN(14))
		for i := range b {
			b[i] = runes[r.IntN(len(runes))]
		}
		checkSplitAssignment(t, string(b))
	}
	for range 5000 {
		prefix := []string{"", " ", "- ", "export ", "-", "export", "  export  "}[r.IntN(7)]
		q := []string{"", "'", `"`}[r.IntN(3)]
		sep := []string{":", "=", " : ", " = ", "", " "}[r.IntN(6)]
		val := []string{"", "x", " x ", "x,", "x, ", "x ,,", ",", " , ", "a b", "'q'"}[r.IntN(10)]
		checkSplitAssignment(t, prefix+q+"db.password"+q+sep+val)
	}
}

func FuzzSplitAssignment(f *testing.F) {
	for _, s := range []string{"a=1", "export A = 'b' ,", "- \"k\": v", "export=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if strings.Contains(line, "\n") {
			t.Skip("a line holds no newline: values are split on them")
		}
		checkSplitAssignment(t, line)
	})
}

// The credential formats compile lazily; a malformed pattern must fail
// here, not in a user's scan.
func TestFormatsCompile(t *testing.T) {
	for _, f := range formats {
		if f.re() == nil {
			t.Errorf("%s: no expression", f.kind)
		}
	}
}
