package manifest

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// batchesOf splits data as readData does and returns its batch jobs.
func batchesOf(t testing.TB, data []byte) []*job {
	t.Helper()
	var out []*job
	if err := readData("f.yaml", data, false, false, func(j *job) error {
		if j.batch != nil {
			out = append(out, j)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkBatches parses every batch of data with parseBatch and checks that
// each tree it gives is the tree parseDoc gives the document alone. It
// returns how many documents got their tree from the batch.
func checkBatches(t testing.TB, name string, data []byte) int {
	t.Helper()
	return checkBatchJobs(t, name, batchesOf(t, data))
}

func checkBatchJobs(t testing.TB, name string, batches []*job) int {
	t.Helper()
	n := 0
	for _, b := range batches {
		parseBatch(b)
		set := 0
		for _, d := range b.batch {
			if d.tree == nil {
				continue
			}
			set++
			alone, err := parseDoc(d.src, false)
			if err != nil {
				t.Fatalf("%s line %d: the batch parsed a document that does not parse alone: %v", name, d.line0, err)
			}
			if !sameTree(d.tree, alone) {
				t.Fatalf("%s line %d: batch tree differs from the document's own:\n%s\nwant\n%s", name, d.line0, dump(d.tree), dump(alone))
			}
		}
		if set != 0 && set != len(b.batch) {
			t.Fatalf("%s: %d of %d documents of a batch got a tree: all or none", name, set, len(b.batch))
		}
		n += set
	}
	return n
}

// sameTree compares two trees in everything but comments, which a parser
// attributes differently at document boundaries and which this package
// never reads (TestCommentsUnread).
func sameTree(a, b *yaml.Node) bool {
	if a.Kind != b.Kind || a.Style != b.Style || a.Tag != b.Tag || a.Value != b.Value ||
		a.Anchor != b.Anchor || a.Line != b.Line || a.Column != b.Column ||
		(a.Alias == nil) != (b.Alias == nil) || len(a.Content) != len(b.Content) {
		return false
	}
	for i := range a.Content {
		if !sameTree(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}

// TestCommentsUnread keeps parseBatch's premise: the package's code never
// reads a node's comments, which a batch parse may attribute to other
// nodes than parsing the document alone does.
func TestCommentsUnread(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range files {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, field := range []string{"HeadComment", "LineComment", "FootComment"} {
			if strings.Contains(string(src), "."+field) {
				t.Errorf("%s reads %s: parseBatch's trees may place comments differently (see parseBatch)", p, field)
			}
		}
	}
}

func dump(n *yaml.Node) string {
	var b strings.Builder
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		b.WriteString(strings.Repeat("  ", depth))
		b.WriteString(strings.Join([]string{n.Tag, n.Value, n.Anchor, n.HeadComment, n.LineComment, n.FootComment}, "|"))
		b.WriteString(" @" + strconv.Itoa(n.Line) + ":" + strconv.Itoa(n.Column) + " kind " + strconv.Itoa(int(n.Kind)) + " style " + strconv.Itoa(int(n.Style)) + "\n")
		for _, c := range n.Content {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}

// TestParseBatchRealWorld checks parseBatch against parsing each document
// alone on the real projects' manifests, and that batches are used there.
func TestParseBatchRealWorld(t *testing.T) {
	var files []string
	for _, dir := range []string{"testdata", filepath.Join("..", "..", "test", "realworld", "testdata")} {
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	batched := 0
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		batched += checkBatches(t, p, data)
	}
	t.Logf("%d files, %d documents parsed in batches", len(files), batched)
	if batched < 1000 {
		t.Errorf("only %d documents parsed in batches: the batch path is not exercised", batched)
	}
}

// TestParseBatchStream checks the batches of a stream (standard input),
// whose documents are copied into one buffer per batch.
func TestParseBatchStream(t *testing.T) {
	data := []byte(strings.Repeat(helmOutput+"---\n"+fieldDoc, 5) + "...\n# a comment-only document\n---\n" + fieldDoc)
	var batches []*job
	docs := 0
	err := readStream(StdinName, bytes.NewReader(data), false, false, false, func(j *job) error {
		if j.batch != nil {
			batches = append(batches, j)
			docs += len(j.batch)
		} else if j.src != nil {
			docs++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n := checkBatchJobs(t, "stdin", batches)
	if n == 0 || len(batches) < 2 {
		t.Fatalf("%d batches, %d of %d documents parsed in batches: the stream's batch path is not exercised", len(batches), n, docs)
	}
	t.Logf("%d batches, %d of %d documents parsed in batches", len(batches), n, docs)
}

// TestParseBatchDeclines covers what parseBatch leaves to parsing alone.
func TestParseBatchDeclines(t *testing.T) {
	for name, src := range map[string]string{
		"alias across documents": "a: &x 1\n---\nb: *x\n",
		"alias within":           "a: &x 1\nb: *x\n---\nc: 2\n",
		"directive":              "a: 1\n---\nb: 2\n...\n%YAML 1.1\n---\nc: 3\n",
		"syntax error":           "a: 1\n---\nb: [\n---\nc: 3\n",
		"comment-only document":  "a: 1\n...\n# nothing\n",
		"invalid UTF-8":          "a: 1\n---\nb: \xff\n",
	} {
		for _, b := range batchesOf(t, []byte(src)) {
			parseBatch(b)
			for _, d := range b.batch {
				if d.tree != nil {
					t.Errorf("%s: document at line %d got a batch tree", name, d.line0)
				}
			}
		}
	}
	// What it takes: lines counted from each document's first line.
	bs := batchesOf(t, []byte("a: 1\n---\n\nb:\n  c: 2\n"))
	if len(bs) != 1 {
		t.Fatalf("want 1 batch, got %d", len(bs))
	}
	parseBatch(bs[0])
	if n := checkBatches(t, "lines", []byte("a: 1\n---\n\nb:\n  c: 2\n")); n != 2 {
		t.Errorf("want both documents parsed in the batch, got %d", n)
	}
	if c := bs[0].batch[1].tree.Content[0].Content[1].Content[0]; c.Line != 4 || c.Value != "c" {
		t.Errorf("key c at line %d, want 4 (of its document)", c.Line)
	}
}

// FuzzParseBatch checks parseBatch against parsing each document alone,
// and that reading with batches reports exactly what reading without them
// does.
func FuzzParseBatch(f *testing.F) {
	for _, s := range []string{
		"a: 1\n---\nb: 2\n",
		"a: &x 1\n---\nb: *x\n",
		"--- |\n  text\n--- >-\n  folded\n...\n---\nc: [1, 2]\n",
		"# head\na: 1 # line\n# foot\n---\n# head 2\nb: 2\n",
		helmOutput,
		fieldDoc + "---\n" + fieldDoc,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkBatches(t, "f.yaml", data)
		type result struct {
			objs []string
			errs []string
		}
		// From memory (a file) and as a stream (standard input), whose
		// batches are copied together from the documents.
		read := func(stdin bool) result {
			var r result
			fn := func(o *Object) error {
				r.objs = append(r.objs, o.File+":"+strconv.Itoa(o.Line)+" "+o.Kind+" "+o.Namespace+"/"+o.Name+" "+strconv.Itoa(o.FieldLine("metadata.name")))
				return nil
			}
			onErr := func(e *Error) { r.errs = append(r.errs, e.Error()) }
			if stdin {
				_ = (&Reader{Stdin: bytes.NewReader(data)}).Read([]string{"-"}, fn, onErr)
			} else {
				_ = Decode("f.yaml", data, fn, onErr)
			}
			return r
		}
		withFile, withStdin := read(false), read(true)
		defer func(n int) { batchDocs = n }(batchDocs)
		batchDocs = 1
		if without := read(false); !reflect.DeepEqual(withFile, without) {
			t.Fatalf("reading with batches:\n%v\nwithout:\n%v", withFile, without)
		}
		if without := read(true); !reflect.DeepEqual(withStdin, without) {
			t.Fatalf("reading standard input with batches:\n%v\nwithout:\n%v", withStdin, without)
		}
	})
}
