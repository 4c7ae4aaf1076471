#!/usr/bin/env bash
# The whole test suite: system packages, C plugin fixtures, then `swift test`.
#
# With no arguments the suites run in three passes, so that the heaviest ones (a browser,
# schemathesis, real installs, kill -9 of a host, plugins with stand-in servers) do not all
# share two cores at once with the rest and miss their deadlines: the ordinary suites, then
# the plugins' end-to-end suites, then the whole-system ones. Every pass runs; the exit status
# says whether any failed. Arguments go to a single `swift test` (e.g. --filter X).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
make -s -C Tests/Fixtures/Plugins OUT="$PWD/.build/fixtures" >/dev/null
make -s -C Plugins/Examples/hello-c OUT="$PWD/.build/fixtures" >/dev/null
swift build --build-tests
if [ "$#" -gt 0 ]; then
  exec swift test --skip-build "$@"
fi
plugins='PluginsMeshCentralTests|PluginsPatchingTests|PluginsAlertTemplatesTests|PluginsAlertSMSTests|DashboardBrowserTests'
system='SchemaFuzzTests|InstallLayoutTests|HostCrashTests|ChildCrashTests|AlertDeliveryCrashTests'
status=0
swift test --skip-build --skip "$plugins|$system" || status=1
swift test --skip-build --filter "$plugins" || status=1
swift test --skip-build --filter "$system" || status=1
exit $status
