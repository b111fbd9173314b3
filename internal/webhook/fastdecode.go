package webhook

import (
	"bytes"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// This file is the fast path of the decoder: one pass over the request body
// that fills only the fields the Pod Security decision reads, straight into
// the k8s.io/api types, without reflection and with strings that point into
// the body instead of being copied (so the body must never be reused after a
// successful decode). The JSON itself is read by jsontext
// (github.com/go-json-experiment/json/jsontext, the tokenizer behind Go's
// encoding/json/v2), which checks every value it reads or skips; this file
// only maps members to fields. The envelope and the object are read in the
// same pass when the request names its resource before its object, as
// kube-apiserver writes it (see embedded).
//
// Exactness. The fast path never guesses: whenever the input is anything but
// the plain JSON kube-apiserver writes — a null where it reads a value, a
// duplicated member it reads, a number that is not a plain integer in range,
// invalid JSON or UTF-8, nesting deeper than 10000 — it gives up and the
// caller decodes the same bytes with sigs.k8s.io/json into the complete
// typed object, exactly as apimachinery (and so Kubernetes' own webhook)
// does. When it succeeds, every field it sets equals what the complete
// decode sets, and every skipped value has been checked to be valid JSON;
// tests compare the two decoders field by field and decision by decision
// (fastdecode_test.go).
//
// What is read (everything else is skipped):
//
//	metadata: name, generateName, namespace, uid, labels, annotations, ownerReferences
//	spec: hostNetwork, hostPID, hostIPC, hostUsers, runtimeClassName, os.name,
//	      securityContext.{runAsUser, runAsNonRoot, seLinuxOptions, windowsOptions, sysctls,
//	                       seccompProfile, appArmorProfile},
//	      volumes[].{name, hostPath; which other source is set},
//	      {initContainers,containers,ephemeralContainers}[].{name, image, targetContainerName,
//	          ports[].{containerPort, hostPort}, securityContext (the fields Pod Security reads:
//	          privileged, capabilities, seLinuxOptions, windowsOptions, runAsUser, runAsNonRoot,
//	          allowPrivilegeEscalation, procMount, seccompProfile, appArmorProfile),
//	          {liveness,readiness,startup}Probe and lifecycle.{postStart,preStop}: httpGet.host, tcpSocket.host}
//
// Volume sources other than hostPath are represented by shared, empty
// structs: the checks only test which source is set. Decoded objects are
// therefore read-only, as the admission decision treats them anyway.

// fastDec reads JSON tokens with jsontext (github.com/go-json-experiment/json,
// the tokenizer of Go's encoding/json/v2), which validates everything it
// reads and skips, and maps the members the decision reads onto the typed
// objects. Any error, and any input the fast path leaves to the complete
// decoder, sets bad: every later call is then a no-op and the caller falls
// back.
type fastDec struct {
	b      []byte // the input
	dec    *jsontext.Decoder
	in     bytes.Buffer
	bad    bool
	failAt int64 // input offset where the fast path gave up (for tests)
	// bud is charged with what the decoder allocates (budget.go); nil is
	// unlimited. A spent budget, or a passed deadline, fails the decoder.
	bud *decodeBudget
}

// Duplicate names are allowed by the tokenizer, as encoding/json allows
// them (the last one wins); the members the fast path reads are checked with
// seen instead, and a repeated one sends the input to the complete decoder.
var fastDecOpts = jsontext.AllowDuplicateNames(true)

var fastDecPool = sync.Pool{New: func() any {
	d := new(fastDec)
	d.dec = jsontext.NewDecoder(&d.in, fastDecOpts)
	return d
}}

// newFastDec returns a decoder reading b, charging bud (nil: unlimited).
// jsontext parses a bytes.Buffer in place, so the strings and spans it
// returns point into b.
func newFastDec(b []byte, bud *decodeBudget) *fastDec {
	d := fastDecPool.Get().(*fastDec)
	d.b = b
	d.in = *bytes.NewBuffer(b)
	d.dec.Reset(&d.in, fastDecOpts)
	d.bad, d.failAt, d.bud = false, 0, bud
	return d
}

// release returns d to the pool without a reference to the input.
func (d *fastDec) release() {
	d.b, d.bud = nil, nil
	d.in = bytes.Buffer{}
	d.dec.Reset(&d.in, fastDecOpts)
	fastDecPool.Put(d)
}

// charge takes n bytes from the budget before the decoder allocates them,
// and fails the decoder once it is spent or the deadline has passed.
func (d *fastDec) charge(n uintptr) bool {
	if d.bud == nil {
		return !d.bad
	}
	if !d.bud.charge(n) {
		d.fail()
		return false
	}
	return !d.bad
}

// grow returns s, or when it is full a copy with room for as many elements
// again. The budget is charged with the new array first (d fails when it is
// spent) and credited with the old one, which the copy leaves to the garbage
// collector: it counts what the decoded values hold at once.
func grow[T any](d *fastDec, s []T) []T {
	if len(s) < cap(s) || d.bad {
		return s
	}
	c := max(2*cap(s), 4)
	size := unsafe.Sizeof(*new(T))
	if !d.charge(uintptr(c) * size) {
		return s
	}
	d.bud.credit(uintptr(cap(s)) * size)
	return append(make([]T, 0, c), s...)
}

// overBudget reports whether the decoder failed because its budget was spent
// (or the deadline passed), not because of its input.
func (d *fastDec) overBudget() bool { return d.bad && d.bud.Err() != nil }

// skipTo recovers a decoder that failed inside a value (which must be
// because of its budget, not its input) by skipping to the end of that
// value, at stack depth depth.
func (d *fastDec) skipTo(depth int) {
	d.bad = false
	for !d.bad && d.dec.StackDepth() > depth {
		var err error
		switch d.dec.PeekKind() {
		case '}', ']':
			_, err = d.dec.ReadToken()
		default:
			err = d.dec.SkipValue()
		}
		if err != nil {
			d.fail()
		}
	}
}

func (d *fastDec) fail() {
	if !d.bad {
		d.failAt = d.dec.InputOffset()
	}
	d.bad = true
}

// peek returns the kind of the next token ('{', '[', '"', 'n', 't', 'f', '0'
// for numbers, '}' or ']'), 0 after a failure or at invalid input.
func (d *fastDec) peek() byte {
	if d.bad {
		return 0
	}
	return byte(d.dec.PeekKind())
}

// value reads the next value (or object name) as it sits in the input.
func (d *fastDec) value() []byte {
	if d.bad {
		return nil
	}
	v, err := d.dec.ReadValue()
	if err != nil {
		d.fail()
		return nil
	}
	return v
}

// token consumes the next structural token, which must be want.
func (d *fastDec) token(want byte) bool {
	if d.peek() != want {
		d.fail()
		return false
	}
	if _, err := d.dec.ReadToken(); err != nil {
		d.fail()
		return false
	}
	return true
}

// obj calls f for every member of the object at the cursor, with the cursor
// on the member's value; f must consume the value, exactly (checked: a
// mapping that reads less or more fails rather than misreads). A non-object
// fails.
func (d *fastDec) obj(f func(key string)) {
	if !d.token('{') {
		return
	}
	depth := d.dec.StackDepth()
	for !d.bad {
		if d.peek() == '}' {
			d.token('}')
			return
		}
		k := d.str()
		if d.bad {
			return
		}
		f(k)
		if _, n := d.dec.StackIndex(depth); d.dec.StackDepth() != depth || n%2 != 0 {
			d.fail()
		}
	}
}

// arr calls f for every element of the array at the cursor; f must consume
// the element, exactly (checked). A non-array fails.
func (d *fastDec) arr(f func()) {
	if !d.token('[') {
		return
	}
	depth := d.dec.StackDepth()
	for !d.bad {
		if d.peek() == ']' {
			d.token(']')
			return
		}
		_, before := d.dec.StackIndex(depth)
		f()
		if _, n := d.dec.StackIndex(depth); d.dec.StackDepth() != depth || n != before+1 {
			d.fail()
		}
	}
}

// str reads a string. Without escapes (nearly always) it points into the
// input; with escapes it is unquoted by jsontext into a new string.
func (d *fastDec) str() string {
	v := d.value()
	if len(v) < 2 || v[0] != '"' {
		d.fail()
		return ""
	}
	s := v[1 : len(v)-1]
	if bytes.IndexByte(s, '\\') >= 0 {
		u, err := jsontext.AppendUnquote(nil, v)
		if err != nil {
			d.fail()
			return ""
		}
		return string(u)
	}
	if len(s) == 0 {
		return ""
	}
	return unsafe.String(&s[0], len(s))
}

// optStr reads a string into a new pointer.
func (d *fastDec) optStr() *string {
	s := d.str()
	return &s
}

var (
	trueVal  = true
	falseVal = false
)

func (d *fastDec) boolean() bool {
	switch d.peek() {
	case 't':
		d.value()
		return true
	case 'f':
		d.value()
		return false
	}
	d.fail()
	return false
}

// optBool returns a pointer to a shared true or false: decoded objects are
// read-only.
func (d *fastDec) optBool() *bool {
	if d.boolean() {
		return &trueVal
	}
	return &falseVal
}

// integer reads a plain JSON integer that fits bits; anything else
// (fraction, exponent, overflow) fails, as it is an error for
// encoding/json's integer fields too or needs its exact handling.
func (d *fastDec) integer(bits int) int64 {
	if d.peek() != '0' {
		d.fail()
		return 0
	}
	v := d.value()
	if d.bad || bytes.ContainsAny(v, ".eE") {
		d.fail()
		return 0
	}
	n, err := strconv.ParseInt(unsafe.String(&v[0], len(v)), 10, bits)
	if err != nil {
		d.fail()
		return 0
	}
	return n
}

func (d *fastDec) optInt64() *int64 {
	n := d.integer(64)
	return &n
}

// skip consumes any JSON value; jsontext checks that it is valid.
func (d *fastDec) skip() {
	if d.bad {
		return
	}
	if err := d.dec.SkipValue(); err != nil {
		d.fail()
	}
}

// span reads a value and returns its bytes, a sub-slice of the input.
func (d *fastDec) span() []byte {
	v := d.value()
	return v[:len(v):len(v)]
}

// seen tracks which read members an object had; a repeated one fails
// (encoding/json merges repeated objects, which the fast path does not copy).
type seen uint64

func (s *seen) once(d *fastDec, bit uint) bool {
	if *s&(1<<bit) != 0 {
		d.fail()
		return false
	}
	*s |= 1 << bit
	return true
}

// null consumes a null and reports whether there was one.
func (d *fastDec) null() bool {
	if d.peek() == 'n' {
		d.value()
		return true
	}
	return false
}

// notNull fails on a null (the fast path only handles present values).
func (d *fastDec) notNull() bool {
	if d.peek() == 'n' {
		d.fail()
		return false
	}
	return true
}

// end checks that only white space follows the value.
func (d *fastDec) end() {
	if d.bad {
		return
	}
	if _, err := d.dec.ReadToken(); err != io.EOF {
		d.fail()
	}
}

// fastReview decodes an AdmissionReview body into env, keeping object and
// oldObject as sub-slices of body, charging bud. It reports false when the
// body needs the complete decoder (which also produces the errors for
// invalid input), or bud is spent (bud.Err() then says so). An object or old
// object that alone spends bud is not decoded: its error is left in env.
func fastReview(body []byte, env *reviewEnvelope, bud *decodeBudget) bool {
	d := newFastDec(body, bud)
	defer d.release()
	var s seen
	d.obj(func(k string) {
		switch k {
		case "apiVersion":
			if s.once(d, 0) {
				env.APIVersion = d.str()
			}
		case "kind":
			if s.once(d, 1) {
				env.Kind = d.str()
			}
		case "request":
			if s.once(d, 2) && d.notNull() {
				env.Request = new(requestEnvelope)
				d.request(env.Request)
			}
		default:
			d.skip()
		}
	})
	d.end()
	return !d.bad
}

func (d *fastDec) request(r *requestEnvelope) {
	var s seen
	d.obj(func(k string) {
		switch k {
		case "uid":
			if s.once(d, 0) {
				r.UID = d.str()
			}
		case "kind":
			if s.once(d, 1) {
				d.obj(func(k string) {
					switch k {
					case "group":
						r.Kind.Group = d.str()
					case "version":
						r.Kind.Version = d.str()
					case "kind":
						r.Kind.Kind = d.str()
					default:
						d.skip()
					}
				})
			}
		case "resource":
			if s.once(d, 2) {
				d.obj(func(k string) {
					switch k {
					case "group":
						r.Resource.Group = d.str()
					case "version":
						r.Resource.Version = d.str()
					case "resource":
						r.Resource.Resource = d.str()
					default:
						d.skip()
					}
				})
			}
		case "subResource":
			if s.once(d, 3) {
				r.SubResource = d.str()
			}
		case "requestSubResource":
			if s.once(d, 4) {
				r.RequestSubResource = d.str()
			}
		case "name":
			if s.once(d, 5) {
				r.Name = d.str()
			}
		case "namespace":
			if s.once(d, 6) {
				r.Namespace = d.str()
			}
		case "operation":
			if s.once(d, 7) {
				r.Operation = d.str()
			}
		case "userInfo":
			if s.once(d, 8) {
				d.obj(func(k string) {
					switch k {
					case "username":
						r.UserInfo.Username = d.str()
					case "groups":
						if d.notNull() {
							r.UserInfo.Groups = make([]string, 0, 4)
							d.arr(func() {
								if r.UserInfo.Groups = grow(d, r.UserInfo.Groups); !d.bad {
									r.UserInfo.Groups = append(r.UserInfo.Groups, d.str())
								}
							})
						}
					default:
						d.skip()
					}
				})
			}
		case "object":
			// A null object is an absent one (runtime.RawExtension).
			if s.once(d, 9) && !d.null() {
				r.Object, r.object, r.objectErr = d.embedded(r, true)
			}
		case "oldObject":
			if s.once(d, 10) && !d.null() {
				r.OldObject, r.oldObject, r.oldObjectErr = d.embedded(r, r.Operation == "UPDATE")
			}
		case "dryRun":
			if s.once(d, 11) && d.notNull() {
				r.DryRun = d.optBool()
			}
		default:
			d.skip()
		}
	})
}

// embedded reads the request's object or oldObject and returns its bytes.
// When want is true and the request's resource, which kube-apiserver writes
// before the objects, has a fast decoder, it also decodes the object in
// this same pass, so the object is read once rather than skipped and then
// read; decodeObject then starts from that result. Otherwise obj is nil and
// decodeObject decodes the bytes when the decision needs them. When decoding
// the object spends the review's budget, the rest of the object is skipped
// and err says why (the object is then never decoded, by either decoder).
func (d *fastDec) embedded(r *requestEnvelope, want bool) (raw []byte, obj runtime.Object, err error) {
	kind := resources[schema.GroupResource{Group: r.Resource.Group, Resource: r.Resource.Resource}]
	if !want || kind == nil || kind.fast == nil {
		return d.span(), nil, nil
	}
	start := d.dec.InputOffset() // just after the member's name
	depth := d.dec.StackDepth()
	obj = kind.fast(d)
	if d.overBudget() {
		obj, err = nil, d.bud.Err()
		d.skipTo(depth)
	}
	if d.bad {
		return nil, nil, nil
	}
	raw = bytes.TrimLeft(d.b[start:d.dec.InputOffset()], " \t\r\n:")
	return raw[:len(raw):len(raw)], obj, err
}

// fastObject decodes raw as kind's type when the fast path supports it,
// charging bud. It returns nil when the complete decoder must be used, or
// bud is spent (bud.Err() then says so).
func fastObject(raw []byte, kind *objectKind, bud *decodeBudget) runtime.Object {
	if kind.fast == nil {
		return nil
	}
	d := newFastDec(raw, bud)
	defer d.release()
	obj := kind.fast(d)
	d.end()
	if d.bad {
		return nil
	}
	return obj
}

// typeMeta reads apiVersion or kind.
func (d *fastDec) typeMeta(k string, t *metav1.TypeMeta, s *seen) bool {
	switch k {
	case "apiVersion":
		if s.once(d, 62) {
			t.APIVersion = d.str()
		}
	case "kind":
		if s.once(d, 63) {
			t.Kind = d.str()
		}
	default:
		return false
	}
	return true
}

func fastPod(d *fastDec) runtime.Object {
	p := new(corev1.Pod)
	var s seen
	d.obj(func(k string) {
		switch {
		case d.typeMeta(k, &p.TypeMeta, &s):
		case k == "metadata":
			if s.once(d, 0) {
				d.meta(&p.ObjectMeta)
			}
		case k == "spec":
			if s.once(d, 1) {
				d.podSpec(&p.Spec)
			}
		default:
			d.skip()
		}
	})
	return p
}

// fastWorkload decodes the objects whose pod template is at spec.template.
func fastWorkload[T any, PT interface {
	*T
	runtime.Object
}](tm func(PT) (*metav1.TypeMeta, *metav1.ObjectMeta, *corev1.PodTemplateSpec)) func(*fastDec) runtime.Object {
	return func(d *fastDec) runtime.Object {
		o := PT(new(T))
		t, m, tmpl := tm(o)
		var s seen
		d.obj(func(k string) {
			switch {
			case d.typeMeta(k, t, &s):
			case k == "metadata":
				if s.once(d, 0) {
					d.meta(m)
				}
			case k == "spec":
				if s.once(d, 1) {
					var ss seen
					d.obj(func(k string) {
						if k == "template" && ss.once(d, 0) {
							d.template(tmpl)
						} else {
							d.skip()
						}
					})
				}
			default:
				d.skip()
			}
		})
		return o
	}
}

func fastReplicationController(d *fastDec) runtime.Object {
	o := new(corev1.ReplicationController)
	var s seen
	d.obj(func(k string) {
		switch {
		case d.typeMeta(k, &o.TypeMeta, &s):
		case k == "metadata":
			if s.once(d, 0) {
				d.meta(&o.ObjectMeta)
			}
		case k == "spec":
			if s.once(d, 1) {
				var ss seen
				d.obj(func(k string) {
					if k == "template" && ss.once(d, 0) && d.notNull() {
						o.Spec.Template = new(corev1.PodTemplateSpec)
						d.template(o.Spec.Template)
					} else {
						d.skip()
					}
				})
			}
		default:
			d.skip()
		}
	})
	return o
}

func fastCronJob(d *fastDec) runtime.Object {
	o := new(batchv1.CronJob)
	var s seen
	d.obj(func(k string) {
		switch {
		case d.typeMeta(k, &o.TypeMeta, &s):
		case k == "metadata":
			if s.once(d, 0) {
				d.meta(&o.ObjectMeta)
			}
		case k == "spec":
			if s.once(d, 1) {
				var ss seen
				d.obj(func(k string) {
					if k != "jobTemplate" || !ss.once(d, 0) {
						d.skip()
						return
					}
					var js seen
					d.obj(func(k string) {
						switch k {
						case "metadata":
							if js.once(d, 0) {
								d.meta(&o.Spec.JobTemplate.ObjectMeta)
							}
						case "spec":
							if js.once(d, 1) {
								var jss seen
								d.obj(func(k string) {
									if k == "template" && jss.once(d, 0) {
										d.template(&o.Spec.JobTemplate.Spec.Template)
									} else {
										d.skip()
									}
								})
							}
						default:
							d.skip()
						}
					})
				})
			}
		default:
			d.skip()
		}
	})
	return o
}

func fastPodTemplate(d *fastDec) runtime.Object {
	o := new(corev1.PodTemplate)
	var s seen
	d.obj(func(k string) {
		switch {
		case d.typeMeta(k, &o.TypeMeta, &s):
		case k == "metadata":
			if s.once(d, 0) {
				d.meta(&o.ObjectMeta)
			}
		case k == "template":
			if s.once(d, 1) {
				d.template(&o.Template)
			}
		default:
			d.skip()
		}
	})
	return o
}

func (d *fastDec) template(t *corev1.PodTemplateSpec) {
	var s seen
	d.obj(func(k string) {
		switch k {
		case "metadata":
			if s.once(d, 0) {
				d.meta(&t.ObjectMeta)
			}
		case "spec":
			if s.once(d, 1) {
				d.podSpec(&t.Spec)
			}
		default:
			d.skip()
		}
	})
}

func (d *fastDec) meta(m *metav1.ObjectMeta) {
	var s seen
	d.obj(func(k string) {
		switch k {
		case "name":
			if s.once(d, 0) {
				m.Name = d.str()
			}
		case "generateName":
			if s.once(d, 1) {
				m.GenerateName = d.str()
			}
		case "namespace":
			if s.once(d, 2) {
				m.Namespace = d.str()
			}
		case "uid":
			if s.once(d, 3) {
				m.UID = types.UID(d.str())
			}
		case "labels":
			if s.once(d, 4) && d.notNull() {
				m.Labels = d.strMap()
			}
		case "annotations":
			if s.once(d, 5) && d.notNull() {
				m.Annotations = d.strMap()
			}
		case "ownerReferences":
			if s.once(d, 6) && d.notNull() {
				m.OwnerReferences = make([]metav1.OwnerReference, 0, 1)
				d.arr(func() {
					if m.OwnerReferences = grow(d, m.OwnerReferences); d.bad {
						return
					}
					m.OwnerReferences = append(m.OwnerReferences, metav1.OwnerReference{})
					d.ownerRef(&m.OwnerReferences[len(m.OwnerReferences)-1])
				})
			}
		default:
			d.skip()
		}
	})
}

func (d *fastDec) strMap() map[string]string {
	m := make(map[string]string, 4)
	d.obj(func(k string) {
		// An entry, and as much again for the table's free slots and growth.
		if d.notNull() && d.charge(2*unsafe.Sizeof([2]string{})) {
			m[k] = d.str()
		}
	})
	return m
}

func (d *fastDec) ownerRef(r *metav1.OwnerReference) {
	var s seen
	d.obj(func(k string) {
		switch k {
		case "apiVersion":
			if s.once(d, 0) {
				r.APIVersion = d.str()
			}
		case "kind":
			if s.once(d, 1) {
				r.Kind = d.str()
			}
		case "name":
			if s.once(d, 2) {
				r.Name = d.str()
			}
		case "uid":
			if s.once(d, 3) {
				r.UID = types.UID(d.str())
			}
		case "controller":
			if s.once(d, 4) && d.notNull() {
				r.Controller = d.optBool()
			}
		case "blockOwnerDeletion":
			if s.once(d, 5) && d.notNull() {
				r.BlockOwnerDeletion = d.optBool()
			}
		default:
			d.skip()
		}
	})
}

func (d *fastDec) podSpec(p *corev1.PodSpec) {
	var s seen
	d.obj(func(k string) {
		switch k {
		case "volumes":
			if s.once(d, 0) && d.notNull() {
				p.Volumes = make([]corev1.Volume, 0, 4)
				d.arr(func() {
					if p.Volumes = grow(d, p.Volumes); d.bad {
						return
					}
					p.Volumes = append(p.Volumes, corev1.Volume{})
					d.volume(&p.Volumes[len(p.Volumes)-1])
				})
			}
		case "initContainers":
			if s.once(d, 1) && d.notNull() {
				p.InitContainers = d.containers()
			}
		case "containers":
			if s.once(d, 2) && d.notNull() {
				p.Containers = d.containers()
			}
		case "ephemeralContainers":
			if s.once(d, 3) && d.notNull() {
				p.EphemeralContainers = make([]corev1.EphemeralContainer, 0, 1)
				d.arr(func() {
					if p.EphemeralContainers = grow(d, p.EphemeralContainers); d.bad {
						return
					}
					p.EphemeralContainers = append(p.EphemeralContainers, corev1.EphemeralContainer{})
					e := &p.EphemeralContainers[len(p.EphemeralContainers)-1]
					d.container((*corev1.Container)(&e.EphemeralContainerCommon), &e.TargetContainerName)
					d.charge(containerEvalCost(e.Name))
				})
			}
		case "hostNetwork":
			if s.once(d, 4) && d.notNull() {
				p.HostNetwork = d.boolean()
			}
		case "hostPID":
			if s.once(d, 5) && d.notNull() {
				p.HostPID = d.boolean()
			}
		case "hostIPC":
			if s.once(d, 6) && d.notNull() {
				p.HostIPC = d.boolean()
			}
		case "hostUsers":
			if s.once(d, 7) && d.notNull() {
				p.HostUsers = d.optBool()
			}
		case "runtimeClassName":
			if s.once(d, 8) && d.notNull() {
				p.RuntimeClassName = d.optStr()
			}
		case "os":
			if s.once(d, 9) && d.notNull() {
				p.OS = new(corev1.PodOS)
				var os seen
				d.obj(func(k string) {
					if k == "name" && os.once(d, 0) {
						p.OS.Name = corev1.OSName(d.str())
					} else {
						d.skip()
					}
				})
			}
		case "securityContext":
			if s.once(d, 10) && d.notNull() {
				p.SecurityContext = new(corev1.PodSecurityContext)
				d.podSecurityContext(p.SecurityContext)
			}
		default:
			d.skip()
		}
	})
}

// volumeSources maps each VolumeSource JSON member other than hostPath to
// its field index and a shared empty value of its type.
var volumeSources = func() map[string]volumeSource {
	m := map[string]volumeSource{}
	t := reflect.TypeFor[corev1.VolumeSource]()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "hostPath" || f.Type.Kind() != reflect.Pointer {
			continue
		}
		m[name] = volumeSource{index: i, empty: reflect.New(f.Type.Elem())}
	}
	return m
}()

