#!/usr/bin/env bash
# Loopback load test of kubeward's webhook and Kubernetes' own
# (k8s.io/pod-security-admission/cmd/webhook v0.37.2), in the same run, with
# the same requests, certificates kind and namespace source:
#
#   hack/loadtest/run.sh [-c 1,16,64] [-duration 5s] [-max 100000]
#   CPUS=shared hack/loadtest/run.sh ...
#
# Both webhooks get a self-signed certificate (made here, in a temp dir) and
# a kubeconfig to the same fake API server (loadtest fakeapi: namespaces
# "shop" at restricted for enforce/audit/warn, "default" unlabelled; pods
# list empty), through which each fills its namespace informer cache before
# it reports ready. Requests cycle through a compliant pod, a violating pod
# and a violating Deployment in "shop" and a pod in "default", each with a
# fresh uid; responses carrying another request's uid are counted. Each level is
# bounded by -duration and -max. Extra arguments go to `loadtest run`.
#
# CPU placement (CPUS): "split" (the default on a machine with 2 or more CPUs
# and taskset) pins the webhook under test to the first half of the CPUs and
# the load generator (and the idle fake API server) to the other half, so
# that the generator never takes CPU time from the webhook it measures, as
# when kube-apiserver calls a webhook running on its own node or cores. Both
# webhooks get the same CPUs (one at a time; the other idles). "shared" lets
# the generator and the webhook share every CPU: the generator's own cost
# (about 40 µs of CPU per request over HTTP/2) then lands on the webhook's
# CPUs, which slows a fast webhook proportionally more than a slow one.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

cd "$repo"
n=$(nproc)
cpus=${CPUS:-split}
if [[ $cpus == split ]] && { (( n < 2 )) || ! command -v taskset >/dev/null; }; then
  echo "CPUS=split needs 2 or more CPUs and taskset; using CPUS=shared" >&2
  cpus=shared
fi
case $cpus in
  split)
    half=$(( n / 2 ))
    span() { if (( $1 == $2 )); then echo "$1"; else echo "$1-$2"; fi; }
    webhook_cpus=$(span 0 $(( half - 1 ))) generator_cpus=$(span "$half" $(( n - 1 )))
    on_webhook_cpus=(taskset -c "$webhook_cpus")
    on_generator_cpus=(taskset -c "$generator_cpus")
    placement="webhook on CPU $webhook_cpus, load generator on CPU $generator_cpus" ;;
  shared)
    on_webhook_cpus=()
    on_generator_cpus=()
    placement="webhook and load generator share all $n CPUs" ;;
  *) echo "CPUS=$cpus: want split or shared" >&2; exit 2 ;;
esac
echo "building kubeward and the load generator..." >&2
go build -o "$tmp/kubeward" ./cmd/kubeward
go build -o "$tmp/loadtest" ./hack/loadtest
upstream=$(hack/upstreamwebhook/build.sh)

hack/webhook-certs.sh "$tmp/certs" 127.0.0.1 localhost >/dev/null

"${on_generator_cpus[@]}" "$tmp/loadtest" fakeapi -addr 127.0.0.1:0 -kubeconfig "$tmp/kubeconfig" >"$tmp/fakeapi.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [[ -s "$tmp/kubeconfig" ]] && break; sleep 0.1; done

ours_port=18443 theirs_port=18444
"${on_webhook_cpus[@]}" "$tmp/kubeward" webhook --listen "127.0.0.1:$ours_port" \
  --tls-cert-file "$tmp/certs/tls.crt" --tls-private-key-file "$tmp/certs/tls.key" \
  --kubeconfig "$tmp/kubeconfig" --shutdown-delay 0s >"$tmp/kubeward.log" 2>&1 &
pids+=($!)
"${on_webhook_cpus[@]}" "$upstream" --bind-address 127.0.0.1 --secure-port "$theirs_port" \
  --tls-cert-file "$tmp/certs/tls.crt" --tls-private-key-file "$tmp/certs/tls.key" \
  --kubeconfig "$tmp/kubeconfig" >"$tmp/upstream.log" 2>&1 &
pids+=($!)

ready() { curl -fsS --cacert "$tmp/certs/ca.crt" "https://127.0.0.1:$1/readyz" >/dev/null 2>&1; }
for port in $ours_port $theirs_port; do
  for i in $(seq 100); do ready "$port" && break; sleep 0.2; done
  ready "$port" || { echo "webhook on port $port not ready; logs:" >&2; tail -20 "$tmp"/*.log >&2; exit 1; }
done

echo "# $(date -u +%FT%TZ) $n CPUs ($placement); $(go version | cut -d' ' -f3)"
for c in ${LEVELS:-1 16 64}; do
  "${on_generator_cpus[@]}" "$tmp/loadtest" run -url "https://127.0.0.1:$ours_port/" -name kubeward -cacert "$tmp/certs/ca.crt" -c "$c" "$@"
  "${on_generator_cpus[@]}" "$tmp/loadtest" run -url "https://127.0.0.1:$theirs_port/" -name upstream -cacert "$tmp/certs/ca.crt" -c "$c" "$@"
done
