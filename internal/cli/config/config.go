// Package config reads kubeward's own configuration file, .kubeward.yaml,
// which holds default values for command-line flags so that a repository can
// keep its CI settings (level, excluded paths, disabled rules, failure
// threshold) next to its manifests:
//
//	apiVersion: kubeward.io/v1alpha1
//	kind: Config
//	scan:
//	  pod-security: baseline:v1.30
//	  exclude: ["charts/*/ci/**", "**/testdata/**"]
//	  disable: [rbac/sa-token-automount]
//	  fail-on: high
//	rbac:
//	  risks:
//	    severity: medium
//
// Keys under a command are its long flag names, exactly as --help lists
// them; a command's subcommands nest (rbac: risks: ...). A value is a
// scalar, or a list for repeatable flags. Flags given on the command line
// win over the file. The file is found in the working directory or the
// nearest parent that has one, or named with --config-file; every problem in
// it is reported at once with its line.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// FileName is the name searched for from the working directory upward.
const FileName = ".kubeward.yaml"

// APIVersion and Kind identify a configuration file.
const (
	APIVersion = "kubeward.io/v1alpha1"
	Kind       = "Config"
)

// File is a parsed configuration file.
type File struct {
	Path string
	root *yaml.Node // the mapping holding apiVersion, kind and commands
}

// Find returns the path of the configuration file for dir: dir/.kubeward.yaml
// or the nearest parent's, or "" when there is none.
func Find(dir string) string {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, FileName)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Load reads and checks the file at path: apiVersion and kind.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading configuration file: %w", err)
	}
	return Parse(path, data)
}

// Parse parses configuration data read from path.
func Parse(path string, data []byte) (*File, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f := &File{Path: path}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: empty file (want apiVersion: %s, kind: %s)", path, APIVersion, Kind)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: expected a mapping with apiVersion and kind", path, root.Line)
	}
	var errs []error
	var apiVersion, kind string
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "apiVersion":
			apiVersion = v.Value
			if v.Value != APIVersion {
				errs = append(errs, fmt.Errorf("%s:%d: apiVersion %q is not supported (want %s)", path, v.Line, v.Value, APIVersion))
			}
		case "kind":
			kind = v.Value
			if v.Value != Kind {
				errs = append(errs, fmt.Errorf("%s:%d: kind %q is not supported (want %s)", path, v.Line, v.Value, Kind))
			}
		}
	}
	if apiVersion == "" {
		errs = append(errs, fmt.Errorf("%s:%d: missing apiVersion (want %s)", path, root.Line, APIVersion))
	}
	if kind == "" {
		errs = append(errs, fmt.Errorf("%s:%d: missing kind (want %s)", path, root.Line, Kind))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	f.root = root
	return f, nil
}

// Check reports every key of the file that names no command or flag of the
// command tree under root, and every value of the wrong shape, at its line.
func (f *File) Check(root *cobra.Command) error {
	var errs []error
	f.walk(f.root, root, []string{}, func(cmd *cobra.Command, key, val *yaml.Node) {
		errs = append(errs, f.apply(cmd, key, val, true)...)
	}, &errs)
	return errors.Join(errs...)
}

// Apply sets, on cmd's flags that were not given on the command line, the
// values the file holds for cmd (found under cmd's path below the root
// command). Errors name the file and line.
func (f *File) Apply(cmd *cobra.Command) error {
	path := commandPath(cmd)
	node := f.root
	for _, name := range path {
		node = lookup(node, name)
		if node == nil {
			return nil
		}
	}
	if node.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: %s: expected a mapping of flag names to values", f.Path, node.Line, strings.Join(path, " "))
	}
	var errs []error
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		if sub := subcommand(cmd, k.Value); sub != nil {
			continue
		}
		errs = append(errs, f.apply(cmd, k, v, false)...)
	}
	return errors.Join(errs...)
}

// walk visits every flag entry of the file under cmd, reporting keys that
// name neither a subcommand nor a flag.
func (f *File) walk(node *yaml.Node, cmd *cobra.Command, path []string, visit func(*cobra.Command, *yaml.Node, *yaml.Node), errs *[]error) {
	if node.Kind != yaml.MappingNode {
		*errs = append(*errs, fmt.Errorf("%s:%d: %s: expected a mapping", f.Path, node.Line, strings.Join(path, " ")))
		return
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		if len(path) == 0 && (k.Value == "apiVersion" || k.Value == "kind") {
			continue
		}
		if sub := subcommand(cmd, k.Value); sub != nil {
			f.walk(v, sub, append(path, k.Value), visit, errs)
			continue
		}
		if len(path) == 0 {
			*errs = append(*errs, fmt.Errorf("%s:%d: unknown command %q", f.Path, k.Line, k.Value))
			continue
		}
		visit(cmd, k, v)
	}
}

// apply sets one flag from the file unless the command line set it; with
// dryRun it only checks.
func (f *File) apply(cmd *cobra.Command, key, val *yaml.Node, dryRun bool) []error {
	name := key.Value
	fl := cmd.Flags().Lookup(name)
	if fl == nil {
		fl = cmd.InheritedFlags().Lookup(name)
	}
	if fl == nil || name == "help" {
		return []error{fmt.Errorf("%s:%d: %s has no flag --%s", f.Path, key.Line, cmd.CommandPath(), name)}
	}
	var values []*yaml.Node
	switch val.Kind {
	case yaml.ScalarNode:
		values = []*yaml.Node{val}
	case yaml.SequenceNode:
		if !isList(fl) {
			return []error{fmt.Errorf("%s:%d: --%s takes one value, not a list", f.Path, val.Line, name)}
		}
		values = val.Content
	default:
		return []error{fmt.Errorf("%s:%d: --%s: expected a value or a list of values", f.Path, val.Line, name)}
	}
	if fl.Changed && !dryRun {
		return nil // the command line wins
	}
	var errs []error
	for _, v := range values {
		if v.Kind != yaml.ScalarNode {
			errs = append(errs, fmt.Errorf("%s:%d: --%s: expected a value", f.Path, v.Line, name))
			continue
		}
		if dryRun {
			continue
		}
		if err := fl.Value.Set(v.Value); err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: --%s: %w", f.Path, v.Line, name, err))
		}
	}
	return errs
}

func isList(fl *pflag.Flag) bool {
	t := fl.Value.Type()
	return strings.HasSuffix(t, "Slice") || strings.HasSuffix(t, "Array")
}

func subcommand(cmd *cobra.Command, name string) *cobra.Command {
	for _, c := range cmd.Commands() {
		if c.Name() == name {
			return c
		}
	}
	return nil
}

func lookup(node *yaml.Node, key string) *yaml.Node {
	if node == nil || node.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		if node.Content[i].Value == key {
			return node.Content[i+1]
		}
	}
	return nil
}

// commandPath returns cmd's names below the root, e.g. [rbac risks].
func commandPath(cmd *cobra.Command) []string {
	var names []string
	for c := cmd; c.HasParent(); c = c.Parent() {
		names = append([]string{c.Name()}, names...)
	}
	return names
}
