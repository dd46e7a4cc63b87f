#!/usr/bin/env bash
# Formats every C++ file of the tree with .clang-format (clang-format 14), or checks it.
#   scripts/format.sh           rewrite the files in place
#   scripts/format.sh --check   list files that differ, exit 1 if any
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.ipp')
if [ "${1:-}" = --check ]; then
  bad=0
  for f in "${files[@]}"; do
    if ! clang-format --style=file "$f" | cmp -s - "$f"; then echo "$f"; bad=1; fi
  done
  exit $bad
fi
clang-format --style=file -i "${files[@]}"