type volumeSource struct {
	index int
	empty reflect.Value
}

func (d *fastDec) volume(v *corev1.Volume) {
	var s seen
	d.obj(func(k string) {
		switch k {
		case "name":
			if s.once(d, 0) {
				v.Name = d.str()
			}
		case "hostPath":
			if s.once(d, 1) && d.notNull() {
				v.HostPath = new(corev1.HostPathVolumeSource)
				var hs seen
				d.obj(func(k string) {
					switch k {
					case "path":
						if hs.once(d, 0) {
							v.HostPath.Path = d.str()
						}
					case "type":
						if hs.once(d, 1) && d.notNull() {
							t := corev1.HostPathType(d.str())
							v.HostPath.Type = &t
						}
					default:
						d.skip()
					}
				})
			}
		default:
			src, ok := volumeSources[k]
			if !ok {
				d.skip()
				return
			}
			// Only presence matters; the value must still be an object (a
			// null or another type is left to the complete decoder).
			if !s.once(d, 2+uint(src.index)%60) || d.peek() != '{' {
				d.fail()
				return
			}
			d.skip()
			reflect.ValueOf(&v.VolumeSource).Elem().Field(src.index).Set(src.empty)
		}
	})
}

func (d *fastDec) containers() []corev1.Container {
	cs := make([]corev1.Container, 0, 2)
	d.arr(func() {
		if cs = grow(d, cs); d.bad {
			return
		}
		cs = append(cs, corev1.Container{})
		d.container(&cs[len(cs)-1], nil)
		d.charge(containerEvalCost(cs[len(cs)-1].Name))
	})
	return cs
}

