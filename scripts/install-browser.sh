#!/usr/bin/env bash
# Make sure a Chromium the browser tests can drive is installed (Debian's `chromium` package).
#
# Quick and silent-ish when it is already there; otherwise installs it with apt-get (through sudo
# when not root). Playwright's own browser download (`playwright install`) is NOT used: it needs a
# host the project's machines cannot reach, while Debian's package comes from the ordinary mirror.
#
#   usage: scripts/install-browser.sh
#   ENCIRCLE_SIM_CHROMIUM=/path/to/chromium   use that browser instead (nothing is installed)
#
# Exits non-zero with a clear message when no browser can be had: the browser tests then fail
# (they never skip), so a machine without a browser cannot pass CI by accident.
set -euo pipefail

say() { echo "install-browser: $*" >&2; }

works() {
    # True if "$1" is an executable that answers --version.
    [ -n "$1" ] && [ -x "$1" ] && "$1" --version >/dev/null 2>&1
}

if [ -n "${ENCIRCLE_SIM_CHROMIUM:-}" ]; then
    if works "$ENCIRCLE_SIM_CHROMIUM"; then
        say "using ENCIRCLE_SIM_CHROMIUM=$ENCIRCLE_SIM_CHROMIUM ($("$ENCIRCLE_SIM_CHROMIUM" --version 2>/dev/null))"
        exit 0
    fi
    say "ERROR: ENCIRCLE_SIM_CHROMIUM=$ENCIRCLE_SIM_CHROMIUM is not a working browser executable."
    exit 1
fi

if works "$(command -v chromium 2>/dev/null || true)"; then
    say "chromium already installed: $(command -v chromium) ($(chromium --version 2>/dev/null))"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    cat >&2 <<'MSG'
install-browser: ERROR: chromium is not installed and this is not a Debian/Ubuntu system (no apt-get).
  Install Chromium with your system's package manager so that `chromium` is on PATH,
  or point the tests at an existing Chromium/Chrome binary:
      ENCIRCLE_SIM_CHROMIUM=/path/to/chromium make test
MSG
    exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        say "ERROR: chromium is not installed, and installing it needs root (no sudo found)."
        say "  As root run:  apt-get install -y chromium     (Debian 12+; Ubuntu: see below)"
        exit 1
    fi
    # No terminal (CI): never hang on a password prompt.
    if [ -t 0 ]; then SUDO=(sudo); else SUDO=(sudo -n); fi
fi

export DEBIAN_FRONTEND=noninteractive
# Wait for another apt/dpkg run (for example a colleague's) instead of failing on its lock.
APT=("${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=300 -y -q)
# No recommends: they pull in GPU drivers and desktop services a headless test never uses.
PKGS=(chromium fonts-liberation)

say "chromium not found; installing Debian packages: ${PKGS[*]} (takes about a minute)"
if ! "${APT[@]}" install --no-install-recommends "${PKGS[@]}" >/tmp/install-browser.$$.log 2>&1; then
    say "first attempt failed (package lists may be missing or stale); running apt-get update and retrying"
    if ! { "${APT[@]}" update && "${APT[@]}" install --no-install-recommends "${PKGS[@]}"; } \
        >>/tmp/install-browser.$$.log 2>&1; then
        tail -n 20 /tmp/install-browser.$$.log >&2 || true
        cat >&2 <<MSG
install-browser: ERROR: could not install chromium with apt-get (log above, full log in /tmp/install-browser.$$.log).
  Install it by hand ('apt-get install chromium' as root), or point the tests at an existing
  browser: ENCIRCLE_SIM_CHROMIUM=/path/to/chromium make test
  Note: Ubuntu's 'chromium' package is a snap wrapper, which may not work in containers.
MSG
        exit 1
    fi
fi
rm -f /tmp/install-browser.$$.log

if ! works "$(command -v chromium 2>/dev/null || true)"; then
    say "ERROR: apt-get reported success but 'chromium --version' does not work."
    exit 1
fi
say "installed chromium: $(command -v chromium) ($(chromium --version 2>/dev/null))"
