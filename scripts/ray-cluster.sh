#!/usr/bin/env bash
# Local loopback Ray cluster (1 head + N worker nodes) for raycl's integration tests.
#
#   scripts/ray-cluster.sh up     [--auth token|disabled] [--workers N] [--name NAME]
#   scripts/ray-cluster.sh down   [--name NAME]
#   scripts/ray-cluster.sh status [--name NAME]
#   scripts/ray-cluster.sh env    [--name NAME]      # prints the env file (source it)
#   scripts/ray-cluster.sh kill-worker [--worker I] [--name NAME]  # SIGKILL worker node I (default 1)
#   scripts/ray-cluster.sh kill-head-raylet [--name NAME]  # SIGKILL the head's raylet (only it)
#   scripts/ray-cluster.sh stop-dashboard  [--name NAME]  # SIGKILL the head's dashboard process
#   scripts/ray-cluster.sh start-dashboard [--name NAME]  # start it again as it was, wait for it
#
# Worker node I carries the custom resource raycl_worker_I: 1, so a job submitted with
# entrypoint_resources {"raycl_worker_I": 1} runs its driver there (fault tests).
#
# Every named cluster lives in its own temp dir /tmp/raycl-NAME (state, token, Ray session,
# logs) and in its own port block, so several clusters (and a default `ray start` cluster)
# can run side by side. `down` only touches processes of that one cluster (never `ray stop`).
#
# Environment knobs (read by `up`; later commands read the saved state):
#   RAYCL_RAY_DASHBOARD_PORT  dashboard port (default 8285: beside, not on, Ray's 8265)
#   RAYCL_RAY_SERVE_PORT      Serve HTTP proxy port written to the env file (default dashboard+100)
#   RAYCL_RAY_PORT_BASE       start of a 200-port block for GCS/raylet/agent/worker ports
#                             (default 20000 + (dashboard_port % 60) * 200, i.e. 21000 for 8285)
#   RAYCL_RAY_UP_TIMEOUT      seconds to wait for health (default 120)
#   RAYCL_RAY_OBJECT_STORE    object store bytes per node (default 150000000)
#   RAYCL_VENV                venv to use (default: the one scripts/setup-ray.sh prints); any Ray of
#                             scripts/ray-versions/matrix.txt works (`scripts/setup-ray.sh VERSION`);
#                             --auth token needs Ray 2.52+ (refused on older releases)
#   RAYCL_PACKAGING_VENV      venv whose Ray the packaging interop tests compare raycl with
#                             (written as RAYCL_TEST_PACKAGING_VENV; default: the cluster's venv).
#                             raycl packages as Ray 2.60 does, so old-release runs point it at 2.60's
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

die() { echo "ray-cluster: error: $*" >&2; exit 1; }
log() { echo "ray-cluster: $*" >&2; }
usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }

cmd=${1:-}; [ -n "$cmd" ] || usage
shift
name=default auth=token workers=1 worker=1
while [ $# -gt 0 ]; do
  case "$1" in
    --name) name=${2:?--name needs a value}; shift 2 ;;
    --name=*) name=${1#*=}; shift ;;
    --auth) auth=${2:?--auth needs a value}; shift 2 ;;
    --auth=*) auth=${1#*=}; shift ;;
    --workers) workers=${2:?--workers needs a value}; shift 2 ;;
    --workers=*) workers=${1#*=}; shift ;;
    --worker) worker=${2:?--worker needs a value}; shift 2 ;;
    --worker=*) worker=${1#*=}; shift ;;
    -h|--help) usage 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[[ $name =~ ^[A-Za-z0-9_-]{1,20}$ ]] || die "--name must match [A-Za-z0-9_-]{1,20} (Unix socket paths are short)"
[[ $auth == token || $auth == disabled ]] || die "--auth must be token or disabled"
[[ $workers =~ ^[0-4]$ ]] || die "--workers must be 0..4"

