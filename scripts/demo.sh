#!/usr/bin/env bash
# The main job: build raycl, start a local two-node Ray cluster (token auth on, as Ray 2.59+
# does by default) unless RAY_ADDRESS is set, then run example/quickstart.cpp against it:
# submit a job, wait for it, print its log, list jobs and nodes. The local cluster is stopped
# at the end unless RAYCL_KEEP_CLUSTER=1.
# Usage: scripts/demo.sh [ENTRYPOINT]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${RAYCL_BUILD_DIR:-$root/build}"
bash "$root/scripts/build.sh" raycl_quickstart
if [ -z "${RAY_ADDRESS:-}" ]; then
  bash "$root/scripts/setup-ray.sh" >/dev/null
  echo "raycl demo: starting a local Ray cluster (head + 1 worker, token auth) ..." >&2
  envfile=$(RAYCL_RAY_DASHBOARD_PORT="${RAYCL_DEMO_DASHBOARD_PORT:-8385}" \
            bash "$root/scripts/ray-cluster.sh" up --auth token --workers 1 --name demo | tail -n 1)
  if [ "${RAYCL_KEEP_CLUSTER:-0}" != 1 ]; then
    trap 'bash "$root/scripts/ray-cluster.sh" down --name demo >&2' EXIT
  fi
  # shellcheck disable=SC1090
  source "$envfile"
  export RAY_ADDRESS="$RAYCL_TEST_ADDRESS" RAY_AUTH_TOKEN="$RAYCL_TEST_TOKEN"
fi
"$build/example/raycl_quickstart" "$@"
