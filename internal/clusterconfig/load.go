// Package clusterconfig judges the configuration of a cluster's control
// plane and nodes (kube-apiserver, kube-controller-manager, kube-scheduler,
// etcd, kubelet) from what they really run on: static pod manifests or
// mirror pods, command lines, and the configuration files their flags
// name. Every rule models the component's defaults for the Kubernetes
// version judged: an unset flag is judged by its default value, and
// structured configuration files override flags as they do in Kubernetes.
package clusterconfig

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/manifest"
)

// Command is the command line of one running component.
type Command struct {
	Component Component
	// Object is the pod the command line is from, or a CommandLine
	// pseudo-object named after the component for an args file.
	Object finding.ObjectRef
	File   string
	Line   int
	Args   []Arg
}

// Last returns the last occurrence of flag name (the one that wins).
func (c *Command) Last(name string) (Arg, bool) {
	for i := len(c.Args) - 1; i >= 0; i-- {
		if c.Args[i].Name == name {
			return c.Args[i], true
		}
	}
	return Arg{}, false
}

// List returns the values of a list flag: every occurrence's
// comma-separated items, in order, and the last occurrence.
func (c *Command) List(name string) ([]string, Arg, bool) {
	var out []string
	var last Arg
	found := false
	for _, a := range c.Args {
		if a.Name != name {
			continue
		}
		found, last = true, a
		for _, v := range strings.Split(a.Value, ",") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
	}
	return out, last, found
}

// Doc is one configuration document among the inputs.
type Doc struct {
	Obj *manifest.Object
	// Content is the document's content (for unstructured kinds).
	Content map[string]any
}

// Set is everything read from the inputs.
type Set struct {
	Commands []*Command
	Docs     []*Doc
	// Objects counts the objects and command lines read.
	Objects int
	// Errors are input problems; Warnings problems Kubernetes tolerates
	// or references that could not be followed; Skipped objects that
	// are not configuration.
	Errors, Warnings []*manifest.Error
	Skipped          []manifest.Skip
	// Root is the copy of a node's filesystem referenced files are read
	// from ("" for none).
	Root string
	// read caches documents read from Root, by path.
	read map[string][]*Doc
}

// configKinds are the configuration kinds read, by apiVersion/kind.
func configKind(apiVersion, kind string) bool {
	group, _, _ := strings.Cut(apiVersion, "/")
	switch kind {
	case "KubeletConfiguration":
		return group == "kubelet.config.k8s.io"
	case "EncryptionConfiguration", "AuthenticationConfiguration", "AuthorizationConfiguration", "AdmissionConfiguration":
		return group == "apiserver.config.k8s.io"
	case "EncryptionConfig":
		return apiVersion == "v1"
	case "Policy":
		return group == "audit.k8s.io"
	case "PodSecurityConfiguration":
		return group == "pod-security.admission.config.k8s.io"
	}
	return false
}

// Load reads paths (files, directories, "-" for stdin) with their
// provenance, recognising by content static or mirror pods of the
// components and configuration documents; directories are also searched
// for kubelet drop-in files (*.conf). argsFiles are command lines, each
// "PATH" (the first word names the program) or "COMPONENT=PATH". root,
// when not "", is a copy of a node's filesystem that paths named by flags
// are read from. Problems with the input are collected in the Set; the
// error is only for an unusable argument.
func Load(paths, argsFiles []string, root string, stdin io.Reader) (*Set, error) {
	s := &Set{Root: root, read: map[string][]*Doc{}}
	var confs []string
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			_ = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && filepath.Ext(path) == ".conf" {
					confs = append(confs, path)
				}
				return nil
			})
		}
	}
	r := &manifest.Reader{Stdin: stdin, OnSkip: func(sk manifest.Skip) { s.Skipped = append(s.Skipped, sk) }}
	onErr := func(e *manifest.Error) {
		if e.Warning {
			s.Warnings = append(s.Warnings, e)
		} else {
			s.Errors = append(s.Errors, e)
		}
	}
	if err := r.Read(append(paths, confs...), func(o *manifest.Object) error { s.add(o); return nil }, onErr); err != nil {
		return nil, err
	}
	for _, a := range argsFiles {
		if err := s.addArgsFile(a); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Set) add(o *manifest.Object) {
	s.Objects++
	switch obj := o.Object.(type) {
	case *corev1.Pod:
		if cmds := podCommands(o, obj); len(cmds) > 0 {
			s.Commands = append(s.Commands, cmds...)
			return
		}
	case *unstructured.Unstructured:
		if configKind(o.APIVersion, o.Kind) {
			s.Docs = append(s.Docs, &Doc{Obj: o, Content: obj.Object})
			return
		}
	}
	s.Skipped = append(s.Skipped, manifest.Skip{File: o.File, Reason: fmt.Sprintf("line %d: %s %q is not control-plane or node configuration", o.Line, o.Kind, o.Name)})
}

