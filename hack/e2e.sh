#!/usr/bin/env bash
# e2e.sh runs kubeward's end-to-end tests against a real kube-apiserver, etcd
# and kube-controller-manager. It builds those binaries first when they are
# missing (hack/testbin/build.sh; a cold build takes 12-36 minutes on 2 cores,
# later runs reuse ~/.cache/kubeward-e2e) and sets KUBEWARD_E2E=1 so that a
# missing binary fails the tests instead of skipping them.
#
# Extra arguments go to `go test`, e.g.:
#   hack/e2e.sh -run TestWebhook -v
#   hack/e2e.sh -run TestPodSecurityDifferential -args -psa.seed=7
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$("$root/hack/testbin/build.sh" | tail -n 1)
export KUBEBUILDER_ASSETS="$bin"
export KUBEWARD_E2E=1
cd "$root"
start=$(date +%s)
status=0
# Test binary flags after -args (e.g. -psa.seed) are defined by ./test/e2e
# only, so they go to that package alone.
pkgs=(./test/e2e/...)
for a in "$@"; do [[ $a == -args ]] && pkgs=(./test/e2e); done
go test -tags e2e -count=1 -timeout 10m "${pkgs[@]}" "$@" || status=$?
echo "e2e: $(( $(date +%s) - start ))s wall time (binaries from $bin)" >&2
exit "$status"