dir=/tmp/raycl-$name          # --temp-dir of every node of this cluster
state=$dir/raycl.state        # ports/mode of the running cluster (sourced)
envfile=$dir/raycl.env
tokfile=$dir/auth_token
marker=RAYCL_RAY_CLUSTER_ID   # env var set on every process we start (inherited by children)

venv() {
  if [ -n "${RAYCL_VENV:-}" ] && [ -x "$RAYCL_VENV/bin/ray" ]; then echo "$RAYCL_VENV"; return; fi
  bash "$here/setup-ray.sh" | tail -n1
}

# Ray release of a venv, from its dist-info directory (importing ray takes seconds).
ray_version_of() {
  local d
  for d in "$1"/lib/python*/site-packages/ray-*.dist-info; do
    [ -d "$d" ] || continue
    d=${d##*/ray-}; echo "${d%.dist-info}"; return 0
  done
  echo unknown
}

# Token authentication (RAY_AUTH_MODE=token) exists from Ray 2.52 on; older releases ignore the
# variable and would start an open cluster. Its code lives in ray/_private/authentication/.
has_token_auth() { compgen -G "$1/lib/python*/site-packages/ray/_private/authentication" >/dev/null; }

# `ray start --runtime-env-agent-port` exists from Ray 2.7 on; older releases refuse the flag.
has_start_flag() { grep -qF -- "\"$2\"" "$1"/lib/python*/site-packages/ray/scripts/scripts.py 2>/dev/null; }

# ---- process discovery -------------------------------------------------------------------
# A process belongs to the cluster if (a) its command line mentions the cluster dir (gcs_server,
# raylet, dashboard, agents, log monitor, ... all get --temp-dir/--session-dir/socket paths in it),
# or (b) its environment carries our marker (workers rename themselves to "ray::..." so their
# command line no longer says anything, but they inherit the raylet's environment), or (c) it
# descends from such a process (job drivers run in their own session under the job supervisor).
cluster_pids() {
  local id="$marker=$name@$dir"
  python3 - "$dir/" "$id" <<'PY' 2>/dev/null || true
import os, sys
needle, marker = sys.argv[1].encode(), sys.argv[2].encode()
me = os.getpid(); parent = os.getppid()
procs = {}
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    pid = int(p)
    try:
        with open(f"/proc/{p}/stat", "rb") as f:
            st = f.read()
        ppid = int(st[st.rindex(b")") + 2:].split()[1])
        with open(f"/proc/{p}/cmdline", "rb") as f:
            cmd = f.read()
        try:
            with open(f"/proc/{p}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            env = []
    except (OSError, ValueError):
        continue
    procs[pid] = (ppid, needle in cmd, marker in env)
# never report ourselves / the calling shell (its cmdline may mention the dir)
skip = {me, parent, os.getpgrp()}
own = {pid for pid, (_, c, e) in procs.items() if (c or e) and pid not in skip}
children = {}
for pid, (ppid, _, _) in procs.items():
    children.setdefault(ppid, []).append(pid)
todo = list(own)
while todo:
    for c in children.get(todo.pop(), []):
        if c not in own and c not in skip:
            own.add(c); todo.append(c)
print(" ".join(str(p) for p in sorted(own)))
PY
}

# ---- health --------------------------------------------------------------------------------
curl_api() { # path -> body on stdout, fails on non-2xx
  local hdr=()
  [ "${RAYCL_AUTH:-disabled}" = token ] && hdr=(-H "Authorization: Bearer $(cat "$tokfile")")
  curl -fsS --max-time 5 -H 'User-Agent: raycl-cluster-script' "${hdr[@]}" "http://127.0.0.1:$DASH_PORT$1"
}

alive_nodes() { # prints the number of ALIVE nodes, or nothing
  curl_api '/api/v0/nodes?limit=100' 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(1 for n in d["data"]["result"]["result"] if n.get("state") == "ALIVE"))' 2>/dev/null || true
}

node_procs_ok() { # one gcs_server and NUM_WORKERS+1 raylets of this cluster are running
  local args gcs raylets
  args=$(ps -eo args=)
  gcs=$(grep -cF -- "/gcs_server --log_dir=$dir/" <<<"$args" || true)
  raylets=$(grep -F -- "/raylet/raylet " <<<"$args" | grep -cF -- "--temp_dir=$dir " || true)
  [ "$gcs" = 1 ] && [ "$raylets" = "$((NUM_WORKERS + 1))" ]
}

healthy() { # needs state loaded
  [ -f "$state" ] || return 1
  node_procs_ok || return 1
  curl_api /api/version >/dev/null 2>&1 || return 1
  [ "$(alive_nodes)" = "$((NUM_WORKERS + 1))" ]
}

# shellcheck disable=SC1090
load_state() { [ -f "$state" ] && . "$state"; }

write_env() {
  local token=""
  [ "$RAYCL_AUTH" = token ] && token=$(cat "$tokfile")
  umask 077
  cat >"$envfile" <<EOF
# raycl test cluster '$name' (scripts/ray-cluster.sh); source this file
export RAYCL_TEST_ADDRESS=http://127.0.0.1:$DASH_PORT
export RAYCL_TEST_AUTH=$RAYCL_AUTH
export RAYCL_TEST_TOKEN=$token
export RAYCL_TEST_SERVE_PORT=$SERVE_PORT
export RAYCL_TEST_VENV=$VENV
export RAYCL_TEST_PACKAGING_VENV=${RAYCL_PACKAGING_VENV:-$VENV}
export RAYCL_TEST_RAY_VERSION=${RAY_VERSION:-$(ray_version_of "$VENV")}
export RAYCL_TEST_GCS_ADDRESS=127.0.0.1:$GCS_PORT
export RAYCL_TEST_CLUSTER_DIR=$dir
export RAYCL_TEST_NUM_NODES=$((NUM_WORKERS + 1))
EOF
}

# ---- down ----------------------------------------------------------------------------------
do_down() {
  local pids t
  pids=$(cluster_pids)
  if [ -z "$pids" ]; then
    rm -f "$state" "$envfile"
    log "cluster '$name' is not running"
    return 0
  fi
  # Raylets first (they reap their workers), then everything else.
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  t=$((SECONDS + ${RAYCL_RAY_STOP_GRACE:-8}))   # grace period for a clean exit
  while :; do
    sleep 0.3
    pids=$(cluster_pids); [ -z "$pids" ] && break
    [ "$SECONDS" -lt "$t" ] || break
  done
  if [ -n "$pids" ]; then
    log "killing leftover processes of '$name': $pids"
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    for t in 1 2 3 4 5 6 7 8 9 10; do sleep 0.3; pids=$(cluster_pids); [ -z "$pids" ] && break; done
  fi
  [ -z "$pids" ] || die "processes of '$name' survived SIGKILL: $pids"
  rm -f "$state" "$envfile"
  log "cluster '$name' stopped"
}

# ---- up ------------------------------------------------------------------------------------
do_up() {
  local VENV want_venv; VENV=$(venv); want_venv=$VENV
  if [ "$auth" = token ] && ! has_token_auth "$VENV"; then
    die "Ray $(ray_version_of "$VENV") in $VENV has no token authentication (Ray 2.52+): use --auth disabled"
  fi
  if load_state && [ "$RAYCL_AUTH" = "$auth" ] && [ "$NUM_WORKERS" = "$workers" ] && [ "${VENV:-}" = "$want_venv" ] &&
      healthy; then
    log "cluster '$name' already up and healthy ($RAYCL_AUTH auth, $((NUM_WORKERS + 1)) nodes)"
    echo "$envfile"; return 0
  fi
  VENV=$want_venv   # load_state may have set the running cluster's venv
  if [ -n "$(cluster_pids)" ]; then
    log "cluster '$name' is running but unhealthy or configured differently: restarting"
    do_down
  fi
  RAY_VERSION=$(ray_version_of "$VENV")

  DASH_PORT=${RAYCL_RAY_DASHBOARD_PORT:-8285}
  SERVE_PORT=${RAYCL_RAY_SERVE_PORT:-$((DASH_PORT + 100))}
  local pb=${RAYCL_RAY_PORT_BASE:-$((20000 + (DASH_PORT % 60) * 200))}
  GCS_PORT=$pb
  NUM_WORKERS=$workers
  RAYCL_AUTH=$auth
  local busy
  busy=$(ss -Hltn 2>/dev/null | awk -v a="$pb" -v b=$((pb + 199)) -v d="$DASH_PORT" -v s="$SERVE_PORT" \
    '{ n = split($4, x, ":"); p = x[n] + 0; if ((p >= a && p <= b) || p == d || p == s) printf "%s ", p }')
  [ -z "$busy" ] || die "ports in use: $busy (another cluster? set RAYCL_RAY_DASHBOARD_PORT / RAYCL_RAY_PORT_BASE)"

  mkdir -p "$dir"; chmod 700 "$dir"
  rm -f "$state" "$envfile"
  local -a common_env=(
    env -u RAY_AUTH_TOKEN -u RAY_ADDRESS "$marker=$name@$dir"
    RAY_USAGE_STATS_ENABLED=0 RAY_memory_monitor_refresh_ms=0
    RAY_AUTH_MODE="$auth"
    PATH="$VENV/bin:$PATH"   # a job entrypoint "python x.py" gets the cluster's Python
    PYTHONPATH="$repo/test/integration/python${PYTHONPATH:+:$PYTHONPATH}"
  )
  if [ "$auth" = token ]; then
    # Ray 2.60 loads the token (C++ AuthenticationTokenLoader) from RAY_AUTH_TOKEN, then the
    # file in RAY_AUTH_TOKEN_PATH, then ~/.ray/auth_token. A private file keeps ~/.ray alone.
    ( umask 077; "$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(32), end="")' >"$tokfile" )
    common_env+=(RAY_AUTH_TOKEN_PATH="$tokfile")
  else
    rm -f "$tokfile"
  fi
  local osm=${RAYCL_RAY_OBJECT_STORE:-150000000}
  local head_env_port=() worker_env_port=()
  if has_start_flag "$VENV" --runtime-env-agent-port; then
    head_env_port=(--runtime-env-agent-port $((pb + 7)))
  fi

  cat >"$state" <<EOF
DASH_PORT=$DASH_PORT
SERVE_PORT=$SERVE_PORT
GCS_PORT=$GCS_PORT
NUM_WORKERS=$NUM_WORKERS
RAYCL_AUTH=$RAYCL_AUTH
VENV=$VENV
RAY_VERSION=$RAY_VERSION
EOF

  log "starting head of '$name' (Ray $RAY_VERSION, dashboard 127.0.0.1:$DASH_PORT, gcs $GCS_PORT, auth $auth)"
  # head: block pb+0..pb+59
  # `ray start` turns --node-ip-address/--address 127.0.0.1 into the host's routable IP unless
  # RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 (then it keeps the loopback IP and every server binds to
  # 127.0.0.1). That variable makes a worker node refuse to start, so worker nodes go through
  # scripts/ray_start_loopback.py.
  if ! "${common_env[@]}" RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 "$VENV/bin/ray" start --head \
      --node-ip-address 127.0.0.1 --port "$GCS_PORT" \
      --ray-client-server-port $((pb + 1)) --object-manager-port $((pb + 2)) \
      --node-manager-port $((pb + 3)) --metrics-export-port $((pb + 4)) \
      --dashboard-agent-listen-port $((pb + 5)) --dashboard-agent-grpc-port $((pb + 6)) \
      "${head_env_port[@]}" \
      --min-worker-port $((pb + 10)) --max-worker-port $((pb + 59)) \
      --include-dashboard true --dashboard-host 127.0.0.1 --dashboard-port "$DASH_PORT" \
      --num-cpus 2 --object-store-memory "$osm" --temp-dir "$dir" \
      --disable-usage-stats --log-style record >"$dir/ray-start-head.log" 2>&1; then
    tail -n 30 "$dir/ray-start-head.log" >&2
    do_down || true
    die "ray start --head failed (log: $dir/ray-start-head.log)"
  fi
  local i w
  for i in $(seq 1 "$workers"); do
    w=$((pb + 60 + (i - 1) * 35))      # worker i: block w..w+34
    worker_env_port=()
    has_start_flag "$VENV" --runtime-env-agent-port && worker_env_port=(--runtime-env-agent-port $((w + 5)))
    log "starting worker node $i of '$name'"
    if ! "${common_env[@]}" "$VENV/bin/python" "$here/ray_start_loopback.py" \
        --address "127.0.0.1:$GCS_PORT" --node-ip-address 127.0.0.1 \
        --object-manager-port "$w" --node-manager-port $((w + 1)) \
        --metrics-export-port $((w + 2)) --dashboard-agent-listen-port $((w + 3)) \
        --dashboard-agent-grpc-port $((w + 4)) "${worker_env_port[@]}" \
        --min-worker-port $((w + 6)) --max-worker-port $((w + 34)) \
        --num-cpus 1 --resources "{\"raycl_worker_$i\": 1}" --object-store-memory "$osm" --temp-dir "$dir" \
        --disable-usage-stats --log-style record >"$dir/ray-start-worker$i.log" 2>&1; then
      tail -n 30 "$dir/ray-start-worker$i.log" >&2
      do_down || true
      die "ray start (worker $i) failed (log: $dir/ray-start-worker$i.log)"
    fi
  done

  local timeout=${RAYCL_RAY_UP_TIMEOUT:-120} start=$SECONDS
  until healthy; do
    if [ $((SECONDS - start)) -ge "$timeout" ]; then
      log "timeout after ${timeout}s: /api/version answered: $(curl_api /api/version >/dev/null 2>&1 && echo yes || echo no), ALIVE nodes: $(alive_nodes || true) of $((workers + 1))"
      local dl="$dir/session_latest/logs/dashboard.log"
      if [ -f "$dl" ]; then log "tail of $dl:"; tail -n 40 "$dl" >&2; else log "no dashboard.log under $dir/session_latest/logs"; fi
      die "cluster '$name' did not become healthy (left running for inspection; run: $0 down --name $name)"
    fi
    sleep 0.5
  done
  write_env
  log "cluster '$name' up: $((workers + 1)) nodes ALIVE after $((SECONDS - start))s of health wait"
  echo "$envfile"
}

do_status() {
  if ! load_state; then
    local pids; pids=$(cluster_pids)
    if [ -n "$pids" ]; then echo "cluster '$name': no state file but processes: $pids"; return 1; fi
    echo "cluster '$name': down"; return 3
  fi
  local pids; pids=$(cluster_pids)
  if healthy; then
    echo "cluster '$name': up (auth $RAYCL_AUTH, dashboard http://127.0.0.1:$DASH_PORT, $((NUM_WORKERS + 1)) nodes ALIVE, $(echo "$pids" | wc -w) processes)"
    return 0
  fi
  echo "cluster '$name': UNHEALTHY (ALIVE nodes: $(alive_nodes), expected $((NUM_WORKERS + 1)); node processes complete: $(node_procs_ok && echo yes || echo no); processes: ${pids:-none})"
  return 1
}

# ---- faults (test/integration/fault_tests.cpp) -----------------------------------------------
descendants() { # pids... -> those pids and all their descendants
  python3 - "$@" <<'PY'
import os, sys
kids = {}
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            st = open(f"/proc/{p}/stat", "rb").read()
            kids.setdefault(int(st[st.rindex(b")") + 2:].split()[1]), []).append(int(p))
        except (OSError, ValueError):
            pass
todo = [int(a) for a in sys.argv[1:]]; out = set(todo)
while todo:
    for c in kids.get(todo.pop(), []):
        if c not in out:
            out.add(c); todo.append(c)
print(" ".join(map(str, sorted(out))))
PY
}

do_kill_worker() {
  load_state || die "cluster '$name' is not up"
  [[ $worker =~ ^[1-4]$ ]] && [ "$worker" -le "$NUM_WORKERS" ] || die "no worker node $worker"
  local port=$((GCS_PORT + 60 + (worker - 1) * 35 + 1)) raylet pids
  raylet=$(pgrep -f -- "--temp_dir=$dir .*--node_manager_port=$port |--node_manager_port=$port .*--temp_dir=$dir " || true)
  [ -n "$raylet" ] || die "worker node $worker of '$name' has no raylet (node manager port $port)"
  # shellcheck disable=SC2086
  pids=$(descendants $raylet)
  log "killing worker node $worker of '$name' (raylet $raylet and its children): $pids"
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
}

# The head's raylet alone, as a crash would end it: its children (the dashboard agent, the
# runtime-env agent, workers and drivers) notice on their own; the GCS and the dashboard live on.
do_kill_head_raylet() {
  load_state || die "cluster '$name' is not up"
  local port=$((GCS_PORT + 3)) raylet
  raylet=$(pgrep -f -- "--temp_dir=$dir .*--node_manager_port=$port |--node_manager_port=$port .*--temp_dir=$dir " || true)
  [ -n "$raylet" ] || die "the head of '$name' has no raylet (node manager port $port)"
  log "killing the head raylet of '$name': $raylet"
  kill -KILL "$raylet" 2>/dev/null || true
}

dashboard_pid() { pgrep -f -- "dashboard/dashboard.py .*--temp-dir=$dir " || true; }

do_stop_dashboard() {
  load_state || die "cluster '$name' is not up"
  local pid pids
  pid=$(dashboard_pid)
  [ -n "$pid" ] || die "the dashboard of '$name' is not running"
  # Remember how it was started: its command line and environment, NUL-separated.
  cp "/proc/$pid/cmdline" "$dir/dashboard.cmdline"
  cp "/proc/$pid/environ" "$dir/dashboard.environ"
  pids=$(descendants "$pid")
  log "killing the dashboard of '$name': $pids"
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  local t
  for t in $(seq 1 50); do [ -z "$(dashboard_pid)" ] && return 0; sleep 0.1; done
  die "the dashboard of '$name' survived SIGKILL"
}

do_start_dashboard() {
  load_state || die "cluster '$name' is not up"
  [ -f "$dir/dashboard.cmdline" ] || die "no saved dashboard command line: run stop-dashboard first"
  [ -z "$(dashboard_pid)" ] || die "the dashboard of '$name' is already running"
  python3 - "$dir" <<'PY'
import os, subprocess, sys
d = sys.argv[1]
argv = [a.decode() for a in open(f"{d}/dashboard.cmdline", "rb").read().split(b"\0") if a]
env = dict(e.decode().split("=", 1) for e in open(f"{d}/dashboard.environ", "rb").read().split(b"\0") if b"=" in e)
log = open(f"{d}/dashboard-restart.log", "ab")
subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
PY
  local timeout=${RAYCL_RAY_UP_TIMEOUT:-120} start=$SECONDS
  until curl_api /api/version >/dev/null 2>&1; do
    [ $((SECONDS - start)) -lt "$timeout" ] || die "the restarted dashboard of '$name' did not answer within ${timeout}s"
    sleep 0.3
  done
  log "dashboard of '$name' answers again after $((SECONDS - start))s"
}

do_env() {
  [ -f "$envfile" ] || die "cluster '$name' is not up (no $envfile)"
  echo "# $envfile"
  cat "$envfile"
}

case "$cmd" in
  up) do_up ;;
  down) do_down ;;
  status) do_status ;;
  env) do_env ;;
  kill-worker) do_kill_worker ;;
  kill-head-raylet) do_kill_head_raylet ;;
  stop-dashboard) do_stop_dashboard ;;
  start-dashboard) do_start_dashboard ;;
  pids) cluster_pids ;;   # debugging aid
  *) usage ;;
esac
