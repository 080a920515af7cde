#!/usr/bin/env bash
# Installs the plugin (and its pkg-config file) for GStreamer to find without
# GST_PLUGIN_PATH: into ~/.local/share/gstreamer-1.0/plugins, or with --system into
# the system plugin directory (pkg-config --variable=pluginsdir gstreamer-1.0).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
if [ "${1:-}" = "--system" ]; then
  plugins=$(pkg-config --variable=pluginsdir gstreamer-1.0)
  pcdir=$(pkg-config --variable=libdir gstreamer-1.0)/pkgconfig
else
  plugins="${XDG_DATA_HOME:-$HOME/.local/share}/gstreamer-1.0/plugins"
  pcdir="$HOME/.local/lib/pkgconfig"
fi
mkdir -p "$plugins" "$pcdir"
install -m 0644 .build/release/libgstswiftvr.so "$plugins/"
install -d "$plugins/swiftvr"
install -m 0644 models/*.safetensors models/README.md "$plugins/swiftvr/"
version=$(sed -n 's/.*static let version: StaticString = "\(.*\)"/\1/p' Sources/SwiftVRElement/PluginInfo.swift)
sed -e "s|@PLUGINSDIR@|$plugins|" -e "s|@VERSION@|$version|" pkgconfig/gstswiftvr.pc.in > "$pcdir/gstswiftvr.pc"
echo "install: $plugins/libgstswiftvr.so, $pcdir/gstswiftvr.pc"
gst-inspect-1.0 swiftvr >/dev/null && echo "install: gst-inspect-1.0 swiftvr finds it"
