#!/usr/bin/env bash
# The raycl CLI's multi-job follow and named contexts against a real local Ray cluster, run by
# ctest as integration.{disabled,token}.cli_follow with RAYCL_TEST_ENV_FILE set.
#
# Five jobs print known lines at once (two of them fail); `job logs --selector --follow --new`
# follows them and a sixth job submitted after it started; every line must appear once, in
# per-job order, whole and prefixed, and the exit code must be 1. Then contexts: a context for
# this cluster (token by reference), 0600, no token in any output, YAML output, and a context
# whose cluster is stopped (503 naming the context).
#
#   RAYCL_TEST_ENV_FILE=/tmp/raycl-cli-token/raycl.env test/cli/real_cluster_follow.sh path/to/raycl
set -euo pipefail

raycl=${1:?usage: real_cluster_follow.sh RAYCL_BINARY}
: "${RAYCL_TEST_ENV_FILE:?RAYCL_TEST_ENV_FILE is not set}"
# shellcheck disable=SC1090
source "$RAYCL_TEST_ENV_FILE"
export RAY_ADDRESS=$RAYCL_TEST_ADDRESS
unset RAY_AUTH_TOKEN_PATH RAYCL_CONTEXT
if [ -n "${RAYCL_TEST_TOKEN:-}" ]; then export RAY_AUTH_TOKEN=$RAYCL_TEST_TOKEN; else unset RAY_AUTH_TOKEN; fi
python=$RAYCL_TEST_VENV/bin/python
work=$(mktemp -d /tmp/raycl-cli-follow-XXXXXX)
follow_pid=""
trap '[ -n "$follow_pid" ] && kill "$follow_pid" 2>/dev/null; touch "$work/release"; rm -rf "$work"' EXIT
export XDG_CONFIG_HOME=$work/xdg
suffix=$$-$RANDOM
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
no_token() {
  if [ -n "${RAYCL_TEST_TOKEN:-}" ] && grep -qF -- "$RAYCL_TEST_TOKEN" "$@"; then fail "token printed in $*"; fi
}
# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.2 s
wait_for() {
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    if [ $SECONDS -ge $deadline ]; then fail "timed out after ${seconds}s waiting for $what"; return 1; fi
    sleep 0.2
  done
}

# A job: prints "job K line 0..19", waits for the release file, prints 20..39, exits 3 or 0.
cat >"$work/job.py" <<'PY'
import os, sys, time
k, fails, release = sys.argv[1], sys.argv[2] == "fail", sys.argv[3]
for i in range(20):
    print(f"job {k} line {i}", flush=True)
    time.sleep(0.02)
deadline = time.time() + 600
while not os.path.exists(release) and time.time() < deadline:
    time.sleep(0.1)
for i in range(20, 40):
    print(f"job {k} line {i}", flush=True)
sys.exit(3 if fails else 0)
PY
batch=follow-$suffix
id_of() { echo "raycl-cli-follow-$1-$suffix"; }
submit() {  # submit K fail|ok
  "$raycl" job submit --no-wait --submission-id "$(id_of "$1")" --metadata-json "{\"batch\": \"$batch\"}" \
    -- "$python" "$work/job.py" "$1" "$2" "$work/release" >/dev/null || fail "submit of job $1"
}
for k in 1 2 3 4 5; do
  if [ "$k" -eq 2 ] || [ "$k" -eq 4 ]; then submit "$k" fail; else submit "$k" ok; fi
done

"$raycl" job logs --selector "batch=$batch" --follow --new --interval 0.5 >"$work/follow.out" 2>"$work/follow.err" &
follow_pid=$!
all_first_halves() {
  local k
  for k in "$@"; do grep -qxF "[$(id_of "$k")] job $k line 19" "$work/follow.out" || return 1; done
}
wait_for 300 "the first 20 lines of five jobs" all_first_halves 1 2 3 4 5
submit 6 ok  # after the follow started: --new picks it up
wait_for 300 "the first 20 lines of the job submitted later" all_first_halves 6
touch "$work/release"
set +e
wait "$follow_pid"
rc=$?
set -e
follow_pid=""
[ "$rc" -eq 1 ] || fail "job logs --follow exited $rc, expected 1 (two jobs failed): $(tail -5 "$work/follow.err")"
no_token "$work/follow.out" "$work/follow.err"

