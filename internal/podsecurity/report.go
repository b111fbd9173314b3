package podsecurity

import (
	"slices"
	"strconv"
	"sync"

	corev1 "k8s.io/api/core/v1"
)

// report collects the violations of one evaluation. Checks first run with a
// nil *report, where they only say whether the pod fails; from the first
// failing check on, the evaluator runs them with a report that the failing
// ones fill with the reason, the detail and the offending fields.
//
// Every string a report builds (details, paths) goes into one byte buffer
// that becomes a single string at the end, so a failing pod costs three
// allocations (that string, the fields, the violations) whatever it violates.
// Reports are pooled; a compliant pod never takes one.
type report struct {
	buf    []byte
	viols  []pendingViolation
	fields []pendingField
	// fieldMark is where the fields of the violation being built start.
	fieldMark int
	// noFields drops fields as they are added (EvaluateReasons).
	noFields bool

	// Scratch lists a check may use while building its detail; reset for each check.
	names, values, extra []string
	ports                []int32
}

type span struct{ start, end int }

type pendingViolation struct {
	check, reason string
	detail        span
	fields        span // indexes into report.fields
}

// pendingField is a Field whose strings are spans of buf, indexes into
// constant tables or a reference to a container of the pod, so that the
// pending lists hold no pointers: filling them costs no GC write barrier and
// copies no container name.
type pendingField struct {
	path, container, value span
	ref                    int32 // container of the field: kind<<24 | index, or -1 (use the container span)
	valueConst             int8  // index into fixValues, or -1 (use the value span)
	op                     uint8 // index into fixOps
}

// fixValues are the values fixes usually carry.
var fixValues = [...]string{"", "false", "true", `"RuntimeDefault"`, `"runtime/default"`, `["ALL"]`, `"Default"`, "1000", "{}"}

func fixValueIndex(v string) int8 {
	for i, c := range fixValues {
		if c == v {
			return int8(i)
		}
	}
	return -1
}

var fixOps = [...]FixOp{FixSet, FixRemove}

func fixOpIndex(op FixOp) uint8 {
	if op == FixRemove {
		return 1
	}
	return 0
}

var reportPool = sync.Pool{New: func() any { return new(report) }}

// maxPooledBuf keeps an unusually large report out of the pool.
const maxPooledBuf = 64 << 10

func getReport() *report {
	r := reportPool.Get().(*report)
	r.buf = r.buf[:0]
	r.viols = r.viols[:0]
	r.fields = r.fields[:0]
	r.fieldMark = 0
	return r
}

func putReport(r *report) {
	if cap(r.buf) > maxPooledBuf || cap(r.fields) > maxPooledBuf/32 {
		return
	}
	reportPool.Put(r)
}

// resetScratch empties the scratch lists before a check builds its violation.
func (r *report) resetScratch() {
	r.names = r.names[:0]
	r.values = r.values[:0]
	r.extra = r.extra[:0]
	r.ports = r.ports[:0]
}

// constField adds an offending field whose path is a constant.
func (r *report) constField(path, container string, op FixOp, value string) {
	start := len(r.buf)
	r.buf = append(r.buf, path...)
	r.pathField(start, container, op, value)
}

// markPath returns the start of a path about to be appended to r.buf.
func (r *report) markPath() int { return len(r.buf) }

// pathField adds an offending field whose path was appended to r.buf since start.
func (r *report) pathField(start int, container string, op FixOp, value string) {
	if r.noFields {
		r.buf = r.buf[:start]
		return
	}
	f := pendingField{path: span{start, len(r.buf)}, ref: -1, op: fixOpIndex(op)}
	r.buf = append(r.buf, container...)
	f.container = span{f.path.end, len(r.buf)}
	r.setValue(&f, value)
	r.fields = append(r.fields, f)
}

// refField adds an offending field of container ref whose path was appended
// to r.buf since start.
func (r *report) refField(start int, ref cref, op FixOp, value string) {
	if r.noFields {
		r.buf = r.buf[:start]
		return
	}
	f := pendingField{path: span{start, len(r.buf)}, ref: int32(ref.kind)<<24 | int32(ref.index), op: fixOpIndex(op)}
	r.setValue(&f, value)
	r.fields = append(r.fields, f)
}

func (r *report) setValue(f *pendingField, value string) {
	if f.valueConst = fixValueIndex(value); f.valueConst < 0 {
		start := len(r.buf)
		r.buf = append(r.buf, value...)
		f.value = span{start, len(r.buf)}
	}
}

// containerField adds the field suffix of container ref (suffix starts with ".").
func (r *report) containerField(ref cref, suffix string, op FixOp, value string) {
	start := len(r.buf)
	r.buf = ref.appendPath(r.buf)
	r.buf = append(r.buf, suffix...)
	r.refField(start, ref, op, value)
}

// indexedField adds the field prefix[i]suffix.
func (r *report) indexedField(prefix string, i int, suffix, container string, op FixOp, value string) {
	start := len(r.buf)
	r.buf = append(r.buf, prefix...)
	r.buf = append(r.buf, '[')
	r.buf = strconv.AppendInt(r.buf, int64(i), 10)
	r.buf = append(r.buf, ']')
	r.buf = append(r.buf, suffix...)
	r.pathField(start, container, op, value)
}

