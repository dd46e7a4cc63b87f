#!/usr/bin/env bash
# The deterministic performance guard: callgrind instruction counts of one get_job, 1,000
# WebSocket lines, 1,000 HTTP-stream lines and decoding 1,000 jobs, checked against the
# committed bench/instruction-baseline.json; fails when any count grew more than 10%.
# Instruction counts do not depend on the machine's load, so this is stable on shared CI.
# Builds only raycl_bench and raycl_bench_server, in ./build-perf (or $RAYCL_PERF_BUILD_DIR;
# RelWithDebInfo, like the baseline). Needs valgrind (scripts/setup-bench.sh installs it).
# Usage: scripts/perf-guard.sh            check against the baseline (exit 1 when a count grew)
#        scripts/perf-guard.sh update     rewrite the baseline after an intended change
#        scripts/perf-guard.sh measure    print the counts only
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${RAYCL_PERF_BUILD_DIR:-$root/build-perf}"
command="${1:-check}"
command -v valgrind >/dev/null || { echo "perf-guard: valgrind is missing (scripts/setup-bench.sh)" >&2; exit 2; }
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAYCL_INTEGRATION=OFF >&2
fi
ninja -C "$build" -j "${RAYCL_JOBS:-2}" raycl_bench raycl_bench_server >&2
exec python3 "$root/bench/instruction_counts.py" "$command" --build "$build"
