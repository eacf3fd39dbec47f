#!/usr/bin/env bash
# The pinned requirements on another Python: `bash scripts/test-python.sh 3.13` makes
# .venv-3.13 from that interpreter, installs requirements-dev.txt into it (scripts/venv-python.sh),
# and runs the unit and AppTest tests (everything but the browser tests). CI runs it for the
# newest Python the README names; scripts/test.sh covers the oldest. Finds the interpreter on PATH
# or under pyenv.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:?usage: scripts/test-python.sh VERSION (such as 3.13)}
shift
bash scripts/venv-python.sh "$version"
venv=".venv-$version"
echo "Python $("$venv/bin/python" -c 'import platform; print(platform.python_version())'):" \
  "unit and AppTest tests"
exec "$venv/bin/python" -m pytest -n auto --dist worksteal -m "not browser" "$@"
