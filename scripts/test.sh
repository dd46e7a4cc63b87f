#!/usr/bin/env bash
# The whole test suite from a fresh machine: Debian packages, the Ray venv, build, the API
# docs check, then every ctest suite (unit, component, integration against a real two-node
# Ray cluster in both auth modes; ctest starts and stops the clusters).
# Set RAYCL_SKIP_INTEGRATION=1 to leave out the real-Ray suite locally (never in CI).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${RAYCL_BUILD_DIR:-$root/build}"
start=$(date +%s)
bash "$root/scripts/setup-deps.sh"
if [ "${RAYCL_SKIP_INTEGRATION:-0}" = 1 ]; then
  if [ "${CI:-}" = true ]; then
    echo "raycl: RAYCL_SKIP_INTEGRATION is not allowed in CI" >&2; exit 1
  fi
  integration=OFF
else
  bash "$root/scripts/setup-ray.sh" >/dev/null
  integration=ON
fi
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAYCL_WERROR=ON \
      -DRAYCL_INTEGRATION=$integration >/dev/null
ninja -C "$build" -j "${RAYCL_JOBS:-2}"
bash "$root/scripts/docs.sh"
echo "raycl: build finished after $(( $(date +%s) - start )) s"
ctest --test-dir "$build" --output-on-failure --timeout 900 "$@"
# Fuzz regression: every libFuzzer target once over its corpus (clang build in build-fuzz).
bash "$root/scripts/fuzz.sh" regress
echo "raycl: test suite finished after $(( $(date +%s) - start )) s"
