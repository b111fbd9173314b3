package report

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/kubeward/kubeward/internal/finding"
)

// Artifact URIs in SARIF.
//
//   - A file under the root (Options.SARIFRoot, else the working directory)
//     is a relative reference to it, slash-separated and percent-encoded
//     (RFC 3986), with uriBaseId %SRCROOT%: deploy/web.yaml. Code scanning
//     reads such URIs as paths from the repository root, so the root should
//     be the checkout.
//   - A file outside the root (an absolute path, or ../ climbing out of it)
//     is an absolute file URI: file:///etc/kubernetes/manifests/kube-apiserver.yaml.
//   - Standard input (File "STDIN", kubectl's name, or "-") is the relative
//     URI STDIN, with no uriBaseId: it names no file under the root.
//   - An object without a file (read from a cluster or an admission request)
//     is the relative URI kubernetes/KIND/NAMESPACE/NAME (namespace left out
//     for cluster-scoped objects), with no uriBaseId, so every result still
//     has the physical location code scanning requires and the alert names
//     the object.
//
// Paths are not resolved through symbolic links: the renderer does no I/O
// beyond asking for the working directory.
const (
	// stdinName is what File holds for standard input (kubectl's name);
	// "-" is accepted too.
	stdinName = "STDIN"
	// stdinURI is standard input's artifact URI.
	stdinURI = "STDIN"
	// objectURIPrefix starts the artifact URI of an object without a file.
	objectURIPrefix = "kubernetes"
	// srcRoot is the uriBaseId of URIs relative to the root.
	srcRoot = "%SRCROOT%"
)

// getwd is os.Getwd; tests replace it to pin the working directory.
var getwd = os.Getwd

func isStdin(file string) bool { return file == stdinName || file == "-" }

// uriResolver turns File fields into SARIF artifact locations.
type uriResolver struct {
	cwd  string // absolute; "" when unknown
	root string // absolute and clean; "" when unknown
}

// newURIResolver resolves against root, or the working directory when root
// is "". When the working directory cannot be read, relative paths are kept
// as given (they are relative to it) and absolute ones become file URIs.
func newURIResolver(root string) uriResolver {
	cwd, err := getwd()
	if err != nil {
		cwd = ""
	}
	return resolverFor(root, cwd)
}

func resolverFor(root, cwd string) uriResolver {
	u := uriResolver{cwd: cwd}
	switch {
	case root == "":
		u.root = cwd
	case filepath.IsAbs(root):
		u.root = filepath.Clean(root)
	case cwd != "":
		u.root = filepath.Join(cwd, root)
	}
	return u
}

// artifact is the artifact location of file (not "").
func (u uriResolver) artifact(file string) sarifArtifact {
	if isStdin(file) {
		return sarifArtifact{URI: stdinURI}
	}
	p := filepath.Clean(file)
	if !filepath.IsAbs(p) {
		if u.cwd == "" || u.root == "" {
			return sarifArtifact{URI: escapePath(filepath.ToSlash(p), true), URIBaseID: srcRoot}
		}
		p = filepath.Join(u.cwd, p)
	}
	if u.root != "" {
		rel, err := filepath.Rel(u.root, p)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return sarifArtifact{URI: escapePath(filepath.ToSlash(rel), true), URIBaseID: srcRoot}
		}
	}
	return sarifArtifact{URI: fileURI(p)}
}

// objectArtifact is the artifact location of an object without a file.
func objectArtifact(o finding.ObjectRef) sarifArtifact {
	var b strings.Builder
	b.WriteString(objectURIPrefix)
	for _, seg := range []string{o.Kind, o.Namespace, o.Name} {
		if seg != "" {
			b.WriteByte('/')
			b.WriteString(escapeSegment(seg, false))
		}
	}
	return sarifArtifact{URI: b.String()}
}

// fileURI is the file URI of the absolute path p.
func fileURI(p string) string {
	s := filepath.ToSlash(p)
	if strings.HasPrefix(s, "//") { // a UNC path: //host/share/...
		return "file:" + escapePath(s, false)
	}
	if !strings.HasPrefix(s, "/") { // a drive letter: C:/...
		s = "/" + s
	}
	return "file://" + escapePath(s, false)
}

// escapePath percent-encodes a slash-separated path for a URI (RFC 3986
// §3.3): each segment keeps unreserved characters, sub-delims, ':' and '@'
// and encodes every other byte. In a relative reference the first segment
// must not hold ':' (§4.2: it would read as a scheme), so there ':' is
// encoded too.
func escapePath(p string, relative bool) string {
	if !needsEscape(p) {
		if !relative {
			return p
		}
		first, _, _ := strings.Cut(p, "/")
		if !strings.Contains(first, ":") {
			return p
		}
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = escapeSegment(s, relative && i == 0)
	}
	return strings.Join(segs, "/")
}

// escapeSegment percent-encodes one path segment ('/' included).
func escapeSegment(s string, noColon bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if segmentChar(c) && !(noColon && c == ':') {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func needsEscape(p string) bool {
	for i := 0; i < len(p); i++ {
		if c := p[i]; c != '/' && !segmentChar(c) {
			return true
		}
	}
	return false
}

// segmentChar reports whether c may stand as is in a path segment (RFC 3986
// pchar without pct-encoded): unreserved, sub-delims, ':' or '@'.
func segmentChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0
}
