#!/usr/bin/env bash
# Creates (idempotently) a Python venv holding one Ray release from PyPI.
# Prints the venv path on its last line. Fast when already installed.
#
#   scripts/setup-ray.sh            # the pinned Ray of scripts/requirements-ray.txt (2.60)
#   scripts/setup-ray.sh VERSION    # a release of scripts/ray-versions/matrix.txt, pinned by
#                                   # scripts/ray-versions/requirements-VERSION.txt
#   scripts/setup-ray.sh --list     # the versions that have a requirements file
#
# Without VERSION, RAYCL_VENV (if set) is the venv to create; with VERSION the venv is always
# ${XDG_CACHE_HOME:-~/.cache}/raycl/venv-ray-VERSION-<hash of its requirements file>, so a
# caller's RAYCL_VENV (pointing at another release) cannot make it install into the wrong place.
# RAYCL_PYTHON: the interpreter to build the venv from (default python3, 3.11 here).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
versions_dir="$here/ray-versions"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/raycl"
version=${1:-}

if [ "$version" = --list ]; then
  for f in "$versions_dir"/requirements-*.txt; do
    f=${f##*/requirements-}; echo "${f%.txt}"
  done
  sed -n 's/^ray\[[a-z,]*\]==//p' "$here/requirements-ray.txt"
  exit 0
fi

pinned_req="$here/requirements-ray.txt"
if [ -z "$version" ]; then
  req=$pinned_req
  stamp_hash=$(sha256sum "$req" | cut -c1-16)
  venv="${RAYCL_VENV:-$cache/venv-$stamp_hash}"
elif grep -qE "^ray\[[a-z,]+\]==$version\$" "$pinned_req"; then
  # The pinned release: the very venv that setup-ray.sh without an argument makes.
  req=$pinned_req
  stamp_hash=$(sha256sum "$req" | cut -c1-16)
  venv="$cache/venv-$stamp_hash"
else
  [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "setup-ray: bad version '$version' (want X.Y.Z)" >&2; exit 2; }
  req="$versions_dir/requirements-$version.txt"
  [ -f "$req" ] || { echo "setup-ray: Ray $version is not listed (no $req; see --list)" >&2; exit 2; }
  stamp_hash=$(sha256sum "$req" | cut -c1-16)
  venv="$cache/venv-ray-$version-$stamp_hash"
fi
python="${RAYCL_PYTHON:-python3}"
mkdir -p "$(dirname "$venv")"
# One installer per venv at a time (the matrix script, ctest fixtures and recorders may race).
exec 9>"$venv.lock"
flock 9
# The check imports what the cluster needs (dashboard, Serve) and that it is the right release.
check='import sys, ray, ray.serve, ray.dashboard
want = sys.argv[1]
if want and ray.__version__ != want:
    sys.exit(f"ray {ray.__version__} installed, {want} wanted")'
if [ -f "$venv/.raycl-installed" ] && "$venv/bin/python" -c "$check" "$version" 2>/dev/null; then
  echo "$venv"; exit 0
fi
echo "raycl: installing Ray ${version:-(pinned)} into $venv (from $req)" >&2
rm -f "$venv/.raycl-installed"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip >&2
"$venv/bin/python" -m pip install --quiet -r "$req" >&2
"$venv/bin/python" -c "$check" "$version" >&2
"$venv/bin/python" -c 'import ray; print("raycl: ray", ray.__version__, file=__import__("sys").stderr)'
touch "$venv/.raycl-installed"
echo "$venv"
