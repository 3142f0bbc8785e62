#!/usr/bin/env bash
# Install Debian's headless Chromium for the browser test (tests/test_browser.py, `make browser`).
# Idempotent: does nothing when /usr/bin/chromium is there. Runs as root with no stdin (CI). Playwright's
# own browser download fails offline, so the test drives this Chromium through executable_path.
# Without root or sudo it cannot install: in CI (CI set) that fails the build; elsewhere it warns and the
# browser test skips with its reason.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "install-browser: $("$CHROMIUM" --version 2>/dev/null || echo chromium) already installed"
    exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO=(sudo -n)
    else
        echo "install-browser: need root (or sudo) to apt-get install chromium" >&2
        if [ -n "${CI:-}" ]; then exit 1; fi
        echo "install-browser: the browser test will be skipped" >&2
        exit 0
    fi
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq </dev/null
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core </dev/null
"$CHROMIUM" --version
