#!/usr/bin/env bash
# The full soak of raycl's log tails: 1,000 concurrent tails for 10 minutes against the fake
# dashboard behind a chaos proxy that cuts each connection with probability RATE per second
# (default 0.01: ~6,000 disconnects in 10 minutes). Builds raycl_soak in ./build-soak (or
# $RAYCL_SOAK_BUILD_DIR) and writes the JSON report to build-soak/soak-<date>.json.
# Usage: scripts/soak.sh [duration_s=600] [tails=1000]
#        env: RAYCL_SOAK_RATE (0.01), RAYCL_SOAK_PROTOCOL (websocket), RAYCL_SOAK_LINES (10 lines
#        per second per tail), RAYCL_SOAK_QUEUE (1000), RAYCL_SOAK_SEED (1)
# Exit status: raycl_soak's (0 only when every line arrived exactly once and RSS/fds stayed flat).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${RAYCL_SOAK_BUILD_DIR:-$root/build-soak}"
duration="${1:-600}"
tails="${2:-1000}"
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAYCL_INTEGRATION=OFF >&2
fi
ninja -C "$build" -j "${RAYCL_JOBS:-2}" raycl_soak >&2
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true  # 1,000 tails need more than 1,024 descriptors
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
