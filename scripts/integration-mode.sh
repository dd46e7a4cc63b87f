#!/usr/bin/env bash
# Prints ON or OFF: whether a test run registers the real-Ray integration suite. OFF only when
# RAYCL_SKIP_INTEGRATION=1 outside CI (refused when CI=true); ON prepares the Ray venv first.
# Used by scripts/test.sh and scripts/sanitize.sh.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ "${RAYCL_SKIP_INTEGRATION:-0}" = 1 ]; then
  if [ "${CI:-}" = true ]; then
    echo "raycl: RAYCL_SKIP_INTEGRATION is not allowed in CI" >&2; exit 1
  fi
  echo OFF
else
  bash "$root/scripts/setup-ray.sh" >/dev/null
  echo ON
fi
