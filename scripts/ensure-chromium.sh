#!/usr/bin/env bash
# The web app's tests drive Debian's Chromium (playwright-core never downloads a browser). Installs it when it is
# missing and this user may (root with apt); otherwise says what to do. CHROMIUM_PATH points at another build.
set -euo pipefail
browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$browser" ] && exit 0
exec "$(dirname "$0")/apt-install.sh" chromium "the web app's tests" \
  "the web app's tests need Chromium at $browser: sudo apt-get install chromium (or set CHROMIUM_PATH)"
