#!/usr/bin/env bash
# Create (or refresh) the project's virtual environment in .venv with a Python >= 3.12.
#
# Finds an interpreter by itself: $PYTHON if set, then python3.13/python3.12/python3/python on
# PATH, then every version pyenv has installed. Re-installs only when pyproject.toml changed, so a
# second call returns in well under a second.
#   usage: scripts/bootstrap.sh [extra ...]     e.g. scripts/bootstrap.sh test
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
EXTRAS=${1:-}
MIN_MAJOR=3
MIN_MINOR=12

is_suitable() {
    # True if "$1" runs, is Python >= 3.12 and can create virtual environments.
    "$1" -c "import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= ($MIN_MAJOR, $MIN_MINOR) else 1)" \
        >/dev/null 2>&1
}

find_python() {
    local candidates=()
    [ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
    local name
    for name in python3.14 python3.13 python3.12 python3 python; do
        command -v "$name" >/dev/null 2>&1 && candidates+=("$(command -v "$name")")
    done
    local root=${PYENV_ROOT:-$HOME/.pyenv}
    if command -v pyenv >/dev/null 2>&1; then root=$(pyenv root 2>/dev/null || echo "$root"); fi
    local p
    # newest first
    for p in $(ls -d "$root"/versions/3.*/bin/python3 2>/dev/null | sort -t/ -k1 -V -r); do
        candidates+=("$p")
    done
    for p in "${candidates[@]}"; do
        if is_suitable "$p"; then echo "$p"; return 0; fi
    done
    return 1
}

if [ -x "$VENV/bin/python" ] && ! is_suitable "$VENV/bin/python"; then
    echo "bootstrap: $VENV has an unsuitable Python; recreating it" >&2
    rm -rf "$VENV"
fi

if [ ! -x "$VENV/bin/python" ]; then
    if ! PY=$(find_python); then
        cat >&2 <<MSG
bootstrap: no Python ${MIN_MAJOR}.${MIN_MINOR} or newer found (Mesa 3.5 requires it).
  Looked at: \$PYTHON, python3.14/3.13/3.12/python3/python on PATH, and pyenv's versions.
  Install one, for example:
    pyenv install 3.12          (then re-run this command), or
    sudo apt-get install python3.12 python3.12-venv, or
    download it from https://www.python.org/downloads/
  or point to one you have:  PYTHON=/path/to/python3.12 make demo
MSG
        exit 1
    fi
    echo "bootstrap: creating $VENV with $PY ($("$PY" -V 2>&1))" >&2
    "$PY" -m venv "$VENV"
fi

STAMP="$VENV/.installed${EXTRAS:+-$EXTRAS}"
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ] || [ requirements.lock -nt "$STAMP" ]; then
    echo "bootstrap: installing encircle-sim${EXTRAS:+[$EXTRAS]} into $VENV (first time takes a minute)" >&2
    CONSTRAINT=()
    [ -f requirements.lock ] && CONSTRAINT=(-c requirements.lock)
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        "${CONSTRAINT[@]}" -e ".${EXTRAS:+[$EXTRAS]}"
    touch "$STAMP"
fi