// container decodes a container; target, when not nil, receives an
// ephemeral container's targetContainerName.
func (d *fastDec) container(c *corev1.Container, target *string) {
	var s seen
	d.obj(func(k string) {
		switch k {
		case "name":
			if s.once(d, 0) {
				c.Name = d.str()
			}
		case "image":
			if s.once(d, 1) {
				c.Image = d.str()
			}
		case "ports":
			if s.once(d, 2) && d.notNull() {
				c.Ports = make([]corev1.ContainerPort, 0, 2)
				d.arr(func() {
					if c.Ports = grow(d, c.Ports); d.bad {
						return
					}
					c.Ports = append(c.Ports, corev1.ContainerPort{})
					p := &c.Ports[len(c.Ports)-1]
					var ps seen
					d.obj(func(k string) {
						switch k {
						case "containerPort":
							if ps.once(d, 0) && d.notNull() {
								p.ContainerPort = int32(d.integer(32))
							}
						case "hostPort":
							if ps.once(d, 1) && d.notNull() {
								p.HostPort = int32(d.integer(32))
							}
						default:
							d.skip()
						}
					})
				})
			}
		case "securityContext":
			if s.once(d, 3) && d.notNull() && d.charge(unsafe.Sizeof(corev1.SecurityContext{})) {
				c.SecurityContext = new(corev1.SecurityContext)
				d.securityContext(c.SecurityContext)
			}
		case "livenessProbe":
			if s.once(d, 4) && d.notNull() {
				c.LivenessProbe = d.probe()
			}
		case "readinessProbe":
			if s.once(d, 5) && d.notNull() {
				c.ReadinessProbe = d.probe()
			}
		case "startupProbe":
			if s.once(d, 6) && d.notNull() {
				c.StartupProbe = d.probe()
			}
		case "lifecycle":
			if s.once(d, 7) && d.notNull() && d.charge(unsafe.Sizeof(corev1.Lifecycle{})+2*unsafe.Sizeof(corev1.LifecycleHandler{})) {
				c.Lifecycle = new(corev1.Lifecycle)
				var ls seen
				d.obj(func(k string) {
					switch k {
					case "postStart":
						if ls.once(d, 0) && d.notNull() {
							c.Lifecycle.PostStart = new(corev1.LifecycleHandler)
							d.handler(&c.Lifecycle.PostStart.HTTPGet, &c.Lifecycle.PostStart.TCPSocket)
						}
					case "preStop":
						if ls.once(d, 1) && d.notNull() {
							c.Lifecycle.PreStop = new(corev1.LifecycleHandler)
							d.handler(&c.Lifecycle.PreStop.HTTPGet, &c.Lifecycle.PreStop.TCPSocket)
						}
					default:
						d.skip()
					}
				})
			}
		case "targetContainerName":
			if target == nil {
				d.skip()
			} else if s.once(d, 8) {
				*target = d.str()
			}
		default:
			d.skip()
		}
	})
}

