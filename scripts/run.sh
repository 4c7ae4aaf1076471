#!/usr/bin/env bash
# Installs what is needed, builds, and runs the server on its embedded defaults:
# a private PostgreSQL and a self-signed certificate under ./data, HTTPS on port 8443.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
swift build -c release --product garrison
# As root, the private PostgreSQL runs as the 'postgres' user, which must be able to enter
# every folder above the data folder. The host changes nothing outside its data folder, so a
# checkout in a private home (/root is mode 700) keeps its data in /var/lib/garrison instead.
if [ "$(id -u)" = 0 ] && [ -z "${GARRISON_DATA_DIR:-}" ] && id postgres >/dev/null 2>&1 \
   && ! runuser -u postgres -- test -x "$PWD" 2>/dev/null; then
  export GARRISON_DATA_DIR=/var/lib/garrison
  mkdir -p "$GARRISON_DATA_DIR"
  echo "note: the postgres user cannot enter $PWD; data goes to $GARRISON_DATA_DIR (set GARRISON_DATA_DIR to choose)" >&2
fi
exec .build/release/garrison serve "$@"
