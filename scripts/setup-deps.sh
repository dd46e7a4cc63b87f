#!/usr/bin/env bash
# Installs (idempotently) every Debian package raycl's build, tests and docs need.
# Skips apt entirely when everything is present; needs root (or sudo) otherwise.
set -euo pipefail
packages=(
  cmake g++ ninja-build ccache doxygen pkg-config curl
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-test1.81-dev
  libssl-dev python3 python3-venv
  libzip-dev  # runtime-env packaging: zips of working_dir/py_modules (raycl_packaging)
  libdeflate-dev  # runtime-env packaging: small files deflated on worker threads
  clang-14 libclang-rt-14-dev time  # libFuzzer + sanitizers, CPU time: scripts/fuzz.sh
  libcli11-dev libyaml-cpp-dev  # the CLI's parser; YAML (src/core/yaml_json)
  tmux zsh fish                 # CLI tests: terminal behaviour (tmux), zsh and fish completion
  dpkg-dev man-db               # cpack -G DEB (dpkg-shlibdeps) and its test (man -l)
  valgrind                      # scripts/perf-guard.sh: callgrind instruction counts
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "raycl: installing Debian packages: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
