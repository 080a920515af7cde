"""What averaging a face over its window can gain at best, per degradation.

The element's temporal blend averages each face crop with its earlier crops where they
agree. This measures the ceiling of any such averaging on docs/EVAL.md's clips: the
mean of the degraded frames t−3 … t, each moved onto frame t with the clip's exact
motion (which the element never knows), scored in the face boxes against the truth.
Where a codec's errors repeat from frame to frame (they follow the content it predicts
from), the mean removes nothing, and no temporal method gains there by averaging.

    python3 training/temporal_ceiling.py [--frames 24] [--only KINDS]
"""
import argparse
import math
import tempfile

import cv2
import numpy as np

import evaluate as ev


def onto(frame, face, s, t):
    """Frame s moved so that face `face` lies where it is at frame t (exact motion)."""
    rel = np.vstack([ev.motion(face, s), [0, 0, 1]]) @ np.linalg.inv(np.vstack([ev.motion(face, t), [0, 0, 1]]))
    return cv2.warpAffine(frame.astype(np.float32), rel[:2].astype(np.float32), (ev.W, ev.H),
                          flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP)


def psnr(a, b):
    return 10 * math.log10(255 ** 2 / max(float(((a - b) ** 2).mean()), 1e-10))


def main():
    kinds = ["mild", "blur+noise+jpeg", "h264 crf40", *ev.LIVE]
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--only", default=",".join(kinds))
    args = ap.parse_args()
    gt, boxes = ev.render(args.frames, ev.sprites())
    print("| degradation | input (frames 4…) | mean of 4, exactly aligned | gain |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.only.split(","):
            lq = ev.degrade(gt, kind, tmp)
            single, mean = [], []
            for t in range(3, args.frames):
                for face, (x0, y0, x1, y1) in enumerate(boxes[t]):
                    acc = sum(onto(lq[s], face, s, t) for s in range(t - 3, t)) + lq[t].astype(np.float32)
                    truth = gt[t, y0:y1, x0:x1].astype(np.float64)
                    single.append(psnr(lq[t, y0:y1, x0:x1].astype(np.float64), truth))
                    mean.append(psnr(acc[y0:y1, x0:x1] / 4, truth))
            a, b = np.mean(single), np.mean(mean)
            print(f"| {kind} | {a:.2f} | {b:.2f} | {b - a:+.2f} |", flush=True)


if __name__ == "__main__":
    main()
