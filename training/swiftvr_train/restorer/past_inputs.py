"""Early fusion: the face's earlier input crops, moved onto this one, enter the network
beside it, and the decoder weighs them per pixel into the frame it corrects."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .past_features import translate

MAXIMUM_SHIFT = 4.0  # pixels either way (CropMotion.swift's maximumShift)


def measure_shift(prev, cur, margin=8, iterations=6):
    """(N, 2) translations (dx, dy) with prev(p + d) ≈ cur(p), for (N, 3, R, R) crops:
    Lucas–Kanade on the 5×5-smoothed lumas, as the element's temporal blend measures it
    (CropMotion.swift `shift`): Gauss–Newton steps on cur's gradients over the interior,
    bilinear samples of prev, clamped to ±4 pixels; (0, 0) for a flat crop."""
    n, _, r, _ = cur.shape
    if r <= 2 * margin + 4:
        return cur.new_zeros(n, 2)
    smooth = lambda x: F.avg_pool2d(x.mean(1, keepdim=True), 5, 1, 2, count_include_pad=False)[:, 0]
    e, l = smooth(prev), smooth(cur)                                   # (N, R, R)
    step = max(1, (r - 2 * margin) // 64)
    idx = torch.arange(margin, r - margin, step, device=cur.device)
    gx = ((l[:, :, 2:] - l[:, :, :-2]) / 2)[:, idx][:, :, idx - 1]     # central differences
    gy = ((l[:, 2:, :] - l[:, :-2, :]) / 2)[:, idx - 1][:, :, idx]
    ls = l[:, idx][:, :, idx]
    hxx, hxy, hyy = (gx * gx).sum((1, 2)), (gx * gy).sum((1, 2)), (gy * gy).sum((1, 2))
    det = hxx * hyy - hxy * hxy
    ok = det > 1e-6 * torch.clamp(hxx * hyy, min=1)
    det = torch.where(ok, det, torch.ones_like(det))
    d = cur.new_zeros(n, 2)
    ys, xs = torch.meshgrid(idx.to(cur.dtype), idx.to(cur.dtype), indexing="ij")
    for _ in range(iterations):
        px = (xs[None] + d[:, 0, None, None]).clamp(0, r - 1)
        py = (ys[None] + d[:, 1, None, None]).clamp(0, r - 1)
        x0, y0 = px.floor().long().clamp(max=r - 2), py.floor().long().clamp(max=r - 2)
        fx, fy = px - x0, py - y0
        flat = e.flatten(1)
        at = lambda yy, xx: flat.gather(1, (yy * r + xx).flatten(1)).view_as(px)
        a = at(y0, x0) + fx * (at(y0, x0 + 1) - at(y0, x0))
        b = at(y0 + 1, x0) + fx * (at(y0 + 1, x0 + 1) - at(y0 + 1, x0))
        res = a + fy * (b - a) - ls
        bx, by = (gx * res).sum((1, 2)), (gy * res).sum((1, 2))
        ux, uy = (hyy * bx - hxy * by) / det, (hxx * by - hxy * bx) / det
        d = torch.stack([(d[:, 0] - ux), (d[:, 1] - uy)], 1).clamp(-MAXIMUM_SHIFT, MAXIMUM_SHIFT)
    return torch.where(ok[:, None], d, torch.zeros_like(d))


def past_differences(frames, mask, k, cache=None):
    """frames (B, T, 3, R, R), mask (B, T, 1, R, R) → (B, T, 3k, R, R): for lag j = 1…k,
    the face's frame t − j moved onto frame t (by the measured shift between them) minus
    frame t; zero where either pixel is missing or there is no such frame (the clip's
    first frames, unless `cache` (B, k, 3, R, R), the previous window's last k input
    crops, oldest first, holds them). Also returns the last k crops for the next window."""
    b, t = frames.shape[:2]
    seen = frames if cache is None else torch.cat([cache, frames], 1)
    seen_mask = mask if cache is None else torch.cat([torch.zeros_like(cache[:, :, :1]), mask], 1)
    offset = seen.shape[1] - t
    out = []
    for i in range(t):
        cur, keep = frames[:, i], 1 - mask[:, i]
        lags = []
        for j in range(1, k + 1):
            s = offset + i - j
            if s < 0:
                lags.append(torch.zeros_like(cur))
                continue
            src = seen[:, s]
            with torch.no_grad():
                d = measure_shift(src * 255, cur * 255)
            moved = torch.stack([translate(x, float(dx), float(dy)) for x, (dx, dy) in zip(src, d.tolist())])
            valid = keep * torch.stack([translate(1 - m, float(dx), float(dy)) for m, (dx, dy)
                                        in zip(seen_mask[:, s], d.tolist())]).ge(0.999).to(cur)
            lags.append((moved - cur) * valid)
        out.append(torch.cat(lags, 1))
    return torch.stack(out, 1), seen[:, -k:].detach()


class PastInputs(nn.Module):
    """The weights of the earlier crops in the frame the decoder corrects:
        base = x + Σ_j α_j ⊙ σ(l_j) ⊙ d_j,   out = base + correction
    l_j: per pixel, from the decoder (it sees d_j through the encoder, so it can tell
    noise that differs from frame to frame from motion); α_j zero-initialised, so a model
    grown from one without past inputs restores exactly as before until they learn."""

    def __init__(self, c):
        super().__init__()
        self.scale = nn.Parameter(torch.zeros(c["past_inputs"]))

    def forward(self, frames, d, logits):
        """frames (N, 3, R, R), d (N, 3k, R, R), logits (N, k, R, R) → base (N, 3, R, R)."""
        k = logits.shape[1]
        w = torch.sigmoid(logits) * self.scale.view(1, k, 1, 1)
        return frames + (d.unflatten(1, (k, 3)) * w[:, :, None]).sum(1)
