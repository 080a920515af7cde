"""The previous frame's R/4 features moved onto this one and gated into the skip (PastFeatures.swift)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def translate(x, dx, dy):
    """y(i, j) = x(i + dy, j + dx) for (…, H, W), bilinear, the sample point clamped to the
    image (PastFeatures.swift `translate`)."""
    h, w = x.shape[-2:]

    def taps(n, d):
        c = (torch.arange(n, dtype=torch.float64) + float(d)).clamp(0, n - 1)
        i0 = c.floor().long().clamp(max=max(n - 2, 0))
        return i0, (i0 + 1).clamp(max=n - 1), (c - i0).to(x.dtype)

    y0, y1, fy = taps(h, dy)
    x0, x1, fx = taps(w, dx)
    top = x[..., y0, :]
    bottom = x[..., y1, :]
    a = top[..., x0] + fx * (top[..., x1] - top[..., x0])
    b_ = bottom[..., x0] + fx * (bottom[..., x1] - bottom[..., x0])
    return a + fy[:, None] * (b_ - a)


class PastFeatures(nn.Module):
    """Past pixels in: the face's previous frame's R/4 encoder features enter this frame's
    R/4 skip, per channel and location, gated by f_t (which sees the frame difference at
    R/8) and by the R/4 difference itself:
        g  = σ(Up₂(W_t f_t) + W_d (p − s))
        s' = s + α ⊙ g ⊙ (p − s)            (α per channel, zero-initialised)
    p is the previous frame's merged s', so the blend is recurrent: noise and compression
    artefacts that differ from frame to frame average out over many frames where the
    face holds still, and the gate closes where it moves. The crops are already aligned
    on the face's landmarks. Causal: frame t sees frames < t only; the last s' is the
    face's cache for its next window (none at context 0)."""

    def __init__(self, c):
        super().__init__()
        c1 = c["channels"][1]
        self.gate = nn.Linear(c["dim"], c1)
        self.diff = nn.Conv2d(c1, c1, 1)
        self.scale = nn.Parameter(torch.zeros(c1))   # α: off at the start, older weights unchanged

    def forward(self, s1, f_t, b, cache=None, context=None, shift=None):
        """s1 (B·T, c1, R/4, R/4); f_t (B·T, N, D) → s1' as s1, and the cache (B, c1, R/4, R/4).
        shift: (dx, dy) in crop pixels with previous(p + shift) ≈ this(p) between the
        cached frame's crop and this window's first (the element's temporal blend measures
        it: the landmark alignment leaves crops a pixel or two apart); the cached features
        are moved by shift / 4 onto this frame's R/4 grid before they are compared."""
        bt, c1, hh, ww = s1.shape
        t = bt // b
        g_t = self.gate(f_t).transpose(1, 2).reshape(bt, c1, hh // 2, ww // 2)
        g_t = F.interpolate(g_t, scale_factor=2, mode="nearest").unflatten(0, (b, t))   # (B, T, c1, R/4, R/4)
        s = s1.unflatten(0, (b, t))
        if cache is not None and shift is not None:
            cache = translate(cache, shift[0] / 4, shift[1] / 4)
        prev = cache if cache is not None else s[:, 0]
        alpha = self.scale.view(1, -1, 1, 1)
        out = []
        for i in range(t):
            d = prev - s[:, i]
            prev = s[:, i] + alpha * torch.sigmoid(g_t[:, i] + self.diff(d)) * d
            out.append(prev)
        return torch.stack(out, dim=1).flatten(0, 1), (None if context == 0 else prev.detach())
