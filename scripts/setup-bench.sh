#!/usr/bin/env bash
# Installs (idempotently) what the benchmark harness needs: Debian packages (wrk as the HTTP
# limit, nginx-light as the fixed-payload server, valgrind
# for instruction counts) and the pinned Python peers of bench/requirements.txt into the Ray
# venv of scripts/setup-ray.sh. Prints the venv path on its last line.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
"$here/setup-deps.sh"
packages=(wrk nginx-light valgrind)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "raycl: installing Debian packages: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  # nginx-light's post-install tries to start the system nginx; the bench runs its own.
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  if command -v systemctl >/dev/null 2>&1; then $sudo systemctl stop nginx >/dev/null 2>&1 || true; fi
  $sudo service nginx stop >/dev/null 2>&1 || true
fi
venv=$("$here/setup-ray.sh" | tail -n1)
req="$here/../bench/requirements.txt"
stamp="$venv/.raycl-bench-$(sha256sum "$req" | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "raycl: installing the benchmark peers into $venv" >&2
  "$venv/bin/python" -m pip install --quiet -r "$req" >&2
  touch "$stamp"
fi
echo "$venv"
