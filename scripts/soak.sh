#!/usr/bin/env bash
# The full soak of raycl's log tails: 1,000 concurrent tails for 10 minutes against the fake
# dashboard behind a chaos proxy that cuts each connection with probability RATE per second
# (default 0.01: ~6,000 disconnects in 10 minutes). Builds raycl_soak in ./build-soak (or
# $RAYCL_SOAK_BUILD_DIR) and writes the JSON report to build-soak/soak-<date>.json.
# Usage: scripts/soak.sh [duration_s=600] [tails=1000]
#        env: RAYCL_SOAK_RATE (0.01), RAYCL_SOAK_PROTOCOL (websocket), RAYCL_SOAK_LINES (10 lines
#        per second per tail), RAYCL_SOAK_QUEUE (1000), RAYCL_SOAK_SEED (1)
# Exit status: raycl_soak's (0 only when every line arrived exactly once and RSS/fds stayed flat).
#
# scripts/soak.sh submit [rounds=50] [jobs=2000]: the long form of the exactly-once submit
# scenario (raycl_submit_soak; soak.submit_short in ctest is one round): ROUNDS rounds of JOBS
# concurrent submits through the chaos proxy, each request cut with probability 0.1 before it
# reaches the server, 0.1 after it and 0.1 mid-answer (RAYCL_SOAK_BEFORE/AFTER/MID), 10 attempts
# per call, a 60 s deadline per call; every 4th submit (RAYCL_SOAK_PACKAGED_EVERY, 0: none) carries
# a local working_dir, one of 50 per round (RAYCL_SOAK_PACKAGE_DIRS), that raycl uploads
# -> build-soak/submit-<date>.json.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${RAYCL_SOAK_BUILD_DIR:-$root/build-soak}"
# shellcheck source=ccache-env.sh
source "$root/scripts/ccache-env.sh"
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAYCL_INTEGRATION=OFF >&2
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true  # 1,000 tails need more than 1,024 descriptors
if [ "${1:-}" = submit ]; then
  rounds="${2:-50}" jobs="${3:-2000}"
  ninja -C "$build" -j "${RAYCL_JOBS:-2}" raycl_submit_soak >&2
  out="$build/submit-$(date -u +%Y%m%dT%H%M%SZ).json"
  set +e
  "$build/test/soak/raycl_submit_soak" --jobs "$jobs" --rounds "$rounds" --before "${RAYCL_SOAK_BEFORE:-0.1}" \
    --after "${RAYCL_SOAK_AFTER:-0.1}" --mid "${RAYCL_SOAK_MID:-0.1}" --attempts 10 --deadline 60 \
    --packaged-every "${RAYCL_SOAK_PACKAGED_EVERY:-4}" --package-dirs "${RAYCL_SOAK_PACKAGE_DIRS:-50}" \
    --seed "${RAYCL_SOAK_SEED:-1}" --json > "$out"
  status=$?
  set -e
  echo "report: $out" >&2
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print({k: d[k] for k in ("ok","calls","returned_id","failed","failed_but_landed","lost","duplicated","orphans","hung","max_call_s","duplicates_refused","packages","proxy","seconds")})' "$out" >&2 || true
  exit $status
fi
duration="${1:-600}"
tails="${2:-1000}"
ninja -C "$build" -j "${RAYCL_JOBS:-2}" raycl_soak >&2
out="$build/soak-$(date -u +%Y%m%dT%H%M%SZ).json"
set +e
"$build/test/soak/raycl_soak" --tails "$tails" --duration "$duration" \
  --disconnect-rate "${RAYCL_SOAK_RATE:-0.01}" --protocol "${RAYCL_SOAK_PROTOCOL:-websocket}" \
  --queue-size "${RAYCL_SOAK_QUEUE:-1000}" --lines-per-second-per-tail "${RAYCL_SOAK_LINES:-10}" \
  --seed "${RAYCL_SOAK_SEED:-1}" --json > "$out"
status=$?
set -e
echo "report: $out" >&2
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print({k: d[k] for k in ("ok","lines_expected","lines_delivered","duplicates","lost","reconnects","disconnects_injected","rss_start","rss_peak","rss_end","fds_start","fds_peak","fds_end","cpu_user_s","cpu_sys_s")})' "$out" >&2 || true
exit $status
