#!/usr/bin/python3
"""A real pipeline for the sanitizer runs (scripts/sanitize.sh): the bundled sample
(faces) decoded, through swiftvr, to a fakesink, while another thread changes the
element's properties every few milliseconds; half-way a flushing seek goes back to
the start. Exit status 0 on a clean EOS (no ERROR, no deadlock: a watchdog ends a run
that stops moving).

Run: GST_PLUGIN_PATH=DIR /usr/bin/python3 scripts/sanitize_pipeline.py SAMPLE
"""
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def main() -> int:
    Gst.init(None)
    sample = sys.argv[1]
    pipeline = Gst.parse_launch(
        f"filesrc location={sample} ! decodebin ! videoconvert ! video/x-raw,format=I420 "
        "! swiftvr name=vr ! fakesink name=sink sync=false")
    vr = pipeline.get_by_name("vr")
    frames = [0]
    pipeline.get_by_name("sink").get_static_pad("sink").add_probe(
        Gst.PadProbeType.BUFFER, lambda pad, info: frames.__setitem__(0, frames[0] + 1) or Gst.PadProbeReturn.OK)
    stop = threading.Event()
    changes = [0]

    def storm():
        values = [("strength", 0.0), ("strength", 1.0), ("draw-faces", True), ("draw-faces", False),
                  ("window", 1), ("window", 4), ("temporal-smoothing", 0.0), ("temporal-smoothing", 1.0)]
        while not stop.is_set():
            name, value = values[changes[0] % len(values)]
            vr.set_property(name, value)
            changes[0] += 1
            time.sleep(0.003)

    loop = GLib.MainLoop()
    result = {"ok": False, "seeked": False}

    def on_message(_bus, msg):
        if msg.type == Gst.MessageType.EOS:
            result["ok"] = True
            loop.quit()
        elif msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            print(f"sanitize_pipeline: ERROR {err.message} ({dbg})", file=sys.stderr)
            loop.quit()
        return True

    last = [-1, time.time()]

    def tick():
        if not result["seeked"] and frames[0] >= 40:
            result["seeked"] = pipeline.seek_simple(Gst.Format.TIME, Gst.SeekFlags.FLUSH | Gst.SeekFlags.KEY_UNIT, 0)
        if frames[0] != last[0]:
            last[0], last[1] = frames[0], time.time()
        elif time.time() - last[1] > 60:
            print("sanitize_pipeline: no frame for 60 s (deadlock?)", file=sys.stderr)
            loop.quit()
        return True

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    GLib.timeout_add(100, tick)
    thread = threading.Thread(target=storm)
    pipeline.set_state(Gst.State.PLAYING)
    thread.start()
    loop.run()
    stop.set()
    thread.join()
    pipeline.set_state(Gst.State.NULL)
    print(f"sanitize_pipeline: {frames[0]} frames out, {changes[0]} property changes from another thread, "
          f"flushing seek {'done' if result['seeked'] else 'NOT done'}, {'EOS' if result['ok'] else 'FAILED'}")
    return 0 if result["ok"] and result["seeked"] else 1


if __name__ == "__main__":
    sys.exit(main())
