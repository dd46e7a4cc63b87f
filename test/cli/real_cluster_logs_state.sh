#!/usr/bin/env bash
# `raycl logs`, `raycl status` and `raycl list/get/summary` against a real local Ray cluster,
# compared with Ray's own CLI where raycl must match it (`ray status`, `ray list`, `ray logs`).
# Run by ctest as integration.{disabled,token}.cli_logs_state with RAYCL_TEST_ENV_FILE set.
#
#   RAYCL_TEST_ENV_FILE=/tmp/raycl-ci-token/raycl.env test/cli/real_cluster_logs_state.sh RAYCL SOURCE_DIR
set -euo pipefail

raycl=${1:?usage: real_cluster_logs_state.sh RAYCL_BINARY SOURCE_DIR}
source_dir=${2:?usage: real_cluster_logs_state.sh RAYCL_BINARY SOURCE_DIR}
: "${RAYCL_TEST_ENV_FILE:?RAYCL_TEST_ENV_FILE is not set}"
# shellcheck disable=SC1090
source "$RAYCL_TEST_ENV_FILE"
export RAY_ADDRESS=$RAYCL_TEST_ADDRESS
unset RAY_AUTH_TOKEN_PATH
if [ -n "${RAYCL_TEST_TOKEN:-}" ]; then
  export RAY_AUTH_TOKEN=$RAYCL_TEST_TOKEN RAY_AUTH_MODE=token  # Ray's CLI needs both
else
  unset RAY_AUTH_TOKEN RAY_AUTH_MODE
