#!/usr/bin/env bash
# Builds Kubernetes' Pod Security webhook v0.37.2 into
# $HOME/.cache/kubeward-e2e/ (never into the repository) and prints the
# binary's path. Skips the build when the binary is present.
set -euo pipefail
cd "$(dirname "$0")"
out=${KUBEWARD_CACHE:-$HOME/.cache/kubeward-e2e}/podsecurity-webhook-v0.37.2
if [[ -x "$out" ]]; then echo "$out"; exit 0; fi
mkdir -p "$(dirname "$out")"
echo "building k8s.io/pod-security-admission/cmd/webhook v0.37.2 into $out" >&2
go build -trimpath -o "$out.tmp" \
  -ldflags "-X k8s.io/component-base/version.gitVersion=v1.37.2 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37" \
  k8s.io/pod-security-admission/cmd/webhook
mv "$out.tmp" "$out"
echo "$out"