func (d *fastDec) probe() *corev1.Probe {
	if !d.charge(unsafe.Sizeof(corev1.Probe{})) {
		return nil
	}
	p := new(corev1.Probe)
	d.handler(&p.HTTPGet, &p.TCPSocket)
	return p
}

// handler decodes the httpGet and tcpSocket hosts of a probe or lifecycle
// handler; other members are skipped.
func (d *fastDec) handler(h **corev1.HTTPGetAction, t **corev1.TCPSocketAction) {
	var s seen
	host := func(dst *string) {
		var hs seen
		d.obj(func(k string) {
			if k == "host" && hs.once(d, 0) {
				*dst = d.str()
			} else {
				d.skip()
			}
		})
	}
	d.obj(func(k string) {
		switch k {
		case "httpGet":
			if s.once(d, 0) && d.notNull() && d.charge(unsafe.Sizeof(corev1.HTTPGetAction{})) {
				*h = new(corev1.HTTPGetAction)
				host(&(*h).Host)
			}
		case "tcpSocket":
			if s.once(d, 1) && d.notNull() && d.charge(unsafe.Sizeof(corev1.TCPSocketAction{})) {
				*t = new(corev1.TCPSocketAction)
				host(&(*t).Host)
			}
		default:
			d.skip()
		}
	})
}

