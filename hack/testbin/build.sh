#!/usr/bin/env bash
# build.sh builds the control-plane binaries the end-to-end tests run (etcd,
# kube-apiserver, kube-controller-manager) into a cache directory outside the
# repository and prints that directory. Binaries already present are reused, so
# only the first run on a machine pays the cold build (12-36 minutes on 2 cores).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=v1.37.2
out=${KUBEWARD_E2E_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/kubeward-e2e/$version}
mkdir -p "$out"
cd "$here"
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37"
build() { # build NAME PACKAGE
  if [ -x "$out/$1" ]; then return; fi
  echo "building $1 into $out (cached afterwards)" >&2
  go build -trimpath -ldflags "$ldflags" -o "$out/$1.tmp" "$2"
  mv "$out/$1.tmp" "$out/$1"
}
build etcd go.etcd.io/etcd/server/v3
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
build kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager
echo "$out"