// annotationField adds the field metadata.annotations["key"].
func (r *report) annotationField(key, container string, op FixOp, value string) {
	start := len(r.buf)
	r.buf = append(r.buf, `metadata.annotations[`...)
	r.buf = strconv.AppendQuote(r.buf, key)
	r.buf = append(r.buf, ']')
	r.pathField(start, container, op, value)
}

// startDetail returns the start of a detail about to be appended to r.buf.
func (r *report) startDetail() int { return len(r.buf) }

// add records a violation of check whose detail was appended to r.buf since
// detailStart and whose fields were added since the previous violation.
func (r *report) add(check, reason string, detailStart int) {
	r.viols = append(r.viols, pendingViolation{
		check:  check,
		reason: reason,
		detail: span{detailStart, len(r.buf)},
		fields: span{r.fieldMark, len(r.fields)},
	})
	r.fieldMark = len(r.fields)
}

// appendTo turns the pending violations into Violations appended to dst.
func (r *report) appendTo(dst []Violation, spec *corev1.PodSpec) []Violation {
	if len(r.viols) == 0 {
		return dst
	}
	s := string(r.buf)
	var fields []Field
	if len(r.fields) > 0 {
		fields = make([]Field, len(r.fields))
		for i := range r.fields {
			f := &r.fields[i]
			out := &fields[i]
			out.Path = s[f.path.start:f.path.end]
			if f.ref >= 0 {
				_, c := containerAt(spec, flatIndex(spec, cref{containerKind(f.ref >> 24), int(f.ref & 0xffffff)}))
				out.Container = c.Name
			} else if f.container.end > f.container.start {
				out.Container = s[f.container.start:f.container.end]
			}
			out.Fix.Op = fixOps[f.op]
			if f.valueConst >= 0 {
				out.Fix.Value = fixValues[f.valueConst]
			} else {
				out.Fix.Value = s[f.value.start:f.value.end]
			}
		}
	}
	dst = slices.Grow(dst, len(r.viols))
	for _, v := range r.viols {
		var fs []Field
		if v.fields.end > v.fields.start {
			fs = fields[v.fields.start:v.fields.end:v.fields.end]
		}
		dst = append(dst, Violation{
			Check:  v.check,
			Reason: v.reason,
			Detail: s[v.detail.start:v.detail.end],
			Fields: fs,
		})
	}
	return dst
}

// Detail-building helpers. They reproduce Kubernetes' wording exactly.

// podAndContainers appends the subject of a detail in Kubernetes' wording:
// "pod", "container "a"", "containers "a", "b"" or "pod and containers ...",
// from whether the pod-level field is at fault and the names in r.names.
func (r *report) podAndContainers(pod bool) {
	if pod {
		r.str("pod")
		if len(r.names) > 0 {
			r.str(" and ")
		}
	}
	if len(r.names) > 0 {
		r.containerList(r.names)
	}
}

func (r *report) str(ss ...string) {
	for _, s := range ss {
		r.buf = append(r.buf, s...)
	}
}

// quotedList appends "a", "b", "c" (items wrapped in double quotes, not escaped).
func (r *report) quotedList(items []string) {
	for i, s := range items {
		if i > 0 {
			r.buf = append(r.buf, ", "...)
		}
		r.buf = append(r.buf, '"')
		r.buf = append(r.buf, s...)
		r.buf = append(r.buf, '"')
	}
}

// joined appends items separated by sep.
func (r *report) joined(items []string, sep string) {
	for i, s := range items {
		if i > 0 {
			r.buf = append(r.buf, sep...)
		}
		r.buf = append(r.buf, s...)
	}
}

// containerList appends `container "a"` or `containers "a", "b"`.
func (r *report) containerList(names []string) {
	r.str(plural(len(names), "container", "containers"), " ")
	r.quotedList(names)
}

// keyValue appends key="value" with value quoted as Go's %q does.
func appendKeyValue(b []byte, key, value string) []byte {
	b = append(b, key...)
	b = append(b, '=')
	return strconv.AppendQuote(b, value)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// sortedSet sorts ss and drops duplicates, in place.
func sortedSet(ss []string) []string {
	slices.Sort(ss)
	return slices.Compact(ss)
}

// containerItemField adds the field <container>list[i]suffix, e.g.
// spec.containers[0].ports[1].hostPort.
func (r *report) containerItemField(ref cref, list string, i int, suffix string, op FixOp, value string) {
	start := len(r.buf)
	r.buf = ref.appendPath(r.buf)
	r.buf = append(r.buf, list...)
	r.buf = append(r.buf, '[')
	r.buf = strconv.AppendInt(r.buf, int64(i), 10)
	r.buf = append(r.buf, ']')
	r.buf = append(r.buf, suffix...)
	r.refField(start, ref, op, value)
}

// addSpan is add with the detail at r.buf[start:end].
func (r *report) addSpan(check, reason string, start, end int) {
	r.viols = append(r.viols, pendingViolation{
		check:  check,
		reason: reason,
		detail: span{start, end},
		fields: span{r.fieldMark, len(r.fields)},
	})
	r.fieldMark = len(r.fields)
}

// moveLastFieldFirst makes the field added last the first of the violation being built.
func (r *report) moveLastFieldFirst() {
	if r.noFields {
		return
	}
	last := r.fields[len(r.fields)-1]
	copy(r.fields[r.fieldMark+1:], r.fields[r.fieldMark:len(r.fields)-1])
	r.fields[r.fieldMark] = last
}
