#!/usr/bin/env bash
# Records the fixtures of one Ray release: venv, cluster up, record_fixtures.py, cluster down.
#
#   scripts/ray-versions/record.sh VERSION [--auth disabled|token] [--only SECTIONS] [--keep]
#
# Writes test/fixtures/ray/VERSION/ (see its README.md). Knobs: RAYCL_RAY_DASHBOARD_PORT (8285),
# RAYCL_RECORD_CLUSTER (cluster name, default rec-<major><minor>), --keep leaves the cluster up.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
scripts=$(cd "$here/.." && pwd)
version=${1:?usage: record.sh VERSION [--auth MODE] [--only SECTIONS] [--keep]}; shift
auth=disabled only="" keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --auth) auth=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "record.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
name=${RAYCL_RECORD_CLUSTER:-rec-${version//./}}
venv=$(bash "$scripts/setup-ray.sh" "$version" | tail -n1)
t0=$SECONDS
env_file=$(RAYCL_VENV=$venv bash "$scripts/ray-cluster.sh" up --auth "$auth" --name "$name" | tail -n1)
echo "record: cluster $name (Ray $version, $auth) up in $((SECONDS - t0)) s" >&2
rc=0
"$venv/bin/python" "$here/record_fixtures.py" --env "$env_file" ${only:+--only "$only"} || rc=$?
[ "$keep" = 1 ] || bash "$scripts/ray-cluster.sh" down --name "$name"
exit $rc
