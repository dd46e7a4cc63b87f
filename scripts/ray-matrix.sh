#!/usr/bin/env bash
# Runs raycl's real-Ray suites against every Ray release of scripts/ray-versions/matrix.txt (or
# the ones given) and prints a pass/fail table per version and per suite.
#
#   scripts/ray-matrix.sh [--auth disabled|all] [--suites integration,cli] [VERSION...]
#
# Per version: `scripts/setup-ray.sh VERSION` (cached venv), then the ctest entries of the chosen
# suites with RAYCL_VENV=<that venv> (the ctest fixtures start their clusters through
# scripts/ray-cluster.sh, which takes the venv from RAYCL_VENV and writes it to the env file as
# RAYCL_TEST_VENV). Suites: integration = integration.<mode>.real_ray_* plus the fault suite
# (integration.faults.*, auth disabled); cli = integration.<mode>.cli and .cli_* (the scripts
# test/cli/real_cluster_*.sh). The packaging interop tests compare raycl with Ray 2.60's client
# on every release (RAYCL_PACKAGING_VENV = the venv of `scripts/setup-ray.sh`).
# --auth all adds the token-mode entries on the releases whose matrix line lists `token` (2.52+).
#
# Knobs: RAYCL_MATRIX_BUILD (build tree, default <repo>/build-matrix; configured here with
# -DRAYCL_INTEGRATION=ON, only raycl_integration_tests and raycl_cli are built, -j2),
# RAYCL_MATRIX_PREFIX (cluster name prefix, default matrix), RAYCL_MATRIX_PORT (dashboard port of
# the first cluster, default 8395; the suites use it, +10 and +20), RAYCL_MATRIX_OUT (result dir,
# default <build>/ray-matrix). Exit status 0 when every cell passed, 1 otherwise.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
matrix="$here/ray-versions/matrix.txt"
auth=disabled suites=integration,cli
versions=()
while [ $# -gt 0 ]; do
  case "$1" in
    --auth) auth=${2:?}; shift 2 ;;
    --suites) suites=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "ray-matrix: unknown option $1" >&2; exit 2 ;;
    *) versions+=("$1"); shift ;;
  esac
done
[[ $auth == disabled || $auth == all ]] || { echo "ray-matrix: --auth disabled|all" >&2; exit 2; }

