#!/usr/bin/env bash
# Builds the Doxygen reference of include/raycl into build/docs; any warning fails.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out="${RAYCL_BUILD_DIR:-$root/build}/docs"
mkdir -p "$out"
cd "$root"
( cat Doxyfile; echo "OUTPUT_DIRECTORY = $out"; echo "WARN_LOGFILE = $out/warnings.log" ) | doxygen - >/dev/null
if [ -s "$out/warnings.log" ]; then
  cat "$out/warnings.log" >&2
  echo "raycl: Doxygen warnings (see above)" >&2
  exit 1
fi
echo "raycl: API reference in $out/html/index.html"
