package webhook

import (
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// This file is the fast path of the decoder: one pass over the request body
// that fills only the fields the Pod Security decision reads, straight into
// the k8s.io/api types, without reflection and with strings that point into
// the body instead of being copied (so the body must never be reused after a
// successful decode).
//
// Exactness. The fast path never guesses: whenever the input is anything but
// the plain JSON kube-apiserver writes — a null where it reads a value, an
// escaped string or key, a duplicated key it reads, a number that is not a
// plain integer in range, invalid UTF-8, nesting deeper than 10000, arenas of
// unusual size — it gives up and the caller decodes the same bytes with
// sigs.k8s.io/json into the complete typed object, exactly as apimachinery
// (and so Kubernetes' own webhook) does. When it succeeds, every field it
// sets equals what the complete decode sets, and every skipped value has
// been checked to be valid JSON; tests compare the two decoders field by
// field and decision by decision (fastdecode_test.go).
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

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

type fastDec struct {
	b      []byte
	i      int
	depth  int
	bad    bool
	failAt int // where the fast path gave up (for tests)
}

func (d *fastDec) fail() {
	if !d.bad {
		d.failAt = d.i
	}
	d.bad = true
	d.i = len(d.b)
}

func (d *fastDec) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, 0 at the end.
func (d *fastDec) peek() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// obj calls f for every member of the object at the cursor, with the cursor
// on the member's value; f must consume the value. A non-object fails.
func (d *fastDec) obj(f func(key string)) {
	if d.peek() != '{' {
		d.fail()
		return
	}
	d.i++
	if d.depth++; d.depth > maxDepth {
		d.fail()
		return
	}
	if d.peek() == '}' {
		d.i++
		d.depth--
		return
	}
	for !d.bad {
		if d.peek() != '"' {
			d.fail()
			return
		}
		k := d.str()
		if d.peek() != ':' {
			d.fail()
			return
		}
		d.i++
		d.ws()
		f(k)
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			d.depth--
			return
		default:
			d.fail()
		}
	}
}

// arr calls f for every element of the array at the cursor; f must consume
// the element. A non-array fails.
func (d *fastDec) arr(f func()) {
	if d.peek() != '[' {
		d.fail()
		return
	}
	d.i++
	if d.depth++; d.depth > maxDepth {
		d.fail()
		return
	}
	if d.peek() == ']' {
		d.i++
		d.depth--
		return
	}
	for !d.bad {
		d.ws()
		f()
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			d.depth--
			return
		default:
			d.fail()
		}
	}
}

// str reads a string without escapes and returns it pointing into the body.
func (d *fastDec) str() string {
	if d.peek() != '"' {
		d.fail()
		return ""
	}
	start := d.i + 1
	high := false
	for i := start; i < len(d.b); i++ {
		c := d.b[i]
		switch {
		case c == '"':
			d.i = i + 1
			if i == start {
				return ""
			}
			s := d.b[start:i]
			if high && !utf8.Valid(s) {
				d.fail()
				return ""
			}
			return unsafe.String(&s[0], len(s))
		case c == '\\' || c < 0x20:
			d.fail()
			return ""
		case c >= utf8.RuneSelf:
			high = true
		}
	}
	d.fail()
	return ""
}

// optStr reads a string into a new pointer.
func (d *fastDec) optStr() *string {
	s := d.str()
	return &s
}

func (d *fastDec) lit(word string) bool {
	if len(d.b)-d.i < len(word) {
		return false
	}
	for j := 0; j < len(word); j++ {
		if d.b[d.i+j] != word[j] {
			return false
		}
	}
	d.i += len(word)
	return true
}

var (
	trueVal  = true
	falseVal = false
)