func (d *fastDec) securityContext(sc *corev1.SecurityContext) {
	var s seen
	d.obj(func(k string) {
		switch k {
		case "capabilities":
			if s.once(d, 0) && d.notNull() && d.charge(unsafe.Sizeof(corev1.Capabilities{})) {
				sc.Capabilities = new(corev1.Capabilities)
				var cs seen
				d.obj(func(k string) {
					switch k {
					case "add":
						if cs.once(d, 0) && d.notNull() {
							sc.Capabilities.Add = d.capabilities()
						}
					case "drop":
						if cs.once(d, 1) && d.notNull() {
							sc.Capabilities.Drop = d.capabilities()
						}
					default:
						d.skip()
					}
				})
			}
		case "privileged":
			if s.once(d, 1) && d.notNull() {
				sc.Privileged = d.optBool()
			}
		case "seLinuxOptions":
			if s.once(d, 2) && d.notNull() {
				sc.SELinuxOptions = d.seLinux()
			}
		case "windowsOptions":
			if s.once(d, 3) && d.notNull() {
				sc.WindowsOptions = d.windows()
			}
		case "runAsUser":
			if s.once(d, 4) && d.notNull() {
				sc.RunAsUser = d.optInt64()
			}
		case "runAsNonRoot":
			if s.once(d, 5) && d.notNull() {
				sc.RunAsNonRoot = d.optBool()
			}
		case "allowPrivilegeEscalation":
			if s.once(d, 6) && d.notNull() {
				sc.AllowPrivilegeEscalation = d.optBool()
			}
		case "procMount":
			if s.once(d, 7) && d.notNull() {
				pm := corev1.ProcMountType(d.str())
				sc.ProcMount = &pm
			}
		case "seccompProfile":
			if s.once(d, 8) && d.notNull() {
				sc.SeccompProfile = d.seccomp()
			}
		case "appArmorProfile":
			if s.once(d, 9) && d.notNull() {
				sc.AppArmorProfile = d.appArmor()
			}
		default:
			d.skip()
		}
	})
}

