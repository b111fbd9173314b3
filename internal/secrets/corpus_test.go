package secrets_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/podsecurity"
	"github.com/kubeward/kubeward/internal/rules"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/kubeward/kubeward/internal/secrets"
)

// label is an annotation of the corpus: "# want: RULE" marks a line where
// a finding must be (a credential or a practice to report), "# miss: RULE"
// a line that should be reported but is not (a known false negative, counted
// against recall), "# fp: RULE" a line reported wrongly (a known false
// positive, counted against precision). Every other finding fails the test.
var label = regexp.MustCompile(`# (want|miss|fp): (secrets/[a-z-]+)`)

type at struct {
	file string
	line int
	rule string
}

// TestCorpus scans the labelled corpus with the secrets/ family and
// asserts exactly the labelled findings; it logs precision and recall.
func TestCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/corpus/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	want, miss, fp := map[at]bool{}, map[at]bool{}, map[at]bool{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for n := 1; sc.Scan(); n++ {
			for _, m := range label.FindAllStringSubmatch(sc.Text(), -1) {
				k := at{f, n, m[2]}
				switch m[1] {
				case "want":
					want[k] = true
				case "miss":
					miss[k] = true
				case "fp":
					fp[k] = true
				}
			}
		}
		fh.Close()
	}
	lv, _ := podsecurity.ParseLevelVersion("restricted")
	s, err := scan.NewScanner(rules.Builtin(), scan.Options{PodSecurity: lv, Families: []string{secrets.Family}})
	if err != nil {
		t.Fatal(err)
	}
	rep := s.Read(&manifest.Reader{}, files)
	got := map[at]bool{}
	unexpected := 0
	for _, f := range rep.Findings {
		k := at{f.File, f.Line, f.Rule}
		got[k] = true
		if !want[k] && !fp[k] {
			unexpected++
			t.Errorf("unexpected finding %s:%d %s: %s", f.File, f.Line, f.Rule, f.Message)
		}
	}
	var missing []string
	for k := range want {
		if !got[k] {
			missing = append(missing, fmt.Sprintf("%s:%d %s", k.file, k.line, k.rule))
		}
	}
	for k := range miss {
		if got[k] {
			t.Errorf("%s:%d %s is labelled a miss but is found now: label it want", k.file, k.line, k.rule)
		}
	}
	for k := range fp {
		if !got[k] {
			t.Errorf("%s:%d %s is labelled a false positive but is not reported now: remove the label", k.file, k.line, k.rule)
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("missing finding %s", m)
	}
	tp, fps, fns := len(want)-len(missing), len(fp)+unexpected, len(miss)+len(missing)
	t.Logf("corpus: %d true positives, %d false positives, %d false negatives: precision %.3f, recall %.3f",
		tp, fps, fns, float64(tp)/float64(tp+fps), float64(tp)/float64(tp+fns))
	// Values must never appear in any output: the longest word of each
	// labelled line (the credential) must not be in any finding's text,
	// beyond the two characters of its hint.
	for k := range want {
		switch k.rule {
		case secrets.RuleServiceAccountToken, secrets.RuleReadable, secrets.RuleSecretInEnv, secrets.RuleVolumeAllContainers:
			continue // no value on the line
		}
		line := lineOf(t, k.file, k.line)
		line = strings.TrimSpace(line[:strings.Index(line, "# want")])
		if i := strings.LastIndexAny(line, "= "); i >= 0 {
			line = line[i+1:]
		}
		long := strings.Trim(line, `"',]`)
		if len(long) < 10 {
			continue
		}
		for _, f := range rep.Findings {
			if strings.Contains(f.Message, long[2:10]) {
				t.Errorf("%s:%d %s: message echoes the value: %q", f.File, f.Line, f.Rule, f.Message)
			}
		}
	}
}

func lineOf(t *testing.T, file string, n int) string {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(data), "\n")[n-1]
}
