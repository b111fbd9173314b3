package psp

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kubeward/kubeward/internal/podsecurity"
)

// CEL building blocks over the pod under review (object).
const (
	celPodSC = "object.spec.securityContext"
	celCtrSC = "c.securityContext"
)

// everyContainer returns a CEL expression that holds when pred (over c)
// holds for every container, init container and ephemeral container.
func everyContainer(pred string) string {
	return "object.spec.containers.all(c, " + pred + ")" +
		" && (!has(object.spec.initContainers) || object.spec.initContainers.all(c, " + pred + "))" +
		" && (!has(object.spec.ephemeralContainers) || object.spec.ephemeralContainers.all(c, " + pred + "))"
}

// everyVolume returns a CEL expression that holds when pred (over v)
// holds for every volume.
func everyVolume(pred string) string {
	return "!has(object.spec.volumes) || object.spec.volumes.all(v, " + pred + ")"
}

// hasCtr reports whether the container sets securityContext.<path>.
func hasCtr(path string) string { return hasIn(celCtrSC, path) }

// hasPod reports whether the pod sets spec.securityContext.<path>.
func hasPod(path string) string { return hasIn(celPodSC, path) }

func hasIn(base, path string) string {
	parts := strings.Split(path, ".")
	out := "has(" + base + ")"
	cur := base
	for _, p := range parts {
		cur += "." + p
		out += " && has(" + cur + ")"
	}
	return "(" + out + ")"
}

func celString(s string) string { return strconv.Quote(s) }

func celList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = celString(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// celInRanges holds when x lies in one of rs.
func celInRanges(x string, rs []IDRange) string {
	if len(rs) == 0 {
		return "false"
	}
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("(%s >= %d && %s <= %d)", x, r.Min, x, r.Max))
	}
	return "(" + strings.Join(parts, " || ") + ")"
}

// celPatterns holds when name matches one of the sysctl patterns ("*",
// "prefix*" or an exact name).
func celPatterns(name string, patterns []string) string {
	if len(patterns) == 0 {
		return "false"
	}
	var parts []string
	for _, p := range patterns {
		switch {
		case p == "*":
			return "true"
		case strings.HasSuffix(p, "*"):
			parts = append(parts, name+".startsWith("+celString(strings.TrimSuffix(p, "*"))+")")
		default:
			parts = append(parts, name+" == "+celString(p))
		}
	}
	return "(" + strings.Join(parts, " || ") + ")"
}

// celPathPrefix holds when path is under prefix, segment by segment, as
// PSP compared allowedHostPaths.
func celPathPrefix(path, prefix string) string {
	p := strings.TrimRight(prefix, "/")
	if p == "" {
		return path + `.startsWith("/")`
	}
	return "(" + path + " == " + celString(p) + " || " + path + ".startsWith(" + celString(p+"/") + "))"
}

func (m *mapper) gap(field, value, reason, expr, msg string) {
	m.a.Uncovered = append(m.a.Uncovered, Uncovered{Field: field, Value: value, Reason: reason, Expression: expr,
		Message: fmt.Sprintf("PodSecurityPolicy %s: %s", m.p.Name, msg)})
}

