"""Attention windows over the latent grid and rotary positions (Windows.swift)."""
import functools

import torch


@functools.lru_cache(maxsize=None)
def window_groups(h, w, window, shift, device="cpu"):
    """Token indices of the attention windows of an h×w grid, grouped by window size.

    Window borders sit at shift, shift+window, …; windows at the image border are
    smaller instead of wrapping round or being masked (SwiftVR's mask-free shifted
    windows), so each group is a dense (windows, L) index tensor for plain attention.
    """
    def cuts(n):
        edges = [0] + [e for e in range(shift if shift else window, n, window)] + [n]
        return [(a, b) for a, b in zip(edges, edges[1:]) if b > a]
    groups = {}
    for y0, y1 in cuts(h):
        for x0, x1 in cuts(w):
            idx = [y * w + x for y in range(y0, y1) for x in range(x0, x1)]
            groups.setdefault((y1 - y0, x1 - x0), []).append(idx)
    return [torch.tensor(v, dtype=torch.long, device=device) for _, v in sorted(groups.items())]


def rope_tables(positions, dim):
    """cos/sin tables for rotary embeddings: positions (N, A) of A axes, dim split evenly
    across axes (each axis gets dim/A channels, rotated in pairs)."""
    n, axes = positions.shape
    per = dim // axes
    freqs = 1.0 / (10000 ** (torch.arange(0, per, 2, dtype=torch.float32, device=positions.device) / per))  # (per/2)
    angles = torch.cat([positions[:, a:a + 1].float() * freqs for a in range(axes)], dim=1)  # (N, dim/2)
    return torch.cos(angles), torch.sin(angles)


def apply_rope(x, cos, sin):
    """x (..., N, d) with pairs (x[2i], x[2i+1]) rotated by the angle of i."""
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1).flatten(-2)


def grid_positions(h, w, device="cpu"):
    ys, xs = torch.meshgrid(torch.arange(h, device=device), torch.arange(w, device=device), indexing="ij")
    return torch.stack([ys.flatten(), xs.flatten()], dim=1)  # (N, 2)
