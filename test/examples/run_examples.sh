#!/usr/bin/env bash
# Runs every program of example/ against the real cluster described by $RAYCL_TEST_ENV_FILE
# (scripts/ray-cluster.sh writes it) and checks what each prints and returns.
# Usage: run_examples.sh <directory of the built examples>
set -euo pipefail
bin=$1
: "${RAYCL_TEST_ENV_FILE:?run through ctest (RAYCL_TEST_ENV_FILE)}"
# shellcheck disable=SC1090
source "$RAYCL_TEST_ENV_FILE"
export RAY_ADDRESS="$RAYCL_TEST_ADDRESS" RAY_AUTH_TOKEN="$RAYCL_TEST_TOKEN"
work=$(mktemp -d)
trap 'rm -rf "$work"; [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null || true' EXIT
fail() { echo "examples: FAILED: $*" >&2; exit 1; }
expect() { grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "$(basename "$1") lacks: $2"; }; }

"$bin/raycl_quickstart" > "$work/quickstart.out" || fail "quickstart exited $?"
expect "$work/quickstart.out" "sum of squares: 285"
expect "$work/quickstart.out" "ended SUCCEEDED"
id=$(sed -n 's/^submitted \([A-Za-z0-9_-]*\):.*/\1/p' "$work/quickstart.out")
[ -n "$id" ] || fail "no submission id in quickstart output"
echo "examples: quickstart ok ($id)"

"$bin/raycl_example_embedding" > "$work/embedding.out" || fail "embedding exited $?"
expect "$work/embedding.out" "2 of 2 nodes alive"
expect "$work/embedding.out" "event loop finished, 0 failures"
echo "examples: embedding ok"

"$bin/raycl_example_fan_out" 3 > "$work/fan_out.out" || fail "fan_out exited $?"
expect "$work/fan_out.out" "3 of 3 jobs succeeded"
for i in 0 1 2; do expect "$work/fan_out.out" "[$i] job $i line 4"; done
echo "examples: fan_out ok"

"$bin/raycl_example_python_client_usage" "$id" websocket > "$work/python.out" || fail "python_client_usage exited $?"
expect "$work/python.out" "sum of squares: 285"
set +e
"$bin/raycl_example_python_client_usage" raysubmit_nonexistent0 > "$work/python_404.out" 2>&1
code=$?
set -e
[ "$code" -eq 3 ] || fail "python_client_usage on an unknown job exited $code, not 3"
expect "$work/python_404.out" "no such job: raysubmit_nonexistent0"
echo "examples: python_client_usage ok"

"$bin/raycl_example_job_status_server" 0 3 > "$work/server.out" &
server_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/server.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$work/server.out")
[ -n "$port" ] || fail "job_status_server did not start"
curl -s "http://127.0.0.1:$port/jobs" > "$work/jobs.json"
expect "$work/jobs.json" "\"id\":\"$id\""
curl -s "http://127.0.0.1:$port/jobs/$id" > "$work/job.json"
expect "$work/job.json" "\"status\":\"SUCCEEDED\""
status=$(curl -s -o "$work/missing.json" -w '%{http_code}' "http://127.0.0.1:$port/jobs/raysubmit_nonexistent0")
[ "$status" = 404 ] || fail "unknown job answered $status, not 404"
wait "$server_pid" || fail "job_status_server exited $?"
server_pid=
echo "examples: job_status_server ok"
echo "examples: all 5 passed"
