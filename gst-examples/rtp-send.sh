#!/usr/bin/env bash
# Sends a video file (default: the bundled sample, looped) as H.264 over RTP/UDP
# to gst-examples/rtp-receive.sh.
#
# Run: gst-examples/rtp-send.sh [file] [host] [port]
set -euo pipefail
file=$(realpath "${1:-samples/faces-640x360.mp4}")
exec gst-launch-1.0 filesrc location="$file" ! qtdemux ! h264parse config-interval=-1 \
  ! rtph264pay pt=96 ! udpsink host="${2:-127.0.0.1}" port="${3:-5600}" sync=true