// podCommands returns the command lines of the component containers of a
// pod: a container whose command's program (or, without a command, whose
// name) is a component.
func podCommands(o *manifest.Object, pod *corev1.Pod) []*Command {
	var out []*Command
	for i, c := range pod.Spec.Containers {
		words := append(append([]string{}, c.Command...), c.Args...)
		var comp Component
		var ok bool
		skip := 0
		if len(c.Command) > 0 {
			comp, ok = componentOf(c.Command[0])
			skip = 1
		}
		if !ok {
			comp, ok = componentOf(c.Name)
			skip = 0
			if len(c.Command) > 0 && !strings.HasPrefix(c.Command[0], "-") {
				skip = 1
			}
		}
		if !ok {
			continue
		}
		toks := make([]Token, len(words))
		paths := make([]string, len(words))
		for j := range words {
			if j < len(c.Command) {
				paths[j] = fmt.Sprintf("spec.containers[%d].command[%d]", i, j)
			} else {
				paths[j] = fmt.Sprintf("spec.containers[%d].args[%d]", i, j-len(c.Command))
			}
			toks[j] = Token{Text: words[j], Line: o.FieldLine(paths[j])}
		}
		args, _ := ParseArgs(toks[skip:])
		for k := range args {
			args[k].Path = paths[skip+args[k].index]
		}
		out = append(out, &Command{Component: comp, File: o.File, Line: o.FieldLine(fmt.Sprintf("spec.containers[%d]", i)),
			Object: finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: o.Namespace, Name: o.Name}, Args: args})
	}
	return out
}

func (s *Set) addArgsFile(spec string) error {
	var comp Component
	file := spec
	if name, p, ok := strings.Cut(spec, "="); ok {
		c, known := ParseComponent(name)
		if !known {
			return fmt.Errorf("--args-file %q: unknown component %q (want kube-apiserver, kube-controller-manager, kube-scheduler, etcd or kubelet)", spec, name)
		}
		comp, file = c, p
	}
	data, err := os.ReadFile(file)
	if err != nil {
		s.Errors = append(s.Errors, &manifest.Error{File: file, Err: errors.Unwrap(err)})
		return nil
	}
	s.Objects++
	toks, err := Tokenize(data)
	if err != nil {
		s.Errors = append(s.Errors, &manifest.Error{File: file, Err: err})
		return nil
	}
	// The program, when given: "kube-apiserver ...", "hyperkube kube-apiserver ...".
	for n := 0; n < 2 && len(toks) > 0 && !strings.HasPrefix(toks[0].Text, "-"); n++ {
		c, ok := componentOf(toks[0].Text)
		toks = toks[1:]
		if ok {
			if comp != "" && comp != c {
				s.Errors = append(s.Errors, &manifest.Error{File: file, Line: 1, Err: fmt.Errorf("the command line runs %s, not %s", c, comp)})
				return nil
			}
			comp = c
			break
		}
	}
	if comp == "" {
		s.Errors = append(s.Errors, &manifest.Error{File: file, Err: fmt.Errorf("cannot tell which component the command line runs: give it as --args-file COMPONENT=%s", file)})
		return nil
	}
	args, _ := ParseArgs(toks)
	s.Commands = append(s.Commands, &Command{Component: comp, File: file, Line: 1, Args: args,
		Object: finding.ObjectRef{Kind: "CommandLine", Name: string(comp)}})
	return nil
}

