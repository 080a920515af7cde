#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds the plugin, runs every test
# (element harness tests, pure-Swift tests, real gst-launch pipelines, the C and
# Python examples). .ci/run calls exactly this.
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
if [[ $summary =~ Executed\ ([0-9]+)\ tests?,\ with\ ([0-9]+)\ failure ]]; then
  echo "$((BASH_REMATCH[1] - BASH_REMATCH[2])) passed, ${BASH_REMATCH[2]} failed"
fi
exit "$status"
