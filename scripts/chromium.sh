#!/usr/bin/env bash
# Make sure Debian's Chromium is installed for the browser tests and the screenshots
# (Playwright's own browser download cannot be used: only the package registries are reachable).
# Prints the path of the browser; installs the `chromium` package when it is missing and the
# user is root.
set -euo pipefail
BROWSER="${EQUIWAIT_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$BROWSER" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "Chromium not found at $BROWSER and not root: install Debian's 'chromium' first" >&2
        exit 1
    fi
    echo "Installing Chromium from Debian packages..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq chromium fonts-dejavu-core >&2
fi
echo "$BROWSER"
