package report

import "io"

// writeJSON writes r exactly as a json.Encoder with two-space indentation
// and HTML escaping off would write it, a finding at a time.
func writeJSON(w io.Writer, r *Report) error {
	s := newStreamWriter(w)
	s.raw("{")
	s.member(1, "findings")
	if err := s.array(1, len(r.Findings), r.Findings == nil, func(i int) any { return &r.Findings[i] }); err != nil {
		return err
	}
	s.raw(",")
	s.member(1, "errors")
	if err := s.array(1, len(r.Errors), r.Errors == nil, func(i int) any { return &r.Errors[i] }); err != nil {
		return err
	}
	s.raw(",")
	s.member(1, "warnings")
	if err := s.array(1, len(r.Warnings), r.Warnings == nil, func(i int) any { return &r.Warnings[i] }); err != nil {
		return err
	}
	s.raw(",")
	s.member(1, "skipped")
	if err := s.array(1, len(r.Skipped), r.Skipped == nil, func(i int) any { return &r.Skipped[i] }); err != nil {
		return err
	}
	for i := range r.Sections {
		s.raw(",")
		s.member(1, r.Sections[i].Name)
		if err := s.value(1, r.Sections[i].Value); err != nil {
			return err
		}
	}
	s.raw(",")
	s.member(1, "summary")
	if err := s.value(1, &r.Summary); err != nil {
		return err
	}
	s.raw("\n}\n")
	return s.flush()
}
