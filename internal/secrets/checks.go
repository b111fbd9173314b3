package secrets

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Issue is one violation of a secrets/ rule found in an object, located by
// the path of the offending field inside the object. It never holds a
// credential, only a redacted hint inside Message.
type Issue struct {
	Rule string
	// Path is the offending field, e.g. spec.template.spec.containers[0].env[2].value.
	Path string
	// Line, when not zero, is the line of the issue relative to the line
	// of Path (a line inside a multi-line value).
	Line      int
	Container string
	Message   string
}

// Input is one object to check.
type Input struct {
	Object runtime.Object
	// FromFile is true when the object was read from a file (a committed
	// manifest) rather than from a cluster.
	FromFile bool
	// SOPS is true when the object's document carries SOPS metadata (a
	// top-level sops: key).
	SOPS bool
	// Pod is the object's pod spec and PodPrefix the path from the object to it
	// ("" for a Pod, "spec.template." for a Deployment); Pod is nil when the
	// object has none.
	Pod       *corev1.PodSpec
	PodPrefix string
}

// Check appends the issues of one object to out and returns it. It is pure
// and safe for concurrent use.
func Check(in Input, out []Issue) []Issue {
	switch o := in.Object.(type) {
	case *corev1.Secret:
		out = checkSecret(o, in, out)
	case *corev1.ConfigMap:
		out = checkConfigMap(o, out)
	}
	if in.Pod != nil {
		out = checkPod(in.Pod, in.PodPrefix, out)
	}
	return out
}

// Key renders a map key as a path segment: .key, or ["key"] when it holds
// characters other than letters, digits, _ and -.
func Key(k string) string {
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return "[" + strconv.Quote(k) + "]"
		}
	}
	if k == "" {
		return `[""]`
	}
	return "." + k
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// sopsValue matches a value SOPS encrypted.
var sopsValue = regexp.MustCompile(`^ENC\[[A-Z0-9_]+,data:`)

func checkSecret(s *corev1.Secret, in Input, out []Issue) []Issue {
	if s.Type == corev1.SecretTypeServiceAccountToken {
		msg := fmt.Sprintf("Secret of type %s holds a token that never expires", s.Type)
		if sa := s.Annotations[corev1.ServiceAccountNameKey]; sa != "" {
			msg += fmt.Sprintf(" (service account %q)", sa)
		}
		out = append(out, Issue{Rule: RuleServiceAccountToken, Path: "type", Message: msg})
	}
	if !in.FromFile || in.SOPS {
		return out
	}
	// Point at the first credential-looking value (data, then stringData,
	// sorted by key), else at the first real value.
	var path, credPath string
	var real []string
	see := func(field, k, v string) {
		if sopsValue.MatchString(v) || Placeholder(v) {
			return
		}
		real = append(real, k)
		if path == "" {
			path = field + Key(k)
		}
		if _, ok := Credential(k, v); ok && credPath == "" {
			credPath = field + Key(k)
		}
	}
	for _, k := range sortedKeys(s.Data) {
		see("data", k, string(s.Data[k]))
	}
	for _, k := range sortedKeys(s.StringData) {
		see("stringData", k, s.StringData[k])
	}
	if credPath != "" {
		path = credPath
	}
	if len(real) == 0 {
		return out
	}
	return append(out, Issue{Rule: RuleCommitted, Path: path,
		Message: fmt.Sprintf("Secret committed with %s (%s): base64 is an encoding, not encryption", plural(len(real), "value"), strings.Join(real, ", "))})
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func checkConfigMap(cm *corev1.ConfigMap, out []Issue) []Issue {
	for _, k := range sortedKeys(cm.Data) {
		v := cm.Data[k]
		path := "data" + Key(k)
		if !strings.Contains(strings.TrimSpace(v), "\n") {
			if m, ok := Credential(k, v); ok {
				out = append(out, Issue{Rule: RuleConfigMapCredential, Path: path,
					Message: fmt.Sprintf("ConfigMap key %q holds a literal %s: %s", k, m.Kind, m.Hint)})
			}
			continue
		}
		if m, ok := FindFormat(v); ok {
			out = append(out, Issue{Rule: RuleConfigMapCredential, Path: path, Line: lineOf(v, m),
				Message: fmt.Sprintf("ConfigMap key %q holds a literal %s: %s", k, m.Kind, m.Hint)})
			continue
		}
		// A configuration file: look at its assignments.
		for i, rest := 1, v; ; i++ {
			line, after, more := strings.Cut(rest, "\n")
			if name, val, ok := parseAssignment(line); ok && namedCredential(name, val) {
				out = append(out, Issue{Rule: RuleConfigMapCredential, Path: path, Line: i,
					Message: fmt.Sprintf("ConfigMap key %q sets %s to a literal credential: %s (line %d of the value)", k, name, Hint(val), i)})
				break
			}
			if !more {
				break
			}
			rest = after
		}
	}
	return out
}

// lineOf returns the 1-based line of m in the multi-line value v.
func lineOf(v string, m Match) int { return strings.Count(v[:m.Start], "\n") + 1 }

// parseAssignment splits a configuration line into name and value, with
// quotes and trailing comments removed.
func parseAssignment(line string) (name, val string, ok bool) {
	t := strings.TrimSpace(line)
	if t == "" || t[0] == '#' || strings.HasPrefix(t, "//") || strings.HasPrefix(t, ";") {
		return "", "", false
	}
	name, val, ok = splitAssignment(line)
	if !ok {
		return "", "", false
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:] // spring.datasource.password
	}
	if len(val) > 0 && (val[0] == '"' || val[0] == '\'') {
		q := val[0]
		if j := strings.IndexByte(val[1:], q); j >= 0 {
			val = val[1 : j+1]
		}
	} else if i := strings.Index(val, " #"); i >= 0 {
		val = strings.TrimSpace(val[:i])
	}
	if val == "" || val == "|" || val == ">" || val == "{" || val == "[" {
		return "", "", false
	}
	return name, val, true
}

