#!/usr/bin/env bash
# The raycl CLI against a real local Ray cluster (scripts/ray-cluster.sh up), run by ctest as
# integration.{disabled,token}.cli with RAYCL_TEST_ENV_FILE set.
#
#   RAYCL_TEST_ENV_FILE=/tmp/raycl-ci-token/raycl.env test/cli/real_cluster_cli.sh path/to/raycl
set -euo pipefail

raycl=${1:?usage: real_cluster_cli.sh RAYCL_BINARY}
: "${RAYCL_TEST_ENV_FILE:?RAYCL_TEST_ENV_FILE is not set}"
# shellcheck disable=SC1090
source "$RAYCL_TEST_ENV_FILE"
export RAY_ADDRESS=$RAYCL_TEST_ADDRESS
unset RAY_AUTH_TOKEN_PATH
if [ -n "${RAYCL_TEST_TOKEN:-}" ]; then export RAY_AUTH_TOKEN=$RAYCL_TEST_TOKEN; else unset RAY_AUTH_TOKEN; fi
python=$RAYCL_TEST_VENV/bin/python
work=$(mktemp -d /tmp/raycl-cli-it-XXXXXX)
trap 'rm -rf "$work"' EXIT
suffix=$$-$RANDOM
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
check_json() { python3 -m json.tool <"$1" >/dev/null || fail "$2: not JSON: $(head -c 300 "$1")"; }
no_token() {  # the token must appear in no output
  if [ -n "${RAYCL_TEST_TOKEN:-}" ] && grep -qF -- "$RAYCL_TEST_TOKEN" "$@"; then fail "token printed in $*"; fi
}
run() {  # run NAME ARGS...: stdout in $work/NAME.out, stderr in $work/NAME.err, exit code in $rc
  local name=$1; shift
  set +e
  "$raycl" "$@" >"$work/$name.out" 2>"$work/$name.err"
  rc=$?
  set -e
  no_token "$work/$name.out" "$work/$name.err"
}
expect_rc() { [ "$rc" -eq "$1" ] || fail "$2: exit $rc, expected $1: $(tail -c 500 "$work/$2.err")"; }

# ---- job submit: follows the log; stdout is exactly the job's log --------------------------
ok_id=raycl-cli-ok-$suffix
run submit_ok job submit --submission-id "$ok_id" -- "$python" -c "print('raycl cli line 1'); print('raycl cli line 2')"
expect_rc 0 submit_ok
grep -qx 'raycl cli line 1' "$work/submit_ok.out" || fail "submit_ok: missing line 1"
grep -qx 'raycl cli line 2' "$work/submit_ok.out" || fail "submit_ok: missing line 2"
run logs_ok job logs "$ok_id"
expect_rc 0 logs_ok
cmp -s "$work/submit_ok.out" "$work/logs_ok.out" || fail "submit stdout differs from job logs: $(diff "$work/submit_ok.out" "$work/logs_ok.out" | head -20)"

bad_id=raycl-cli-bad-$suffix
run submit_bad job submit --submission-id "$bad_id" -- "$python" -c "import sys; print('about to fail'); sys.exit(3)"
expect_rc 1 submit_bad
grep -q 'about to fail' "$work/submit_bad.out" || fail "submit_bad: missing output"
run wait_bad job wait "$bad_id"
expect_rc 1 wait_bad

# ---- job submit --working-dir / --runtime-env / --dry-run: local code shipped ---------------
proj=$work/project-$suffix
mkdir -p "$proj/data" "$proj/.git"
printf 'import helper\nprint(helper.VALUE)\nprint(open("data/in.txt").read().strip())\nimport os\nprint("ignored", os.path.exists("secret.txt"), os.path.exists(".git"))\n' >"$proj/main.py"
printf 'VALUE = "cli-%s"\n' "$suffix" >"$proj/helper.py"
printf 'data %s\n' "$suffix" >"$proj/data/in.txt"
printf 'secret.txt\n' >"$proj/.gitignore"
printf 'no\n' >"$proj/secret.txt"
printf 'ref: x\n' >"$proj/.git/HEAD"
printf 'env_vars:\n  RAYCL_CLI_MODE: "yaml"\n' >"$work/env.yaml"
run dry job submit --dry-run --working-dir "$proj" --runtime-env "$work/env.yaml" -- "$python" main.py
expect_rc 0 dry
check_json "$work/dry.out" "job submit --dry-run"
dry_uri=$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["runtime_env"]["working_dir"])' "$work/dry.out")
# Ray 2.60's packaging rules (an old cluster's venv packages by older ones).
ray_uri=$("${RAYCL_TEST_PACKAGING_VENV:-$RAYCL_TEST_VENV}/bin/python" \
  "$(dirname "$0")/../integration/python/ray_client_package.py" uri "$proj")
