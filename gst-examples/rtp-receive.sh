#!/usr/bin/env bash
# Live network stream: receives H.264 over RTP/UDP, restores, displays.
# Pair it with gst-examples/rtp-send.sh (same machine or another one).
#
# Run: GST_PLUGIN_PATH=.build/release gst-examples/rtp-receive.sh [port]
# Headless check: SINK=fakesink gst-examples/rtp-receive.sh
set -euo pipefail
port=${1:-5600}
exec gst-launch-1.0 udpsrc port="$port" \
  caps="application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96" \
  ! rtpjitterbuffer latency=100 ! rtph264depay ! avdec_h264 ! videoconvert \
  ! swiftvr window=4 ! videoconvert ! "${SINK:-autovideosink}"