// splitAssignment matches one "name: value" or "name=value" line of a
// configuration file: leading blanks, then an optional list dash or
// "export ", a name (a letter or underscore, then letters, digits, _ . -)
// in optional quotes, blanks, ":" or "=", and the value without its
// surrounding blanks and one trailing comma. Blanks are ASCII space, tab,
// CR, LF and FF; line holds no newline. It is called for every line of every multi-line
// ConfigMap value, so it scans the line once instead of running a
// regular expression (TestSplitAssignmentMatchesRegexp keeps the two
// equal).
func splitAssignment(line string) (name, val string, ok bool) {
	i := skipBlanks(line, 0)
	switch {
	case i < len(line) && line[i] == '-':
		return assignmentAt(line, skipBlanks(line, i+1))
	case strings.HasPrefix(line[i:], "export") && i+6 < len(line) && isBlank(line[i+6]):
		if name, val, ok := assignmentAt(line, skipBlanks(line, i+6)); ok {
			return name, val, true
		}
	}
	return assignmentAt(line, i)
}

// assignmentAt matches the name and value of an assignment starting at i.
func assignmentAt(line string, i int) (name, val string, ok bool) {
	if i < len(line) && (line[i] == '"' || line[i] == '\'') {
		i++
	}
	start := i
	if i >= len(line) || !(isLetter(line[i]) || line[i] == '_') {
		return "", "", false
	}
	for i < len(line) && (isLetter(line[i]) || isDigit(line[i]) || line[i] == '_' || line[i] == '.' || line[i] == '-') {
		i++
	}
	name = line[start:i]
	if i < len(line) && (line[i] == '"' || line[i] == '\'') {
		i++
	}
	i = skipBlanks(line, i)
	if i >= len(line) || (line[i] != ':' && line[i] != '=') {
		return "", "", false
	}
	val = trimBlanksRight(line[skipBlanks(line, i+1):])
	if strings.HasSuffix(val, ",") {
		val = trimBlanksRight(val[:len(val)-1])
	}
	return name, val, true
}

func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func skipBlanks(s string, i int) int {
	for i < len(s) && isBlank(s[i]) {
		i++
	}
	return i
}

