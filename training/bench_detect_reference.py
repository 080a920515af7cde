#!/usr/bin/env python3
"""Reference half of `make bench-detect`: CenterFace in onnxruntime (CPU, full graph
optimisation, weights taken out of the input list so they can be folded), on the same
frames and at the same network input sizes as the Swift detector, with the same
thread count. Also writes those frames (composites of the held-out portraits) as raw
RGB for the Swift side.

Prints lines `ref W H inputW inputH model_ms total_ms faces`, and `ref-follow SIDE model_ms`
(the network on one tracked face's SIDE² neighbourhood), read by scripts/bench-detect.sh.
Run: python3 training/bench_detect_reference.py --frames DIR [--threads 2] [--runs 20]
"""
import argparse
import os
import time

import cv2
import numpy as np

from swiftvr_train import centerface_reference as ref
from swiftvr_train import eval_images as ev

SIZES = [(640, 360), (1280, 720), (1920, 1080)]


def frame(w, h):
    """Two portraits at sizes that scale with the frame, one rotated."""
    c = ev.background(h, w, seed=3)
    a, g = ev.head(ev.astronaut(), "astronaut"), ev.head(ev.grace_hopper(), "hopper")
    s = h / 360
    ev.paste(c, ev.resize(a, int(160 * s), int(150 * s)), int(60 * s), int(80 * s))
    ev.paste(c, ev.resize(g, int(140 * s), int(133 * s)), int(380 * s), int(100 * s), angle=10)
    return c


def median_ms(fn, runs):
    for _ in range(3):
        fn()
    t = []
    for _ in range(runs):
        s = time.perf_counter()
        fn()
        t.append((time.perf_counter() - s) * 1000)
    return sorted(t)[len(t) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--long-side", type=int, default=640)
    ap.add_argument("--neighbourhood", type=int, default=128, help="side of a tracked face's network input")
    args = ap.parse_args()
    os.makedirs(args.frames, exist_ok=True)
    cv2.setNumThreads(1)
    sess = ref.session(optimised=True, threads=args.threads)
    for w, h in SIZES:
        img = frame(w, h)
        img.tofile(os.path.join(args.frames, f"frame-{w}x{h}.rgb"))
        s = min(1.0, args.long_side / max(w, h))
        sw, sh = round(w * s), round(h * s)
        pw, ph = -(-sw // 32) * 32, -(-sh // 32) * 32
        blob = np.zeros((1, 3, ph, pw), np.float32)

        def full():
            small = cv2.resize(img, (sw, sh), interpolation=cv2.INTER_LINEAR)
            blob[0, :, :sh, :sw] = small.transpose(2, 0, 1)
            return ref.decode(ref.run(sess, blob), threshold=0.5)

        model_ms = median_ms(lambda: ref.run(sess, blob), args.runs)
        total_ms = median_ms(full, args.runs)
        print(f"ref {w} {h} {pw} {ph} {model_ms:.2f} {total_ms:.2f} {len(full()[0])}")
    n = args.neighbourhood
    small = np.zeros((1, 3, n, n), np.float32)
    print(f"ref-follow {n} {median_ms(lambda: ref.run(sess, small), args.runs):.2f}")


if __name__ == "__main__":
    main()
