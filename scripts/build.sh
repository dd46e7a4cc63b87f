#!/usr/bin/env bash
# Configures and builds raycl in ./build (Ninja, ccache, warnings as errors).
# Usage: scripts/build.sh [ninja targets...]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${RAYCL_BUILD_DIR:-$root/build}"
bash "$root/scripts/setup-deps.sh"
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAYCL_WERROR=ON >&2
fi
ninja -C "$build" -j "${RAYCL_JOBS:-2}" "$@" >&2
