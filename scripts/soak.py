#!/usr/bin/python3
"""`make soak`: swiftvr under long runs and storms, in real pipelines in this process.

Scenarios (each bounded by a watchdog: 60 s without a frame is a deadlock):
  long        --frames (10,000) frames of the bundled sample (faces) through one element,
              RSS sampled; growth is the trend after a warm-up of 1,000 frames (rss_growth)
  4 elements  one pipeline: a tee into four swiftvr branches
  4 pipelines four pipelines at once in this process
  seeks       the sample from its file with 100 flushing seeks while playing
  renegotiate 100 caps changes (size and format) while playing
  storms      two threads changing properties while playing
For each: frames in and out, ERRORs, whether it finished, peak RSS, RSS growth. Prints a
Markdown table (docs/RELIABILITY.md). Not a test: a command that prints a table.

Run: GST_PLUGIN_PATH=.build/release /usr/bin/python3 scripts/soak.py [--frames 10000]
(needs Debian's python3-gi and python3-opencv or the pip opencv; make soak does this).
"""
import argparse
import os
import statistics
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SAMPLE = os.path.join(ROOT, "samples", "faces-640x360.mp4")
W, H, FPS = 640, 360, 25


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def sample_frames(fmt="I420", w=W, h=H):
    """The sample's frames as raw bytes in `fmt` at w×h (decoded once by GStreamer itself)."""
    frames = []
    p = Gst.parse_launch(f"filesrc location={SAMPLE} ! decodebin ! videoconvert ! videoscale "
                         f"! video/x-raw,format={fmt},width={w},height={h} ! appsink name=out sync=false")
    sink = p.get_by_name("out")
    p.set_state(Gst.State.PLAYING)
    while True:
        s = sink.emit("try-pull-sample", 10 * Gst.SECOND)
        if s is None:
            break
        buf = s.get_buffer()
        frames.append(buf.extract_dup(0, buf.get_size()))
    p.set_state(Gst.State.NULL)
    return frames


