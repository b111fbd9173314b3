package webhook

import (
	"bytes"
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
	corev1 "k8s.io/api/core/v1"
)

// Decoding a review is bounded in memory and time.
//
// JSON is compact and the Go types it decodes into are not: an empty
// container, "{}," in the body, is a 408-byte corev1.Container, which the
// evaluation then visits and may name in its messages. Unbounded, a 2.9 MB
// review of a pod with a million empty containers held 1.3 GB live and ran
// for seconds past its deadline. Kubernetes itself does not cap the number
// of containers of a pod; what bounds a real pod is its size: kube-apiserver
// takes request bodies of at most 3 MiB and etcd stores objects of at most
// 1.5 MiB (its default --max-request-bytes), and a container as
// kube-apiserver writes it (name, image and the defaulted
// terminationMessagePath, terminationMessagePolicy, imagePullPolicy and
// resources, plus its managedFields entry) takes a few hundred bytes.
//
// So each review gets a budget derived from its body: decodeBudgetBase plus
// decodeBudgetPerByte bytes per body byte, charged with the size of every
// list element, map entry and pointed-to struct the decoders allocate (an
// estimate of what they allocate, not an exact count). A pod kube-apiserver
// can store takes well under half of it: at ~300 bytes of review per
// container and 408 decoded bytes, about 1.4 bytes per body byte. A review
// that exceeds it is not decoded further, and the object is reported as
// undecodable (see decide). The decoders also stop at the request's deadline.
const (
	// decodeBudgetPerByte is how many bytes of decoded values one body byte
	// may cost.
	decodeBudgetPerByte = 4
	// decodeBudgetBase is the budget every review has, whatever its size,
	// so that small hand-written reviews of many tiny containers still decode.
	decodeBudgetBase = 1 << 20
	// containerEval is the share of a container in the evaluation's memory
	// (its findings and messages), beside the 408 bytes of its
	// corev1.Container: about 300 bytes (measured, restricted level) plus
	// some copies of its name, see containerEvalCost.
	containerEval = 384
	// deadlineEvery is how many charges pass between two checks of the
	// request's deadline.
	deadlineEvery = 1024
)

// containerEvalCost is what a container named name is charged for its
// evaluation: containerEval, and its name in up to eight messages (a
// violating container is named once in each check it fails, and the message
// goes to the response's message, warnings and audit annotations).
func containerEvalCost(name string) uintptr { return containerEval + 8*uintptr(len(name)) }

// evalCost is the evaluation's share of an element of the types it visits
// one by one (estimator, for the complete decoder; the name is charged
// with its string).
var evalCost = map[reflect.Type]uintptr{
	reflect.TypeFor[corev1.Container]():          containerEval,
	reflect.TypeFor[corev1.EphemeralContainer](): containerEval,
}

// errDecodeBudget is wrapped by the error of a review that would take more
// memory to decode than its budget.
var errDecodeBudget = errors.New("too large to decode")

// decodeBudget bounds the memory and time decoding one review takes. A nil
// *decodeBudget is unlimited. It is not safe for concurrent use (one review
// decodes on one goroutine).
type decodeBudget struct {
	ctx     context.Context
	mem     reviewMem // the review's share of the server's in-flight limit
	body    int       // body size the budget derives from
	limit   int64     // bytes the decoded values may take
	left    int64
	charges int // how many values were charged
	err     error
}

// newDecodeBudget returns the budget of a review of bodyLen bytes whose
// deadline is ctx's, drawing on gate (nil: no in-flight limit).
func newDecodeBudget(ctx context.Context, bodyLen int, gate *memGate) *decodeBudget {
	b := &decodeBudget{ctx: ctx, mem: reviewMem{gate: gate}}
	b.setBody(bodyLen)
	return b
}

// setBody sets the budget for a body of bodyLen bytes.
func (b *decodeBudget) setBody(bodyLen int) {
	b.body = bodyLen
	b.limit = decodeBudgetBase + decodeBudgetPerByte*int64(bodyLen)
	b.left = b.limit
}

// charge takes n bytes from the budget and, every deadlineEvery charges,
// checks the deadline. It reports false, for good, once the budget is spent
// or the deadline has passed; Err then says which.
func (b *decodeBudget) charge(n uintptr) bool {
	if b == nil {
		return true
	}
	if b.err != nil {
		return false
	}
	b.charges++
	b.left -= int64(n)
	if b.left < 0 {
		b.err = fmt.Errorf("%w: its %d-byte body decodes to more than the %d bytes a review of that size may take (%d bytes plus %d per body byte); stopped after %d list elements, map entries and nested objects",
			errDecodeBudget, b.body, b.limit, decodeBudgetBase, decodeBudgetPerByte, b.charges)
		return false
	}
	if !b.mem.take(int64(n)) {
		b.err = errBusy
		return false
	}
	if b.charges%deadlineEvery == 0 && b.ctx != nil {
		if err := b.ctx.Err(); err != nil {
			b.err = fmt.Errorf("decoding stopped at the request's deadline: %w", err)
			return false
		}
	}
	return true
}

// credit returns n bytes to the budget: memory charged earlier that the
// decoder has let go of (a slice's array it replaced by a larger one).
func (b *decodeBudget) credit(n uintptr) {
	if b != nil && b.err == nil {
		b.left += int64(n)
		b.mem.give(int64(n))
	}
}

// Err returns why the budget stopped decoding, nil while it has not.
func (b *decodeBudget) Err() error {
	if b == nil {
		return nil
	}
	return b.err
}

