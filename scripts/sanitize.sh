#!/usr/bin/env bash
# Runs raycl's tests under sanitizers, each in its own build tree (Ninja, ccache).
#
#   scripts/sanitize.sh asan [ctest args]   AddressSanitizer + UndefinedBehaviorSanitizer
#                                           (LeakSanitizer on) in build-asan: the whole suite
#                                           (unit, component, fake-dashboard self test, CLI,
#                                           integration against real Ray)
#   scripts/sanitize.sh tsan [ctest args]   ThreadSanitizer in build-tsan: every test with the
#                                           `component` label (client and fake dashboard run
#                                           on their own threads in all of them, several
#                                           io_context threads in the concurrency tests)
#
# Extra arguments go to ctest (e.g. `-R component_tail`). The packaging test is not run in
# sanitizer trees: it is an install-and-consume check of the package, not runtime code, and its
# consumer is built without the sanitizer runtime. The integration clusters of the ASan tree are
# asan-disabled (dashboard port 8400) and asan-token (8410), so the suite can run beside the main
# tree's clusters. RAYCL_SKIP_INTEGRATION=1 leaves the real-Ray suite out (never in CI).
# Environment: RAYCL_JOBS (default 2), RAYCL_SANITIZE_BUILD_DIR (default build-asan/build-tsan).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode="${1:-}"
[ $# -gt 0 ] && shift
start=$(date +%s)
supp="$root/scripts/sanitizers"

case "$mode" in
  asan)
    build="${RAYCL_SANITIZE_BUILD_DIR:-$root/build-asan}"
    integration=$(bash "$root/scripts/integration-mode.sh")
    configure=(-DRAYCL_SANITIZE=address -DRAYCL_INTEGRATION=$integration
               -DRAYCL_BUILD_EXAMPLES=ON
               -DRAYCL_TEST_CLUSTER_PREFIX=asan -DRAYCL_TEST_DASHBOARD_PORT=8400)
    targets=()  # everything the tree registers tests for
    selection=(-LE packaging)
    # detect_stack_use_after_return works with the coroutine frames (they live on the heap,
    # not on the fake stack). strict_init_order + check_initialization_order catch static
    # initialization order bugs; LeakSanitizer reports at exit of every test process.
    export ASAN_OPTIONS="detect_leaks=1:strict_init_order=1:check_initialization_order=1:detect_stack_use_after_return=1:abort_on_error=0:halt_on_error=1"
    export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    ;;
  tsan)
    build="${RAYCL_SANITIZE_BUILD_DIR:-$root/build-tsan}"
    configure=(-DRAYCL_SANITIZE=thread -DRAYCL_INTEGRATION=OFF -DRAYCL_BUILD_EXAMPLES=OFF)
    targets=(raycl_component_tests raycl_fake_dashboard_self_test raycl_cli_tests raycl_cli)
    selection=(-L component)
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
ctest --test-dir "$build" --output-on-failure --timeout 900 "${selection[@]}" "$@"
echo "raycl: $mode tests finished after $(( $(date +%s) - start )) s"
