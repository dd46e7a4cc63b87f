#!/usr/bin/env bash
# libFuzzer targets of raycl's parsers and decoders (test/fuzz), built with clang in build-fuzz.
#   scripts/fuzz.sh build                    configure + build the fuzz targets only
#   scripts/fuzz.sh regress                  build, then run every target once over its corpus
#                                            (test/fuzz/corpus/<target>); non-zero on any crash
#   scripts/fuzz.sh run <target|all> [secs]  campaign to the budget: each target runs until it
#                                            made 10 million executions or got secs (600) of
#                                            CPU time, whichever comes first (on a shared
#                                            machine wall time is not CPU time: the campaign goes
#                                            on in further sessions until the budget is met);
#                                            non-zero on a crash; new units go to
#                                            build-fuzz/corpus/<target> (not the repo), crashes to
#                                            build-fuzz/crashes/, logs to build-fuzz/logs/
#   scripts/fuzz.sh merge <target|all>       merges build-fuzz/corpus/<target> into the repo's
#                                            corpus (-merge=1: only units that add coverage)
# Env: RAYCL_FUZZ_BUILD_DIR (default <repo>/build-fuzz), RAYCL_JOBS (2), CC/CXX (clang-14).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${RAYCL_FUZZ_BUILD_DIR:-$root/build-fuzz}"
targets=(line_assembler http_stream json_models validation sanitize ignore_rules runtime_env)
# shellcheck source=ccache-env.sh
source "$root/scripts/ccache-env.sh"

build() {
  bash "$root/scripts/setup-deps.sh"
  CC="${CC:-clang-14}" CXX="${CXX:-clang++-14}" cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAYCL_FUZZ=ON -DRAYCL_BUILD_TESTS=OFF \
    -DRAYCL_BUILD_EXAMPLES=OFF -DRAYCL_BUILD_BENCHMARKS=OFF -DRAYCL_BUILD_CLI=OFF >/dev/null
  ninja -C "$build" -j "${RAYCL_JOBS:-2}" raycl_fuzz_targets
}

# Flags every run of a target shares: its dictionary when it has one.
dict_flag() {
  local dict="$root/test/fuzz/$1.dict"
  [ -f "$dict" ] && echo "-dict=$dict"
  return 0
}

# "<runs> runs in <s> s, cov <c>, ft <f>, corpus <n>" from a libFuzzer log.
summary() {
  local log=$1 done_line stats
  done_line=$(grep -E '^Done [0-9]+ runs in' "$log" | tail -1 || true)
  stats=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
  echo "${done_line:-no Done line} | $(sed -E 's/.*(cov: [0-9]+ ft: [0-9]+ corp: [0-9]+\/[0-9]+[a-zA-Z]*).*/\1/' <<<"$stats")"
}

regress() {
  build
  mkdir -p "$build/logs"
  local failed=0 start
  start=$(date +%s)
  for t in "${targets[@]}"; do
    local log="$build/logs/regress-$t.log"
    # -runs=0: every corpus file once (plus an empty input); any crash or invariant abort fails.
    if "$build/test/fuzz/fuzz_$t" $(dict_flag "$t") -runs=0 -rss_limit_mb=2048 \
         -artifact_prefix="$build/logs/regress-$t-" "$root/test/fuzz/corpus/$t" >"$log" 2>&1; then
      echo "fuzz regress $t: ok ($(summary "$log"))"
    else
      echo "fuzz regress $t: FAILED (log: $log)" >&2
      tail -40 "$log" >&2
      failed=1
    fi
  done
  echo "fuzz regress: $(( $(date +%s) - start )) s"
  return $failed
}

# The budget of a campaign, per target: this many executions or `seconds` of CPU time.
budget_runs=10000000

run() {
  local which=${1:-all} seconds=${2:-600} list=()
  if [ "$which" = all ]; then list=("${targets[@]}"); else list=("$which"); fi
  [ -x "$build/test/fuzz/fuzz_${list[0]}" ] || build
  mkdir -p "$build/logs" "$build/crashes"
  local failed=0
  for t in "${list[@]}"; do
    [ -x "$build/test/fuzz/fuzz_$t" ] || { echo "unknown target $t" >&2; return 2; }
    mkdir -p "$build/corpus/$t"
    local runs=0 cpu=0 session=0 log n wall
    while [ "$runs" -lt "$budget_runs" ] && [ "$cpu" -lt "$seconds" ]; do
      session=$((session + 1))
      log="$build/logs/run-$t-$session.log"
      # New units go to the first directory (scratch); the repo corpus is only read. Each
      # session gets the CPU time still missing as wall time (at least a minute): at most what
      # the budget needs.
      wall=$((seconds - cpu)); [ "$wall" -ge 60 ] || wall=60
      if ! /usr/bin/time -o "$log.time" -f "%U %S" \
           "$build/test/fuzz/fuzz_$t" $(dict_flag "$t") -max_total_time=$wall \
           -runs=$((budget_runs - runs)) -rss_limit_mb=2048 -print_final_stats=1 \
           -artifact_prefix="$build/crashes/$t-" "$build/corpus/$t" "$root/test/fuzz/corpus/$t" >"$log" 2>&1; then
        echo "fuzz run $t: CRASH (log: $log; artifacts: $build/crashes/$t-*)" >&2
        grep -E 'ERROR|invariant|SUMMARY' "$log" | head -5 >&2
        failed=1
        continue 2
      fi
      n=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)
      if [ "${n:-0}" -eq 0 ]; then
        echo "fuzz run $t: no executions in session $session (log: $log)" >&2; failed=1; continue 2
      fi
      runs=$((runs + n))
      cpu=$((cpu + $(awk '{printf "%d", $1 + $2}' "$log.time")))
    done
    echo "fuzz run $t: ok, $runs executions, $cpu s CPU in $session session(s) ($(summary "$log")), scratch corpus units: $(ls "$build/corpus/$t" | wc -l)"
  done
  return $failed
}

merge() {
  local which=${1:-all} list=()
  if [ "$which" = all ]; then list=("${targets[@]}"); else list=("$which"); fi
  [ -x "$build/test/fuzz/fuzz_${list[0]}" ] || build
  for t in "${list[@]}"; do
    local before after
    before=$(ls "$root/test/fuzz/corpus/$t" | wc -l)
    "$build/test/fuzz/fuzz_$t" $(dict_flag "$t") -merge=1 -rss_limit_mb=2048 \
      "$root/test/fuzz/corpus/$t" "$build/corpus/$t" >"$build/logs/merge-$t.log" 2>&1
    after=$(ls "$root/test/fuzz/corpus/$t" | wc -l)
    echo "fuzz merge $t: corpus $before -> $after units"
  done
}

case "${1:-}" in
  build) build ;;
  regress) regress ;;
  run) shift; run "$@" ;;
  merge) shift; mkdir -p "$build/logs"; merge "$@" ;;
  *) echo "usage: $0 build | regress | run <target|all> [seconds] | merge <target|all>" >&2; exit 2 ;;
esac
