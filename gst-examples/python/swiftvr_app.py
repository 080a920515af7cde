#!/usr/bin/python3
"""A small PyGObject host for swiftvr: builds a pipeline, sets the element's
properties, seeks back to the start half-way through (a flushing seek drops the
held window), and watches the bus until EOS or ERROR.

Needs Debian's python3-gi and gir1.2-gstreamer-1.0 (so run it with /usr/bin/python3).
Run:  GST_PLUGIN_PATH=.build/release /usr/bin/python3 gst-examples/python/swiftvr_app.py [num-buffers] [window]
Exit status 0 on a clean EOS with every frame accounted for.
"""
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def main() -> int:
    Gst.init(None)
    frames = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    window = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    pipeline = Gst.parse_launch(
        "videotestsrc name=src ! video/x-raw,format=RGB,width=320,height=240,framerate=30/1 "
        "! swiftvr name=vr ! fakesink name=sink sync=false")
    vr = pipeline.get_by_name("vr")
    vr.set_property("window", window)
    vr.set_property("strength", 1.0)
    print(f"swiftvr_app: window={vr.get_property('window')} strength={vr.get_property('strength')}")

    seen = []
    sink_pad = pipeline.get_by_name("sink").get_static_pad("sink")
    sink_pad.add_probe(Gst.PadProbeType.BUFFER, lambda pad, info: seen.append(info.get_buffer().pts) or Gst.PadProbeReturn.OK)

    loop = GLib.MainLoop()
    result = {"status": 1, "seeked": False}

    def on_message(bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            print(f"swiftvr_app: error: {err.message}\n{debug}", file=sys.stderr)
            loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            result["status"] = 0
            loop.quit()
        return True

    def seek_back():
        # Half-way: a flushing seek to 0, then play `frames` frames from there to EOS.
        if len(seen) < frames // 2:
            return True
        result["seeked"] = True
        result["before_seek"] = len(seen)
        pipeline.seek(1.0, Gst.Format.TIME, Gst.SeekFlags.FLUSH | Gst.SeekFlags.ACCURATE,
                      Gst.SeekType.SET, 0, Gst.SeekType.SET, frames * Gst.SECOND // 30)
        return False

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    pipeline.set_state(Gst.State.PLAYING)
    GLib.timeout_add(5, seek_back)
    GLib.timeout_add_seconds(60, loop.quit)
    loop.run()
    pipeline.set_state(Gst.State.NULL)

    # Everything from the last frame at PTS 0 on was played after the seek: it must be
    # the whole range [0, frames) in order, the partial window drained at EOS included.
    restart = max((i for i, pts in enumerate(seen) if pts == 0), default=0)
    after = seen[restart:]
    print(f"swiftvr_app: {len(seen)} frames out, {len(after)} after the seek, seeked={result['seeked']}")
    expected = [Gst.util_uint64_scale(i, Gst.SECOND, 30) for i in range(frames)]
    return result["status"] if (result["seeked"] and after == expected) else 1


if __name__ == "__main__":
    sys.exit(main())
