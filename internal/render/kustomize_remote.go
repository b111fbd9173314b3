package render

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"
)

// checkLocal refuses a kustomization tree that refers to anything remote:
// kustomize would clone a git repository or download a file, and kubeward
// renders offline. It reads the kustomization file kfile and, recursively,
// the kustomizations of the local directories it names. A file that cannot
// be read or parsed is left to kustomize to report. seen holds the absolute
// paths of the kustomization files already checked.
func checkLocal(kfile string, seen map[string]bool) error {
	abs, err := filepath.Abs(kfile)
	if err != nil || seen[abs] {
		return nil
	}
	seen[abs] = true
	data, err := os.ReadFile(kfile)
	if err != nil {
		return nil
	}
	var k types.Kustomization
	if err := yaml.Unmarshal(data, &k); err != nil {
		return nil
	}
	dir := filepath.Dir(kfile)

	// Entries that may name a directory holding another kustomization.
	bases := map[string][]string{
		"resources":    k.Resources,
		"bases":        k.Bases,
		"components":   k.Components,
		"generators":   k.Generators,
		"transformers": k.Transformers,
		"validators":   k.Validators,
	}
	// Entries that name files only.
	files := map[string][]string{
		"crds":           k.Crds,
		"configurations": k.Configurations,
	}
	for _, p := range k.PatchesStrategicMerge {
		files["patchesStrategicMerge"] = append(files["patchesStrategicMerge"], string(p))
	}
	for field, ps := range map[string][]types.Patch{"patches": k.Patches, "patchesJson6902": k.PatchesJson6902} {
		for _, p := range ps {
			files[field] = append(files[field], p.Path)
		}
	}
	for _, r := range k.Replacements {
		files["replacements"] = append(files["replacements"], r.Path)
	}
	files["openapi"] = append(files["openapi"], k.OpenAPI["path"])
	for _, g := range k.ConfigMapGenerator {
		files["configMapGenerator"] = append(files["configMapGenerator"], kvFiles(g.KvPairSources)...)
	}
	for _, g := range k.SecretGenerator {
		files["secretGenerator"] = append(files["secretGenerator"], kvFiles(g.KvPairSources)...)
	}

	for _, field := range sortedKeys(files) {
		for _, e := range files[field] {
			if isRemote(e) {
				return remoteError(kfile, field, e)
			}
		}
	}
	for _, field := range sortedKeys(bases) {
		for _, e := range bases[field] {
			if isRemote(e) {
				return remoteError(kfile, field, e)
			}
			if filepath.IsAbs(e) || strings.Contains(e, "\n") {
				continue // kustomize refuses absolute roots; inline configs hold no paths
			}
			if sub := kustomizationFile(filepath.Join(dir, e)); sub != "" {
				if err := checkLocal(sub, seen); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func remoteError(kfile, field, entry string) error {
	return &OfflineError{Err: fmt.Errorf("kustomization %s: %s entry %q is remote: remote bases and files are not fetched (kubeward renders offline); vendor them into the repository",
		displayPath(kfile), field, entry)}
}

// kvFiles returns the file paths of a generator's sources: files entries are
// "[key=]path", envs entries are paths.
func kvFiles(s types.KvPairSources) []string {
	var out []string
	for _, f := range s.FileSources {
		out = append(out, f)
		if _, p, ok := strings.Cut(f, "="); ok {
			out = append(out, p)
		}
	}
	out = append(out, s.EnvSources...)
	if s.EnvSource != "" {
		out = append(out, s.EnvSource)
	}
	return out
}

// scpUser matches the "user@" that starts an scp-style git address
// (git@host:org/repo), as kustomize accepts it.
var scpUser = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*@`)

// isRemote reports whether a kustomization entry is one that kustomize would
// fetch: an http(s), ssh or file URL (a git clone or a download), a
// "git::"-prefixed address, an scp-style git address, or a github.com
// repository path.
func isRemote(entry string) bool {
	s := strings.ToLower(strings.TrimSpace(entry))
	s = strings.TrimPrefix(s, "git::")
	for _, scheme := range []string{"https://", "http://", "ssh://", "file://"} {
		if strings.HasPrefix(s, scheme) {
			return true
		}
	}
	if strings.HasPrefix(s, "github.com/") || strings.HasPrefix(s, "github.com:") {
		return true
	}
	if m := scpUser.FindString(s); m != "" {
		rest := s[len(m):]
		colon, slash := strings.Index(rest, ":"), strings.Index(rest, "/")
		return colon > 0 && (slash < 0 || colon < slash)
	}
	return false
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
