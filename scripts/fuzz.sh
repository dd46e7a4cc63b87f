#!/usr/bin/env bash
# libFuzzer targets of raycl's parsers and decoders (test/fuzz), built with clang in build-fuzz.
#   scripts/fuzz.sh build                    configure + build the fuzz targets only
#   scripts/fuzz.sh regress                  build, then run every target once over its corpus
#                                            (test/fuzz/corpus/<target>); non-zero on any crash
#   scripts/fuzz.sh run <target|all> [secs]  campaign: -max_total_time=secs (600) and at most
#                                            10 million runs per target; new units go to
#                                            build-fuzz/corpus/<target> (not the repo), crashes to
#                                            build-fuzz/crashes/, logs to build-fuzz/logs/
# Env: RAYCL_FUZZ_BUILD_DIR (default <repo>/build-fuzz), RAYCL_JOBS (2), CC/CXX (clang-14).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${RAYCL_FUZZ_BUILD_DIR:-$root/build-fuzz}"
targets=(line_assembler http_stream json_models validation sanitize ignore_rules runtime_env)

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

run() {
  local which=${1:-all} seconds=${2:-600} list=()
  if [ "$which" = all ]; then list=("${targets[@]}"); else list=("$which"); fi
  [ -x "$build/test/fuzz/fuzz_${list[0]}" ] || build
  mkdir -p "$build/logs" "$build/crashes"
  local failed=0
  for t in "${list[@]}"; do
    [ -x "$build/test/fuzz/fuzz_$t" ] || { echo "unknown target $t" >&2; return 2; }
    mkdir -p "$build/corpus/$t"
    local log="$build/logs/run-$t.log"
    # New units go to the first directory (scratch); the repo corpus is only read.
    # The machine may be shared: the CPU time the campaign got is recorded next to its log.
    if /usr/bin/time -o "$build/logs/run-$t.time" -f "%e s wall, %U s user CPU" \
         "$build/test/fuzz/fuzz_$t" $(dict_flag "$t") -max_total_time="$seconds" -runs=10000000 \
         -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/crashes/$t-" \
         "$build/corpus/$t" "$root/test/fuzz/corpus/$t" >"$log" 2>&1; then
      echo "fuzz run $t: ok ($(summary "$log")), new corpus units: $(ls "$build/corpus/$t" | wc -l), $(cat "$build/logs/run-$t.time")"
    else
      echo "fuzz run $t: CRASH (log: $log; artifacts: $build/crashes/$t-*)" >&2
      grep -E 'ERROR|invariant|SUMMARY' "$log" | head -5 >&2
      failed=1
    fi
  done
  return $failed
}

case "${1:-}" in
  build) build ;;
  regress) regress ;;
  run) shift; run "$@" ;;
  *) echo "usage: $0 build | regress | run <target|all> [seconds]" >&2; exit 2 ;;
esac
