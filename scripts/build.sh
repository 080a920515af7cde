#!/usr/bin/env bash
# Builds the plugin: .build/release/libgstswiftvr.so (Swift runtime linked in statically),
# with the shipped models beside it in .build/release/swiftvr/.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product gstswiftvr 2>&1 | grep -vE "^warning: prohibited flag\(s\): -pthread" || true
test -f .build/release/libgstswiftvr.so
# The command for people with a file (it finds the plugin beside itself).
swift build -c release --product swiftvr-restore 2>&1 | grep -vE "^warning: prohibited flag\(s\): -pthread" || true
test -x .build/release/swiftvr-restore
# The shipped models go beside the plugin, where the element looks for them.
mkdir -p .build/release/swiftvr
cp -u models/*.safetensors .build/release/swiftvr/
