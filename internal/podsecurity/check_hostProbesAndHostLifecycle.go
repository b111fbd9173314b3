package podsecurity

// hostProbesAndHostLifecycle (baseline, v1.34+)
//
// Reads:   spec.{initContainers,containers,ephemeralContainers}[*].{livenessProbe,readinessProbe,startupProbe}.{httpGet,tcpSocket}.host
//          spec.{initContainers,containers,ephemeralContainers}[*].lifecycle.{postStart,preStop}.{httpGet,tcpSocket}.host
// Allows:  unset, "".

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/finding"
)

var checkHostProbesAndHostLifecycle = checkDef{
	id:          "hostProbesAndHostLifecycle",
	level:       LevelBaseline,
	title:       "Probes and lifecycle hooks must not target other hosts",
	severity:    finding.SeverityMedium,
	description: "Probes and lifecycle handlers must not set host in httpGet or tcpSocket: the kubelet would send requests to any address on the pod's behalf, which can be used to reach services the pod cannot.",
	remediation: "Remove host from the httpGet and tcpSocket handlers of probes and lifecycle hooks so that they target the pod's own IP.",
	versions: []versioned{
		{minVersion: 34, fn: hostProbesAndHostLifecycleV1Dot34},
	},
}

func hostProbesAndHostLifecycleV1Dot34(r *report, _ *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	for i := range numContainers(spec) {
		ref, c := containerAt(spec, i)
		found := false
		if p := c.LivenessProbe; p != nil {
			found = probeHosts(r, ref, ".livenessProbe", p.HTTPGet, p.TCPSocket) || found
		}
		if r == nil && found {
			return true
		}
		if p := c.ReadinessProbe; p != nil {
			found = probeHosts(r, ref, ".readinessProbe", p.HTTPGet, p.TCPSocket) || found
		}
		if r == nil && found {
			return true
		}
		if p := c.StartupProbe; p != nil {
			found = probeHosts(r, ref, ".startupProbe", p.HTTPGet, p.TCPSocket) || found
		}
		if r == nil && found {
			return true
		}
		if l := c.Lifecycle; l != nil {
			if h := l.PostStart; h != nil {
				found = probeHosts(r, ref, ".lifecycle.postStart", h.HTTPGet, h.TCPSocket) || found
			}
			if h := l.PreStop; h != nil {
				found = probeHosts(r, ref, ".lifecycle.preStop", h.HTTPGet, h.TCPSocket) || found
			}
		}
		if found {
			if r == nil {
				return true
			}
			r.names = append(r.names, c.Name)
		}
	}
	if r == nil || len(r.names) == 0 {
		return false
	}
	names := sortedSet(r.names)
	hosts := sortedSet(r.values)
	d := r.startDetail()
	r.containerList(names)
	r.str(" ", plural(len(names), "uses", "use"), " ", plural(len(hosts), "probe or lifecycle host", "probe or lifecycle hosts"), " ")
	r.quotedList(hosts)
	r.add("hostProbesAndHostLifecycle", "probe or lifecycle host", d)
	return true
}

// probeHosts reports whether a handler sets a host; with r it records the
// hosts and their fields.
func probeHosts(r *report, ref cref, handler string, httpGet *corev1.HTTPGetAction, tcp *corev1.TCPSocketAction) bool {
	found := false
	if httpGet != nil && httpGet.Host != "" {
		found = true
		if r != nil {
			r.values = append(r.values, httpGet.Host)
			start := r.markPath()
			r.buf = ref.appendPath(r.buf)
			r.str(handler, ".httpGet.host")
			r.refField(start, ref, FixRemove, "")
		}
	}
	if tcp != nil && tcp.Host != "" {
		found = true
		if r != nil {
			r.values = append(r.values, tcp.Host)
			start := r.markPath()
			r.buf = ref.appendPath(r.buf)
			r.str(handler, ".tcpSocket.host")
			r.refField(start, ref, FixRemove, "")
		}
	}
	return found
}