func (d *fastDec) podSecurityContext(sc *corev1.PodSecurityContext) {
	var s seen
	d.obj(func(k string) {
		switch k {
		case "seLinuxOptions":
			if s.once(d, 0) && d.notNull() {
				sc.SELinuxOptions = d.seLinux()
			}
		case "windowsOptions":
			if s.once(d, 1) && d.notNull() {
				sc.WindowsOptions = d.windows()
			}
		case "runAsUser":
			if s.once(d, 2) && d.notNull() {
				sc.RunAsUser = d.optInt64()
			}
		case "runAsNonRoot":
			if s.once(d, 3) && d.notNull() {
				sc.RunAsNonRoot = d.optBool()
			}
		case "sysctls":
			if s.once(d, 4) && d.notNull() {
				sc.Sysctls = make([]corev1.Sysctl, 0, 2)
				d.arr(func() {
					if sc.Sysctls = grow(d, sc.Sysctls); d.bad {
						return
					}
					sc.Sysctls = append(sc.Sysctls, corev1.Sysctl{})
					sy := &sc.Sysctls[len(sc.Sysctls)-1]
					var ss seen
					d.obj(func(k string) {
						switch k {
						case "name":
							if ss.once(d, 0) {
								sy.Name = d.str()
							}
						case "value":
							if ss.once(d, 1) {
								sy.Value = d.str()
							}
						default:
							d.skip()
						}
					})
				})
			}
		case "seccompProfile":
			if s.once(d, 5) && d.notNull() {
				sc.SeccompProfile = d.seccomp()
			}
		case "appArmorProfile":
			if s.once(d, 6) && d.notNull() {
				sc.AppArmorProfile = d.appArmor()
			}
		default:
			d.skip()
		}
	})
}

