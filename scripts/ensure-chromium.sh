#!/usr/bin/env bash
# The web app's tests drive Debian's Chromium (playwright-core never downloads a browser). Installs it when it is
# missing and this user may (root with apt); otherwise says what to do. CHROMIUM_PATH points at another build.
set -euo pipefail
browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$browser" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium for the web app's tests…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
  exit 0
fi
echo "the web app's tests need Chromium at $browser: sudo apt-get install chromium (or set CHROMIUM_PATH)" >&2
exit 1