// uncovered lists what the PSP validates and Pod Security at the PSP's
// level does not, with the CEL that validates it.
func (m *mapper) uncovered() {
	s := &m.p.Spec
	L := m.a.Level
	P, R := podsecurity.LevelPrivileged, podsecurity.LevelRestricted
	if L == P {
		if !s.Privileged {
			m.gap("spec.privileged", "false", "privileged allows privileged containers",
				everyContainer("!("+hasCtr("privileged")+" && c.securityContext.privileged)"),
				"privileged containers are not allowed")
		}
		for _, h := range []struct {
			field string
			on    bool
		}{{"hostNetwork", s.HostNetwork}, {"hostPID", s.HostPID}, {"hostIPC", s.HostIPC}} {
			if !h.on {
				m.gap("spec."+h.field, "false", "privileged allows "+h.field,
					"!(has(object.spec."+h.field+") && object.spec."+h.field+")",
					h.field+" is not allowed")
			}
		}
		if !coversAllPorts(s.HostPorts) {
			var parts []string
			for _, r := range s.HostPorts {
				parts = append(parts, fmt.Sprintf("(p.hostPort >= %d && p.hostPort <= %d)", r.Min, r.Max))
			}
			cond := "!has(p.hostPort) || p.hostPort == 0"
			if len(parts) > 0 {
				cond += " || " + strings.Join(parts, " || ")
			}
			m.gap("spec.hostPorts", hostPortsString(s.HostPorts), "privileged allows any host port",
				everyContainer("!has(c.ports) || c.ports.all(p, "+cond+")"),
				"host ports outside "+hostPortsString(s.HostPorts)+" are not allowed")
		}
		if !slices.ContainsFunc(s.AllowedProcMountTypes, func(t corev1ProcMount) bool { return t != procMountDefault }) {
			m.gap("spec.allowedProcMountTypes", capsString(procStrings(s.AllowedProcMountTypes)), "privileged allows an Unmasked procMount",
				everyContainer("!"+hasCtr("procMount")+` || c.securityContext.procMount == "Default"`),
				"procMount other than Default is not allowed")
		}
	}
	m.volumeGaps()
	m.capabilityGaps()
	if L < R && s.AllowPrivilegeEscalation != nil && !*s.AllowPrivilegeEscalation {
		m.gap("spec.allowPrivilegeEscalation", "false", L.String()+" allows privilege escalation",
			everyContainer(hasCtr("allowPrivilegeEscalation")+" && !c.securityContext.allowPrivilegeEscalation"),
			"containers must set securityContext.allowPrivilegeEscalation: false")
	}
	if s.ReadOnlyRootFilesystem {
		m.gap("spec.readOnlyRootFilesystem", "true", "Pod Security has no opinion on readOnlyRootFilesystem",
			everyContainer(hasCtr("readOnlyRootFilesystem")+" && c.securityContext.readOnlyRootFilesystem"),
			"containers must set securityContext.readOnlyRootFilesystem: true")
	}
	m.idGaps()
	m.sysctlGaps()
	if rc := s.RuntimeClass; rc != nil && !slices.Contains(rc.AllowedRuntimeClassNames, "*") {
		expr := "!has(object.spec.runtimeClassName)"
		if len(rc.AllowedRuntimeClassNames) > 0 {
			expr += " || object.spec.runtimeClassName in " + celList(rc.AllowedRuntimeClassNames)
		}
		m.gap("spec.runtimeClass.allowedRuntimeClassNames", capsString(rc.AllowedRuntimeClassNames), "Pod Security has no opinion on runtimeClassName",
			expr, "runtimeClassName must be one of "+capsString(rc.AllowedRuntimeClassNames))
	}
	if s.SELinux.Rule == ruleMustRunAs && s.SELinux.SELinuxOptions != nil {
		o := s.SELinux.SELinuxOptions
		eq := func(x string) string {
			var parts []string
			for _, kv := range [][2]string{{"user", o.User}, {"role", o.Role}, {"type", o.Type}, {"level", o.Level}} {
				parts = append(parts, fmt.Sprintf("(has(%s.%s) ? %s.%s : \"\") == %s", x, kv[0], x, kv[0], celString(kv[1])))
			}
			return "(" + strings.Join(parts, " && ") + ")"
		}
		expr := "(!" + hasPod("seLinuxOptions") + " || " + eq(celPodSC+".seLinuxOptions") + ") && " +
			everyContainer("("+hasCtr("seLinuxOptions")+" ? "+eq(celCtrSC+".seLinuxOptions")+" : "+hasPod("seLinuxOptions")+")")
		v := seLinuxString(o.User, o.Role, o.Type, o.Level)
		m.gap("spec.seLinux.seLinuxOptions", v, "Pod Security never requires particular SELinux options",
			expr, "SELinux options must be "+v)
	}
	m.profileGaps()
}