// save and restore let a decoder that gave up (whose allocations are then
// garbage) return what it charged, so that the next decoder of the same
// bytes is not charged twice. A spent budget stays spent.
func (b *decodeBudget) save() int64 {
	if b == nil {
		return 0
	}
	return b.left
}

func (b *decodeBudget) restore(left int64) {
	if b != nil && b.err == nil {
		b.mem.give(left - b.left)
		b.left = left
	}
}

// chargeDecode charges b, before sigs.k8s.io/json decodes raw into a value
// of type t, with an estimate of what that decoding allocates: the elements
// of every slice, the entries of every map, every pointed-to value, every
// string and every value decoded by its own UnmarshalJSON, as the members
// of raw that t has fields for make the decoder allocate them. Members t
// has no field for are skipped, as the decoder skips them. It returns b's
// error once the budget is spent (or the deadline has passed). Input that
// is not valid JSON is left to the decoder, which rejects it before
// allocating anything.
func chargeDecode(raw []byte, t reflect.Type, b *decodeBudget) error {
	if b == nil {
		return nil
	}
	e := estimator{b: b}
	e.in = *bytes.NewBuffer(raw)
	e.dec = jsontext.NewDecoder(&e.in,
		// As encoding/json reads it: duplicate names and invalid UTF-8
		// are accepted.
		jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	e.value(t)
	if err := b.Err(); err != nil {
		return err
	}
	if e.syntaxErr != nil && json.Valid(raw) {
		// jsontext and encoding/json disagree on whether raw is JSON;
		// without an estimate the decoder is not trusted with it.
		return fmt.Errorf("%w: cannot bound its decoding: %v", errDecodeBudget, e.syntaxErr)
	}
	return nil
}

type estimator struct {
	in        bytes.Buffer
	dec       *jsontext.Decoder
	b         *decodeBudget
	syntaxErr error
}

// ok reports whether estimating goes on: no syntax error and budget left.
func (e *estimator) ok() bool { return e.syntaxErr == nil && e.b.err == nil }

func (e *estimator) skip() {
	if err := e.dec.SkipValue(); err != nil {
		e.syntaxErr = err
	}
}

func (e *estimator) read() []byte {
	v, err := e.dec.ReadValue()
	if err != nil {
		e.syntaxErr = err
	}
	return v
}

func (e *estimator) token() {
	if _, err := e.dec.ReadToken(); err != nil {
		e.syntaxErr = err
	}
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// value estimates the next value decoded into a t (nil: a member the
// decoder skips).
func (e *estimator) value(t reflect.Type) {
	if !e.ok() {
		return
	}
	k := e.dec.PeekKind()
	if t == nil || k == 'n' {
		e.skip()
		return
	}
	if pt := reflect.PointerTo(t); pt.Implements(jsonUnmarshaler) || pt.Implements(textUnmarshaler) {
		// Its own decoding: assume it keeps a copy of its input.
		e.b.charge(t.Size() + uintptr(len(e.read())))
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if e.b.charge(t.Elem().Size()) {
			e.value(t.Elem())
		}
	case reflect.Interface:
		// Generic values (maps, slices, boxed scalars): about 16 bytes per
		// input byte at worst, for "[[],[],...]".
		e.b.charge(16 * uintptr(len(e.read())))
	case reflect.String:
		e.b.charge(uintptr(len(e.read())))
	case reflect.Struct:
		if k != '{' {
			e.skip() // the decoder fails here
			return
		}
		fields := jsonFields(t)
		e.token()
		for e.ok() && e.dec.PeekKind() != '}' {
			name, err := e.dec.ReadToken()
			if err != nil {
				e.syntaxErr = err
				return
			}
			e.value(fields[name.String()])
		}
		e.token()
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 && k == '"' {
			e.b.charge(uintptr(len(e.read()))) // base64
			return
		}
		if k != '[' {
			e.skip()
			return
		}
		e.token()
		for e.ok() && e.dec.PeekKind() != ']' {
			if t.Kind() == reflect.Slice && !e.b.charge(t.Elem().Size()+evalCost[t.Elem()]) {
				return
			}
			e.value(t.Elem())
		}
		e.token()
	case reflect.Map:
		if k != '{' {
			e.skip()
			return
		}
		e.token()
		// A map entry: key and value, and about as much again for the
		// table's control bytes, free slots and growth.
		entry := 2 * (t.Key().Size() + t.Elem().Size())
		for e.ok() && e.dec.PeekKind() != '}' {
			name := e.read()
			if !e.b.charge(entry + uintptr(len(name))) {
				return
			}
			e.value(t.Elem())
		}
		e.token()
	default:
		e.skip() // numbers and booleans decode in place
	}
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// jsonFields maps the JSON member names of struct type t to their field
// types, as encoding/json matches them case-sensitively (sigs.k8s.io/json's
// case-sensitive mode): tagged names, untagged field names, and the fields of
// embedded structs without a name, where a shallower field wins.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	level := []reflect.Type{t}
	for depth := 0; len(level) > 0 && depth < 8; depth++ {
		var next []reflect.Type
		found := map[string]reflect.Type{}
		for _, st := range level {
			for i := range st.NumField() {
				f := st.Field(i)
				tag := f.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, _, _ := strings.Cut(tag, ",")
				ft := f.Type
				if f.Anonymous && name == "" {
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					if ft.Kind() == reflect.Struct {
						next = append(next, ft)
						continue
					}
				}
				if !f.IsExported() {
					continue
				}
				if name == "" {
					name = f.Name
				}
				if _, ok := m[name]; !ok {
					found[name] = f.Type
				}
			}
		}
		for name, ft := range found {
			m[name] = ft
		}
		level = next
	}
	fieldCache.Store(t, m)
	return m
}
