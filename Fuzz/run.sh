#!/usr/bin/env bash
# Coverage-guided fuzzing of the decoders of outside bytes (Fuzz/README.md).
#
#   Fuzz/run.sh TARGET SECONDS    build Fuzz<TARGET> with libFuzzer and run it that long
#   Fuzz/run.sh all SECONDS       every target, one after the other, SECONDS each
#   Fuzz/run.sh list              the targets
#
# Builds in .build-fuzz (never the shared .build), at nice 10. New inputs that reach new
# code go to .build-fuzz/corpus/TARGET (the committed seeds in Fuzz/corpus/TARGET are only
# read); a crash is written to .build-fuzz/artifacts/TARGET/ and the script exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS=(JSONReader AgentMsgPack TOML PluginFile PluginDescriptor Cron Schedule NATSWebSocketSniffer)
SCRATCH=.build-fuzz

usage() {
    echo "usage: Fuzz/run.sh TARGET|all SECONDS   (targets: ${TARGETS[*]})" >&2
    exit 2
}

[ "${1:-}" = list ] && { printf '%s\n' "${TARGETS[@]}"; exit 0; }
[ $# -eq 2 ] || usage
[[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "SECONDS must be a positive whole number, not '$2'" >&2; exit 2; }
if [ "$1" = all ]; then
    selected=("${TARGETS[@]}")
else
    [[ " ${TARGETS[*]} " == *" $1 "* ]] || { echo "unknown target '$1'" >&2; usage; }
    selected=("$1")
fi
seconds=$2

# swiftc's -sanitize=fuzzer links libFuzzer's own main, which would replace the target's
# (and the target's top-level code would never run): link the driver without its main
# instead, and let FuzzDriver call LLVMFuzzerRunDriver.
toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")
runtime=$(ls "$toolchain"/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-"$(uname -m)".a 2>/dev/null | head -1)
[ -n "$runtime" ] || { echo "libFuzzer (libclang_rt.fuzzer_no_main) not found under $toolchain/lib/clang" >&2; exit 1; }

build() {
    nice -n 10 swift build -c debug --scratch-path "$SCRATCH" \
        -Xswiftc -sanitize=address \
        -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp,indirect-calls \
        -Xswiftc -DGARRISON_FUZZ \
        -Xlinker "$runtime" -Xlinker -lstdc++ \
        --product "Fuzz$1" 2>&1 | grep -vE "Cannot export local symbol|unhandled; explicitly declare|CMakeLists.txt" || true
    [ -x "$SCRATCH/debug/Fuzz$1" ] || { echo "build of Fuzz$1 failed" >&2; exit 1; }
}

# The /natsws sniffer decides on heads up to 16 KiB; the others take what libFuzzer's default allows.
max_len() {
    case $1 in
        NATSWebSocketSniffer) echo 20000 ;;
        *) echo 4096 ;;
    esac
}

for target in "${selected[@]}"; do build "$target"; done

# Swift's crash backtracer copies the crashed stack with memcpy, which AddressSanitizer
# reports as a second, misleading error; libFuzzer's report is the one wanted.
export SWIFT_BACKTRACE=enable=no
# Leak checks stay off: the Swift runtime's caches look like leaks to LeakSanitizer.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}

status=0
for target in "${selected[@]}"; do
    work="$SCRATCH/corpus/$target"
    artifacts="$SCRATCH/artifacts/$target"
    log="$SCRATCH/logs/$target.log"
    mkdir -p "$work" "$artifacts" "$(dirname "$log")"
    echo "== $target: ${seconds}s (log $log)"
    if nice -n 10 "$SCRATCH/debug/Fuzz$target" "$work" "Fuzz/corpus/$target" \
        -max_total_time="$seconds" -max_len="$(max_len "$target")" -timeout=10 -rss_limit_mb=2048 \
        -detect_leaks=0 -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1; then
        grep -E "^stat::number_of_executed_units|^Done" "$log" | sed 's/^/   /' || true
        grep -E "cov: [0-9]+" "$log" | tail -1 | sed 's/^/   last: /' || true
    else
        status=1
        echo "   CRASH in $target: see $log; input(s): $(ls "$artifacts" | tr '\n' ' ')"
        grep -m3 -E "Fatal error|ERROR: AddressSanitizer|ERROR: libFuzzer" "$log" | sed 's/^/   /' || true
    fi
done
exit $status
