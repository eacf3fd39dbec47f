#!/usr/bin/env bash
# One command to run every test: lint, types, unit, simulator, AppTest and headless-browser tests.
# Installs the Python packages into .venv, and Debian's chromium, redis-server and haproxy when
# missing (needs root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-dev.txt
# Debian's packages the tests run for real: chromium (browser tests), redis-server and haproxy
# (the limits shared by replicas, and replicas behind a proxy). Without them, the tests that need
# them fail: they are never skipped.
source scripts/debian.sh
install_missing chromium redis-server haproxy || true
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# Types: strict on the two libraries (Coze's wire protocol, the answer model), checked on the page.
# They run beside the tests (about 25 s from a fresh clone, while the browser tests leave most of
# the CPU idle); either failing fails the run, and their output comes after the tests'.
types=$(mktemp)
trap 'rm -f "$types"' EXIT
(.venv/bin/mypy --strict coze_stream coze_answer && .venv/bin/mypy streamlit_app.py chat_page) \
  > "$types" 2>&1 &
checking=$!
# On every core: most of the suite's time is the browser tests waiting for a page, and each
# worker runs its own simulator, Streamlit servers and Chromium. worksteal keeps the cores busy
# when a long test lands late.
tests=0
.venv/bin/python -m pytest -n auto --dist worksteal "$@" || tests=$?
typed=0
wait "$checking" || typed=$?
cat "$types"
if [ "$typed" -ne 0 ]; then
  echo "mypy found type errors (above)" >&2
  exit "$typed"
fi
exit "$tests"
