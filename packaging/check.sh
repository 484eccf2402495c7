#!/usr/bin/env bash
# The whole check: lint, format, types, layering, then the test suite (fast tests; `slow` ones are opt-in).
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$PWD/.numba_cache}"
py=.venv/bin/python
echo "== ruff lint";   $py -m ruff check .
echo "== ruff format"; $py -m ruff format --check .
echo "== mypy strict"; $py -m mypy
echo "== import-linter"; .venv/bin/lint-imports
echo "== pytest"
$py -m pytest -m "not slow" -q "$@"
