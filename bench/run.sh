#!/usr/bin/env bash
# The one command of raycl's benchmarks: sets up (scripts/setup-bench.sh: wrk, nginx, valgrind,
# the Ray venv with the pinned peers), builds the bench targets (Release with debug info, in
# build-bench/), then runs bench/harness.py: every scenario, raycl and peers interleaved.
# Usage: bench/run.sh [--quick] [--no-cluster] [--no-callgrind] [--only get_job,decode,...,package_submit]
# Full run: ~25-35 min on 2 cores (plus the build); --quick: ~8-11 min (results in bench/results/quick/).
# The real-cluster scenarios (cluster, package_submit) bring up a cluster named $RAYCL_BENCH_CLUSTER_NAME
# (default bench) on dashboard port $RAYCL_BENCH_DASHBOARD_PORT (default 8430).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${RAYCL_BENCH_BUILD_DIR:-$root/build-bench}"
venv=$("$root/scripts/setup-bench.sh" | tail -n1)
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
fi
targets=(raycl_bench raycl_bench_server raycl_cli)
# raycl_soak (scenario 5) when this tree has it.
if ninja -C "$build" -t targets all 2>/dev/null | grep -q '^raycl_soak:'; then targets+=(raycl_soak); fi
ninja -C "$build" -j "${RAYCL_JOBS:-2}" "${targets[@]}" >&2
soak=$(find "$build" -name raycl_soak -type f -perm -u+x 2>/dev/null | head -n1)
exec "$venv/bin/python" "$root/bench/harness.py" --build "$build" ${soak:+--soak "$soak"} "$@"
