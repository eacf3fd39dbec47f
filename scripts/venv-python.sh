#!/usr/bin/env bash
# The pinned requirements on another Python: `bash scripts/venv-python.sh 3.13` makes .venv-3.13
# from that interpreter (found on PATH or under pyenv) and installs requirements-dev.txt into it.
# scripts/test-python.sh runs the tests in it; CI starts this early, in the background, so the
# downloads overlap the first Python's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:?usage: scripts/venv-python.sh VERSION (such as 3.13)}
python=""
for candidate in "python$version" "$(pyenv root 2>/dev/null)/versions/$version"*/bin/python; do
  if "$candidate" -c "import sys; assert sys.version.startswith('$version.')" 2>/dev/null; then
    python=$candidate
    break
  fi
done
if [ -z "$python" ]; then
  echo "Python $version was not found (on PATH or under pyenv)" >&2
  exit 1
fi
venv=".venv-$version"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
