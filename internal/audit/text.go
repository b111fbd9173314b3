package audit

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// WriteText prints the plans for people: a table per namespace with its
// labels, effective policy, the levels met, what blocks the next level and
// the command to apply. It is the text printer of the "namespaces" section.
func WriteText(w io.Writer, plans []Namespace, color bool) error {
	bold := func(s string) string { return s }
	if color {
		bold = func(s string) string { return "\x1b[1m" + s + "\x1b[0m" }
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "\n%s\n", bold(fmt.Sprintf("Pod Security plan (%d namespaces)", len(plans))))
	for i := range plans {
		p := &plans[i]
		fmt.Fprintf(w, "\n%s\n", bold("namespace "+p.Name))
		keys := make([]string, 0, len(p.Labels))
		for k := range p.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		labels := make([]string, len(keys))
		for i, k := range keys {
			labels[i] = k + "=" + p.Labels[k]
		}
		if len(labels) == 0 {
			labels = []string{"(no pod-security labels)"}
		}
		fmt.Fprintf(tw, "  labels:\t%s\n", strings.Join(labels, " "))
		for _, e := range p.LabelErrors {
			fmt.Fprintf(tw, "  invalid:\t%s\n", e)
		}
		policy := fmt.Sprintf("enforce=%s audit=%s warn=%s", p.Policy.Enforce, p.Policy.Audit, p.Policy.Warn)
		if p.Exempt {
			policy = "exempt (admission configuration): every pod is admitted"
		}
		fmt.Fprintf(tw, "  policy:\t%s\n", policy)
		objs := plural(p.Pods, "pod") + ", " + plural(p.Templates, "workload template")
		if p.ExemptRuntimeClass > 0 {
			objs += fmt.Sprintf(" (%d with an exempt runtime class)", p.ExemptRuntimeClass)
		}
		fmt.Fprintf(tw, "  evaluated:\t%s\n", objs)
		if !p.Exempt {
			fmt.Fprintf(tw, "  meets:\t%s at latest, %s at %s (pods alone: %s, %s)\n", p.Meets.Latest, p.Meets.Pinned, p.PinnedVersion, p.PodsMeet.Latest, p.PodsMeet.Pinned)
		}
		if p.Recommended.Command != "" {
			fmt.Fprintf(tw, "  apply:\t%s\n", p.Recommended.Command)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if p.Blocking != "" && len(p.Blockers) > 0 {
			fmt.Fprintf(w, "  blocking %s:\n", p.Blocking)
			fmt.Fprintf(tw, "    WORKLOAD\tCHECK\tCONTAINER\tFIX\tWHERE\n")
			for _, b := range p.Blockers {
				fmt.Fprintf(tw, "    %s/%s\t%s\t%s\t%s\t%s\n", b.Kind, b.Name, b.Check, dash(b.Container), b.Fix, where(b))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if p.MoreBlockers > 0 {
				fmt.Fprintf(w, "    ... and %d more offending fields (see -o json)\n", p.MoreBlockers)
			}
		}
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func where(b Blocker) string {
	var parts []string
	if b.Template {
		parts = append(parts, "template")
	}
	switch b.Pods {
	case 0:
	case 1:
		parts = append(parts, "1 pod")
	default:
		parts = append(parts, fmt.Sprintf("%d pods", b.Pods))
	}
	return strings.Join(parts, ", ")
}
