#!/bin/sh
# Make sure Debian's Chromium and ChromeDriver are installed for the browser tests.
# Playwright drives /usr/bin/chromium; it never downloads a browser of its own.
set -e
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ]; then
        SUDO=""
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "Chromium is missing: run 'sudo apt-get install chromium chromium-driver' and try again." >&2
        exit 1
    fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
    exit 0
fi
echo "Chromium is missing and this is not a Debian-like system: install Chromium at /usr/bin/chromium." >&2
exit 1
