#!/usr/bin/env bash
# Refresh requirements.lock: resolve the newest versions pyproject.toml allows (with the test
# tools) in a fresh, throw-away virtual environment and pin them exactly. The set-up
# (scripts/bootstrap.sh) installs with `-c requirements.lock`, so every machine and CI get these
# versions until the next refresh; run the tests (`make test`) before committing a new lock.
#   usage: scripts/lock.sh        (or: make lock)
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-.venv/bin/python}
if [ ! -x "$PY" ] && ! command -v "$PY" >/dev/null 2>&1; then
    echo "lock: no $PY; run 'make setup' first or set PYTHON=/path/to/python3.12+" >&2
    exit 1
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$PY" -m venv "$TMP/venv"
"$TMP/venv/bin/python" -m pip install --quiet --disable-pip-version-check ".[test,mutation]"
{
    echo "# Exact versions of every package the set-up installs, as tested by CI (make test)."
    echo "# scripts/bootstrap.sh installs with -c requirements.lock. Refresh: make lock"
    echo "# (written $(date -u +%Y-%m-%d) with $("$TMP/venv/bin/python" -V 2>&1))"
    "$TMP/venv/bin/python" -m pip freeze --disable-pip-version-check | grep -v -i '^encircle[-_]sim[ =@]'
} > requirements.lock.new
mv requirements.lock.new requirements.lock
echo "lock: wrote requirements.lock ($(grep -c '==' requirements.lock) packages)" >&2
