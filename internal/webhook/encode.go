package webhook

import (
	"slices"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/admission"
)

// appendReview appends the AdmissionReview JSON answering the request with
// uid to dst. The response is small and its shape fixed, so its members are
// written in a fixed order, with every string quoted by jsontext; the output
// decodes to what encoding/json would produce for an admission.k8s.io/v1
// AdmissionReview holding only a response. Audit annotations are written in
// sorted key order so that output is deterministic.
func appendReview(dst []byte, uid string, resp *admission.Response) []byte {
	dst = append(dst, `{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","response":{"uid":`...)
	dst = appendString(dst, uid)
	dst = append(dst, `,"allowed":`...)
	dst = strconv.AppendBool(dst, resp.Allowed)
	if resp.Result != nil {
		dst = append(dst, `,"status":`...)
		dst = appendStatus(dst, resp.Result)
	}
	if len(resp.AuditAnnotations) > 0 {
		dst = append(dst, `,"auditAnnotations":{`...)
		var keysBuf [8]string
		keys := keysBuf[:0]
		for k := range resp.AuditAnnotations {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
			dst = appendString(dst, resp.AuditAnnotations[k])
		}
		dst = append(dst, '}')
	}
	if len(resp.Warnings) > 0 {
		dst = append(dst, `,"warnings":[`...)
		for i, w := range resp.Warnings {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, w)
		}
		dst = append(dst, ']')
	}
	return append(dst, "}}\n"...)
}

// appendStatus writes the metav1.Status fields kube-apiserver reads from a
// webhook's result: status, message, reason, details and code.
func appendStatus(dst []byte, s *metav1.Status) []byte {
	dst = append(dst, `{"metadata":{}`...)
	if s.Status != "" {
		dst = append(dst, `,"status":`...)
		dst = appendString(dst, s.Status)
	}
	if s.Message != "" {
		dst = append(dst, `,"message":`...)
		dst = appendString(dst, s.Message)
	}
	if s.Reason != "" {
		dst = append(dst, `,"reason":`...)
		dst = appendString(dst, string(s.Reason))
	}
	if d := s.Details; d != nil {
		dst = append(dst, `,"details":{`...)
		first := true
		field := func(name, v string) {
			if v == "" {
				return
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = append(dst, '"')
			dst = append(dst, name...)
			dst = append(dst, `":`...)
			dst = appendString(dst, v)
		}
		field("name", d.Name)
		field("group", d.Group)
		field("kind", d.Kind)
		field("uid", string(d.UID))
		if len(d.Causes) > 0 {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = append(dst, `"causes":[`...)
			for i, c := range d.Causes {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = append(dst, '{')
				n := 0
				for _, kv := range [3][2]string{{"reason", string(c.Type)}, {"message", c.Message}, {"field", c.Field}} {
					if kv[1] == "" {
						continue
					}
					if n > 0 {
						dst = append(dst, ',')
					}
					n++
					dst = append(dst, '"')
					dst = append(dst, kv[0]...)
					dst = append(dst, `":`...)
					dst = appendString(dst, kv[1])
				}
				dst = append(dst, '}')
			}
			dst = append(dst, ']')
		}
		if d.RetryAfterSeconds != 0 {
			if !first {
				dst = append(dst, ',')
			}
			dst = append(dst, `"retryAfterSeconds":`...)
			dst = strconv.AppendInt(dst, int64(d.RetryAfterSeconds), 10)
		}
		dst = append(dst, '}')
	}
	if s.Code != 0 {
		dst = append(dst, `,"code":`...)
		dst = strconv.AppendInt(dst, int64(s.Code), 10)
	}
	return append(dst, '}')
}

// appendString appends s as a JSON string. Invalid UTF-8 (which no string in
// a response holds: they come from decoded JSON or from kubeward itself)
// would become U+FFFD, as encoding/json writes it; the error saying so is not
// needed.
func appendString(dst []byte, s string) []byte {
	dst, _ = jsontext.AppendQuote(dst, s)
	return dst
}
