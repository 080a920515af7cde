"""The training losses (train.py sums them with its weights): pixel, latent, code
usage and temporal (warp) terms, each explained where it is defined."""
import math

import torch
import torch.nn.functional as F


def charbonnier(a, b, eps=1e-3):
    return torch.sqrt((a - b) ** 2 + eps * eps).mean()


def gradient_l1(a, b):
    dx = lambda x: x[..., :, 1:] - x[..., :, :-1]
    dy = lambda x: x[..., 1:, :] - x[..., :-1, :]
    return (dx(a) - dx(b)).abs().mean() + (dy(a) - dy(b)).abs().mean()


def fft_l1(a, b):
    return (torch.fft.rfft2(a, norm="ortho").abs() - torch.fft.rfft2(b, norm="ortho").abs()).abs().mean()


def warp(frames, mats):
    """Samples frames t−1 (N, 3, S, S) onto the pixel grids of frames t, given the 2×3 maps
    from a frame-t pixel index to a frame-(t−1) pixel index (align_corners=False)."""
    n, _, s, _ = frames.shape
    a, c = mats[:, :, :2], mats[:, :, 2]
    theta = torch.cat([a, (a.sum(2) * (1 - 1 / s) + (2 * c + 1) / s - 1)[..., None]], dim=2)
    grid = F.affine_grid(theta, list(frames.shape), align_corners=False)
    valid = F.grid_sample(torch.ones_like(frames[:, :1]), grid, align_corners=False, padding_mode="zeros") > 0.999
    return F.grid_sample(frames, grid, align_corners=False, padding_mode="border"), valid


def warp_loss(out, hq, mats):
    """out, hq (B, T, 3, S, S); mats (B, T−1, 2, 3)."""
    prev = lambda x: x[:, :-1].flatten(0, 1)
    w_out, valid = warp(prev(out), mats.flatten(0, 1))
    w_hq, _ = warp(prev(hq), mats.flatten(0, 1))
    diff = (w_out - out[:, 1:].flatten(0, 1)) - (w_hq - hq[:, 1:].flatten(0, 1))
    return (diff.abs() * valid).sum() / valid.sum().clamp(min=1) / 3


def latent_loss(z, z_hq, z_clean):
    """The one step ẑ_hq = z − t*·v against the clean clip's latent, relative to that
    latent's mean magnitude. Only the step learns from it (the encoder's z is detached):
    the encoder makes its own target, and pulling its output onto it grew the latent
    without bound (the raw term reached 13 by step 200, eight times the pixel loss, and
    held every pixel gain near zero)."""
    step = z.detach() - (z - z_hq)
    return (step - z_clean).abs().mean() / z_clean.abs().mean().clamp(min=1e-3)


def usage_loss(logits, temperature):
    """log K − H(mean soft assignment over the batch's tokens): zero when every code is
    used equally often, log K when one code takes every token. Cross-entropy against
    the model's own codes of the clean clip collapsed both codebooks onto one code (the
    targets follow the predictor); this keeps them spread while what each code means is
    learned through the decoder."""
    p = torch.softmax(logits / max(temperature, 1e-3), dim=-1).flatten(0, -2).mean(0)
    return math.log(p.numel()) + (p * torch.log(p.clamp(min=1e-9))).sum()
