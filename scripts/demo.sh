#!/usr/bin/env bash
# The main job on the bundled sample: installs what it needs, builds the plugin and
# restores samples/faces-640x360.mp4 with the default model, leaving
#   out/restored.mp4      the restored video (audio kept)
#   out/faces.mp4         the same with swiftvr's tracked faces drawn (draw-faces=true)
#   out/before-after.png  frame 50: input on the left, output with its tracked faces on the right
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
export GST_PLUGIN_PATH="$PWD/.build/release"
mkdir -p out
gst-examples/file-to-file.sh samples/faces-640x360.mp4 out/restored.mp4 >/dev/null
gst-examples/file-to-file.sh samples/faces-640x360.mp4 out/faces.mp4 draw-faces=true >/dev/null
font=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf
# No colons or commas in labels: they separate options and filters in a filtergraph.
label() { echo "drawtext=fontfile=$font:text='$1':x=12:y=12:fontsize=22:fontcolor=white:box=1:boxcolor=black@0.55:boxborderw=6"; }
ffmpeg -loglevel error -y -i samples/faces-640x360.mp4 -i out/faces.mp4 -filter_complex \
  "[0:v]select=eq(n\,50),$(label 'before (input)')[a];[1:v]select=eq(n\,50),$(label 'after (swiftvr with tracked faces)')[b];[a][b]hstack" \
  -frames:v 1 out/before-after.png
echo "demo: wrote out/restored.mp4, out/faces.mp4 and out/before-after.png (left: input, right: swiftvr with its tracked faces)"
