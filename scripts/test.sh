#!/usr/bin/env bash
# Installs the test dependencies and runs lint, type checks and the whole test suite.
# Used by the README's Quickstart and by .ci/run. Needs only Python 3.11 (and root or
# sudo for Debian's Chromium, used by the browser tests).
set -euo pipefail
cd "$(dirname "$0")/.."
export NO_MKDOCS_2_WARNING=1 PIP_DISABLE_PIP_VERSION_CHECK=1
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q -e '.[test]'
bash scripts/install-browser.sh
echo "== ruff"; .venv/bin/ruff check mlcards tests benchmarks site_example
echo "== mypy"; .venv/bin/mypy
echo "== import contracts"; .venv/bin/lint-imports --no-cache
echo "== pytest"; .venv/bin/python -m pytest -n 2 --dist loadscope -q "$@"
