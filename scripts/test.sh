#!/usr/bin/env bash
# One command to run every test: lint, types, unit, simulator, AppTest and headless-browser tests.
# Installs the Python packages into .venv and Debian's chromium when it is missing (needs root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-dev.txt
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser tests..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing and cannot be installed here (not root): the browser tests will" >&2
    echo "fail. Install it with: sudo apt-get install chromium" >&2
  fi
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# Types: strict on the two libraries (Coze's wire protocol, the answer model), checked on the page.
.venv/bin/mypy --strict coze_stream coze_answer
.venv/bin/mypy streamlit_app.py chat_page
# On every core: most of the suite's time is the browser tests waiting for a page, and each
# worker runs its own simulator, Streamlit servers and Chromium. worksteal keeps the cores busy
# when a long test lands late.
exec .venv/bin/python -m pytest -n auto --dist worksteal "$@"
