#!/usr/bin/env bash
# The slow, learner-side checks (issue: "prove it as a learner would"):
#   - JupyterLab in headless Chromium runs lessons, widgets react, plots appear (screenshots -> docs/screenshots/);
#     with ipywidgets 7.7.1 too, where the colab world is built (python -m course_lib worlds colab --browser)
#   - the Colab bootstrap cell installs course_lib into a fresh venv and lesson 00 runs
# Needs README command 1 first (.venv). Installs Debian's chromium and the playwright driver (no browser download).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi
fi
.venv/bin/pip install -q playwright==1.65.2
HF_HUB_OFFLINE=1 .venv/bin/python -m pytest -m slow tests/test_in_browser.py tests/test_colab_bootstrap.py "$@"
