package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"

	yaml "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"
)

// kustomizationFileNames are the names kustomize recognizes for a
// kustomization file, in the order it tries them.
var kustomizationFileNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// originAnnotation is the annotation in which kustomize records the file a
// resource came from when a kustomization's buildMetadata asks for it.
const originAnnotation = "config.kubernetes.io/origin"

// Kustomize renders kustomization directories as `kubectl kustomize` does by
// default: no plugins, no Helm inflation, files loaded only from below each
// kustomization's root, the legacy resource order unless the kustomization
// sets sortOptions. Remote bases and files are refused, never fetched.
//
// Kustomize satisfies manifest.Renderer. The zero value is ready to use and is
// safe for concurrent use.
type Kustomize struct{}

// Name returns "kustomize".
func (Kustomize) Name() string { return "kustomize" }

// Detect reports whether dir holds a kustomization file (kustomization.yaml,
// kustomization.yml or Kustomization).
func (Kustomize) Detect(dir string) bool {
	return kustomizationFile(dir) != ""
}

// kustomizationFile returns the path of dir's kustomization file, or "" if it
// has none. Where several exist kustomize itself reports the ambiguity.
func kustomizationFile(dir string) string {
	for _, n := range kustomizationFileNames {
		if p := filepath.Join(dir, n); isFile(p) {
			return p
		}
	}
	return ""
}

// Render builds the kustomization in dir and returns its resources as a YAML
// stream, each document preceded by a "# Source: PATH" comment naming the
// file the resource came from (for generated resources, the kustomization
// file that configured them). Errors name the kustomization file.
func (k Kustomize) Render(dir string) ([]byte, error) {
	data, _, err := k.RenderRead(dir)
	return data, err
}

// RenderRead is Render that also returns the absolute paths of every file
// the build read (the kustomization files, resources, bases, patches and
// generator inputs), so that a caller can read the directory's other files
// as plain manifests (manifest.PartialRenderer).
//
// A kustomize Component (kind: Component) is only meaningful inside the
// kustomizations that include it, where it is rendered: on its own it
// renders nothing, and every file under it counts as read.
func (Kustomize) RenderRead(dir string) ([]byte, []string, error) {
	if kfile := kustomizationFile(dir); kfile != "" && isComponent(kfile) {
		var read []string
		err := filepath.WalkDir(dir, func(path string, d iofs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if abs, aerr := filepath.Abs(path); aerr == nil {
					read = append(read, abs)
				}
			}
			return nil
		})
		return nil, read, err
	}
	data, fs, err := build(dir)
	if fs == nil {
		return data, nil, err
	}
	read := make([]string, 0, len(fs.read))
	for f := range fs.read {
		read = append(read, f)
	}
	slices.Sort(read)
	return data, read, err
}

func build(dir string) ([]byte, *originFS, error) {
	kfile := kustomizationFile(dir)
	if kfile == "" {
		return nil, nil, fmt.Errorf("%s: no kustomization file (want one of %v)", displayPath(dir), kustomizationFileNames)
	}
	name := displayPath(kfile)
	if err := checkLocal(kfile, map[string]bool{}); err != nil {
		return nil, nil, err // names the kustomization file holding the entry
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("kustomization %s: %w", name, err)
	}
	disk := filesys.MakeFsOnDisk()
	root, err := filesys.ConfirmDir(disk, abs)
	if err != nil {
		return nil, nil, fmt.Errorf("kustomization %s: %w", name, err)
	}
	fs := &originFS{FileSystem: disk, root: root.String(), read: map[string]bool{}}

	opts := krusty.MakeDefaultOptions()
	// As kubectl kustomize without --reorder: the kustomization's sortOptions
	// if any, else the legacy order.
	opts.Reorder = krusty.ReorderOptionUnspecified
	m, err := krusty.MakeKustomizer(opts).Run(fs, root.String())
	if err != nil {
		return nil, fs, fmt.Errorf("kustomization %s: %w", name, err)
	}

	var out bytes.Buffer
	for _, res := range m.Resources() {
		src, err := resourceSource(res, dir, kfile)
		if err != nil {
			return nil, fs, fmt.Errorf("kustomization %s: %s: %w", name, res.CurId(), err)
		}
		if !fs.userOrigin {
			if err := res.SetOrigin(nil); err != nil {
				return nil, fs, fmt.Errorf("kustomization %s: %s: removing origin annotation: %w", name, res.CurId(), err)
			}
		}
		y, err := res.AsYAML()
		if err != nil {
			return nil, fs, fmt.Errorf("kustomization %s: %s: %w", name, res.CurId(), err)
		}
		out.WriteString("---\n" + sourceComment + src + "\n")
		out.Write(y)
	}
	return out.Bytes(), fs, nil
}

