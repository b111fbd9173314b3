package podsecurity

// hostPorts (baseline, v1.0+)
//
// Reads:   spec.{initContainers,containers,ephemeralContainers}[*].ports[*].hostPort
// Allows:  unset, 0.

import (
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/finding"
)

var checkHostPorts = checkDef{
	id:          "hostPorts",
	level:       LevelBaseline,
	title:       "Containers must not use host ports",
	severity:    finding.SeverityMedium,
	description: "Containers must not bind ports on the node (ports[].hostPort). Host ports bypass network policy, expose the pod on the node's addresses and limit scheduling.",
	remediation: "Remove hostPort from every container port and expose the pod through a Service instead.",
	versions: []versioned{
		{minVersion: 0, fn: hostPortsV1Dot0},
	},
}

func hostPortsV1Dot0(r *report, _ *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	for i := range numContainers(spec) {
		ref, c := containerAt(spec, i)
		containerBad := false
		for j := range c.Ports {
			p := c.Ports[j].HostPort
			if p == 0 {
				continue
			}
			if r == nil {
				return true
			}
			containerBad = true
			r.ports = append(r.ports, p)
			r.containerItemField(ref, ".ports", j, ".hostPort", FixRemove, "")
		}
		if containerBad {
			r.names = append(r.names, c.Name)
		}
	}
	if r == nil || len(r.names) == 0 {
		return false
	}
	// Kubernetes sorts the ports as decimal strings ("10" before "9").
	slices.SortFunc(r.ports, cmpDecimal)
	ports := slices.Compact(r.ports)
	d := r.startDetail()
	r.containerList(r.names)
	r.str(" ", plural(len(r.names), "uses", "use"), " ", plural(len(ports), "hostPort", "hostPorts"), " ")
	for i, p := range ports {
		if i > 0 {
			r.str(", ")
		}
		r.buf = strconv.AppendInt(r.buf, int64(p), 10)
	}
	r.add("hostPorts", "hostPort", d)
	return true
}

// cmpDecimal compares two numbers as their decimal strings compare.
func cmpDecimal(a, b int32) int {
	var ab, bb [12]byte
	as := strconv.AppendInt(ab[:0], int64(a), 10)
	bs := strconv.AppendInt(bb[:0], int64(b), 10)
	return cmpString(string(as), string(bs))
}
