#!/usr/bin/env bash
# The test suite and a real pipeline under a sanitizer:
#   bash scripts/sanitize.sh address      (make asan)
#   bash scripts/sanitize.sh thread       (make tsan)
# Builds the tests and the plugin with --sanitize=MODE into .build/MODE, runs the suite
# in-process (the element harness tests load the element itself; the gst-launch tests
# use the plugin of scripts/build.sh), then runs scripts/sanitize_pipeline.py — the
# sample through the sanitized plugin with property changes from another thread and
# a flushing seek — with the sanitizer's runtime preloaded into the Python host.
# Extra arguments go to `swift test` (e.g. --filter SwiftVRElementTests).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?usage: sanitize.sh address|thread [swift test arguments]}
shift
case $mode in
  address) rt=asan; export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:halt_on_error=1} ;;
  thread) rt=tsan; export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0:second_deadlock_stack=1} ;;
  *) echo "sanitize.sh: address or thread, not '$mode'" >&2; exit 2 ;;
esac
build=.build/$mode
bash scripts/build.sh >/dev/null
export SWIFTVR_SANITIZE=$mode
export SWIFTVR_PLUGIN_DIR="$PWD/.build/release"
start=$(date +%s)
swift build --build-tests --sanitize="$mode" --build-path "$build" 2>&1 | grep -E "error|Build complete" || true
log=$(mktemp)
set +e
swift test --skip-build --sanitize="$mode" --build-path "$build" --disable-swift-testing "$@" 2>&1 | tee "$log" \
  | grep -E "Executed [0-9]+ tests|error:|ERROR: (Address|Thread)Sanitizer|WARNING: ThreadSanitizer|SUMMARY"
suite=${PIPESTATUS[0]}
reports=$(grep -cE "ERROR: AddressSanitizer|WARNING: ThreadSanitizer" "$log")
set -e
rm -f "$log"
swift build -c release --sanitize="$mode" --build-path "$build" --product gstswiftvr 2>&1 | grep -E "error|Build complete" || true
toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")
runtime=$(find "$toolchain" -name "libclang_rt.$rt-x86_64.so" 2>/dev/null | head -n 1)
# Swift's ThreadSanitizer runtime refers to libdispatch's symbols: preload it too.
[ "$mode" = thread ] && runtime="$runtime $toolchain/lib/swift/linux/libdispatch.so $toolchain/lib/swift/linux/libBlocksRuntime.so"
set +e
LD_PRELOAD="$runtime" GST_PLUGIN_PATH="$PWD/$build/release" GST_REGISTRY="$PWD/$build/registry.bin" \
  /usr/bin/python3 scripts/sanitize_pipeline.py samples/faces-640x360.mp4 2>"$build/pipeline.err"
pipeline=$?
set -e
preports=$(grep -cE "ERROR: AddressSanitizer|WARNING: ThreadSanitizer" "$build/pipeline.err" || true)
grep -E "SUMMARY|ERROR:|WARNING: ThreadSanitizer" "$build/pipeline.err" | head -n 20 || true
echo "sanitize ($mode): suite exit $suite with $reports report(s); pipeline exit $pipeline with $preports report(s) (stderr in $build/pipeline.err); $(( $(date +%s) - start )) s"
[ "$suite" -eq 0 ] && [ "$reports" -eq 0 ] && [ "$pipeline" -eq 0 ] && [ "$preports" -eq 0 ]