// resourceSource names the file res came from, from its origin annotation.
// A resource whose origin was lost (a patch may replace all annotations) is
// attributed to the root kustomization file kfile.
func resourceSource(res *resource.Resource, dir, kfile string) (string, error) {
	o, err := res.GetOrigin()
	if err != nil {
		return "", fmt.Errorf("reading origin annotation: %w", err)
	}
	if o == nil {
		return displayPath(kfile), nil
	}
	p := o.Path
	if p == "" {
		p = o.ConfiguredIn
	}
	if p == "" {
		return displayPath(kfile), nil
	}
	if o.Repo != "" { // not reached: remote bases are refused before the build
		return o.Repo + "//" + p, nil
	}
	return displayPath(filepath.Join(dir, p)), nil
}

// originFS is the on-disk file system except that reading the root
// kustomization file adds "originAnnotations" to its buildMetadata, so that
// kustomize annotates every resource with the file it came from. The
// annotation is removed again after the build unless the kustomization asked
// for it itself (userOrigin).
type originFS struct {
	filesys.FileSystem
	root       string // cleaned absolute root directory, as kustomize sees it
	userOrigin bool   // the kustomization itself lists originAnnotations
	read       map[string]bool
}

// ReadFile implements filesys.FileSystem.
func (f *originFS) ReadFile(path string) ([]byte, error) {
	data, err := f.FileSystem.ReadFile(path)
	if err == nil && f.read != nil {
		if abs, aerr := filepath.Abs(path); aerr == nil {
			f.read[abs] = true
		}
	}
	if err != nil || filepath.Dir(path) != f.root || !slices.Contains(kustomizationFileNames, filepath.Base(path)) {
		return data, err
	}
	out, user := withOriginAnnotations(data)
	f.userOrigin = f.userOrigin || user
	return out, nil
}

// withOriginAnnotations returns the kustomization data with
// "originAnnotations" added to its buildMetadata, and whether it was there
// already. It appends a line where it can (keeping the lines of kustomize's
// messages), else re-encodes the YAML, and keeps a rewrite only if it reads,
// as kustomize reads it, exactly as the input plus originAnnotations. Data it
// cannot rewrite so is returned unchanged: kustomize then reports its
// problems in its own words, and Sources fall back to the kustomization file.
func withOriginAnnotations(data []byte) ([]byte, bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc, next yaml.Node
	if err := dec.Decode(&doc); err != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return data, false
	}
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		return data, false // several documents: kustomize reports it
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return data, false
	}
	var candidates [][]byte
	item := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: types.OriginAnnotations}
	found := false
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value != "buildMetadata" {
			continue
		}
		found = true
		seq := top.Content[i+1]
		if seq.Kind != yaml.SequenceNode {
			return data, false
		}
		for _, e := range seq.Content {
			if e.Value == types.OriginAnnotations {
				return data, true
			}
		}
		seq.Content = append(seq.Content, item)
	}
	if !found {
		appended := bytes.Clone(data)
		if len(appended) > 0 && appended[len(appended)-1] != '\n' {
			appended = append(appended, '\n')
		}
		candidates = append(candidates, append(appended, "buildMetadata: ["+types.OriginAnnotations+"]\n"...))
		top.Content = append(top.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "buildMetadata"},
			&yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{item}})
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if enc.Encode(&doc) == nil && enc.Close() == nil {
		candidates = append(candidates, b.Bytes())
	}
	for _, c := range candidates {
		if addsOnlyOriginAnnotations(data, c) {
			return c, false
		}
	}
	return data, false
}

// addsOnlyOriginAnnotations reports whether after reads, as kustomize reads a
// kustomization (sigs.k8s.io/yaml), as before with originAnnotations
// appended to buildMetadata.
func addsOnlyOriginAnnotations(before, after []byte) bool {
	var b, a map[string]any
	if sigsyaml.Unmarshal(before, &b) != nil || sigsyaml.Unmarshal(after, &a) != nil {
		return false
	}
	bm, _ := b["buildMetadata"].([]any)
	am, _ := a["buildMetadata"].([]any)
	if !reflect.DeepEqual(append(slices.Clone(bm), types.OriginAnnotations), am) {
		return false
	}
	delete(a, "buildMetadata")
	delete(b, "buildMetadata")
	return reflect.DeepEqual(a, b)
}

// isComponent reports whether the kustomization file declares a kustomize
// Component.
func isComponent(kfile string) bool {
	data, err := os.ReadFile(kfile)
	if err != nil {
		return false
	}
	var head struct {
		Kind string `json:"kind"`
	}
	return sigsyaml.Unmarshal(data, &head) == nil && head.Kind == "Component"
}
