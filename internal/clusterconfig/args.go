package clusterconfig

import (
	"bytes"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"
)

// Component is a Kubernetes program whose configuration kubeward judges,
// named as its binary.
type Component string

// The components.
const (
	APIServer         Component = "kube-apiserver"
	ControllerManager Component = "kube-controller-manager"
	Scheduler         Component = "kube-scheduler"
	Etcd              Component = "etcd"
	Kubelet           Component = "kubelet"
)

// Components lists every component, in report order.
var Components = []Component{APIServer, ControllerManager, Scheduler, Etcd, Kubelet}

// ParseComponent returns the component named s ("kube-apiserver",
// "apiserver", ...).
func ParseComponent(s string) (Component, bool) {
	switch strings.TrimPrefix(strings.ToLower(s), "kube-") {
	case "apiserver":
		return APIServer, true
	case "controller-manager":
		return ControllerManager, true
	case "scheduler":
		return Scheduler, true
	case "etcd":
		return Etcd, true
	case "kubelet":
		return Kubelet, true
	}
	return "", false
}

// Token is one word of a command line and the line it is on.
type Token struct {
	Text string
	Line int
}

// Arg is one flag of a command line.
type Arg struct {
	// Name is the flag's name without dashes, with '_' written '-' as the
	// components normalise it.
	Name string
	// Value is the flag's value; a flag given alone ("--profiling") has
	// the value "true".
	Value string
	// Line is the 1-based line of the flag in File; Path its field path
	// when the command line is a pod's (spec.containers[0].command[3]).
	Line int
	Path string

	index int // of the word in the command line
}

// Tokenize splits the text of a command line into words with their lines:
// NUL-separated words (the content of /proc/PID/cmdline), or else words
// separated by blanks and newlines with shell quoting ('...', "...",
// backslash escapes, a backslash before a newline joining lines). Lines
// starting with '#' are comments. Text that is not UTF-8, or an unclosed
// quote, is an error naming the line.
func Tokenize(data []byte) ([]Token, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("not UTF-8 text")
	}
	if bytes.IndexByte(data, 0) >= 0 {
		var toks []Token
		for _, w := range bytes.Split(bytes.TrimRight(data, "\x00\n"), []byte{0}) {
			toks = append(toks, Token{Text: string(w), Line: 1})
		}
		return toks, nil
	}
	var (
		toks    []Token
		cur     strings.Builder
		inWord  bool
		start   int
		line    = 1
		quote   byte
		qline   int
		atStart = true // at the start of a line, before any word on it
	)
	flush := func() {
		if inWord {
			toks = append(toks, Token{Text: cur.String(), Line: start})
			cur.Reset()
			inWord = false
		}
	}
	begin := func() {
		if !inWord {
			inWord, start = true, line
		}
	}
	for i := 0; i < len(data); i++ {
		c := data[i]
		if quote != 0 {
			switch {
			case c == quote:
				quote = 0
			case c == '\\' && quote == '"' && i+1 < len(data) && strings.IndexByte("\"\\$`\n", data[i+1]) >= 0:
				i++
				if data[i] == '\n' {
					line++
				} else {
					cur.WriteByte(data[i])
				}
			default:
				if c == '\n' {
					line++
				}
				cur.WriteByte(c)
			}
			continue
		}
		switch c {
		case '\n':
			flush()
			line++
			atStart = true
			continue
		case ' ', '\t', '\r':
			flush()
			continue
		case '#':
			if atStart && !inWord {
				for i < len(data) && data[i] != '\n' {
					i++
				}
				i--
				continue
			}
		case '\'', '"':
			begin()
			quote, qline = c, line
			atStart = false
			continue
		case '\\':
			if i+1 < len(data) {
				i++
				if data[i] == '\n' {
					line++
					continue
				}
				begin()
				cur.WriteByte(data[i])
				atStart = false
				continue
			}
		}
		begin()
		atStart = false
		cur.WriteByte(c)
	}
	if quote != 0 {
		return nil, fmt.Errorf("line %d: unclosed %c quote", qline, quote)
	}
	flush()
	return toks, nil
}

// boolFlags are the boolean flags of the components that kubeward reads;
// "--flag value" takes the next word as the value of any other flag.
var boolFlags = map[string]bool{
	"anonymous-auth": true, "profiling": true, "service-account-lookup": true, "service-account-extend-token-expiration": true,
	"use-service-account-credentials": true, "client-cert-auth": true, "peer-client-cert-auth": true, "auto-tls": true,
	"peer-auto-tls": true, "make-iptables-util-chains": true, "rotate-certificates": true, "rotate-server-certificates": true,
	"protect-kernel-defaults": true, "seccomp-default": true, "authentication-token-webhook": true, "enable-debugging-handlers": true,
	"allow-privileged": true, "enable-bootstrap-token-auth": true, "enable-aggregator-routing": true, "v": false,
	"contention-profiling": true, "enable-garbage-collector": true, "leader-elect": true, "debug": true,
	"strict-reconfig-check": true, "enable-v2": true, "enable-pprof": true, "experimental-initial-corrupt-check": true,
}

// ParseArgs reads the flags of a component's command line (words after the
// program): "--name=value", "--name value", and "--name" alone for a
// boolean flag; single-dash flags too. Words that are not flags are
// returned as positional. A repeated flag keeps every occurrence (list
// flags append; for the others the last wins).
func ParseArgs(words []Token) (args []Arg, positional []Token) {
	for i := 0; i < len(words); i++ {
		w, line := words[i].Text, words[i].Line
		if !strings.HasPrefix(w, "-") || w == "-" || w == "--" {
			positional = append(positional, words[i])
			continue
		}
		i0 := i
		name := strings.TrimLeft(w, "-")
		value, hasValue := "", false
		if n, v, ok := strings.Cut(name, "="); ok {
			name, value, hasValue = n, v, true
		}
		name = strings.ReplaceAll(name, "_", "-")
		if !hasValue {
			if !boolFlags[name] && i+1 < len(words) && !strings.HasPrefix(words[i+1].Text, "-") {
				value = words[i+1].Text
				i++
			} else {
				value = "true"
			}
		}
		args = append(args, Arg{Name: name, Value: value, Line: line, index: i0})
	}
	return args, positional
}

// componentOf recognises the component a program path names
// ("/usr/local/bin/kube-apiserver", "kubelet"); hyperkube's
// "hyperkube kube-apiserver" is handled by the caller.
func componentOf(program string) (Component, bool) {
	base := path.Base(strings.ReplaceAll(program, "\\", "/"))
	base = strings.TrimSuffix(base, ".exe")
	for _, c := range Components {
		if base == string(c) {
			return c, true
		}
	}
	return "", false
}
