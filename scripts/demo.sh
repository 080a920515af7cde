#!/usr/bin/env bash
# The main job on the bundled sample: installs what it needs, builds the plugin and
# restores samples/faces-640x360.mp4 with the default model, leaving
#   out/restored.mp4      the restored video (audio kept)
#   out/before-after.png  one frame, input on the left, output on the right
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
export GST_PLUGIN_PATH="$PWD/.build/release"
mkdir -p out
gst-examples/file-to-file.sh samples/faces-640x360.mp4 out/restored.mp4 >/dev/null
ffmpeg -loglevel error -y -i samples/faces-640x360.mp4 -i out/restored.mp4 -filter_complex \
  "[0:v]select=eq(n\,50)[a];[1:v]select=eq(n\,50)[b];[a][b]hstack" -frames:v 1 out/before-after.png
echo "demo: wrote out/restored.mp4 and out/before-after.png (left: input, right: swiftvr)"
