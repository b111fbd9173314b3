// Package render turns directories that are not plain manifests, Helm charts
// and kustomizations, into a YAML stream that the manifest reader decodes like
// any file.
//
// Each renderer implements the method set of manifest.Renderer (Name, Detect,
// Render) without importing internal/manifest. Rendering is offline: no
// cluster is contacted and nothing is fetched from the network. Every document
// of a rendered stream is preceded by a "# Source: PATH" comment naming the
// file it came from, relative to the current working directory where that
// path does not climb out of it, else absolute.
package render

import (
	"os"
	"path/filepath"
	"strings"
)

// sourceComment is the prefix of the comment naming a document's source file.
const sourceComment = "# Source: "

// displayPath returns p relative to the working directory when p lies below
// it, else p made absolute. It never fails: a path it cannot resolve is
// returned cleaned, as given.
func displayPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	wd, err := os.Getwd()
	if err != nil {
		return abs
	}
	rel, err := filepath.Rel(wd, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return abs
	}
	return rel
}

// isFile reports whether p names an existing regular file (or a link to one).
func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// renderer repeats the method set of manifest.Renderer so that the compiler
// checks that Kustomize and *Helm satisfy it, without this package importing
// internal/manifest.
type renderer interface {
	Name() string
	Detect(dir string) bool
	Render(dir string) ([]byte, error)
}

// Compile-time checks: both renderers satisfy manifest.Renderer.
var (
	_ renderer = Kustomize{}
	_ renderer = (*Helm)(nil)
)

// OfflineError says a directory cannot be rendered without fetching
// something kubeward does not fetch: a Helm chart's dependencies missing
// from charts/, a kustomization's remote base. The input is not wrong, only
// incomplete here; callers walking a repository report it as a warning
// (manifest.Reader does, through Offline).
type OfflineError struct{ Err error }

func (e *OfflineError) Error() string { return e.Err.Error() }

func (e *OfflineError) Unwrap() error { return e.Err }

// Offline reports true: the rendering needs what is not on disk.
func (e *OfflineError) Offline() bool { return true }
