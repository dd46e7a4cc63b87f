#!/usr/bin/env bash
# The main job: build the raycl CLI, start a local two-node Ray cluster with `raycl cluster up`
# (token auth on, as Ray 2.59+ does by default) unless RAY_ADDRESS is set, then
#   raycl version; raycl job submit --working-dir example/demo_job -- python main.py
#   (packages and uploads that directory, follows the job's log live);
#   raycl job list; raycl node list
# and stop the local cluster again unless RAYCL_KEEP_CLUSTER=1.
# Usage: scripts/demo.sh [ENTRYPOINT]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${RAYCL_BUILD_DIR:-$root/build}"
bash "$root/scripts/build.sh" raycl_cli
raycl="$build/src/cli/raycl"
entrypoint=${1:-"python main.py"}
if [ -z "${RAY_ADDRESS:-}" ]; then
  bash "$root/scripts/setup-ray.sh" >/dev/null
  echo "+ raycl cluster up --workers 1 --auth token" >&2
  "$raycl" cluster up --workers 1 --auth token
  if [ "${RAYCL_KEEP_CLUSTER:-0}" != 1 ]; then
    trap 'echo "+ raycl cluster down" >&2; "$raycl" cluster down' EXIT
  fi
fi
set -x
"$raycl" version
"$raycl" job submit --working-dir "$root/example/demo_job" -- "$entrypoint"
"$raycl" job list
"$raycl" node list