func (d *fastDec) capabilities() []corev1.Capability {
	cs := make([]corev1.Capability, 0, 2)
	d.arr(func() {
		if cs = grow(d, cs); !d.bad {
			cs = append(cs, corev1.Capability(d.str()))
		}
	})
	return cs
}

func (d *fastDec) seLinux() *corev1.SELinuxOptions {
	if !d.charge(unsafe.Sizeof(corev1.SELinuxOptions{})) {
		return nil
	}
	o := new(corev1.SELinuxOptions)
	var s seen
	d.obj(func(k string) {
		switch k {
		case "user":
			if s.once(d, 0) {
				o.User = d.str()
			}
		case "role":
			if s.once(d, 1) {
				o.Role = d.str()
			}
		case "type":
			if s.once(d, 2) {
				o.Type = d.str()
			}
		case "level":
			if s.once(d, 3) {
				o.Level = d.str()
			}
		default:
			d.skip()
		}
	})
	return o
}

func (d *fastDec) windows() *corev1.WindowsSecurityContextOptions {
	if !d.charge(unsafe.Sizeof(corev1.WindowsSecurityContextOptions{})) {
		return nil
	}
	o := new(corev1.WindowsSecurityContextOptions)
	var s seen
	d.obj(func(k string) {
		if k == "hostProcess" && s.once(d, 0) && d.notNull() {
			o.HostProcess = d.optBool()
		} else {
			d.skip()
		}
	})
	return o
}