fi
python=$RAYCL_TEST_VENV/bin/python
work=$(mktemp -d /tmp/raycl-cli-logs-XXXXXX)
tag=cli$$x$RANDOM
control=$work/control
mkdir -p "$control"
submission=raycl-cli-logs-$tag
failures=0
finish() {
  touch "$control/finish"
  "$raycl" job wait "$submission" --timeout 120 >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap finish EXIT

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
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
expect_out() {  # expect_out NAME TEXT: stdout is exactly TEXT (and a newline)
  [ "$(cat "$work/$1.out")" = "$2" ] || fail "$1: printed '$(head -c 500 "$work/$1.out")', expected '$2'"
}
ray_cli() {  # Ray's own CLI (it needs the GCS for status and logs)
  (cd /tmp && RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 timeout 120 "$RAYCL_TEST_VENV/bin/ray" "$@" 2>/dev/null)
}
json_field() {  # json_field FILE PYTHON-EXPRESSION-OF-rows
  python3 -c "import json, sys; rows = json.load(open(sys.argv[1])); print($2)" "$1"
}

# ---- the job: tasks to stdout/stderr, a retried task, an actor holding objects, a placement group
run submit job submit --no-wait --submission-id "$submission" -- \
  "$python" "$source_dir/test/integration/python/logs_state_job.py" "$control" "$tag"
expect_rc 0 submit
for _ in $(seq 1 120); do
  "$raycl" job logs "$submission" 2>/dev/null | grep -q "raycl job $tag ready" && break
  sleep 1
done
"$raycl" job logs "$submission" | grep -q "raycl job $tag ready" || { fail "the job never got ready"; exit 1; }

# ---- list: every resource, table and JSON; the job's own rows are there ------------------------
# Ray's own bug: it sorts cluster events by a timestamp that some sources give as a number and
# others as a string (seen on 2.9.3 and 2.60 once the other CLI suites had run); every list then
# fails, and raycl reports Ray's 500 (exit 3): with the TypeError as the reason up to 2.44, as a
# bare 500 from 2.45, whose traceback is only in the dashboard's log.
# Python names the two types in the order it met them: 'int' and 'str', or 'str' and 'int'.
ray_event_sort_bug="TypeError: '<' not supported between instances of '(int|str)' and '(str|int)'"
ray_event_sort_failed() {
  grep -qE "error 500: GET /api/v0/cluster_events failed: HTTP 500: $ray_event_sort_bug" "$1" && return 0
  grep -qF "error 500: GET /api/v0/cluster_events failed: HTTP 500 without a reason" "$1" &&
    grep -qE "$ray_event_sort_bug" "$RAYCL_TEST_CLUSTER_DIR"/session_latest/logs/dashboard*
}
for resource in actors jobs placement-groups nodes workers tasks objects runtime-envs cluster-events; do
  run "list_$resource" list "$resource"
  if [ "$resource" = cluster-events ] && [ "$rc" -eq 3 ] && ray_event_sort_failed "$work/list_$resource.err"; then
    echo "real_cluster_logs_state: Ray could not list its cluster events (its TypeError sorting them)"
    continue
  fi
  expect_rc 0 "list_$resource"
  run "list_${resource}_json" --output json list "$resource"
  expect_rc 0 "list_${resource}_json"
  python3 -m json.tool <"$work/list_${resource}_json.out" >/dev/null || fail "list $resource: not JSON"
done
grep -q "raycl_logs_pg_$tag" "$work/list_placement-groups.out" || fail "list placement-groups misses the job's group"
grep -q "Printer" "$work/list_actors.out" || fail "list actors misses Printer"
grep -q "^NODE_ID" "$work/list_nodes.out" || fail "list nodes: no table header"

# `raycl list tasks --filter state=FINISHED` agrees with `ray list tasks --filter state=FINISHED`.
# FINISHED is final but the set may grow meanwhile (Ray 2.9.3's job supervisors finish a
# `JobSupervisor.ping` task every second): each list holds the one before it.
run finished --output json list tasks --filter state=FINISHED --limit 10000
expect_rc 0 finished
ray_cli list tasks --filter state=FINISHED --limit 10000 --format json --address "$RAYCL_TEST_ADDRESS" >"$work/ray_finished.json"
# Filter keys are matched in any case, as `ray list` does; an unknown one is a 400 before any request.
run finished_upper --output json list tasks --filter STATE=FINISHED --limit 10000
expect_rc 0 finished_upper
within() {  # within A B: every (task_id, attempt) of list A is in list B
  python3 - "$1" "$2" <<'PY'
import json, sys
pairs = lambda f: {(r["task_id"], r["attempt_number"]) for r in json.load(open(f))}
a, b = pairs(sys.argv[1]), pairs(sys.argv[2])
sys.exit(0 if a and a <= b else 1)
PY
}
within "$work/finished.out" "$work/ray_finished.json" ||
  fail "list tasks --filter state=FINISHED: raycl has rows ray list lacks: $(head -c 2000 "$work/finished.out")"
within "$work/ray_finished.json" "$work/finished_upper.out" ||
  fail "--filter STATE=FINISHED lacks rows of ray list's state=FINISHED"
grep -q to_stdout "$work/finished.out" || fail "list tasks --filter state=FINISHED misses to_stdout"
run bad_filter list tasks --filter colour=red
expect_rc 3 bad_filter
grep -q "error 400: .*func_or_class_name" "$work/bad_filter.err" || fail "bad filter: $(cat "$work/bad_filter.err")"

# ---- get: by id, every field; a missing id is 404 ----------------------------------------------
run job_json --output json job status "$submission"
job_id=$(json_field "$work/job_json.out" "rows['job_id']")
task_of() {  # task_of NAME: the id of this job's task NAME
  json_field "$work/list_tasks_json.out" "[r['task_id'] for r in rows if r['name'] == '$1' and r['job_id'] == '$job_id'][0]"
}
run tasks_all --output json list tasks --filter "job_id=$job_id" --limit 10000
cp "$work/tasks_all.out" "$work/list_tasks_json.out"
stdout_task=$(task_of to_stdout)
stderr_task=$(task_of to_stderr)
flaky_task=$(task_of flaky)
actor_id=$(json_field "$work/list_actors_json.out" "[r['actor_id'] for r in rows if r['name'] == 'raycl_logs_printer_$tag'][0]")
actor_pid=$(json_field "$work/list_actors_json.out" "[r['pid'] for r in rows if r['actor_id'] == '$actor_id'][0]")
actor_node=$(json_field "$work/list_actors_json.out" "[r['node_id'] for r in rows if r['actor_id'] == '$actor_id'][0]")
pg_id=$(json_field "$work/list_placement-groups_json.out" "[r['placement_group_id'] for r in rows if r['name'] == 'raycl_logs_pg_$tag'][0]")
run get_actor get actors "$actor_id"
expect_rc 0 get_actor
grep -q "ALIVE" "$work/get_actor.out" || fail "get actors: not ALIVE"
run get_pg --output json get placement-groups "$pg_id"
expect_rc 0 get_pg
[ "$(json_field "$work/get_pg.out" "rows[0]['name']")" = "raycl_logs_pg_$tag" ] || fail "get placement-groups: wrong row"
run get_flaky --output json get tasks "$flaky_task"
[ "$(json_field "$work/get_flaky.out" "sorted(r['attempt_number'] for r in rows)")" = "[0, 1]" ] ||
  fail "get tasks of the retried task: $(head -c 300 "$work/get_flaky.out")"
run get_missing get placement-groups ffffffffffffffffffffffffffffffffffff
expect_rc 3 get_missing
grep -q "^raycl: error 404: " "$work/get_missing.err" || fail "get of a missing id: $(cat "$work/get_missing.err")"

# ---- summary ----------------------------------------------------------------------------------
for resource in tasks actors objects; do
  run "summary_$resource" summary "$resource"
  expect_rc 0 "summary_$resource"
  run "summary_${resource}_json" --output json summary "$resource"
  python3 -m json.tool <"$work/summary_${resource}_json.out" >/dev/null || fail "summary $resource: not JSON"
done
grep -q "flaky" "$work/summary_tasks.out" || fail "summary tasks misses flaky"
grep -q "Printer" "$work/summary_actors.out" || fail "summary actors misses Printer"
run lineage summary tasks --summary-by lineage
expect_rc 0 lineage

# ---- status: the text `ray status` prints, line for line --------------------------------------
# The autoscaler rewrites its report every few seconds: compare texts whose header (which holds
# the report's time) is the same.
same=""
for _ in 1 2 3 4 5; do
  "$raycl" status >"$work/status_before.out"
  ray_cli status --address "$RAYCL_TEST_GCS_ADDRESS" >"$work/ray_status.out" || true
  "$raycl" status >"$work/status_after.out"
  header=$(head -1 "$work/ray_status.out")
  for ours in "$work/status_before.out" "$work/status_after.out"; do
    [ "$(head -1 "$ours")" = "$header" ] && same=$ours
  done
  [ -n "$same" ] && break
done
if [ -z "$same" ]; then
  fail "raycl status never printed the report ray status printed: $(head -3 "$work/ray_status.out")"
else
  cmp -s "$same" "$work/ray_status.out" || fail "raycl status differs from ray status: $(diff "$same" "$work/ray_status.out" | head -20)"
fi
grep -q "^======== Autoscaler status: " "$work/status_after.out" || fail "raycl status: no header"
run status_json --output json status
expect_rc 0 status_json
python3 -c "import json, sys; d = json.load(open(sys.argv[1])); assert 'clusterStatus' in d" "$work/status_json.out" ||
  fail "status --output json: $(head -c 300 "$work/status_json.out")"

# ---- logs: exactly the printed lines, as `ray logs` prints them --------------------------------
run log_stdout logs task --id "$stdout_task" --tail -1
expect_rc 0 log_stdout
expect_out log_stdout "raycl stdout $tag"
run log_stderr logs task --id "$stderr_task" --err --tail -1
expect_out log_stderr "raycl stderr $tag"
run log_flaky0 logs task --id "$flaky_task" --attempt-number 0 --tail -1
expect_out log_flaky0 "raycl flaky $tag attempt 0"
run log_flaky1 logs task --id "$flaky_task" --attempt-number 1 --tail -1
expect_out log_flaky1 "raycl flaky $tag attempt 1"
ray_cli logs task --id "$flaky_task" --attempt-number 1 --tail -1 --address "$RAYCL_TEST_GCS_ADDRESS" >"$work/ray_flaky1.out"
cmp -s "$work/log_flaky1.out" "$work/ray_flaky1.out" || fail "logs task differs from ray logs task: $(head -c 300 "$work/ray_flaky1.out")"
# The default --tail 1000: the note goes to stderr (Ray prints it into stdout), the log to stdout.
run log_actor logs actor --id "$actor_id"
expect_rc 0 log_actor
grep -q "^--- Log has been truncated to last 1000 lines." "$work/log_actor.err" || fail "logs actor: no note on stderr"
grep -qx "raycl actor $tag init" "$work/log_actor.out" || fail "logs actor: $(head -c 300 "$work/log_actor.out")"
ray_cli logs actor --id "$actor_id" --tail -1 --address "$RAYCL_TEST_GCS_ADDRESS" >"$work/ray_actor.out"
cmp -s "$work/log_actor.out" "$work/ray_actor.out" || fail "logs actor differs from ray logs actor"
run log_worker logs worker --pid "$actor_pid" --node-id "$actor_node" --tail -1
cmp -s "$work/log_worker.out" "$work/log_actor.out" || fail "logs worker of the actor's pid differs from its actor log"
run log_actor_pid logs actor --pid "$actor_pid" --node-id "$actor_node" --tail -1
cmp -s "$work/log_actor_pid.out" "$work/log_actor.out" || fail "logs actor --pid differs from logs actor --id"
run log_job logs job --id "$submission" --tail -1
grep -qx "raycl job $tag ready \[1, 2, 3\] 3" "$work/log_job.out" || fail "logs job: $(head -c 300 "$work/log_job.out")"
run log_task_actor logs task --id "$(task_of Printer.hold)"
expect_rc 3 log_task_actor
grep -q "^raycl: error 400: .*actor" "$work/log_task_actor.err" || fail "logs of an actor task: $(cat "$work/log_task_actor.err")"
run log_missing logs task --id ffffffffffffffffffffffffffffffffffffffff02000000
expect_rc 3 log_missing
grep -q "^raycl: error 404: " "$work/log_missing.err" || fail "logs of a missing task: $(cat "$work/log_missing.err")"

# `raycl logs cluster`: the head's files by category; one match prints that file.
run cluster_list logs cluster
expect_rc 0 cluster_list
grep -q "^Node ID: " "$work/cluster_list.out" || fail "logs cluster: no Node ID line"
grep -q "raylet.out" "$work/cluster_list.out" || fail "logs cluster: no raylet.out"
run cluster_one logs cluster raylet.out --tail 5
expect_rc 0 cluster_one
[ "$(wc -l <"$work/cluster_one.out")" -eq 5 ] || fail "logs cluster raylet.out --tail 5: $(wc -l <"$work/cluster_one.out") lines"

# ---- logs --follow of the running actor: new lines, then the end when it is killed -------------
set +e
timeout 120 "$raycl" logs actor --id "$actor_id" --follow --tail -1 >"$work/follow.out" 2>"$work/follow.err" &
follower=$!
set -e
for _ in $(seq 1 100); do grep -q "raycl actor $tag init" "$work/follow.out" && break; sleep 0.2; done
echo "raycl after follow $tag 1" >"$control/say-1"
for _ in $(seq 1 100); do grep -q "raycl after follow $tag 1" "$work/follow.out" && break; sleep 0.2; done
touch "$control/kill"
set +e
wait "$follower"
rc=$?
set -e
expect_rc 0 follow
no_token "$work/follow.out" "$work/follow.err"
expect_out follow "$(printf ':job_id:%s\n:actor_name:Printer\nraycl actor %s init\nraycl after follow %s 1' "$job_id" "$tag" "$tag")"

if [ "$failures" -ne 0 ]; then
  echo "real_cluster_logs_state: $failures failure(s)" >&2
  exit 1
fi
echo "real_cluster_logs_state: all checks passed against $RAYCL_TEST_ADDRESS (auth ${RAYCL_TEST_AUTH:-?})"