// Resolve returns the configuration documents of the file a flag names:
// read from Root when set, else the inputs whose path is ref, or whose base
// name is ref's (when only one input file has it). found is false when the
// file is in neither place.
func (s *Set) Resolve(ref string) (docs []*Doc, file string, found bool) {
	if s.Root != "" {
		p := filepath.Join(s.Root, filepath.FromSlash(ref))
		if d, ok := s.read[p]; ok {
			return d, p, true
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			var out []*Doc
			err := manifest.Decode(p, mustRead(p), func(o *manifest.Object) error {
				if u, ok := o.Object.(*unstructured.Unstructured); ok && configKind(o.APIVersion, o.Kind) {
					out = append(out, &Doc{Obj: o, Content: u.Object})
				}
				return nil
			}, func(e *manifest.Error) {
				if !e.Warning {
					s.Errors = append(s.Errors, e)
				}
			})
			if err == nil {
				s.read[p] = out
				return out, p, true
			}
		}
	}
	clean := filepath.Clean(ref)
	byBase := map[string][]*Doc{}
	for _, d := range s.Docs {
		if filepath.Clean(d.Obj.File) == clean {
			docs = append(docs, d)
		}
		if filepath.Base(d.Obj.File) == filepath.Base(clean) {
			byBase[d.Obj.File] = append(byBase[d.Obj.File], d)
		}
	}
	if len(docs) > 0 {
		return docs, docs[0].Obj.File, true
	}
	if len(byBase) == 1 {
		for f, d := range byBase {
			return d, f, true
		}
	}
	return nil, "", false
}

// DropIns returns the kubelet drop-in documents of the directory dir
// names, in the order the kubelet applies them: read from Root when set,
// else the inputs' *.conf KubeletConfiguration documents whose directory is
// dir (or has its base name).
func (s *Set) DropIns(dir string) []*Doc {
	var out []*Doc
	if s.Root != "" {
		base := filepath.Join(s.Root, filepath.FromSlash(dir))
		_ = filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(p) != ".conf" {
				return nil
			}
			docs, _, _ := s.Resolve(filepath.ToSlash(strings.TrimPrefix(p, s.Root)))
			out = append(out, docs...)
			return nil
		})
		if len(out) > 0 {
			return out
		}
	}
	for _, d := range s.Docs {
		if d.Obj.Kind != "KubeletConfiguration" || filepath.Ext(d.Obj.File) != ".conf" {
			continue
		}
		if dir == "" || filepath.Clean(filepath.Dir(d.Obj.File)) == filepath.Clean(dir) || filepath.Base(filepath.Dir(d.Obj.File)) == filepath.Base(dir) {
			out = append(out, d)
		}
	}
	sortDropIns(out)
	return out
}

// sortDropIns sorts drop-ins as the kubelet's directory walk visits them:
// by path, compared element by element.
func sortDropIns(ds []*Doc) {
	sort.SliceStable(ds, func(i, j int) bool {
		a := strings.Split(filepath.ToSlash(ds[i].Obj.File), "/")
		b := strings.Split(filepath.ToSlash(ds[j].Obj.File), "/")
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return len(a) < len(b)
	})
}

func mustRead(p string) []byte {
	data, _ := os.ReadFile(p)
	return data
}

// Relevant reports whether o is an input kubeward config judges: a Pod
// whose container runs a component, or a configuration document. Pods
// outside kube-system are not control-plane pods unless inKubeSystemOnly
// is false.
func Relevant(o *manifest.Object, inKubeSystemOnly bool) bool {
	switch obj := o.Object.(type) {
	case *corev1.Pod:
		if inKubeSystemOnly && o.Namespace != "kube-system" {
			return false
		}
		return len(podCommands(o, obj)) > 0
	case *unstructured.Unstructured:
		return configKind(o.APIVersion, o.Kind)
	}
	return false
}

// NewSet returns the set of the relevant objects among objs (see
// Relevant; others are ignored), with no root: referenced files are
// looked up among objs.
func NewSet(objs []*manifest.Object) *Set {
	s := &Set{read: map[string][]*Doc{}}
	for _, o := range objs {
		if Relevant(o, false) {
			s.add(o)
		}
	}
	return s
}
