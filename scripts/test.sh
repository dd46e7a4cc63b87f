#!/usr/bin/env bash
# The whole test suite from a fresh machine: Debian packages, the Ray venv, build, the API
# docs check, then every ctest suite of the main tree (unit, component, CLI, soak.short, the
# exactly-once submit scenario, packaging, the differential test, integration against a real
# two-node Ray cluster in both auth modes and the real-Ray faults; ctest starts and stops the
# clusters), the instruction-count guard over the main tree's benchmark binaries
# (scripts/perf-guard.sh: fails when a hot path's callgrind count grew over 10%), the same
# real-Ray suites against Ray 2.9.3 (scripts/ray-compat.sh), the fuzz
# regression (scripts/fuzz.sh regress), and the two sanitizer stages (scripts/sanitize.sh):
# ASan+UBSan and TSan, each over the suites that run without a cluster (the real-Ray suite
# runs once, here in the main tree). Each stage's wall and CPU time is
# printed at the end (docs/hardening.md has the last measured ones and the budget).
# Set RAYCL_SKIP_INTEGRATION=1 to leave out the real-Ray suite locally, RAYCL_SANITIZERS="" (or
# "asan", "tsan") to run fewer sanitizer stages locally (neither is allowed in CI).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${RAYCL_BUILD_DIR:-$root/build}"
# shellcheck source=ccache-env.sh
source "$root/scripts/ccache-env.sh"
start=$(date +%s)
sanitizers="${RAYCL_SANITIZERS-asan tsan}"
if [ "${CI:-}" = true ] && [ "$sanitizers" != "asan tsan" ]; then
  echo "raycl: CI runs both sanitizer stages (RAYCL_SANITIZERS='$sanitizers' refused)" >&2; exit 1
fi

# stage NAME COMMAND...: runs the command, records its wall and CPU time (children's user+sys).
stages=()
stage() {
  local name=$1 t0 c0 c1; shift
  t0=$(date +%s)
  c0=$(awk '{print $14+$15+$16+$17}' /proc/$$/stat)
  local status=0
  "$@" || status=$?
  c1=$(awk '{print $14+$15+$16+$17}' /proc/$$/stat)
  stages+=("$(printf '%-22s %6d s wall %7d s CPU  (load %s)' "$name" $(( $(date +%s) - t0 )) \
              $(( (c1 - c0) / $(getconf CLK_TCK) )) "$(cut -d' ' -f1-3 /proc/loadavg)")")
  echo "raycl: stage $name finished after $(( $(date +%s) - start )) s (exit $status)"
  return $status
}
report() {
  echo "raycl: stage times (after $(( $(date +%s) - start )) s in all):"
  printf '  %s\n' "${stages[@]}"
  command -v ccache >/dev/null && ccache -s | grep -E 'Hits|Misses|Cache size' | sed 's/^/  ccache: /'
  return 0
}
prebuild_pid=""
# The background build's processes (below), when the run ends before it did.
stop_tree() { local child; for child in $(pgrep -P "$1" || true); do stop_tree "$child"; done; kill "$1" 2>/dev/null || true; }
finish() { [ -n "$prebuild_pid" ] && stop_tree "$prebuild_pid"; report; }
trap finish EXIT

stage deps bash "$root/scripts/setup-deps.sh"
integration=OFF
integration_mode() { integration=$(bash "$root/scripts/integration-mode.sh"); }
stage ray-venv integration_mode
configure_and_build() {
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAYCL_WERROR=ON \
        -DRAYCL_INTEGRATION="$integration" >/dev/null &&
    ninja -C "$build" -j "${RAYCL_JOBS:-2}"
}
stage build configure_and_build

# The fuzz and sanitizer trees are built ahead, in the background at the lowest CPU priority,
# while the main tree's docs check and ctest run: the real-Ray suite mostly waits on Ray, so the
# two cores idle through much of it, and niceness 19 leaves the tests and Ray first claim on
# them. The stages below wait for it, then find their trees built.
prebuild_log="$build/prebuild.log"
prebuild() {
  renice -n 19 -p "$BASHPID" >/dev/null
  bash "$root/scripts/fuzz.sh" build
  local sanitizer
  for sanitizer in $sanitizers; do bash "$root/scripts/sanitize.sh" "$sanitizer" --build-only; done
}
prebuild >"$prebuild_log" 2>&1 &
prebuild_pid=$!
prebuild_wait() {
  local status=0
  wait "$prebuild_pid" || status=$?
  prebuild_pid=""
  if [ "$status" != 0 ]; then
    echo "raycl: building the fuzz and sanitizer trees failed:" >&2; tail -60 "$prebuild_log" >&2
  fi
  return $status
}

stage docs bash "$root/scripts/docs.sh"
stage ctest ctest --test-dir "$build" --output-on-failure --timeout 900 "$@"
# Instruction counts do not depend on the machine's load: the guard is as stable here as alone.
stage perf-guard env RAYCL_PERF_BUILD_DIR="$build" bash "$root/scripts/perf-guard.sh" check
# The old-release stage: the real-Ray suites against Ray 2.9.3, auth off (scripts/ray-compat.sh).
if [ "$integration" = ON ]; then stage ray-compat bash "$root/scripts/ray-compat.sh" "$build"; fi
stage prebuild-wait prebuild_wait
# Fuzz regression: every libFuzzer target once over its corpus (clang build in build-fuzz).
stage fuzz-regress bash "$root/scripts/fuzz.sh" regress
for sanitizer in $sanitizers; do
  stage "$sanitizer" bash "$root/scripts/sanitize.sh" "$sanitizer"
done
echo "raycl: test suite finished after $(( $(date +%s) - start )) s"
