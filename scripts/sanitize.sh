#!/usr/bin/env bash
# Runs raycl's tests under sanitizers, each in its own build tree (Ninja, ccache).
#
#   scripts/sanitize.sh asan [--build-only] [ctest args]
#                                           AddressSanitizer + UndefinedBehaviorSanitizer
#                                           (LeakSanitizer on) in build-asan: every suite that
#                                           runs without a cluster (unit, component, the fake's
#                                           self test, CLI, soak.short, the exactly-once submit
#                                           scenario, the packaging differential test)
#   scripts/sanitize.sh tsan [--build-only] [ctest args]
#                                           ThreadSanitizer in build-tsan: the component suites
#                                           (client and fake dashboard on their own threads in
#                                           all of them, several io_context threads in the
#                                           concurrency tests), the fake's self test, the CLI
#                                           suites (the binary, multi-job follow), soak.short and
#                                           the exactly-once submit scenario (label soak), and
#                                           the unit suites of the tail and retry state machines
#                                           and of packaging (the only unit sources built there)
#
# Each stage builds only the targets its tests run. `--build-only` (first after the mode) stops
# after the build (scripts/test.sh builds the trees ahead, in the background). Extra arguments
# go to ctest (e.g. `-R component_tail`). The packaging tests are not run in sanitizer trees: they check the
# installed package, not runtime code, and their consumer is built without the sanitizer runtime.
# The real-Ray integration suite runs once per CI run, in the main tree (scripts/test.sh): under
# ASan it is what the client already does in the component suites, against a slower server, for
# about 12 more minutes of CI. RAYCL_SANITIZE_INTEGRATION=1 adds it to the ASan stage by hand (its
# clusters: asan-disabled on dashboard port 8400, asan-token 8410, asan-faults 8420).
# Environment: RAYCL_JOBS (default 2), RAYCL_SANITIZE_BUILD_DIR (default build-asan/build-tsan).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode="${1:-}"
[ $# -gt 0 ] && shift
build_only=0
if [ "${1:-}" = --build-only ]; then build_only=1; shift; fi
start=$(date +%s)
supp="$root/scripts/sanitizers"
# shellcheck source=ccache-env.sh
source "$root/scripts/ccache-env.sh"

case "$mode" in
  asan)
    build="${RAYCL_SANITIZE_BUILD_DIR:-$root/build-asan}"
    integration=OFF
    if [ "${RAYCL_SANITIZE_INTEGRATION:-}" = 1 ]; then integration=$(bash "$root/scripts/integration-mode.sh"); fi
    configure=(-DRAYCL_SANITIZE=address "-DRAYCL_INTEGRATION=$integration" "-DRAYCL_BUILD_EXAMPLES=$integration"
               -DRAYCL_TEST_CLUSTER_PREFIX=asan -DRAYCL_TEST_DASHBOARD_PORT=8400)
    targets=(raycl_unit_tests raycl_component_tests raycl_fake_dashboard_self_test raycl_cli_tests raycl_cli
             raycl_soak raycl_submit_soak raycl_runtime_env_probe)
    selection=(-L '^(unit|component|soak|differential)$')
    if [ "$integration" = ON ]; then targets=(); selection=(-LE packaging); fi  # everything
    # detect_stack_use_after_return works with the coroutine frames (they live on the heap,
    # not on the fake stack). strict_init_order + check_initialization_order catch static
    # initialization order bugs; LeakSanitizer reports at exit of every test process.
    export ASAN_OPTIONS="detect_leaks=1:strict_init_order=1:check_initialization_order=1:detect_stack_use_after_return=1:abort_on_error=0:halt_on_error=1"
    export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    ;;
  tsan)
    build="${RAYCL_SANITIZE_BUILD_DIR:-$root/build-tsan}"
    configure=(-DRAYCL_SANITIZE=thread -DRAYCL_INTEGRATION=OFF -DRAYCL_BUILD_EXAMPLES=OFF
               "-DRAYCL_UNIT_TEST_FILES=tail_machine_tests;request_attempts_tests;retry_tests;packaging_tests")
    targets=(raycl_component_tests raycl_fake_dashboard_self_test raycl_cli_tests raycl_cli
             raycl_unit_tests raycl_soak raycl_submit_soak)
    selection=(-L '^(component|unit|soak)$')
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp"
    ;;
  *)
    echo "usage: scripts/sanitize.sh asan|tsan [ctest args]" >&2; exit 2 ;;
esac

bash "$root/scripts/setup-deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRAYCL_WERROR=ON \
      -DRAYCL_BUILD_BENCHMARKS=OFF "${configure[@]}" >/dev/null
ninja -C "$build" -j "${RAYCL_JOBS:-2}" "${targets[@]}"
echo "raycl: $mode build finished after $(( $(date +%s) - start )) s"
[ "$build_only" = 1 ] && exit 0
ctest --test-dir "$build" --output-on-failure --timeout 900 "${selection[@]}" "$@"
echo "raycl: $mode tests finished after $(( $(date +%s) - start )) s"
