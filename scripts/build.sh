#!/usr/bin/env bash
# Builds the plugin: .build/release/libgstswiftvr.so (Swift runtime linked in statically).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product gstswiftvr 2>&1 | grep -vE "^warning: prohibited flag\(s\): -pthread" || true
test -f .build/release/libgstswiftvr.so
