#!/usr/bin/env bash
# The warehouse test loads the tap's output into Debian's PostgreSQL (a throw-away cluster the test starts in a
# temporary folder). Installs the server when it is missing and this user may (root with apt); otherwise says
# what to do. PG_BINDIR points at another build's bin folder.
set -euo pipefail
bindir="${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
[ -n "$bindir" ] && [ -x "$bindir/initdb" ] && exit 0
exec "$(dirname "$0")/apt-install.sh" postgresql "the warehouse test" \
  "the warehouse test needs PostgreSQL's server: sudo apt-get install postgresql (or set PG_BINDIR)"
