#!/usr/bin/env bash
# The main job on the bundled sample: installs what it needs, builds the plugin and
# restores samples/faces-640x360.mp4 with the default model, leaving
#   out/restored.mp4      the restored video (audio kept)
#   out/faces.mp4         the same with swiftvr's tracked faces drawn (draw-faces=true)
#   out/before-after.png  frame 50: input on the left, output with its tracked faces on the right
#   out/degraded.mp4, out/degraded-restored.mp4, out/before-after-degraded.png: the same
#                         sample with a webcam call's sensor noise and compression, restored
#   out/before-after-degraded-face.png: its frame 50's first face at 4×
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
restore=.build/release/swiftvr-restore   # finds the plugin beside itself
mkdir -p out
$restore samples/faces-640x360.mp4 out/restored.mp4
$restore --quiet --draw-faces=true samples/faces-640x360.mp4 out/faces.mp4
font=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf
# No colons or commas in labels: they separate options and filters in a filtergraph.
label() { echo "drawtext=fontfile=$font:text='$1':x=12:y=12:fontsize=22:fontcolor=white:box=1:boxcolor=black@0.55:boxborderw=6"; }
ffmpeg -loglevel error -y -i samples/faces-640x360.mp4 -i out/faces.mp4 -filter_complex \
  "[0:v]select=eq(n\,50),$(label 'before (input)')[a];[1:v]select=eq(n\,50),$(label 'after (swiftvr with tracked faces)')[b];[a][b]hstack" \
  -frames:v 1 out/before-after.png
# A webcam call's picture: temporal sensor noise, then a low-bitrate H.264 encode.
ffmpeg -loglevel error -y -i samples/faces-640x360.mp4 -vf "noise=alls=14:allf=t" -c:v libx264 -crf 33 -c:a copy out/degraded.mp4
$restore --quiet out/degraded.mp4 out/degraded-restored.mp4
# Frame 50 side by side, each half scaled 2× so the faces' texture is visible.
ffmpeg -loglevel error -y -i out/degraded.mp4 -i out/degraded-restored.mp4 -filter_complex \
  "[0:v]select=eq(n\,50),scale=iw*2:ih*2:flags=neighbor,$(label 'noisy webcam input')[a];[1:v]select=eq(n\,50),scale=iw*2:ih*2:flags=neighbor,$(label 'swiftvr')[b];[a][b]hstack" \
  -frames:v 1 out/before-after-degraded.png
# The first face of that frame at 4×, where the difference is easier to judge than at full frame.
ffmpeg -loglevel error -y -i out/degraded.mp4 -i out/degraded-restored.mp4 -filter_complex \
  "[0:v]select=eq(n\,50),crop=150:150:75:55,scale=iw*4:ih*4:flags=neighbor,$(label 'noisy webcam input')[a];[1:v]select=eq(n\,50),crop=150:150:75:55,scale=iw*4:ih*4:flags=neighbor,$(label 'swiftvr')[b];[a][b]hstack" \
  -frames:v 1 out/before-after-degraded-face.png
echo "demo: wrote out/restored.mp4, out/faces.mp4 and out/before-after.png (left: input, right: swiftvr with its tracked faces);"
echo "      out/degraded.mp4 (webcam noise and compression), out/degraded-restored.mp4, out/before-after-degraded.png"
echo "      and out/before-after-degraded-face.png (one face at 4x)"