func trimBlanksRight(s string) string {
	for len(s) > 0 && isBlank(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// containerList is one of a pod spec's lists of containers.
type containerList struct {
	field string
	names []string
	env   [][]corev1.EnvVar
	from  [][]corev1.EnvFromSource
	cmd   [][]string
	args  [][]string
	mount [][]corev1.VolumeMount
}

func lists(spec *corev1.PodSpec) [3]containerList {
	var ls [3]containerList
	ls[0].field, ls[1].field, ls[2].field = "initContainers", "containers", "ephemeralContainers"
	for _, c := range spec.InitContainers {
		ls[0].add(c.Name, c.Env, c.EnvFrom, c.Command, c.Args, c.VolumeMounts)
	}
	for _, c := range spec.Containers {
		ls[1].add(c.Name, c.Env, c.EnvFrom, c.Command, c.Args, c.VolumeMounts)
	}
	for _, c := range spec.EphemeralContainers {
		ls[2].add(c.Name, c.Env, c.EnvFrom, c.Command, c.Args, c.VolumeMounts)
	}
	return ls
}

func (l *containerList) add(name string, env []corev1.EnvVar, from []corev1.EnvFromSource, cmd, args []string, mounts []corev1.VolumeMount) {
	l.names = append(l.names, name)
	l.env = append(l.env, env)
	l.from = append(l.from, from)
	l.cmd = append(l.cmd, cmd)
	l.args = append(l.args, args)
	l.mount = append(l.mount, mounts)
}

func checkPod(spec *corev1.PodSpec, prefix string, out []Issue) []Issue {
	ls := lists(spec)
	for _, l := range ls {
		for ci, name := range l.names {
			// Paths are made only for what is reported: most containers
			// and variables give none.
			cp := func() string { return prefix + "spec." + l.field + "[" + strconv.Itoa(ci) + "]" }
			for ei, e := range l.env[ci] {
				ep := func() string { return cp() + ".env[" + strconv.Itoa(ei) + "]" }
				if e.ValueFrom != nil {
					if r := e.ValueFrom.SecretKeyRef; r != nil {
						out = append(out, Issue{Rule: RuleSecretInEnv, Path: ep() + ".valueFrom.secretKeyRef", Container: name,
							Message: fmt.Sprintf("environment variable %s takes key %q of Secret %q", e.Name, r.Key, r.Name)})
					}
					continue
				}
				if m, ok := Credential(e.Name, e.Value); ok {
					out = append(out, Issue{Rule: RuleEnvCredential, Path: ep() + ".value", Container: name,
						Message: fmt.Sprintf("environment variable %s is set to a literal %s: %s", e.Name, m.Kind, m.Hint)})
				}
			}
			for fi, f := range l.from[ci] {
				if f.SecretRef != nil {
					out = append(out, Issue{Rule: RuleSecretInEnv, Path: fmt.Sprintf("%s.envFrom[%d].secretRef", cp(), fi), Container: name,
						Message: fmt.Sprintf("every key of Secret %q becomes an environment variable", f.SecretRef.Name)})
				}
			}
			for _, part := range []struct {
				field string
				words []string
			}{{"command", l.cmd[ci]}, {"args", l.args[ci]}} {
				if i, m, ok := commandCredential(part.words); ok {
					out = append(out, Issue{Rule: RuleCommandCredential, Path: fmt.Sprintf("%s.%s[%d]", cp(), part.field, i), Container: name,
						Message: fmt.Sprintf("%s[%d] carries a literal %s: %s", part.field, i, m.Kind, m.Hint)})
				}
			}
		}
	}
	return checkVolumes(spec, prefix, ls[1], out)
}

// commandCredential finds the first credential in a command line: a known
// format in any word, --name=value and NAME=value words, and "--name value"
// pairs where --name is a credential name.
func commandCredential(words []string) (int, Match, bool) {
	for i, w := range words {
		if m, ok := FindFormat(w); ok {
			return i, m, true
		}
		if strings.Contains(w, "=") {
			for _, word := range strings.Fields(w) {
				name, val, ok := strings.Cut(word, "=")
				if !ok {
					continue
				}
				name, val = strings.TrimLeft(name, "-"), strings.Trim(val, `"'`)
				if namedCredential(name, val) {
					return i, Match{Kind: "credential (" + name + ")", Hint: Hint(val)}, true
				}
			}
		}
		// "--password VALUE" inside a shell script word, then across words.
		if sub := strings.Fields(w); len(sub) > 1 {
			if _, m, ok := flagPair(sub); ok {
				return i, m, true
			}
		}
		if j, m, ok := flagPair(words[i:min(i+2, len(words))]); ok {
			return i + j, m, true
		}
	}
	return 0, Match{}, false
}

// flagPair finds "-name value" where name is a credential name, and
// returns the index of the value.
func flagPair(words []string) (int, Match, bool) {
	for i := 0; i+1 < len(words); i++ {
		w := words[i]
		if !strings.HasPrefix(w, "-") || strings.Contains(w, "=") {
			continue
		}
		name, val := strings.TrimLeft(w, "-"), strings.Trim(words[i+1], `"'`)
		if !strings.HasPrefix(val, "-") && namedCredential(name, val) {
			return i + 1, Match{Kind: "credential (" + name + ")", Hint: Hint(val)}, true
		}
	}
	return 0, Match{}, false
}

// checkVolumes reports Secret volumes that every container of a Pod with
// several containers mounts. Which container reads the files cannot be
// known; that all of them mount it is the sign that nobody chose.
func checkVolumes(spec *corev1.PodSpec, prefix string, containers containerList, out []Issue) []Issue {
	if len(containers.names) < 2 {
		return out
	}
	for vi, v := range spec.Volumes {
		if !secretVolume(&v) {
			continue
		}
		all := true
		for _, mounts := range containers.mount {
			found := false
			for _, m := range mounts {
				if m.Name == v.Name {
					found = true
					break
				}
			}
			if !found {
				all = false
				break
			}
		}
		if all {
			out = append(out, Issue{Rule: RuleVolumeAllContainers, Path: fmt.Sprintf("%sspec.volumes[%d]", prefix, vi),
				Message: fmt.Sprintf("Secret volume %q is mounted in all %d containers (%s)", v.Name, len(containers.names), strings.Join(containers.names, ", "))})
		}
	}
	return out
}

func secretVolume(v *corev1.Volume) bool {
	if v.Secret != nil {
		return true
	}
	if v.Projected != nil {
		for _, s := range v.Projected.Sources {
			if s.Secret != nil {
				return true
			}
		}
	}
	return false
}
