#!/usr/bin/env bash
# Creates .venv (Python 3.11 to 3.13) and installs the given requirements file into it: the
# pinned requirements.txt (the app) or requirements-dev.txt (the app, tests and checks).
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=${1:-requirements.txt}
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  if ! "$python" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))'; then
    echo "$python is Python $("$python" -c 'import platform; print(platform.python_version())');" \
      "the pinned requirements need 3.11 to 3.13: set PYTHON=python3.11 (or 3.12, 3.13)" >&2
    exit 1
  fi
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