func (d *fastDec) boolean() bool {
	switch d.peek() {
	case 't':
		if d.lit("true") {
			return true
		}
	case 'f':
		if d.lit("false") {
			return false
		}
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
	d.ws()
	start := d.i
	i := d.i
	if i < len(d.b) && d.b[i] == '-' {
		i++
	}
	digits := i
	for i < len(d.b) && d.b[i] >= '0' && d.b[i] <= '9' {
		i++
	}
	if i == digits || (d.b[digits] == '0' && i-digits > 1) {
		d.fail()
		return 0
	}
	if i < len(d.b) {
		switch d.b[i] {
		case '.', 'e', 'E':
			d.fail()
			return 0
		}
	}
	n, err := strconv.ParseInt(unsafe.String(&d.b[start], i-start), 10, bits)
	if err != nil {
		d.fail()
		return 0
	}
	d.i = i
	return n
}

func (d *fastDec) optInt64() *int64 {
	n := d.integer(64)
	return &n
}

// skip consumes any JSON value, checking that it is valid.
func (d *fastDec) skip() {
	switch c := d.peek(); {
	case c == '{':
		d.skipObj()
	case c == '[':
		d.arr(d.skip)
	case c == '"':
		d.skipStr()
	case c == 't':
		if !d.lit("true") {
			d.fail()
		}
	case c == 'f':
		if !d.lit("false") {
			d.fail()
		}
	case c == 'n':
		if !d.lit("null") {
			d.fail()
		}
	case c == '-' || (c >= '0' && c <= '9'):
		d.skipNum()
	default:
		d.fail()
	}
}

// skipObj is obj for values nobody reads: keys may contain escapes.
func (d *fastDec) skipObj() {
	d.i++ // '{'
	if d.depth++; d.depth > maxDepth {
		d.fail()
		return
	}
	if d.peek() == '}' {
		d.i++
		d.depth--
		return
	}
	for !d.bad {
		if d.peek() != '"' {
			d.fail()
			return
		}
		d.skipStr()
		if d.peek() != ':' {
			d.fail()
			return
		}
		d.i++
		d.skip()
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			d.depth--
			return
		default:
			d.fail()
		}
	}
}

func (d *fastDec) skipStr() {
	b := d.b
	for i := d.i + 1; i < len(b); {
		switch c := b[i]; {
		case c == '"':
			d.i = i + 1
			return
		case c == '\\':
			if i+1 >= len(b) {
				d.fail()
				return
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					d.fail()
					return
				}
				for _, h := range b[i+2 : i+6] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						d.fail()
						return
					}
				}
				i += 6
			default:
				d.fail()
				return
			}
		case c < 0x20:
			d.fail()
			return
		default:
			i++
		}
	}
	d.fail()
}

func (d *fastDec) skipNum() {
	b, i := d.b, d.i
	digits := func() bool {
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > s
	}
	if b[i] == '-' {
		i++
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if !digits() {
		d.fail()
		return
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			d.fail()
			return
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			d.fail()
			return
		}
	}
	d.i = i
}

// span skips a value and returns its bytes.
func (d *fastDec) span() []byte {
	d.ws()
	start := d.i
	d.skip()
	if d.bad {
		return nil
	}
	return d.b[start:d.i:d.i]
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
	if d.peek() == 'n' && d.lit("null") {
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
	d.ws()
	if d.i != len(d.b) {
		d.fail()
	}
}

// fastReview decodes an AdmissionReview body into env, keeping object and
// oldObject as sub-slices of body. It reports false when the body needs the
// complete decoder (which also produces the errors for invalid input).
func fastReview(body []byte, env *reviewEnvelope) bool {
	d := &fastDec{b: body}
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
							d.arr(func() { r.UserInfo.Groups = append(r.UserInfo.Groups, d.str()) })
						}
					default:
						d.skip()
					}
				})
			}
		case "object":
			// A null object is an absent one (runtime.RawExtension).
			if s.once(d, 9) && !d.null() {
				r.Object = d.span()
			}
		case "oldObject":
			if s.once(d, 10) && !d.null() {
				r.OldObject = d.span()
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

// fastObject decodes raw as kind's type when the fast path supports it. It
// returns nil when the complete decoder must be used.
func fastObject(raw []byte, kind *objectKind) runtime.Object {
	if kind.fast == nil {
		return nil
	}
	d := &fastDec{b: raw}
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
		if d.notNull() {
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
					p.EphemeralContainers = append(p.EphemeralContainers, corev1.EphemeralContainer{})
					e := &p.EphemeralContainers[len(p.EphemeralContainers)-1]
					d.container((*corev1.Container)(&e.EphemeralContainerCommon), &e.TargetContainerName)
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
		cs = append(cs, corev1.Container{})
		d.container(&cs[len(cs)-1], nil)
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
			if s.once(d, 3) && d.notNull() {
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
			if s.once(d, 7) && d.notNull() {
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
			if s.once(d, 0) && d.notNull() {
				*h = new(corev1.HTTPGetAction)
				host(&(*h).Host)
			}
		case "tcpSocket":
			if s.once(d, 1) && d.notNull() {
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
			if s.once(d, 0) && d.notNull() {
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
	d.arr(func() { cs = append(cs, corev1.Capability(d.str())) })
	return cs
}

func (d *fastDec) seLinux() *corev1.SELinuxOptions {
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
