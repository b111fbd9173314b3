package manifest

import (
	"bytes"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
)

// manyPods is a stream of n pods; document i starts at line 1+6*i and its
// container's image is at line 6+6*i.
func manyPods(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%d}\nspec:\n  containers: [{name: c, image: img%d}]\n", i, i)
	}
	return b.Bytes()
}

// TestPrepare checks that Reader.Prepare runs for every object before fn
// sees it, on several goroutines, with FieldLine answering from the parsed
// document, and that objects still reach fn in input order.
func TestPrepare(t *testing.T) {
	const n = 200
	var calls atomic.Int32
	r := &Reader{Workers: 4, Prepare: func(o *Object) any {
		calls.Add(1)
		return fmt.Sprintf("%s@%d", o.Name, o.FieldLine("spec.containers[0].image"))
	}}
	i := 0
	err := r.ReadBytes("pods.yaml", manyPods(n), func(o *Object) error {
		want := fmt.Sprintf("p%d@%d", i, 6+6*i)
		if o.Name != fmt.Sprintf("p%d", i) || o.Prepared != want {
			t.Errorf("object %d: %s prepared %v, want %s", i, o.Name, o.Prepared, want)
		}
		i++
		return nil
	}, func(e *Error) { t.Errorf("input error: %v", e) })
	if err != nil {
		t.Fatal(err)
	}
	if i != n || calls.Load() != n {
		t.Errorf("%d objects delivered, Prepare called %d times; want %d", i, calls.Load(), n)
	}
}

// TestRetain checks that an object held after fn keeps answering FieldLine
// from its own copy of its document once Retain is called, whatever
// becomes of the buffer its file was read into.
func TestRetain(t *testing.T) {
	data := manyPods(3)
	var held []*Object
	err := Decode("pods.yaml", data, func(o *Object) error {
		o.Retain()
		held = append(held, o)
		return nil
	}, func(e *Error) { t.Errorf("input error: %v", e) })
	if err != nil {
		t.Fatal(err)
	}
	// The buffer is the caller's: overwrite it, as a reused buffer would be.
	copy(data, strings.Repeat("#", len(data)))
	for i, o := range held {
		if got, want := o.FieldLine("spec.containers[0].image"), 6+6*i; got != want {
			t.Errorf("object %d: image at line %d, want %d", i, got, want)
		}
	}
}