declare -A modes_of
all_versions=()
while read -r v m _; do
  [[ -z $v || $v == \#* ]] && continue
  modes_of[$v]=$m; all_versions+=("$v")
done <"$matrix"
[ ${#versions[@]} -gt 0 ] || versions=("${all_versions[@]}")
for v in "${versions[@]}"; do
  [ -n "${modes_of[$v]:-}" ] || { echo "ray-matrix: $v is not in $matrix" >&2; exit 2; }
done

build=${RAYCL_MATRIX_BUILD:-$repo/build-matrix}
prefix=${RAYCL_MATRIX_PREFIX:-matrix}
port=${RAYCL_MATRIX_PORT:-8395}
out=${RAYCL_MATRIX_OUT:-$build/ray-matrix}
mkdir -p "$out"

t=$SECONDS
cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAYCL_WERROR=ON -DRAYCL_INTEGRATION=ON \
  -DRAYCL_BUILD_EXAMPLES=OFF -DRAYCL_BUILD_BENCHMARKS=OFF \
  -DRAYCL_TEST_CLUSTER_PREFIX="$prefix" -DRAYCL_TEST_DASHBOARD_PORT="$port" >"$out/configure.log" 2>&1 ||
  { tail -n 30 "$out/configure.log" >&2; exit 1; }
ninja -C "$build" -j2 raycl_integration_tests raycl_cli >"$out/build.log" 2>&1 || { tail -n 40 "$out/build.log" >&2; exit 1; }
echo "ray-matrix: build ready in $((SECONDS - t)) s ($build)" >&2

# summarize LOG SUITE MODE...: "pass N/M" or "FAIL k/M: names" for the ctest entries of a suite.
summarize() {
  python3 - "$@" <<'PY'
import re, sys
log, suite, modes = sys.argv[1], sys.argv[2], sys.argv[3:]
res = {}
for line in open(log, errors="replace"):
    m = re.search(r"Test\s+#\d+: (integration\.(\w+)\.(\S+)) \.*\s*(.*)$", line)
    if not m:
        continue
    name, mode, entry, state = m.group(1), m.group(2), m.group(3), m.group(4)
    if mode not in modes and not (mode == "faults" and "disabled" in modes):
        continue
    kind = "infra" if entry.startswith("cluster_") else ("cli" if entry.startswith("cli") else "integration")
    res[name] = (kind, "Passed" in state)
for line in open(log, errors="replace"):  # tests ctest did not run because their fixture failed
    m = re.search(r"^\s*\d+ - (integration\.(\w+)\.(\S+)) \((Not Run|Failed|Timeout|Skipped)\)", line)
    if m and m.group(1) not in res:
        kind = "cli" if m.group(3).startswith("cli") else ("infra" if m.group(3).startswith("cluster_") else "integration")
        res[m.group(1)] = (kind, False)
infra_bad = [n for n, (k, ok) in res.items() if k == "infra" and not ok and n.endswith("cluster_up")]
mine = {n: ok for n, (k, ok) in res.items() if k == suite}
if not mine:
    print("not run")
    sys.exit()
bad = sorted(n.split(".", 1)[1] for n, ok in mine.items() if not ok)
cell = f"pass {len(mine)}/{len(mine)}" if not bad else f"FAIL {len(bad)}/{len(mine)}: " + " ".join(bad)
if infra_bad:
    cell += " (cluster_up failed: " + " ".join(n.split(".")[1] for n in infra_bad) + ")"
print(cell)
PY
}

packaging_venv=$(env -u RAYCL_VENV bash "$here/setup-ray.sh" | tail -n1)
declare -A cell timing
failed=0
for v in "${versions[@]}"; do
  t=$SECONDS
  if ! venv=$(bash "$here/setup-ray.sh" "$v" 2>"$out/setup-$v.log" | tail -n1) || [ ! -x "$venv/bin/ray" ]; then
    for s in ${suites//,/ }; do cell[$v,$s]="setup failed ($out/setup-$v.log)"; done
    failed=1; continue
  fi
  setup_s=$((SECONDS - t))
  modes=disabled
  [ "$auth" = all ] && [[ ${modes_of[$v]} == *token* ]] && modes="disabled token"
  regex=""
  for s in ${suites//,/ }; do
    for m in $modes; do
      case $s in
        integration) regex+="|integration\\.$m\\.(cluster_|real_ray_)" ;;
        cli) regex+="|integration\\.$m\\.(cluster_|cli\$|cli_)" ;;
        *) echo "ray-matrix: unknown suite $s" >&2; exit 2 ;;
      esac
    done
    [ "$s" = integration ] && regex+="|integration\\.faults\\."
  done
  regex="^(${regex#|})"
  log="$out/ctest-$v.log"
  echo "ray-matrix: Ray $v ($modes) venv $venv (setup ${setup_s} s): ctest -R '$regex'" >&2
  t=$SECONDS
  RAYCL_VENV=$venv RAYCL_PACKAGING_VENV=$packaging_venv ctest --test-dir "$build" -R "$regex" --output-on-failure --timeout 900 >"$log" 2>&1 || true
  timing[$v]="setup ${setup_s} s, ctest $((SECONDS - t)) s"
  for s in ${suites//,/ }; do
    # shellcheck disable=SC2086
    cell[$v,$s]=$(summarize "$log" "$s" $modes)
    [[ ${cell[$v,$s]} == pass* ]] || failed=1
  done
  echo "ray-matrix: Ray $v: ${timing[$v]}" >&2
done

{
  printf '| Ray | auth |'; for s in ${suites//,/ }; do printf ' %s |' "$s"; done; printf ' time |\n'
  printf '|---|---|'; for s in ${suites//,/ }; do printf -- '---|'; done; printf -- '---|\n'
  for v in "${versions[@]}"; do
    m=disabled; [ "$auth" = all ] && [[ ${modes_of[$v]} == *token* ]] && m="disabled+token"
    printf '| %s | %s |' "$v" "$m"
    for s in ${suites//,/ }; do printf ' %s |' "${cell[$v,$s]:-not run}"; done
    printf ' %s |\n' "${timing[$v]:-}"
  done
} | tee "$out/table.md"
echo "ray-matrix: logs in $out (ctest-VERSION.log)" >&2
exit $failed