[ "$dry_uri" = "$ray_uri" ] || fail "dry-run URI $dry_uri differs from Ray's $ray_uri"
wd_id=raycl-cli-wd-$suffix
run submit_wd job submit --submission-id "$wd_id" --working-dir "$proj" --runtime-env "$work/env.yaml" \
  -- "$python" main.py
expect_rc 0 submit_wd
grep -qx "cli-$suffix" "$work/submit_wd.out" || fail "submit_wd: the module was not imported: $(cat "$work/submit_wd.out")"
grep -qx "data $suffix" "$work/submit_wd.out" || fail "submit_wd: the data file was not read"
grep -qx "ignored False False" "$work/submit_wd.out" || fail "submit_wd: an ignored file or .git was shipped"
run status_wd --output json job status "$wd_id"
grep -qF "$ray_uri" "$work/status_wd.out" || fail "submit_wd: the job's runtime_env lacks $ray_uri"
grep -qF RAYCL_CLI_MODE "$work/status_wd.out" || fail "submit_wd: the --runtime-env file's env_vars were not sent"

# ---- list / status / logs --follow / stop / delete ------------------------------------------
run list job list
expect_rc 0 list
grep -q "$ok_id" "$work/list.out" || fail "job list misses $ok_id"
run list_json --output json job list
expect_rc 0 list_json
check_json "$work/list_json.out" "job list --output json"
run status job status "$ok_id"
expect_rc 0 status
grep -q SUCCEEDED "$work/status.out" || fail "job status: not SUCCEEDED"
run status_json job status "$ok_id" --output json
check_json "$work/status_json.out" "job status --output json"
run follow job logs "$ok_id" --follow
expect_rc 0 follow
cmp -s "$work/follow.out" "$work/logs_ok.out" || fail "logs --follow differs from logs"

long_id=raycl-cli-long-$suffix
run submit_long job submit --no-wait --submission-id "$long_id" -- "$python" -c "import time; time.sleep(600)"
expect_rc 0 submit_long
[ "$(cat "$work/submit_long.out")" = "$long_id" ] || fail "submit --no-wait printed $(cat "$work/submit_long.out")"
run stop job stop "$long_id" --wait --timeout 120
expect_rc 1 stop   # the job ended STOPPED
grep -q STOPPED "$work/stop.out" || fail "job stop --wait: not STOPPED"
run delete job delete "$long_id"
expect_rc 0 delete
run status_deleted job status "$long_id"
expect_rc 3 status_deleted
grep -q '^raycl: error 404: ' "$work/status_deleted.err" || fail "status of a deleted job: $(cat "$work/status_deleted.err")"

# ---- state, serve, version ------------------------------------------------------------------
for cmd in "node list" "task list" "actor list" "serve list" "version"; do
  name=${cmd// /_}
  # shellcheck disable=SC2086
  run "$name" $cmd
  expect_rc 0 "$name"
  # shellcheck disable=SC2086
  run "${name}_json" --output json $cmd
  expect_rc 0 "${name}_json"
  check_json "$work/${name}_json.out" "$cmd --output json"
done
grep -q ALIVE "$work/node_list.out" || fail "node list: no ALIVE node"
run usage job bogus
expect_rc 2 usage

if [ "$failures" -ne 0 ]; then
  echo "real_cluster_cli: $failures failure(s)" >&2
  exit 1
fi
echo "real_cluster_cli: all checks passed against $RAYCL_TEST_ADDRESS (auth ${RAYCL_TEST_AUTH:-?})"
