#!/usr/bin/env bash
# Creates (idempotently) the Python venv holding the pinned Ray from PyPI.
# Prints the venv path on its last line. Fast when already installed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
req="$here/requirements-ray.txt"
stamp_hash=$(sha256sum "$req" | cut -c1-16)
venv="${RAYCL_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/raycl/venv-$stamp_hash}"
python="${RAYCL_PYTHON:-python3}"
if [ -f "$venv/.raycl-installed" ] && "$venv/bin/python" -c 'import ray, ray.serve' 2>/dev/null; then
  echo "$venv"; exit 0
fi
echo "raycl: installing Ray into $venv (from $req)" >&2
mkdir -p "$(dirname "$venv")"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip >&2
"$venv/bin/python" -m pip install --quiet -r "$req" >&2
"$venv/bin/python" -c 'import ray, ray.serve; print("raycl: ray", ray.__version__, file=__import__("sys").stderr)'
touch "$venv/.raycl-installed"
echo "$venv"
