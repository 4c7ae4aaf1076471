#!/usr/bin/env bash
# Installs what is needed, builds, and runs the server on its embedded defaults:
# a private PostgreSQL and a self-signed certificate under ./data, HTTPS on port 8443.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
swift build -c release --product garrison
exec .build/release/garrison serve "$@"
