#!/usr/bin/env bash
# Many log tails of one raycl client against a real Ray cluster, every request counted
# (bench/real_tails.cpp; bench/README.md, "Real cluster: 100 tails"). Brings up its own loopback
# cluster (scripts/ray-cluster.sh; never `ray stop`), runs raycl_bench_real_tails once per
# protocol, measures the size and time of the job-status answers with curl, and brings the
# cluster down again, also on failure.
#
#   bench/real_tails.sh [--name NAME (realtails)] [--auth disabled|token] [--protocols "stream auto"]
#                       [--out DIR] [-- raycl_bench_real_tails flags: --jobs 20 --tails 100 --lines 150 ...]
#
# Needs the target built: scripts/build.sh raycl_bench_real_tails ($RAYCL_BUILD_DIR, default ./build).
# The dashboard port is $RAYCL_RAY_DASHBOARD_PORT (default 8520). Results: one JSON per protocol
# and answers.txt in --out (default bench/results/quick/real-tails-<UTC time>, not committed).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${RAYCL_BUILD_DIR:-$root/build}"
bin="$build/bench/raycl_bench_real_tails"
name=realtails auth=disabled protocols="stream auto" out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --name) name=$2; shift 2 ;;
    --auth) auth=$2; shift 2 ;;
    --protocols) protocols=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "real_tails.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$bin" ] || { echo "real_tails.sh: build it first: scripts/build.sh raycl_bench_real_tails" >&2; exit 2; }
out=${out:-$root/bench/results/quick/real-tails-$(date -u +%Y-%m-%dT%H%M%SZ)}
mkdir -p "$out"
export RAYCL_RAY_DASHBOARD_PORT=${RAYCL_RAY_DASHBOARD_PORT:-8520}

cluster() { "$root/scripts/ray-cluster.sh" "$@" --name "$name"; }
trap 'cluster down || true' EXIT
cluster up --auth "$auth" --workers 1 >/dev/null
# shellcheck disable=SC1090
source <(cluster env)
token=() hdr=()
if [ "$auth" = token ]; then token=(--token "$RAYCL_TEST_TOKEN"); hdr=(-H "Authorization: Bearer $RAYCL_TEST_TOKEN"); fi

status=0
for protocol in $protocols; do
  echo "real_tails.sh: $protocol" >&2
  /usr/bin/time -v -o "$out/$protocol.time" "$bin" --address "$RAYCL_TEST_ADDRESS" "${token[@]}" \
    --python "$RAYCL_TEST_VENV/bin/python" --protocol "$protocol" "$@" >"$out/$protocol.json" 2>"$out/$protocol.log" ||
    status=1
  tail -n 3 "$out/$protocol.log" >&2
done

# What a job-status answer costs: the list (every job of the cluster) and one job.
{
  id=$(curl -sf "${hdr[@]}" "$RAYCL_TEST_ADDRESS/api/jobs/" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(len(j), j[0]["submission_id"])')
  echo "jobs in the list, one id: $id"
  for target in /api/jobs/ "/api/jobs/${id#* }"; do
    for _ in 1 2 3; do
      curl -sf "${hdr[@]}" -o /dev/null -w "GET $target: %{size_download} bytes, %{time_total} s\n" "$RAYCL_TEST_ADDRESS$target"
    done
  done
} >"$out/answers.txt" 2>&1 || status=1
cat "$out/answers.txt" >&2
echo "real_tails.sh: results in $out" >&2
exit $status