class Run:
    """A set of pipelines fed from appsrc (or a file), counted at their sinks."""

    def __init__(self, descriptions):
        self.pipelines = [Gst.parse_launch(d) for d in descriptions]
        self.out = 0
        self.errors = []
        self.eos = 0
        self.peak = rss_mb()
        self.samples = []
        self.lock = threading.Lock()
        for p in self.pipelines:
            it = p.iterate_sinks()
            while True:
                ok, sink = it.next()
                if ok != Gst.IteratorResult.OK:
                    break
                sink.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, self._count)
            bus = p.get_bus()
            bus.add_signal_watch()
            bus.connect("message", self._message)

    def _count(self, _pad, _info):
        with self.lock:
            self.out += 1
        return Gst.PadProbeReturn.OK

    def _message(self, _bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, _ = msg.parse_error()
            self.errors.append(err.message)
        elif msg.type == Gst.MessageType.EOS:
            self.eos += 1

    def play(self):
        for p in self.pipelines:
            p.set_state(Gst.State.PLAYING)

    def wait(self, ctx, done, deadline_s=3600):
        """Runs the main loop until done() or an ERROR; False on a watchdog timeout."""
        last, t_last, start = -1, time.time(), time.time()
        while not done() and not self.errors:
            ctx.iteration(False)
            time.sleep(0.002)
            self.peak = max(self.peak, rss_mb())
            if self.out != last:
                last, t_last = self.out, time.time()
            elif time.time() - t_last > 60 or time.time() - start > deadline_s:
                return False
        return True

    def stop(self):
        for p in self.pipelines:
            p.set_state(Gst.State.NULL)


def push_renegotiating(src, variants, count, every):
    """Pushes `count` frames, changing caps (format and size) every `every` frames in-band:
    appsrc sends each new caps event in order with the buffers, as a decoder or camera does."""
    for i in range(count):
        caps, frames = variants[(i // every) % len(variants)]
        if i % every == 0:
            src.set_property("caps", Gst.Caps.from_string(caps))
        buf = Gst.Buffer.new_wrapped(frames[i % len(frames)])
        buf.pts = i * Gst.SECOND // FPS
        buf.duration = Gst.SECOND // FPS
        if src.emit("push-buffer", buf) != Gst.FlowReturn.OK:
            break
    src.emit("end-of-stream")


def push_frames(src, frames, count, caps):
    """Pushes `count` frames (the sample, looped) into appsrc `src` with one caps, then EOS."""
    push_renegotiating(src, [(caps, frames)], count, every=count)


APPSRC = f"appsrc name=src is-live=false format=time block=true max-bytes={W * H * 3 // 2 * 4}"
I420 = f"video/x-raw,format=I420,width={W},height={H},framerate={FPS}/1"


def rss_growth(samples, warmup=1000, spread=4):
    """RSS growth after warm-up: the median of the last `spread` samples minus the median of
    the first `spread` after `warmup` frames. A trend, not the largest swing: the
    allocator's RSS moves by a few MB up and down between samples without growing."""
    after = [mb for frames, mb in samples if frames >= warmup]
    if len(after) < 2 * spread:
        return 0.0
    return statistics.median(after[-spread:]) - statistics.median(after[:spread])


def scenario_feed(name, descriptions, frames, count, sources=("src",), expect_per_frame=1, rss_every=None,
                  storm=None, feeder=None):
    run = Run(descriptions)
    ctx = GLib.MainContext.default()
    run.play()
    stop = threading.Event()
    storms = [threading.Thread(target=s, args=(run, stop)) for s in (storm or [])]
    for t in storms:
        t.start()
    feeders = []
    for p in run.pipelines:
        for s in sources:
            src = p.get_by_name(s)
            if feeder:
                feeders.append(threading.Thread(target=feeder, args=(src,)))
                continue
            feeders.append(threading.Thread(target=push_frames, args=(src, frames, count, I420)))
    t0 = time.time()
    for f in feeders:
        f.start()
    growth = 0.0
    finished = True
    expected = count * expect_per_frame * len(run.pipelines)
    while run.eos < len(run.pipelines) and not run.errors:
        if not run.wait(ctx, lambda: run.eos >= len(run.pipelines) or (rss_every and run.out >= len(run.samples) * rss_every + rss_every), 3600):
            finished = False
            break
        if rss_every and run.out >= (len(run.samples) + 1) * rss_every:
            run.samples.append((run.out, rss_mb()))
            growth = rss_growth(run.samples)
    stop.set()
    for t in storms + feeders:
        t.join(timeout=10)
    seconds = time.time() - t0
    run.stop()
    return dict(name=name, frames_in=expected, frames_out=run.out, errors=len(run.errors), finished=finished,
                peak=run.peak, growth=growth if rss_every else None, samples=run.samples, seconds=seconds,
                note="; ".join(sorted(set(run.errors)))[:80])


def property_storm(names):
    def storm(run, stop):
        values = {"strength": [0.0, 0.5, 1.0], "window": [1, 2, 4], "draw-faces": [True, False],
                  "temporal-smoothing": [0.0, 1.0], "detect-every": [1, 5], "face-resolution": [128, 256]}
        elements = [e for p in run.pipelines for e in iterate_swiftvr(p)]
        i = 0
        while not stop.is_set():
            for e in elements:
                for n in names:
                    v = values[n]
                    e.set_property(n, v[i % len(v)])
            i += 1
            time.sleep(0.002)
    return storm


def iterate_swiftvr(pipeline):
    it = pipeline.iterate_elements()
    out = []
    while True:
        ok, e = it.next()
        if ok != Gst.IteratorResult.OK:
            break
        if e.get_factory() and e.get_factory().get_name() == "swiftvr":
            out.append(e)
    return out


def scenario_seeks(count=100):
    run = Run([f"filesrc location={SAMPLE} ! decodebin ! videoconvert ! swiftvr ! fakesink sync=true"])
    ctx = GLib.MainContext.default()
    p = run.pipelines[0]
    run.play()
    t0 = time.time()
    seeks, finished = 0, True
    while seeks < count and not run.errors:
        target = run.out + 2
        if not run.wait(ctx, lambda: run.out >= target or run.eos > 0, 600):
            finished = False
            break
        if p.seek_simple(Gst.Format.TIME, Gst.SeekFlags.FLUSH | Gst.SeekFlags.KEY_UNIT, (seeks % 3) * Gst.SECOND // 2):
            seeks += 1
    finished = finished and run.wait(ctx, lambda: run.eos > 0, 600)
    run.stop()
    return dict(name=f"{seeks} flushing seeks (file, sync)", frames_in=None, frames_out=run.out, errors=len(run.errors),
                finished=finished and run.eos > 0, peak=run.peak, growth=None, seconds=time.time() - t0,
                note="; ".join(sorted(set(run.errors)))[:80])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=10000, help="frames of the long run")
    ap.add_argument("--short", type=int, default=1000, help="frames of each other scenario")
    ap.add_argument("--only", default="long,tee,pipelines,seeks,caps,storms", help="scenarios to run, comma-separated")
    args = ap.parse_args()
    want = set(args.only.split(",")).__contains__
    Gst.init(None)
    if Gst.ElementFactory.find("swiftvr") is None:
        sys.exit("soak: the swiftvr element is not found (set GST_PLUGIN_PATH=.build/release)")
    frames = sample_frames()
    rows = []
    chain = "! swiftvr ! fakesink sync=false"
    if want("long"):
        rows.append(scenario_feed(f"long: {args.frames} frames, one element", [f"{APPSRC} {chain}"], frames, args.frames,
                                  rss_every=250))
    tee = f"{APPSRC} ! tee name=t " + " ".join(f"t. ! queue ! swiftvr ! fakesink sync=false" for _ in range(4))
    if want("tee"):
        rows.append(scenario_feed("4 elements in one pipeline (tee)", [tee], frames, args.short, expect_per_frame=4))
    if want("pipelines"):
        rows.append(scenario_feed("4 pipelines in one process", [f"{APPSRC} {chain}"] * 4, frames, args.short // 2))
    if want("seeks"):
        rows.append(scenario_seeks())
    if want("caps"):
        # The caps change in-band from appsrc. (Changing a capsfilter's caps from another
        # thread instead loses a few frames upstream of swiftvr, in videoconvert/capsfilter
        # renegotiation: `identity` in its place loses them too.)
        sizes = [("I420", 640, 360), ("RGB", 320, 180), ("NV12", 480, 270), ("BGRx", 640, 352), ("I420", 162, 98)]
        variants = [(f"video/x-raw,format={f},width={w},height={h},framerate={FPS}/1", sample_frames(f, w, h)[:25])
                    for f, w, h in sizes]
        rows.append(scenario_feed(f"{args.short // 10} caps changes (size and format)",
                                  [f"appsrc name=src is-live=false format=time block=true max-bytes={W * H * 4 * 4} {chain}"],
                                  frames, args.short, feeder=lambda src: push_renegotiating(src, variants, args.short, 10)))
    if want("storms"):
        rows.append(scenario_feed("property storms from two threads", [f"{APPSRC} {chain}"], frames, args.short,
                                  storm=[property_storm(["strength", "window", "draw-faces"]),
                                         property_storm(["temporal-smoothing", "detect-every", "face-resolution"])]))
    print("\n| scenario | frames in | frames out | ERRORs | finished (no deadlock) | peak RSS (MB) | RSS growth after warm-up (MB) | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    ok = True
    for r in rows:
        fin = r["frames_in"] if r["frames_in"] is not None else "—"
        growth = f"{r['growth']:.1f}" if r["growth"] is not None else "—"
        print(f"| {r['name']} | {fin} | {r['frames_out']} | {r['errors']}{' (' + r['note'] + ')' if r['note'] else ''} | "
              f"{'yes' if r['finished'] else 'NO'} | {r['peak']:.0f} | {growth} | {r['seconds']:.0f} |")
        ok &= r["finished"] and r["errors"] == 0 and (r["frames_in"] is None or r["frames_in"] == r["frames_out"])
        ok &= r["growth"] is None or r["growth"] < 2.0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
