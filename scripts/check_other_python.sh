#!/usr/bin/env bash
# Maintainers (slow, ~4 GB download): prove the stored outputs reproduce on another Python minor version.
# Builds a fresh venv for $PYTHON (default python3.12) from the project's own files, then runs the
# notebooks under nbval there. On PyPI, torch for another Python is the CUDA build (a large download);
# the tests still pin themselves to the CPU (conftest.py), so no GPU is needed.
#   usage: scripts/check_other_python.sh [python3.12] [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${1:-python3.12}"; shift || true
"$PYTHON" --version >/dev/null 2>&1 || PYTHON="$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12 2>/dev/null | head -1)"
VENV=".venv-$("$PYTHON" -c 'import sys; print(f"py{sys.version_info[0]}{sys.version_info[1]}")')"
export HF_HUB_OFFLINE=1
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install -q -r requirements.txt -e .
"$VENV/bin/python" --version
"$VENV/bin/python" -m pytest notebooks tests/test_notebooks.py tests/test_notebook_metrics.py "$@"
