#!/usr/bin/env bash
# Installs what is needed, builds, and runs the server on its embedded defaults:
# a private PostgreSQL and a self-signed certificate under ./data, HTTPS on port 8443,
# and every shipped feature plugin that ./plugins.d enables (checks, scripting, alerts, two-factor).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
swift build -c release --product garrison
# Each plugins.d file names its library by bare file name (libChecksPlugin.so), which the
# host finds next to its binary: build the product behind each one.
for file in plugins.d/*.toml; do
  library=$(sed -n 's/^library *= *"\(lib[A-Za-z0-9]*\)\.so".*/\1/p' "$file")
  if [ -n "$library" ]; then swift build -c release --product "${library#lib}"; fi
done
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
