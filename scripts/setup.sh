#!/usr/bin/env bash
# Creates .venv (Python 3.10 or newer) and installs the given requirements file into it: the
# pinned requirements.txt (the app) or requirements-dev.txt (the app, tests and checks).
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=${1:-requirements.txt}
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
