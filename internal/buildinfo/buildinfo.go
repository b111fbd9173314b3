// Package buildinfo says which kubeward this is.
package buildinfo

import "runtime/debug"

// Set at release time:
//
//	-ldflags "-X github.com/kubeward/kubeward/internal/buildinfo.version=v0.1.0 -X github.com/kubeward/kubeward/internal/buildinfo.commit=$(git rev-parse HEAD)"
var (
	version = "dev"
	commit  = ""
)

// Version returns the release version, "dev" for a development build.
func Version() string { return version }

// Commit returns the source commit, from the linker flag or the VCS stamp Go
// embeds, else "unknown".
func Commit() string {
	if commit != "" {
		return commit
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, kv := range info.Settings {
			if kv.Key == "vcs.revision" {
				return kv.Value
			}
		}
	}
	return "unknown"
}
