"""A fixed validation set to watch training: clips from the held-out tenth of the
training photographs (data.load_images(split="val")), degraded the way evaluate.py's
blur+noise+JPEG clip is (Gaussian blur σ 1.5, noise σ 8, JPEG quality 35), scored by
PSNR of input and output against the clean crops. The reserved evaluation portraits
are not touched here."""
import math

import cv2
import numpy as np
import torch

from . import data


def clips(count=16, frames=3, size=96, seed=123):
    images = data.load_images(split="val")
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        hq, _ = data.make_clip(images[rng.integers(len(images))], rng, frames, size)
        lq = []
        for f in hq:
            g = cv2.GaussianBlur(f.astype(np.float32), (0, 0), 1.5) + rng.normal(0, 8, f.shape)
            ok, enc = cv2.imencode(".jpg", np.clip(g, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 35])
            lq.append(cv2.imdecode(enc, cv2.IMREAD_UNCHANGED))
        to = lambda a: torch.from_numpy(np.stack(a)).permute(0, 3, 1, 2).float() / 255
        out.append((to(lq), to(hq)))
    return out


def psnr(a, b):
    return 10 * math.log10(1 / max(float(torch.mean((a - b) ** 2)), 1e-12))


@torch.no_grad()
def score(model, val):
    """Mean PSNR (dB) of the degraded input and of the model's output (all clips as one
    batch, on the model's device)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    lq = torch.stack([c[0] for c in val]).to(device)                    # (B, T, 3, S, S)
    hq = torch.stack([c[1] for c in val]).to(device)
    mask = torch.zeros_like(lq[:, :, :1])
    tasks = torch.tensor([1.0, 0.0, 0.0], device=device).expand(len(val), 3)
    out, _ = model(lq, mask, tasks)
    pin = [psnr(a, b) for a, b in zip(lq, hq)]
    pout = [psnr(a.clamp(0, 1), b) for a, b in zip(out, hq)]
    model.train(was_training)
    return float(np.mean(pin)), float(np.mean(pout))
