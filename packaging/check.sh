#!/usr/bin/env bash
# The whole check: lint, format, types, layering, then the test suite.
#   packaging/check.sh [PYTEST ARGS]          fast tests only (-m "not slow"): minutes, for every commit
#   packaging/check.sh --slow [PYTEST ARGS]   then the slow tests too (what CI runs, .ci/run), less SLOW_SKIPPED
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$PWD/.numba_cache}"
py=.venv/bin/python
slow=0
if [ "${1:-}" = "--slow" ]; then slow=1; shift; fi

# Slow tests CI does not run, each with its reason (run them by hand: pytest -m slow <path>).
SLOW_SKIPPED=(
  # Builds the one-folder application with PyInstaller (the `package` extra, not in bootstrap --dev) and starts
  # the frozen executable cold and warm: the release check of packaging/build, tens of minutes on two cores.
  tests/packaging/test_frozen.py
)

echo "== ruff lint";   $py -m ruff check .
echo "== ruff format"; $py -m ruff format --check .
echo "== mypy strict"; $py -m mypy
echo "== import-linter"; .venv/bin/lint-imports
echo "== pytest (fast)"
$py -m pytest -m "not slow" -q "$@"
if [ "$slow" = 1 ]; then
  echo "== pytest (slow; skipped: ${SLOW_SKIPPED[*]})"
  ignore=()
  for path in "${SLOW_SKIPPED[@]}"; do ignore+=(--ignore "$path"); done
  $py -m pytest -m slow -q --durations=0 "${ignore[@]}" "$@"
fi
