#!/usr/bin/env bash
# Checks that raycl installs and is usable with find_package(raycl CONFIG) and with
# add_subdirectory. Usage: check.sh <raycl build dir> <work dir>
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$1 work=$2
rm -rf "$work" && mkdir -p "$work"
export CCACHE_NOHASHDIR=1
cmake --install "$build" --prefix "$work/prefix" >/dev/null
test -f "$work/prefix/include/raycl/client.hpp"
cmake -S "$here/consumer" -B "$work/installed" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/installed" >/dev/null
"$work/installed/consumer"
cmake -S "$here/consumer" -B "$work/vendored" -G Ninja -DRAYCL_SOURCE_DIR="$root" \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$work/vendored" --target consumer -j 2 >/dev/null
"$work/vendored/consumer"
echo "packaging: find_package and add_subdirectory both work"
