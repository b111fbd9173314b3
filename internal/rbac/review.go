package rbac

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// ReviewItem is one SubjectAccessReview read from an input, or the problem
// that prevented reading it. Line is the 1-based line where it starts.
type ReviewItem struct {
	Review *authorizationv1.SubjectAccessReview
	Line   int
	Err    error
}

// maxReviewInput bounds one input, so a runaway stream cannot exhaust memory.
const maxReviewInput = 256 << 20

// DecodeReviews reads authorization.k8s.io/v1 SubjectAccessReview objects
// from r: YAML documents separated by "---", JSON documents or JSON lines,
// and List objects (kind List or SubjectAccessReviewList, or a JSON array)
// of them. Fields are matched case-sensitively and unknown or duplicate
// fields are errors, so a misspelt field cannot silently widen a review.
// Items come back in input order; an item that cannot be decoded or fails
// the API server's validation carries Err, and decoding continues with the
// next document. The error return is for read failures only.
func DecodeReviews(r io.Reader) ([]ReviewItem, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxReviewInput+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxReviewInput {
		return nil, fmt.Errorf("input larger than %d bytes", maxReviewInput)
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		return decodeJSONStream(data), nil
	}
	return decodeYAMLStream(data), nil
}

func lineAt(data []byte, off int) int {
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}

// decodeJSONStream decodes the JSON values of data. A malformed value is
// reported at its line and decoding resumes at the next line, so that one
// bad line of a JSON-lines file does not hide the reviews after it.
func decodeJSONStream(data []byte) []ReviewItem {
	var out []ReviewItem
	base := 0 // offset of the decoder's input in data
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		off := base + int(dec.InputOffset())
		for off < len(data) && strings.IndexByte(" \t\r\n", data[off]) >= 0 {
			off++
		}
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return out
		}
		line := lineAt(data, off)
		if err != nil {
			out = append(out, ReviewItem{Line: line, Err: fmt.Errorf("invalid JSON: %w", err)})
			next := bytes.IndexByte(data[off:], '\n')
			if next < 0 {
				return out
			}
			base = off + next + 1
			dec = json.NewDecoder(bytes.NewReader(data[base:]))
			continue
		}
		out = append(out, decodeReviewValue(raw, line)...)
	}
}

func decodeYAMLStream(data []byte) []ReviewItem {
	var out []ReviewItem
	lines := bytes.SplitAfter(data, []byte("\n"))
	var doc []byte
	first := 0 // the document's first content line
	flush := func() {
		if first == 0 {
			return
		}
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			out = append(out, ReviewItem{Line: first, Err: fmt.Errorf("invalid YAML: %w", err)})
		} else if !bytes.Equal(bytes.TrimSpace(j), []byte("null")) {
			out = append(out, decodeReviewValue(j, first)...)
		}
	}
	for i, l := range lines {
		t := bytes.TrimRight(l, " \t\r\n")
		if bytes.Equal(t, []byte("---")) || bytes.HasPrefix(t, []byte("--- ")) {
			flush()
			doc, first = nil, 0
			continue
		}
		doc = append(doc, l...)
		if c := bytes.TrimSpace(l); first == 0 && len(c) > 0 && c[0] != '#' {
			first = i + 1
		}
	}
	flush()
	return out
}

// decodeReviewValue decodes one JSON value: a review, a list object or an array.
func decodeReviewValue(raw []byte, line int) []ReviewItem {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return []ReviewItem{{Line: line, Err: fmt.Errorf("invalid JSON array: %w", err)}}
		}
		var out []ReviewItem
		for _, it := range items {
			out = append(out, decodeReviewValue(it, line)...)
		}
		return out
	}
	var head struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Items      []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return []ReviewItem{{Line: line, Err: fmt.Errorf("not an object: %w", err)}}
	}
	switch head.Kind {
	case "List", "SubjectAccessReviewList":
		var out []ReviewItem
		for _, it := range head.Items {
			out = append(out, decodeReviewValue(it, line)...)
		}
		return out
	case "SubjectAccessReview":
	case "":
		return []ReviewItem{{Line: line, Err: errors.New("missing kind (want SubjectAccessReview)")}}
	default:
		return []ReviewItem{{Line: line, Err: fmt.Errorf("kind %s is not SubjectAccessReview", head.Kind)}}
	}
	if head.APIVersion != authorizationv1.SchemeGroupVersion.String() {
		return []ReviewItem{{Line: line, Err: fmt.Errorf("apiVersion %q is not supported (want %s)", head.APIVersion, authorizationv1.SchemeGroupVersion)}}
	}
	sar := &authorizationv1.SubjectAccessReview{}
	strict, err := sigsjson.UnmarshalStrict(raw, sar, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		return []ReviewItem{{Line: line, Err: fmt.Errorf("decoding SubjectAccessReview: %w", err)}}
	}
	if len(strict) > 0 {
		return []ReviewItem{{Line: line, Err: fmt.Errorf("decoding SubjectAccessReview: %w", errors.Join(strict...))}}
	}
	if err := ValidateReview(sar); err != nil {
		return []ReviewItem{{Review: sar, Line: line, Err: err}}
	}
	return []ReviewItem{{Review: sar, Line: line}}
}

// ValidateReview checks a review as the API server does before answering:
// exactly one of resourceAttributes and nonResourceAttributes, and a user or
// at least one group. Every problem is reported.
func ValidateReview(sar *authorizationv1.SubjectAccessReview) error {
	var errs []error
	s := &sar.Spec
	if (s.ResourceAttributes == nil) == (s.NonResourceAttributes == nil) {
		errs = append(errs, errors.New("spec: exactly one of nonResourceAttributes or resourceAttributes must be specified"))
	}
	if s.User == "" && len(s.Groups) == 0 {
		errs = append(errs, errors.New("spec.user: at least one of user or group must be specified"))
	}
	return errors.Join(errs...)
}

// ReviewAttributes returns the request a review asks about, with exactly
// the user and groups it names (the API server adds none). The review must
// be valid (ValidateReview).
func ReviewAttributes(spec *authorizationv1.SubjectAccessReviewSpec) *Attributes {
	a := &Attributes{User: spec.User, Groups: spec.Groups}
	if ra := spec.ResourceAttributes; ra != nil {
		a.ResourceRequest = true
		a.Verb, a.Namespace, a.APIGroup, a.APIVersion = ra.Verb, ra.Namespace, ra.Group, ra.Version
		a.Resource, a.Subresource, a.Name = ra.Resource, ra.Subresource, ra.Name
		return a
	}
	if nr := spec.NonResourceAttributes; nr != nil {
		a.Verb, a.Path = nr.Verb, nr.Path
	}
	return a
}

// Review answers sar with authz and returns a copy with its status filled
// in: allowed, denied and the reason, as the API server would.
func Review(authz Authorizer, sar *authorizationv1.SubjectAccessReview) *authorizationv1.SubjectAccessReview {
	out := sar.DeepCopy()
	r := authz.Authorize(ReviewAttributes(&out.Spec))
	out.Status = authorizationv1.SubjectAccessReviewStatus{
		Allowed: r.Decision == Allow,
		Denied:  r.Decision == Deny,
		Reason:  r.Reason,
	}
	return out
}
