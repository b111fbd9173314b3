#!/usr/bin/env bash
# Whole-process scan throughput, side by side in one run: kubeward,
# hack/refscan (the straightforward scanner on Kubernetes' own libraries:
# sigs.k8s.io/yaml, client-go's typed decoding, k8s.io/pod-security-admission)
# and kube-score, on the hack/gencorpus corpus (5,000 objects in 500 files,
# about 10 MB, by default):
#
#   hack/throughput.sh [-n RUNS] [-objects N] [-per-file N]
#
# Each round runs every tool once, in turn (alternated, so that a change of
# machine load hits all alike; the order changes from round to round),
# all-core and then single-core (GOMAXPROCS=1 and, where taskset exists,
# pinned to CPU 0); the table gives medians of
# wall time, CPU-seconds (user+sys, measured by hack/runstat to the
# millisecond), objects/s (corpus objects / wall) and CPU-seconds per MB of
# YAML, and the ratios issue 9 sets targets for. kubeward also runs with
# every rule family (`all rules`) beside --rules pod-security.
#
# kube-score (KUBE_SCORE_VERSION, default v1.20.0) is built from the Go module
# proxy into $KUBEWARD_BENCH_CACHE (default ~/.cache/kubeward-bench), never
# into the repository; the reference scanner and kubeward into a temp dir.
# On a shared machine prefer the CPU-seconds: load inflates wall time more.
set -euo pipefail
runs=8 objects=5000 perfile=10
while (( $# )); do
  case $1 in
    -n) runs=$2; shift 2 ;;
    -objects) objects=$2; shift 2 ;;
    -per-file) perfile=$2; shift 2 ;;
    *) echo "usage: $0 [-n RUNS] [-objects N] [-per-file N]" >&2; exit 2 ;;
  esac
done
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${KUBEWARD_BENCH_CACHE:-$HOME/.cache/kubeward-bench}
ksv=${KUBE_SCORE_VERSION:-v1.20.0}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cd "$repo"
echo "building kubeward, refscan and kube-score $ksv (one at a time)..." >&2
go build -tags kustomize_disable_go_plugin_support -o "$tmp/kubeward" ./cmd/kubeward
(cd hack/refscan && go build -o "$tmp/refscan" .)
go build -o "$tmp/runstat" ./hack/runstat
ks=$cache/kube-score-$ksv
if [[ ! -x $ks ]]; then
  mkdir -p "$cache"
  (cd "$tmp" && GOBIN=$tmp/ksbin GOFLAGS=-mod=mod go install "github.com/zegl/kube-score/cmd/kube-score@$ksv")
  mv "$tmp/ksbin/kube-score" "$ks"
fi
go run ./hack/gencorpus -objects "$objects" -per-file "$perfile" "$tmp/corpus" >&2
mb=$(du -sb "$tmp/corpus" | awk '{printf "%.3f", $1/1e6}')
files=("$tmp"/corpus/*.yaml)

one=()
if command -v taskset >/dev/null; then one=(taskset -c 0); fi
# measure NAME CORES CMD...: one run, appending "wall cpu" to NAME.CORES.
measure() {
  local name=$1 cores=$2; shift 2
  local pre=()
  if [[ $cores == 1 ]]; then pre=(env GOMAXPROCS=1 "${one[@]}"); fi
  "$tmp/runstat" -o "$tmp/t" "${pre[@]}" "$@" >/dev/null 2>"$tmp/err" || {
    rc=$?; (( rc == 1 )) || { echo "$name failed ($rc):" >&2; cat "$tmp/err" >&2; exit 1; }
  }
  cat "$tmp/t" >>"$tmp/$name.$cores"
}
tools=(kubeward refscan kube-score "kubeward all rules")
run_tool() {
  local cores=$1 tool=$2
  case $tool in
    kubeward) measure kubeward "$cores" "$tmp/kubeward" scan --no-config-file --rules pod-security --format json "$tmp/corpus" ;;
    "kubeward all rules") measure kubeward-all "$cores" "$tmp/kubeward" scan --no-config-file --format json "$tmp/corpus" ;;
    refscan) measure refscan "$cores" "$tmp/refscan" "$tmp/corpus" ;;
    kube-score) measure kube-score "$cores" "$ks" score --output-format json "${files[@]}" ;;
  esac
}
echo "load before: $(uptime | sed 's/.*load average/load average/')" >&2
# The order changes from round to round as rows of a Williams design: over
# every 4 rounds each tool runs right after each other tool once (within a
# round). A fixed order, or a rotation of one, is not fair on a virtual
# machine that hands memory freed by one process back to its host: the
# process after kube-score (the largest, 125 MB resident) pays for taking it
# back, page by page (see docs/performance.md, "Order of the runs").
n=${#tools[@]} lo=1 hi=$(( ${#tools[@]} - 1 ))
williams=(0)
for ((k = 1; k < n; k++)); do
  if (( k % 2 )); then williams+=("$lo"); lo=$((lo + 1)); else williams+=("$hi"); hi=$((hi - 1)); fi
done
for cores in all 1; do
  for ((i = 0; i < runs; i++)); do
    for w in "${williams[@]}"; do
      run_tool "$cores" "${tools[(w + i) % n]}"
    done
  done
done
load=$(uptime | sed 's/.*load average/load average/')

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
echo "corpus: $objects objects, ${#files[@]} files, $mb MB; $runs runs each, alternated; $(nproc) CPUs; $load (after)"
printf '%-20s %-5s %8s %8s %10s %9s\n' tool cores wall_s cpu_s objects/s cpu_s/MB
for cores in all 1; do
  for t in "${tools[@]}"; do
    f=$tmp/$t.$cores
    [[ $t == "kubeward all rules" ]] && f=$tmp/kubeward-all.$cores
    w=$(cut -d' ' -f1 "$f" | median) c=$(cut -d' ' -f2 "$f" | median)
    printf '%-20s %-5s %8.3f %8.3f %10.0f %9.3f\n' "$t" "$cores" "$w" "$c" "$(echo "$objects / $w" | bc -l)" "$(echo "$c / $mb" | bc -l)"
    v=${t//[ -]/_}; eval "wall_${v}_$cores=$w cpu_${v}_$cores=$c"
  done
done
# The ratios of issue 9's targets, all-core: objects/s against refscan
# (>= 3) and kube-score (>= 5), and every family's wall time against
# --rules pod-security (<= 1.25).
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }
echo "all-core: kubeward vs refscan $(ratio "$wall_refscan_all" "$wall_kubeward_all")x objects/s ($(ratio "$cpu_refscan_all" "$cpu_kubeward_all")x less CPU) [target >= 3];" \
  "vs kube-score $(ratio "$wall_kube_score_all" "$wall_kubeward_all")x [target >= 5];" \
  "all rules / pod-security wall $(ratio "$wall_kubeward_all_rules_all" "$wall_kubeward_all")x, CPU $(ratio "$cpu_kubeward_all_rules_all" "$cpu_kubeward_all")x [target <= 1.25]"
