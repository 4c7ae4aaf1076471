#!/usr/bin/env bash
# The whole test suite: system packages, C plugin fixtures, then `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
make -s -C Tests/Fixtures/Plugins OUT="$PWD/.build/fixtures" >/dev/null
make -s -C Plugins/Examples/hello-c OUT="$PWD/.build/fixtures" >/dev/null
swift build --build-tests
swift test --skip-build "$@"
