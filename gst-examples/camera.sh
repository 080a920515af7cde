#!/usr/bin/env bash
# Live: a V4L2 camera through swiftvr to a window. window=2 keeps the added
# latency to one frame; the element reports it, so the sink stays in sync.
#
# Run: GST_PLUGIN_PATH=.build/release gst-examples/camera.sh [/dev/video0]
set -euo pipefail
dev=${1:-/dev/video0}
exec gst-launch-1.0 v4l2src device="$dev" ! videoconvert ! swiftvr window=2 ! videoconvert ! autovideosink
