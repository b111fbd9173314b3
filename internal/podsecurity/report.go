package podsecurity

import (
	"slices"
	"strconv"
	"sync"
)

// report collects the violations of one evaluation. Checks run twice: first
// with a nil *report, where they only say whether the pod fails (and must not
// touch the report), then, for the failing ones only, with a report that they
// fill with the reason, the detail and the offending fields.
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

type pendingField struct {
	constPath string // the path when it is a constant, else ""
	path      span   // the path in buf when constPath is ""
	container string
	op        FixOp
	value     string
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
	r.fields = append(r.fields, pendingField{constPath: path, container: container, op: op, value: value})
}

// markPath returns the start of a path about to be appended to r.buf.
func (r *report) markPath() int { return len(r.buf) }

// pathField adds an offending field whose path was appended to r.buf since start.
func (r *report) pathField(start int, container string, op FixOp, value string) {
	r.fields = append(r.fields, pendingField{path: span{start, len(r.buf)}, container: container, op: op, value: value})
}

// containerField adds the field suffix of container ref (suffix starts with ".").
func (r *report) containerField(ref cref, suffix, container string, op FixOp, value string) {
	start := len(r.buf)
	r.buf = ref.appendPath(r.buf)
	r.buf = append(r.buf, suffix...)
	r.pathField(start, container, op, value)
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
func (r *report) appendTo(dst []Violation) []Violation {
	if len(r.viols) == 0 {
		return dst
	}
	s := string(r.buf)
	var fields []Field
	if len(r.fields) > 0 {
		fields = make([]Field, len(r.fields))
		for i, f := range r.fields {
			path := f.constPath
			if path == "" {
				path = s[f.path.start:f.path.end]
			}
			fields[i] = Field{Path: path, Container: f.container, Fix: Fix{Op: f.op, Value: f.value}}
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

func containsString(ss []string, s string) bool { return slices.Contains(ss, s) }

// containerItemField adds the field <container>list[i]suffix, e.g.
// spec.containers[0].ports[1].hostPort.
func (r *report) containerItemField(ref cref, list string, i int, suffix, container string, op FixOp, value string) {
	start := len(r.buf)
	r.buf = ref.appendPath(r.buf)
	r.buf = append(r.buf, list...)
	r.buf = append(r.buf, '[')
	r.buf = strconv.AppendInt(r.buf, int64(i), 10)
	r.buf = append(r.buf, ']')
	r.buf = append(r.buf, suffix...)
	r.pathField(start, container, op, value)
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
