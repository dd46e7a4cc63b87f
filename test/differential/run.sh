#!/usr/bin/env bash
# Runs packaging_differential.py with the Ray venv's python. Usage: run.sh <probe> [driver args]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
venv=$(bash "$here/../../scripts/setup-ray.sh" | tail -n1)
probe=$1
shift
exec "$venv/bin/python" "$here/packaging_differential.py" --probe "$probe" "$@"
