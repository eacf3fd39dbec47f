#!/usr/bin/env bash
# The pinned requirements on another Python: `bash scripts/test-python.sh 3.13` makes
# .venv-3.13 from that interpreter, installs requirements-dev.txt into it, and runs the unit and
# AppTest tests (everything but the browser tests). CI runs it for the newest Python the README
# names; scripts/test.sh covers the oldest. Finds the interpreter on PATH or under pyenv.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:?usage: scripts/test-python.sh VERSION (such as 3.13)}
shift
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
echo "Python $("$venv/bin/python" -c 'import platform; print(platform.python_version())'):" \
  "unit and AppTest tests"
exec "$venv/bin/python" -m pytest -n auto --dist worksteal -m "not browser" "$@"
