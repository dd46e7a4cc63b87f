#!/usr/bin/env bash
# Does a Ray release run here? venv, loopback cluster, one job, the main dashboard routes, down.
#
#   scripts/ray-versions/smoke.sh VERSION [--name NAME]    (RAYCL_RAY_DASHBOARD_PORT as for ray-cluster.sh)
#
# Prints one line per check ("ok ..." / "FAIL ...") and exits 1 if any failed. Checks: cluster up
# with 2 ALIVE nodes, no non-loopback listener of the cluster, a job SUCCEEDED with its output in
# /api/jobs/{id}/logs, /api/version, /api/v0/nodes, /api/serve/applications/.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
scripts=$(cd "$here/.." && pwd)
version=${1:?usage: smoke.sh VERSION [--name NAME]}; shift
name=smoke-${version//./}
[ "${1:-}" = --name ] && name=${2:?}
fails=0
ok() { echo "ok   $version: $*"; }
bad() { echo "FAIL $version: $*"; fails=$((fails + 1)); }

t=$SECONDS
venv=$(bash "$scripts/setup-ray.sh" "$version" 2>"/tmp/raycl-smoke-$name.setup.log" | tail -n1)
if [ ! -x "${venv:-/nonexistent}/bin/ray" ]; then
  bad "setup-ray.sh failed: $(tail -n 3 "/tmp/raycl-smoke-$name.setup.log" | tr '\n' ' ')"; exit 1
fi
ok "venv $venv ($((SECONDS - t)) s)"
t=$SECONDS
if ! env_file=$(RAYCL_VENV=$venv bash "$scripts/ray-cluster.sh" up --auth disabled --name "$name" 2>"/tmp/raycl-smoke-$name.up.log" | tail -n1); then
  bad "cluster up: $(tail -n 5 "/tmp/raycl-smoke-$name.up.log" | tr '\n' ' ')"
  bash "$scripts/ray-cluster.sh" down --name "$name" >/dev/null 2>&1; exit 1
fi
ok "cluster up ($((SECONDS - t)) s)"
# shellcheck disable=SC1090
. "$env_file"
pids=$(bash "$scripts/ray-cluster.sh" pids --name "$name")
wide=$(ss -Hltnp 2>/dev/null | grep -v -e ' 127\.0\.0\.1:' -e '\[::ffff:127\.0\.0\.1\]:' | grep -oE 'pid=[0-9]+' | cut -d= -f2 |
  while read -r p; do [[ " $pids " == *" $p "* ]] && echo "$p"; done | sort -u | tr '\n' ' ')
[ -z "$wide" ] && ok "every listener on 127.0.0.1" || bad "non-loopback listeners of pids $wide"
api() { curl -sS -m 20 -H 'User-Agent: raycl-smoke' "$@"; }
code() { curl -s -o /dev/null -m 20 -w '%{http_code}' -H 'User-Agent: raycl-smoke' "$@"; }
v=$(api "$RAYCL_TEST_ADDRESS/api/version")
[[ $v == *"\"ray_version\": \"$version\""* ]] && ok "/api/version $v" || bad "/api/version: $v"
[ "$(code "$RAYCL_TEST_ADDRESS/api/v0/nodes")" = 200 ] && ok "/api/v0/nodes 200" || bad "/api/v0/nodes $(code "$RAYCL_TEST_ADDRESS/api/v0/nodes")"
s=$(code "$RAYCL_TEST_ADDRESS/api/serve/applications/")
[ "$s" = 200 ] && ok "/api/serve/applications/ 200" || bad "/api/serve/applications/ $s"
sid=raycl-smoke-$RANDOM
api -X POST -H 'Content-Type: application/json' \
  --data "{\"entrypoint\": \"$venv/bin/python -c 'print(12345)'\", \"submission_id\": \"$sid\"}" \
  "$RAYCL_TEST_ADDRESS/api/jobs/" >/dev/null
status=""
for _ in $(seq 1 120); do
  status=$(api "$RAYCL_TEST_ADDRESS/api/jobs/$sid" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' 2>/dev/null)
  case $status in SUCCEEDED|FAILED|STOPPED) break ;; esac
  sleep 0.5
done
logs=$(api "$RAYCL_TEST_ADDRESS/api/jobs/$sid/logs")
[ "$status" = SUCCEEDED ] && [[ $logs == *12345* ]] && ok "job SUCCEEDED, log has its output" || bad "job $status, logs: ${logs:0:200}"
bash "$scripts/ray-cluster.sh" down --name "$name" >/dev/null 2>&1 || bad "cluster down"
exit $((fails > 0))
