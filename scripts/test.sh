#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds the plugin, runs every test
# (element harness tests, pure-Swift tests, real gst-launch pipelines, the C and
# Python examples), then a short fuzz pass, the suite and a real pipeline under
# AddressSanitizer (make asan), and the Debian package's install test.
# .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
export SWIFTVR_PLUGIN_DIR="$PWD/.build/release"
log=$(mktemp)
set +e
swift test --disable-swift-testing 2>&1 | tee "$log" | grep -vE "^\[[0-9]+/[0-9]+\]|prohibited flag"
status=${PIPESTATUS[0]}
set -e
summary=$(grep -E "^\s*Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -n 1)
rm -f "$log"
# A short fuzz pass over every reader and the frame path (libFuzzer + ASan;
# docs/RELIABILITY.md), so a regression that traps on hostile input shows here.
fuzz=0
bash scripts/fuzz.sh "${SWIFTVR_FUZZ_SECONDS:-20}" || fuzz=$?
# The suite and a real pipeline under AddressSanitizer (scripts/sanitize.sh; about
# 10 minutes on two cores), so a memory error in a path the tests reach shows here.
asan=0
bash scripts/sanitize.sh address || asan=$?
# The Debian package: built, installed, used with no environment, removed (scripts/test-package.sh).
package=0
bash scripts/test-package.sh || package=$?
if [[ $summary =~ Executed\ ([0-9]+)\ tests?,\ with\ ([0-9]+)\ failure ]]; then
  echo "$((BASH_REMATCH[1] - BASH_REMATCH[2])) passed, ${BASH_REMATCH[2]} failed; fuzz pass: $([ $fuzz -eq 0 ] && echo clean || echo FAILED); ASan: $([ $asan -eq 0 ] && echo clean || echo FAILED); package: $([ $package -eq 0 ] && echo ok || echo FAILED)"
fi
[ "$status" -ne 0 ] && exit "$status"
[ "$fuzz" -ne 0 ] && exit "$fuzz"
[ "$asan" -ne 0 ] && exit "$asan"
exit "$package"
