package podsecurity

// sysctls (baseline, v1.0+)
//
// Reads:   spec.securityContext.sysctls[*].name
// Allows:  only the sysctls known to be namespaced and isolated, a set that
//          grew with the versions (see safeSysctlSince).

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/finding"
)

var checkSysctls = checkDef{
	id:          "sysctls",
	level:       LevelBaseline,
	title:       "Pods may only set safe sysctls",
	severity:    finding.SeverityMedium,
	description: "A pod may only set sysctls that are namespaced and isolated from other pods: kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start, and in newer policy versions net.ipv4.ip_local_reserved_ports (v1.27), net.ipv4.tcp_keepalive_time, tcp_fin_timeout, tcp_keepalive_intvl, tcp_keepalive_probes (v1.29), net.ipv4.tcp_rmem, tcp_wmem (v1.32), net.ipv4.tcp_slow_start_after_idle and tcp_notsent_lowat (v1.37).",
	remediation: "Remove every other sysctl from spec.securityContext.sysctls; node-level tuning belongs in the node's configuration.",
	versions: []versioned{
		{minVersion: 0, fn: sysctlsAt(0)},
		{minVersion: 27, fn: sysctlsAt(27)},
		{minVersion: 29, fn: sysctlsAt(29)},
		{minVersion: 32, fn: sysctlsAt(32)},
		{minVersion: 37, fn: sysctlsAt(37)},
	},
}

// safeSysctlSince returns the policy minor version from which sysctl name is
// allowed, or -1 when it never is.
func safeSysctlSince(name string) int {
	switch name {
	case "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
		"net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start":
		return 0
	case "net.ipv4.ip_local_reserved_ports":
		return 27
	case "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
		"net.ipv4.tcp_keepalive_probes":
		return 29
	case "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem":
		return 32
	case "net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat":
		return 37
	}
	return -1
}

// sysctlsAt returns the sysctls check with the allowed set of version v1.minor.
func sysctlsAt(minor int) checkFn {
	return func(r *report, _ *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
		psc := spec.SecurityContext
		if psc == nil {
			return false
		}
		bad := false
		for i := range psc.Sysctls {
			name := psc.Sysctls[i].Name
			if since := safeSysctlSince(name); since >= 0 && since <= minor {
				continue
			}
			if r == nil {
				return true
			}
			bad = true
			r.names = append(r.names, name)
			r.indexedField("spec.securityContext.sysctls", i, ".name", "", FixRemove, name)
		}
		if !bad {
			return false
		}
		d := r.startDetail()
		r.joined(r.names, ", ")
		r.add("sysctls", "forbidden sysctls", d)
		return true
	}
}

// SafeSysctl reports whether the baseline level allows a pod to set sysctl
// name at policy version v (the namespaced, isolated sysctls of the
// sysctls check).
func SafeSysctl(name string, v Version) bool {
	since := safeSysctlSince(name)
	return since >= 0 && since <= v.Minor()
}
