#!/usr/bin/env python3
"""Makes samples/faces-640x360.mp4, the short clip the README's demo restores.

Two public-domain portraits that ship inside PyPI packages — scikit-image's
`astronaut.png` (NASA) and matplotlib's `grace_hopper.jpg` (U.S. Navy) — drift
smoothly across a 640x360 frame for 4 s at 25 fps, degraded the way real footage
is (defocus blur, sensor noise, a strong H.264 encode), with a 440 Hz tone as the
audio track so the demo shows audio being kept. These two images are reserved
for evaluation: they are never used for training (training/DATA.md).

Needs: numpy, scipy, scikit-image, matplotlib (pip) and ffmpeg (apt).
Run:   python3 scripts/make_sample.py [out.mp4]
"""
import subprocess
import sys

import numpy as np
from scipy import ndimage

W, H, FPS, SECONDS = 640, 360, 25, 4


def portraits():
    import matplotlib.cbook
    import skimage.data
    import skimage.io

    astronaut = skimage.data.astronaut()[0:300, 100:380]          # head and shoulders
    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
        hopper = skimage.io.imread(f)[0:420, 60:460]
    return [astronaut, hopper]


def resize(img, h):
    scale = h / img.shape[0]
    return np.clip(ndimage.zoom(img.astype(np.float32), (scale, scale, 1), order=1), 0, 255)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "samples/faces-640x360.mp4"
    rng = np.random.default_rng(2026)
    a, b = portraits()
    sprites = [resize(a, 200), resize(b, 170)]
    yy, xx = np.mgrid[0:H, 0:W]
    background = (90 + 40 * np.sin(xx / 90.0) * np.cos(yy / 70.0))[..., None] * np.array([0.8, 0.9, 1.0])
    enc = subprocess.Popen(
        ["ffmpeg", "-loglevel", "error", "-y",
         "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}", "-r", str(FPS), "-i", "-",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={SECONDS}",
         "-c:v", "libx264", "-preset", "medium", "-crf", "30", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "64k", "-shortest", "-movflags", "+faststart", out],
        stdin=subprocess.PIPE)
    for i in range(FPS * SECONDS):
        t = i / (FPS * SECONDS)
        frame = background.copy()
        paths = [(40 + 120 * t, 60 + 30 * np.sin(2 * np.pi * t)), (420 - 60 * t, 140 - 40 * t)]
        for sprite, (x, y) in zip(sprites, paths):
            x0, y0 = int(round(x)), int(round(y))
            h, w = sprite.shape[:2]
            frame[y0:y0 + h, x0:x0 + w] = sprite[: H - y0, : W - x0]
        frame = ndimage.gaussian_filter(frame, sigma=(1.6, 1.6, 0))
        frame += rng.normal(0, 6, frame.shape)
        enc.stdin.write(np.clip(frame, 0, 255).astype(np.uint8).tobytes())
    enc.stdin.close()
    sys.exit(enc.wait())


if __name__ == "__main__":
    main()