func (d *fastDec) seccomp() *corev1.SeccompProfile {
	if !d.charge(unsafe.Sizeof(corev1.SeccompProfile{})) {
		return nil
	}
	o := new(corev1.SeccompProfile)
	var s seen
	d.obj(func(k string) {
		switch k {
		case "type":
			if s.once(d, 0) {
				o.Type = corev1.SeccompProfileType(d.str())
			}
		case "localhostProfile":
			if s.once(d, 1) && d.notNull() {
				o.LocalhostProfile = d.optStr()
			}
		default:
			d.skip()
		}
	})
	return o
}

func (d *fastDec) appArmor() *corev1.AppArmorProfile {
	if !d.charge(unsafe.Sizeof(corev1.AppArmorProfile{})) {
		return nil
	}
	o := new(corev1.AppArmorProfile)
	var s seen
	d.obj(func(k string) {
		switch k {
		case "type":
			if s.once(d, 0) {
				o.Type = corev1.AppArmorProfileType(d.str())
			}
		case "localhostProfile":
			if s.once(d, 1) && d.notNull() {
				o.LocalhostProfile = d.optStr()
			}
		default:
			d.skip()
		}
	})
	return o
}

// fastDecoders are the fast-path decoders by kind (of the group/versions in
// kinds); review.go's addKind picks them up.
var fastDecoders = map[string]func(*fastDec) runtime.Object{
	"Pod":                   fastPod,
	"ReplicationController": fastReplicationController,
	"PodTemplate":           fastPodTemplate,
	"CronJob":               fastCronJob,
	"ReplicaSet": fastWorkload(func(o *appsv1.ReplicaSet) (*metav1.TypeMeta, *metav1.ObjectMeta, *corev1.PodTemplateSpec) {
		return &o.TypeMeta, &o.ObjectMeta, &o.Spec.Template
	}),
	"Deployment": fastWorkload(func(o *appsv1.Deployment) (*metav1.TypeMeta, *metav1.ObjectMeta, *corev1.PodTemplateSpec) {
		return &o.TypeMeta, &o.ObjectMeta, &o.Spec.Template
	}),
	"StatefulSet": fastWorkload(func(o *appsv1.StatefulSet) (*metav1.TypeMeta, *metav1.ObjectMeta, *corev1.PodTemplateSpec) {
		return &o.TypeMeta, &o.ObjectMeta, &o.Spec.Template
	}),
	"DaemonSet": fastWorkload(func(o *appsv1.DaemonSet) (*metav1.TypeMeta, *metav1.ObjectMeta, *corev1.PodTemplateSpec) {
		return &o.TypeMeta, &o.ObjectMeta, &o.Spec.Template
	}),
	"Job": fastWorkload(func(o *batchv1.Job) (*metav1.TypeMeta, *metav1.ObjectMeta, *corev1.PodTemplateSpec) {
		return &o.TypeMeta, &o.ObjectMeta, &o.Spec.Template
	}),
}
