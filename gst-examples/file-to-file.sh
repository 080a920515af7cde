#!/usr/bin/env bash
# Restores the faces in a video file and writes an MP4; the audio track, if there is one,
# is kept (re-encoded to AAC), frame rate and timestamps are the input's.
#
# Run: GST_PLUGIN_PATH=.build/release gst-examples/file-to-file.sh in.mp4 out.mp4 [swiftvr properties…]
#      e.g. gst-examples/file-to-file.sh samples/faces-640x360.mp4 /tmp/out.mp4 window=4
set -euo pipefail
in=${1:?usage: file-to-file.sh IN OUT [swiftvr properties...]}
out=${2:?usage: file-to-file.sh IN OUT [swiftvr properties...]}
shift 2
uri=$(realpath "$in")
# The audio branch only where the input has audio: an audio branch that never receives a
# stream leaves mp4mux waiting for it forever.
# (The discoverer's output is read whole first: `grep -q` on the pipe would stop it early,
# and pipefail would read its SIGPIPE as "no audio".)
audio=()
streams=$(gst-discoverer-1.0 "$in" 2>/dev/null || true)
if grep -qE "^ *audio( #[0-9]+)?:" <<<"$streams"; then
  audio=(dec. ! queue ! audioconvert ! audioresample ! avenc_aac ! queue ! mux.)
fi
# -e turns Ctrl-C into EOS so the MP4 is finalised; swiftvr drains its window on EOS.
# progressreport prints how far through the file the job is every few seconds.
exec gst-launch-1.0 -e \
  uridecodebin uri="file://$uri" name=dec \
  dec. ! queue ! videoconvert ! swiftvr "$@" ! progressreport update-freq=5 ! videoconvert ! x264enc speed-preset=medium ! h264parse ! queue ! mux. \
  "${audio[@]}" \
  mp4mux name=mux ! filesink location="$out"
