#!/usr/bin/env python3
"""Colorization on the held-out licensed faces (training/DATA.md; every third person,
never trained on): each face in gray, three still frames through the model with
tasks=colorize, scored against its colour photograph. Prints each face and the mean
over the faces that are in colour (the Solvay photograph is black and white).

    python3 training/colorize_faces.py [CKPT]   (default: the committed checkpoint)
"""
import math
import os
import sys

import cv2
import numpy as np
import torch

from swiftvr_train import faces
from swiftvr_train.restorer import Restorer

COMMITTED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "checkpoints", "restorer.pt")
SIZE = 128


def chroma(rgb):
    """Mean |Cb − 128| and |Cr − 128| of a (H, W, 3) RGB image, 0…255: 0 for gray."""
    ycc = cv2.cvtColor(np.clip(rgb, 0, 255).astype(np.uint8), cv2.COLOR_RGB2YCrCb).astype(np.float32)
    return float(np.abs(ycc[..., 1:] - 128).mean())


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else COMMITTED
    ckpt = torch.load(path, map_location="cpu")
    model = Restorer(ckpt["config"])
    model.load_state_dict(ckpt["model"])
    model.eval()
    crops = faces.face_crops("val")
    if not crops:
        raise SystemExit("no face photographs installed (scripts/install-deps.sh --training)")
    psnr = lambda a, b: 10 * math.log10(1 / max(float(((a - b) ** 2).mean()), 1e-12))
    rows = []
    for person, crop in crops:
        n = crop.shape[0]
        q = n // 6  # the crop is three face sides wide: keep the face and a margin
        rgb = cv2.resize(crop[q:n - q, q:n - q], (SIZE, SIZE), interpolation=cv2.INTER_AREA).astype(np.float32)
        x = torch.from_numpy(rgb / 255).permute(2, 0, 1)                    # (3, S, S)
        gray = (0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2]).expand(3, -1, -1)
        with torch.no_grad():
            out, _ = model(gray[None, None].repeat(1, 3, 1, 1, 1), torch.zeros(1, 3, 1, SIZE, SIZE),
                           torch.tensor([[0.0, 1.0, 0.0]]))
        y = out[0, -1].clamp(0, 1)
        rows.append((os.path.basename(person), chroma(rgb), psnr(gray, x), psnr(y, x),
                     chroma(y.permute(1, 2, 0).numpy() * 255)))
    print("| face | its chroma | gray input (dB) | colorized (dB) | gain | output chroma |")
    print("|---|---|---|---|---|---|")
    for name, c, pin, pout, oc in rows:
        gain = f"{pout - pin:+.2f}" if c > 3 else "— (gray photograph)"
        print(f"| {name} | {c:.2f} | {min(pin, 99):.2f} | {pout:.2f} | {gain} | {oc:.2f} |")
    colour = [r for r in rows if r[1] > 3]
    if colour:
        print(f"\n{len(colour)} of {len(rows)} held-out faces are in colour: mean gain "
              f"{np.mean([r[3] - r[2] for r in colour]):+.2f} dB; output chroma {np.mean([r[4] for r in colour]):.2f} "
              f"against the photographs' {np.mean([r[1] for r in colour]):.2f}")


if __name__ == "__main__":
    main()
