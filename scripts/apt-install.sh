#!/usr/bin/env bash
# Installs a Debian package a test needs when this user may (root with apt); otherwise says what to do.
# Usage: apt-install.sh PACKAGE "what needs it" "what to do instead (one line)"
set -euo pipefail
package="$1" purpose="$2" otherwise="$3"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian's $package for $purpose…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "$package" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$package" >/dev/null; }
  exit 0
fi
echo "$otherwise" >&2
exit 1
