#!/usr/bin/env bash
# Checks that raycl installs and is usable with find_package(raycl CONFIG) and with
# add_subdirectory.
#   check.sh <raycl build dir> <work dir> [cmake -D options of the calling tree]
# The vendored (add_subdirectory) build compiles raycl again. It gets the calling tree's build
# type and warning flags and ccache, and lives beside the calling tree (<build dir>-vendored):
# ccache's base_dir makes paths relative to the build tree, so a tree at the same depth gives the
# same compile commands and every object comes from the cache instead of the compiler.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "$1" && pwd) work=$2
shift 2
vendored="$build-vendored"
rm -rf "$work" "$vendored" && mkdir -p "$work"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake --install "$build" --prefix "$work/prefix" >/dev/null
test -f "$work/prefix/include/raycl/client.hpp"
cmake -S "$here/consumer" -B "$work/installed" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/installed" >/dev/null
"$work/installed/consumer"
cmake -S "$here/consumer" -B "$vendored" -G Ninja -DRAYCL_SOURCE_DIR="$root" "${launcher[@]}" "$@" >/dev/null
cmake --build "$vendored" --target consumer -j 2 >/dev/null
"$vendored/consumer"
rm -rf "$vendored"
echo "packaging: find_package and add_subdirectory both work"