func coversAllPorts(rs []HostPortRange) bool {
	for _, r := range rs {
		if r.Min <= 1 && r.Max >= 65535 {
			return true
		}
	}
	return false
}

// levelVolumes returns the PSP volume types level lv admits.
func levelVolumes(lv podsecurity.Level) []string {
	if lv == podsecurity.LevelRestricted {
		return restrictedVolumes
	}
	var out []string
	for t := range volumeTypes {
		if lv == podsecurity.LevelPrivileged || t != volumeHostPath {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

func (m *mapper) volumeGaps() {
	s := &m.p.Spec
	all := slices.Contains(s.Volumes, volumeAll)
	if !all {
		var missing []string
		for _, t := range levelVolumes(m.a.Level) {
			if !slices.Contains(s.Volumes, t) {
				missing = append(missing, t)
			}
		}
		if len(missing) > 0 {
			var has []string
			for _, t := range s.Volumes {
				if f, ok := volumeTypes[t]; ok {
					has = append(has, "has(v."+f+")")
				}
			}
			pred := "false"
			if len(has) > 0 {
				pred = strings.Join(has, " || ")
			}
			m.gap("spec.volumes", capsString(s.Volumes), m.a.Level.String()+" also allows "+strings.Join(missing, ", "),
				everyVolume(pred), "volume types other than "+capsString(s.Volumes)+" are not allowed")
		}
	}
	allows := func(t string) bool { return all || slices.Contains(s.Volumes, t) }
	if allows(volumeHostPath) && len(s.AllowedHostPaths) > 0 {
		var any, writable []string
		for _, h := range s.AllowedHostPaths {
			any = append(any, celPathPrefix("v.hostPath.path", h.PathPrefix))
			if !h.ReadOnly {
				writable = append(writable, celPathPrefix("v.hostPath.path", h.PathPrefix))
			}
		}
		expr := "(" + everyVolume("!has(v.hostPath) || "+strings.Join(any, " || ")) + ")"
		if len(writable) < len(s.AllowedHostPaths) {
			w := "false"
			if len(writable) > 0 {
				w = strings.Join(writable, " || ")
			}
			expr += " && (!has(object.spec.volumes) || " + everyContainer("!has(c.volumeMounts) || c.volumeMounts.all(vm, (has(vm.readOnly) && vm.readOnly) || !object.spec.volumes.exists(v, v.name == vm.name && has(v.hostPath) && !("+w+")))") + ")"
		}
		var prefixes []string
		for _, h := range s.AllowedHostPaths {
			p := h.PathPrefix
			if h.ReadOnly {
				p += " (read-only)"
			}
			prefixes = append(prefixes, p)
		}
		m.gap("spec.allowedHostPaths", capsString(prefixes), "Pod Security has no opinion on hostPath prefixes",
			expr, "hostPath volumes must be under "+capsString(prefixes)+", read-only where marked")
	}
	if allows("flexVolume") && len(s.AllowedFlexVolumes) > 0 {
		var ds []string
		for _, d := range s.AllowedFlexVolumes {
			ds = append(ds, d.Driver)
		}
		m.gap("spec.allowedFlexVolumes", capsString(ds), "Pod Security has no opinion on flexVolume drivers",
			everyVolume("!has(v.flexVolume) || v.flexVolume.driver in "+celList(ds)),
			"flexVolume drivers other than "+capsString(ds)+" are not allowed")
	}
	if allows("csi") && len(s.AllowedCSIDrivers) > 0 {
		var ds []string
		for _, d := range s.AllowedCSIDrivers {
			ds = append(ds, d.Name)
		}
		m.gap("spec.allowedCSIDrivers", capsString(ds), "Pod Security has no opinion on CSI drivers",
			everyVolume("!has(v.csi) || v.csi.driver in "+celList(ds)),
			"inline CSI drivers other than "+capsString(ds)+" are not allowed")
	}
}

func (m *mapper) capabilityGaps() {
	s := &m.p.Spec
	caps := m.addedCapabilities()
	if !slices.Contains(caps, wildcardCapability) {
		var levelCaps []string
		switch m.a.Level {
		case podsecurity.LevelRestricted:
			levelCaps = []string{"NET_BIND_SERVICE"}
		case podsecurity.LevelBaseline:
			levelCaps = baselineCapabilities
		}
		var missing []string
		for _, c := range levelCaps {
			if !slices.Contains(caps, c) {
				missing = append(missing, c)
			}
		}
		if m.a.Level == podsecurity.LevelPrivileged {
			missing = []string{"any capability"}
		}
		if len(missing) > 0 {
			pred := "!" + hasCtr("capabilities.add") + " || c.securityContext.capabilities.add.all(x, x in " + celList(caps) + ")"
			m.gap("spec.allowedCapabilities", capsString(caps), m.a.Level.String()+" also allows adding "+strings.Join(missing, ", "),
				everyContainer(pred), "containers may add only "+capsString(caps))
		}
	}
	drop := capStrings(s.RequiredDropCapabilities)
	if len(drop) > 0 && !(m.a.Level == podsecurity.LevelRestricted && slices.Equal(drop, []string{capabilityAll})) {
		pred := hasCtr("capabilities.drop") + " && " + celList(drop) + ".all(r, c.securityContext.capabilities.drop.exists(d, d == r || d == \"ALL\"))"
		m.gap("spec.requiredDropCapabilities", capsString(drop), m.a.Level.String()+" does not require dropping them",
			everyContainer(pred), "containers must drop "+capsString(drop))
	}
}

// idGaps covers runAsUser, runAsGroup, supplementalGroups and fsGroup.
func (m *mapper) idGaps() {
	s := &m.p.Spec
	// effective holds for each container when the container's field, or
	// the pod's, is set and ok; podOK holds when the pod's field is unset or ok.
	id := func(field string, must bool, rs []IDRange) string {
		in := func(x string) string { return celInRanges(x, rs) }
		podOK := "(!" + hasPod(field) + " || " + in(celPodSC+"."+field) + ")"
		fallback := "true"
		if must {
			fallback = "(" + hasPod(field) + " && " + in(celPodSC+"."+field) + ")"
		}
		return podOK + " && " + everyContainer("("+hasCtr(field)+" ? "+in(celCtrSC+"."+field)+" : "+fallback+")")
	}
	switch s.RunAsUser.Rule {
	case ruleMustRunAs:
		m.gap("spec.runAsUser", "MustRunAs "+idRangesString(s.RunAsUser.Ranges), "Pod Security has no opinion on user ID ranges",
			id("runAsUser", true, s.RunAsUser.Ranges), "runAsUser must be set, in "+idRangesString(s.RunAsUser.Ranges))
	case ruleMustRunAsNonRoot:
		if m.a.Level < podsecurity.LevelRestricted {
			nonRoot := "(" + hasCtr("runAsNonRoot") + " ? c.securityContext.runAsNonRoot : (" + hasPod("runAsNonRoot") + " && " + celPodSC + ".runAsNonRoot))"
			uid := "(" + hasCtr("runAsUser") + " ? c.securityContext.runAsUser != 0 : (" + hasPod("runAsUser") + " && " + celPodSC + ".runAsUser != 0))"
			m.gap("spec.runAsUser", ruleMustRunAsNonRoot, m.a.Level.String()+" allows running as root",
				everyContainer(nonRoot+" || "+uid), "containers must run as non-root (runAsNonRoot: true or a non-zero runAsUser)")
		}
	}
	if g := s.RunAsGroup; g != nil && g.Rule != ruleRunAsAny {
		m.gap("spec.runAsGroup", g.Rule+" "+idRangesString(g.Ranges), "Pod Security has no opinion on group ID ranges",
			id("runAsGroup", g.Rule == ruleMustRunAs, g.Ranges), "runAsGroup must be in "+idRangesString(g.Ranges))
	}
	if g := s.SupplementalGroups; g.Rule != ruleRunAsAny {
		all := hasPod("supplementalGroups") + " && " + celPodSC + ".supplementalGroups.all(g, " + celInRanges("g", g.Ranges) + ")"
		expr := "!" + hasPod("supplementalGroups") + " || " + celPodSC + ".supplementalGroups.all(g, " + celInRanges("g", g.Ranges) + ")"
		if g.Rule == ruleMustRunAs {
			expr = all + " && size(" + celPodSC + ".supplementalGroups) > 0"
		}
		m.gap("spec.supplementalGroups", g.Rule+" "+idRangesString(g.Ranges), "Pod Security has no opinion on group ID ranges",
			expr, "supplementalGroups must be in "+idRangesString(g.Ranges))
	}
	if g := s.FSGroup; g.Rule != ruleRunAsAny {
		expr := "!" + hasPod("fsGroup") + " || " + celInRanges(celPodSC+".fsGroup", g.Ranges)
		if g.Rule == ruleMustRunAs {
			expr = hasPod("fsGroup") + " && " + celInRanges(celPodSC+".fsGroup", g.Ranges)
		}
		m.gap("spec.fsGroup", g.Rule+" "+idRangesString(g.Ranges), "Pod Security has no opinion on group ID ranges",
			expr, "fsGroup must be in "+idRangesString(g.Ranges))
	}
}

// safeSysctls lists the sysctls baseline allows at v.
func safeSysctls(v podsecurity.Version) []string {
	var out []string
	for _, n := range []string{"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
		"net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.ip_local_reserved_ports",
		"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
		"net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
		"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"} {
		if podsecurity.SafeSysctl(n, v) {
			out = append(out, n)
		}
	}
	return out
}

func (m *mapper) sysctlGaps() {
	s := &m.p.Spec
	open := m.a.Level == podsecurity.LevelPrivileged && !slices.Contains(s.AllowedUnsafeSysctls, "*")
	if len(s.ForbiddenSysctls) == 0 && !open {
		return
	}
	pred := "!" + celPatterns("s.name", s.ForbiddenSysctls)
	field, value, reason, msg := "spec.forbiddenSysctls", capsString(s.ForbiddenSysctls), "Pod Security has no opinion on forbidding safe sysctls", "sysctls "+capsString(s.ForbiddenSysctls)+" are forbidden"
	if open {
		pred += " && (s.name in " + celList(safeSysctls(m.v)) + " || " + celPatterns("s.name", s.AllowedUnsafeSysctls) + ")"
		field, value = "spec.allowedUnsafeSysctls", capsString(s.AllowedUnsafeSysctls)
		reason = "privileged allows every sysctl"
		msg = "only safe sysctls and " + capsString(s.AllowedUnsafeSysctls) + " are allowed"
		if len(s.ForbiddenSysctls) > 0 {
			msg += ", except " + capsString(s.ForbiddenSysctls)
		}
	}
	m.gap(field, value, reason, "!"+hasPod("sysctls")+" || "+celPodSC+".sysctls.all(s, "+pred+")", msg)
}

// profileGaps covers the seccomp and AppArmor allowedProfileNames annotations.
func (m *mapper) profileGaps() {
	// seccomp: what the level admits, in PSP's names.
	raw, set := m.p.Annotations[AnnotationSeccompAllowed]
	names := profileList(raw, set)
	var levelNames []string
	switch m.a.Level {
	case podsecurity.LevelRestricted:
		levelNames = []string{seccompRuntimeDefault, "localhost/*"}
	case podsecurity.LevelBaseline:
		levelNames = []string{"", seccompRuntimeDefault, "localhost/*"}
	default:
		levelNames = []string{"*"}
	}
	if missing := missingProfiles(names, levelNames); len(missing) > 0 {
		prof := func(x string) string {
			return "(" + x + `.type == "RuntimeDefault" ? "runtime/default" : ` + x + `.type == "Unconfined" ? "unconfined" : ` +
				x + `.type == "Localhost" ? "localhost/" + (has(` + x + `.localhostProfile) ? ` + x + `.localhostProfile : "") : "")`
		}
		ok := profileAllowed(names)
		eff := "(" + hasCtr("seccompProfile") + " ? " + prof(celCtrSC+".seccompProfile") + " : " + hasPod("seccompProfile") + " ? " + prof(celPodSC+".seccompProfile") + ` : "")`
		expr := "(!" + hasPod("seccompProfile") + " || " + ok(prof(celPodSC+".seccompProfile")) + ") && " + everyContainer(ok(eff))
		m.gap(annotationPath(AnnotationSeccompAllowed), raw, m.a.Level.String()+" also allows seccomp "+strings.Join(missing, ", "),
			expr, "seccomp profiles other than "+celList(names)+" are not allowed")
	}
	raw, set = m.p.Annotations[AnnotationAppArmorAllowed]
	if !set {
		return // PSP admitted any AppArmor profile
	}
	names = profileList(raw, true)
	levelNames = []string{"", appArmorRuntimeDefault, "localhost/*"}
	if m.a.Level == podsecurity.LevelPrivileged {
		levelNames = []string{"*"}
	}
	if missing := missingProfiles(names, levelNames); len(missing) > 0 {
		prof := func(x string) string {
			return "(" + x + `.type == "RuntimeDefault" ? "runtime/default" : ` + x + `.type == "Unconfined" ? "unconfined" : ` +
				x + `.type == "Localhost" ? "localhost/" + (has(` + x + `.localhostProfile) ? ` + x + `.localhostProfile : "") : "")`
		}
		ann := `"container.apparmor.security.beta.kubernetes.io/" + c.name`
		fromAnn := `(has(object.metadata.annotations) && ` + ann + ` in object.metadata.annotations ? object.metadata.annotations[` + ann + `] : "")`
		eff := "(" + hasCtr("appArmorProfile") + " ? " + prof(celCtrSC+".appArmorProfile") + " : " + hasPod("appArmorProfile") + " ? " + prof(celPodSC+".appArmorProfile") + " : " + fromAnn + ")"
		ok := profileAllowed(names)
		m.gap(annotationPath(AnnotationAppArmorAllowed), raw, m.a.Level.String()+" also allows AppArmor "+strings.Join(missing, ", "),
			everyContainer(ok(eff)), "AppArmor profiles other than "+celList(names)+" are not allowed")
	}
}

// missingProfiles returns the profiles of want that names does not admit
// ("localhost/*" stands for every localhost profile, "*" for any).
func missingProfiles(names, want []string) []string {
	if slices.Contains(names, profileAny) {
		return nil
	}
	var out []string
	for _, w := range want {
		ok := slices.Contains(names, w) ||
			(w == seccompRuntimeDefault && slices.Contains(names, seccompDockerDefault))
		if !ok {
			if w == "" {
				w = "(unset)"
			}
			out = append(out, w)
		}
	}
	return out
}

// profileAllowed returns a function building the CEL condition that a
// profile name (a CEL string expression) is one of names.
func profileAllowed(names []string) func(string) string {
	var exact []string
	localhostAny := false
	for _, n := range names {
		switch {
		case n == "localhost/*":
			localhostAny = true
		case n == seccompDockerDefault:
			exact = append(exact, seccompDockerDefault, seccompRuntimeDefault)
		default:
			exact = append(exact, n)
		}
	}
	return func(x string) string {
		cond := x + " in " + celList(exact)
		if localhostAny {
			cond += " || " + x + `.startsWith("localhost/")`
		}
		return "(" + cond + ")"
	}
}