# Each job's lines, prefix removed, are exactly its log as Ray keeps it (Ray writes two lines of
# its own into the log, "Runtime env is setting up." and "Running entrypoint for job ..."), and
# hold the job's 40 lines in order.
for k in 1 2 3 4 5 6; do
  id=$(id_of "$k")
  "$raycl" job logs "$id" >"$work/static-$k.log" || fail "job logs $id"
  grep -F "[$id] " "$work/follow.out" | sed "s/^\[$id\] //" >"$work/followed-$k.log"
  cmp -s "$work/static-$k.log" "$work/followed-$k.log" || \
    fail "job $k: followed lines differ from its log: $(diff "$work/static-$k.log" "$work/followed-$k.log" | head -5)"
  expected=$(for i in $(seq 0 39); do echo "job $k line $i"; done)
  [ "$(grep -E '^job [1-6] line [0-9]+$' "$work/followed-$k.log")" = "$expected" ] || \
    fail "job $k: its 40 lines are missing, repeated or out of order"
done
others=$(grep -cvE "^\[raycl-cli-follow-[1-6]-$suffix\] " "$work/follow.out" || true)
[ "$others" -eq 0 ] || fail "$others lines without a job prefix: $(grep -vE "^\[raycl-cli-follow-" "$work/follow.out" | head -3)"
# The five were followed at once: each printed its 20th line before any printed its 21st.
first_second_half=$(grep -nE ' line 20$' "$work/follow.out" | head -1 | cut -d: -f1)
for k in 1 2 3 4 5; do
  line=$(grep -nxF "[$(id_of "$k")] job $k line 19" "$work/follow.out" | cut -d: -f1)
  [ "$line" -lt "$first_second_half" ] || fail "job $k was not followed while the others ran"
done
for k in 2 4; do
  grep -qF "raycl: job $(id_of "$k") FAILED" "$work/follow.err" || fail "no FAILED note for job $k: $(cat "$work/follow.err")"
done
grep -qF "raycl: job $(id_of 6) SUCCEEDED" "$work/follow.err" || fail "no note for the job submitted later"

# ---- contexts ----------------------------------------------------------------------------------
unset RAY_ADDRESS RAY_AUTH_TOKEN
run() {  # run NAME ARGS...: $work/NAME.{out,err}, exit code in $rc
  local name=$1; shift
  rc=0
  "$raycl" "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  no_token "$work/$name.out" "$work/$name.err"
}
if [ -n "${RAYCL_TEST_TOKEN:-}" ]; then
  export RAYCL_CONTEXT_TOKEN=$RAYCL_TEST_TOKEN
  run add context add real --address "$RAYCL_TEST_ADDRESS" --token-env RAYCL_CONTEXT_TOKEN
else
  run add context add real --address "$RAYCL_TEST_ADDRESS"
fi
[ "$rc" -eq 0 ] || fail "context add: $(cat "$work/add.err")"
[ "$(stat -c %a "$XDG_CONFIG_HOME/raycl/config.yaml")" = 600 ] || fail "config.yaml is not 0600"
[ -z "${RAYCL_TEST_TOKEN:-}" ] || ! grep -qF -- "$RAYCL_TEST_TOKEN" "$XDG_CONFIG_HOME/raycl/config.yaml" || \
  fail "the token is stored in config.yaml"
run use context use real
run list -v job list
[ "$rc" -eq 0 ] || fail "job list through the context: $(cat "$work/list.err")"
grep -qF "$(id_of 6)" "$work/list.out" || fail "job list through the context misses $(id_of 6)"
grep -qF "(from context real (current-context))" "$work/list.err" || fail "address not from the context: $(cat "$work/list.err")"
run show context show
run show_yaml context show -o yaml
run list_json -o json job status "$(id_of 2)"
run list_yaml -o yaml job status "$(id_of 2)"
"$python" - "$work/list_json.out" "$work/list_yaml.out" <<'PY' || fail "--output yaml is not the JSON objects"
import json, sys, yaml
a = json.load(open(sys.argv[1]))
b = yaml.safe_load(open(sys.argv[2]))
assert a == b and a["status"] == "FAILED", (a, b)
PY
stopped_port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run add_stopped context add stopped --address "http://127.0.0.1:$stopped_port"
run stopped --context stopped --timeout 3 job list
[ "$rc" -eq 3 ] || fail "a context whose cluster is stopped: exit $rc"
grep -qE "^raycl: error 503: .*\(context 'stopped', http://127.0.0.1:$stopped_port\)$" "$work/stopped.err" || \
  fail "a stopped cluster's error: $(cat "$work/stopped.err")"

if [ "$failures" -ne 0 ]; then
  echo "real_cluster_follow: $failures failure(s)" >&2
  exit 1
fi
echo "real_cluster_follow: six jobs followed (lines once, in order, exit 1), contexts checked against $RAYCL_TEST_ADDRESS (auth ${RAYCL_TEST_AUTH:-?})"
