"""The restoration model: a light restoration-aware autoencoder, spatial and temporal
codebook priors, asymmetric fusion in every block, and one-step restoration in latent
space with mask-free shifted-window attention (DVFace + SVFR + SeedVR/SwiftVR, sized
for two CPU cores).

This file is the PyTorch twin of Sources/SwiftVRModels/Restorer/: module and parameter
names match the Swift code, which loads the state dict exported by export.py.

Shapes: a window of T aligned face crops is a batch of T; R is the crop size, h = w = R/8
the latent grid, N = h·w tokens, D = config.dim. Training runs B windows (of B faces)
at once: frames (B, T, 3, R, R), and everything but the temporal prior sees B·T frames.
"""
import functools
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

DEFAULT_CONFIG = dict(
    in_channels=4,          # RGB + missing-pixel mask
    channels=[32, 48, 64],  # encoder widths at R/2, R/4, R/8
    latent=16,              # latent channels (8x spatial compression)
    dim=64, heads=2, window=8, mlp_ratio=2,
    blocks=4,               # restoration blocks; odd ones use shifted windows
    spatial_codes=256, temporal_codes=64,
    t_star=1.0,             # the one step: z_hq = z_lq - t* v
    temporal_residual=False,  # f_t also carries the continuous temporal features (see TemporalPrior)
    prefill=False,          # missing pixels are filled by push-pull before encoding (fill_missing)
    causal_temporal=False,  # frame t attends only to frames ≤ t (see TemporalPrior)
    backbone="conv",        # "naf": NAFNet-style down/up paths (NAFEncoder, NAFDecoder)
    enc_blocks=[1, 1, 1],   # NAF blocks at R/2, R/4, R/8 on the way down ("naf" only)
    dec_blocks=[1, 1, 1],   # and on the way up, after each skip merge
    code_temperature=0.0,   # > 0: codes are a softmax(logits / τ) mix of entries (0: the best entry)
    spatial_residual=False,  # f_s also carries the continuous spatial features
    past_features=False,    # the previous frame's R/4 features, gated by f_t, enter the skip ("naf" only; PastFeatures)
)
# What the new restorer trains with (train.py); older shipped files omit these keys.
NAF_CONFIG = dict(DEFAULT_CONFIG, backbone="naf", channels=[16, 32, 64], dec_blocks=[2, 2, 2], dim=48, blocks=2,
                  temporal_residual=True,
                  spatial_residual=True, prefill=True, causal_temporal=True, code_temperature=0.5,
                  past_features=True)
TASKS = ("restore", "colorize", "inpaint")  # SVFR's task ids 0, 1, 2


# MARK: - Windows and positions

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


# MARK: - Attention

class Attention(nn.Module):
    """Multi-head attention inside index groups (windows), with rotary positions.
    Queries and keys/values may come from different inputs (cross-attention)."""

    def __init__(self, dim, heads, cross=False):
        super().__init__()
        self.heads, self.cross = heads, cross
        if cross:
            self.q = nn.Linear(dim, dim)
            self.kv = nn.Linear(dim, 2 * dim)
        else:
            self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, groups, cos, sin, context=None):
        b, n, d = x.shape                                               # (B, N, D)
        hd = d // self.heads
        if self.cross:
            q = self.q(x)
            k, v = self.kv(context).chunk(2, dim=-1)
        else:
            q, k, v = self.qkv(x).chunk(3, dim=-1)                      # 3 × (B, N, D)
        q, k, v = (t.reshape(b, n, self.heads, hd).transpose(1, 2) for t in (q, k, v))  # (B, H, N, hd)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        out = torch.zeros_like(q)
        for idx in groups:                                              # idx (W, L)
            qg, kg, vg = q[:, :, idx], k[:, :, idx], v[:, :, idx]       # (B, H, W, L, hd)
            out[:, :, idx] = F.scaled_dot_product_attention(qg, kg, vg)
        out = out.transpose(1, 2).reshape(b, n, d)                      # (B, N, D)
        return self.proj(out)


class TransformerLayer(nn.Module):
    def __init__(self, dim, heads, mlp_ratio):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = MLP(dim, mlp_ratio)

    def forward(self, x, groups, cos, sin):
        x = x + self.attn(self.norm1(x), groups, cos, sin)
        return x + self.mlp(self.norm2(x))


class MLP(nn.Module):
    def __init__(self, dim, ratio):
        super().__init__()
        self.fc1 = nn.Linear(dim, dim * ratio)
        self.fc2 = nn.Linear(dim * ratio, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


# MARK: - Missing pixels

def upsample2(x):
    """Bilinear 2× upsampling (half-pixel centres, edges clamped): F.interpolate's
    bilinear, align_corners=False, spelt out so the Swift twin follows it exactly."""
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


def fill_missing(frames, missing):
    """Push-pull fill of the missing pixels (mask 1) from the known ones: known pixels are
    averaged down a pyramid (2×2 sums of colour·weight and of weight; a cell's weight is
    capped at 1), then each level's holes take the bilinearly upsampled colour of the
    level below, blended by the cell's weight. Known pixels keep their values exactly.
    The restorer then corrects a plausible smooth fill instead of inventing a face from
    black — the pixels a hole lacks are long-range, which its few convolutions and 8×8
    windows cannot reach.  frames (B, 3, H, W), missing (B, 1, H, W) → (B, 3, H, W)."""
    w = 1 - missing
    levels = []
    c = frames * w                                   # colour·weight; w ∈ [0, 1]
    while max(c.shape[-2:]) > 1:
        levels.append((c, w))
        h, wd = c.shape[-2:]
        pad = (0, wd % 2, 0, h % 2)                  # zeros: cells beyond the edge are unknown
        cs = F.avg_pool2d(F.pad(c, pad), 2) * 4      # sums over each 2×2 cell
        ws = F.avg_pool2d(F.pad(w, pad), 2) * 4
        w = ws.clamp(max=1)
        c = cs / ws.clamp(min=1e-6) * w              # the known pixels' mean colour, times the capped weight
    filled = c / w.clamp(min=1e-6)                   # the coarsest level: one cell (all-missing: 0)
    for c, w in reversed(levels):
        h, wd = c.shape[-2:]
        up = upsample2(filled)[..., :h, :wd]
        filled = c + (1 - w) * up
    return filled


# MARK: - Autoencoder

class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return x + self.conv2(F.silu(self.conv1(F.silu(x))))


class Encoder(nn.Module):
    """(B, 4, R, R) in [0, 1] → (B, latent, R/8, R/8). Space-to-depth first, so no
    convolution runs at full resolution."""

    def __init__(self, c):
        super().__init__()
        ch = c["channels"]
        self.conv_in = nn.Conv2d(4 * c["in_channels"], ch[0], 3, padding=1)     # at R/2
        self.down1 = nn.Conv2d(ch[0], ch[1], 3, stride=2, padding=1)            # → R/4
        self.down2 = nn.Conv2d(ch[1], ch[2], 3, stride=2, padding=1)            # → R/8
        self.res = ResBlock(ch[2])
        self.conv_out = nn.Conv2d(ch[2], c["latent"], 1)

    def forward(self, x):
        x = F.pixel_unshuffle(x, 2)                  # (B, 16, R/2, R/2)
        s0 = F.silu(self.conv_in(x))                 # (B, c0, R/2, R/2)
        s1 = F.silu(self.down1(s0))                  # (B, c1, R/4, R/4)
        x = F.silu(self.down2(s1))                   # (B, c2, R/8, R/8)
        return self.conv_out(self.res(x)), (s0, s1)  # (B, latent, R/8, R/8), skips


class Decoder(nn.Module):
    """(B, latent, R/8, R/8) → (B, 3, R, R), the correction added to the input frames:
    trained for restoration, not reconstruction. The encoder's R/4 and R/2 features are
    added back on the way up (restoration-aware: noise and blocking live at full
    resolution, which an 8× latent alone cannot see). Depth-to-space last, so no
    convolution runs at full resolution."""

    def __init__(self, c):
        super().__init__()
        ch = c["channels"]
        self.conv_in = nn.Conv2d(c["latent"], ch[2], 3, padding=1)
        self.res = ResBlock(ch[2])
        self.up1 = nn.Conv2d(ch[2], ch[1], 3, padding=1)     # at R/4
        self.up2 = nn.Conv2d(ch[1], ch[0], 3, padding=1)     # at R/2
        self.conv_out = nn.Conv2d(ch[0], 12, 3, padding=1)   # 3 × 2² for depth-to-space
        nn.init.zeros_(self.conv_out.weight)                   # starts as "change nothing"
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, z, skips):
        s0, s1 = skips
        x = self.res(self.conv_in(z))                                    # (B, c2, R/8, R/8)
        x = F.silu(self.up1(F.interpolate(x, scale_factor=2, mode="nearest"))) + s1  # (B, c1, R/4, R/4)
        x = F.silu(self.up2(F.interpolate(x, scale_factor=2, mode="nearest"))) + s0  # (B, c0, R/2, R/2)
        return F.pixel_shuffle(self.conv_out(x), 2)                      # (B, 3, R, R)


# MARK: - NAFNet-style backbone

class LayerNorm2d(nn.Module):
    """LayerNorm over the channels of each pixel: (B, C, H, W)."""

    def __init__(self, c, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))
        self.bias = nn.Parameter(torch.zeros(c))
        self.eps = eps

    def forward(self, x):
        mu = x.mean(1, keepdim=True)
        var = (x - mu).pow(2).mean(1, keepdim=True)
        return (x - mu) / torch.sqrt(var + self.eps) * self.weight[:, None, None] + self.bias[:, None, None]


class NAFBlock(nn.Module):
    """NAFNet's block: norm → 1×1 expand → depthwise 3×3 → simple gate → channel scale →
    1×1, then norm → 1×1 expand → simple gate → 1×1; each half added back through a
    per-channel residual scale that starts at zero (the block starts as the identity).
    Only 1×1 and depthwise convolutions: the engine's fastest kernels."""

    def __init__(self, c):
        super().__init__()
        self.norm1 = LayerNorm2d(c)
        self.expand = nn.Conv2d(c, 2 * c, 1)
        self.dw = nn.Conv2d(2 * c, 2 * c, 3, padding=1, groups=2 * c)
        self.sca = nn.Conv2d(c, c, 1)
        self.proj = nn.Conv2d(c, c, 1)
        self.norm2 = LayerNorm2d(c)
        self.ffn1 = nn.Conv2d(c, 2 * c, 1)
        self.ffn2 = nn.Conv2d(c, c, 1)
        self.beta = nn.Parameter(torch.zeros(c))
        self.gamma = nn.Parameter(torch.zeros(c))

    def forward(self, x):                                      # (B, C, H, W)
        a, b = self.dw(self.expand(self.norm1(x))).chunk(2, dim=1)
        y = a * b                                              # simple gate
        y = y * self.sca(y.mean((2, 3), keepdim=True))         # simplified channel attention
        x = x + self.proj(y) * self.beta[:, None, None]
        a, b = self.ffn1(self.norm2(x)).chunk(2, dim=1)
        return x + self.ffn2(a * b) * self.gamma[:, None, None]


def naf_stack(c, n):
    return nn.Sequential(*[NAFBlock(c) for _ in range(n)])


class NAFEncoder(nn.Module):
    """(B, 4, R, R) → latent (B, L, R/8, R/8) and the skips at R/2, R/4, R/8. Down-sampling
    is space-to-depth then 1×1 (NAFNet's 2×2 stride-2 convolution)."""

    def __init__(self, c):
        super().__init__()
        ch, n = c["channels"], c["enc_blocks"]
        self.conv_in = nn.Conv2d(4 * c["in_channels"], ch[0], 1)
        self.level0 = naf_stack(ch[0], n[0])
        self.down1 = nn.Conv2d(4 * ch[0], ch[1], 1)
        self.level1 = naf_stack(ch[1], n[1])
        self.down2 = nn.Conv2d(4 * ch[1], ch[2], 1)
        self.level2 = naf_stack(ch[2], n[2])
        self.conv_out = nn.Conv2d(ch[2], c["latent"], 1)

    def forward(self, x):
        s0 = self.level0(self.conv_in(F.pixel_unshuffle(x, 2)))           # (B, c0, R/2, R/2)
        s1 = self.level1(self.down1(F.pixel_unshuffle(s0, 2)))            # (B, c1, R/4, R/4)
        s2 = self.level2(self.down2(F.pixel_unshuffle(s1, 2)))            # (B, c2, R/8, R/8)
        return self.conv_out(s2), (s0, s1, s2)


class NAFDecoder(nn.Module):
    """z_hq (B, L, R/8, R/8) → the correction (B, 3, R, R). At each scale the skip is
    merged first, then the frame's (γ, β) from Pool(f_t) scale and shift the features
    (asymmetric fusion at every scale), then the NAF blocks. Up-sampling is 1×1 then
    depth-to-space."""

    def __init__(self, c):
        super().__init__()
        ch, n = c["channels"], c["dec_blocks"]
        self.conv_in = nn.Conv2d(c["latent"], ch[2], 1)
        self.level2 = naf_stack(ch[2], n[2])
        self.up1 = nn.Conv2d(ch[2], 4 * ch[1], 1)
        self.level1 = naf_stack(ch[1], n[1])
        self.up2 = nn.Conv2d(ch[1], 4 * ch[0], 1)
        self.level0 = naf_stack(ch[0], n[0])
        self.conv_out = nn.Conv2d(ch[0], 12, 1)
        # Nearly "change nothing" at the start, but not zero: with the blocks' residual
        # scales also at zero, a zero output layer would pass no gradient to anything else.
        nn.init.normal_(self.conv_out.weight, std=1e-3)
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, z, skips, mods):
        """mods: per-frame (γ, β) pairs for R/8, R/4, R/2, each (B, 2·c, 1, 1)."""
        s0, s1, s2 = skips
        fuse = lambda x, m: x * (1 + m.chunk(2, dim=1)[0]) + m.chunk(2, dim=1)[1]
        x = self.level2(fuse(self.conv_in(z) + s2, mods[0]))                       # (B, c2, R/8, R/8)
        x = self.level1(fuse(F.pixel_shuffle(self.up1(x), 2) + s1, mods[1]))       # (B, c1, R/4, R/4)
        x = self.level0(fuse(F.pixel_shuffle(self.up2(x), 2) + s0, mods[2]))       # (B, c0, R/2, R/2)
        return F.pixel_shuffle(self.conv_out(x), 2)                                 # (B, 3, R, R)


# MARK: - Priors

def lookup(codebook, logits, temperature=0.0):
    """The codebook entries the logits pick. With a temperature τ > 0, the softmax(logits/τ)
    mix of all entries (soft assignment: every code learns through the decoder, none
    dies); with τ = 0 the best entry, the gradient reaching the logits through the
    softmax-weighted entries (straight-through)."""
    if temperature > 0:
        return torch.softmax(logits / temperature, dim=-1) @ codebook.weight
    hard = codebook(logits.argmax(-1))
    if not torch.is_grad_enabled():
        return hard
    soft = torch.softmax(logits, dim=-1) @ codebook.weight
    return hard + soft - soft.detach()


class SpatialPrior(nn.Module):
    """Tokens → code indices of a learned spatial codebook → f_s (facial structure)."""

    def __init__(self, c):
        super().__init__()
        d = c["dim"]
        self.layer = TransformerLayer(d, c["heads"], c["mlp_ratio"])
        self.norm = nn.LayerNorm(d)
        self.logits = nn.Linear(d, c["spatial_codes"])
        self.codebook = nn.Embedding(c["spatial_codes"], d)
        self.temperature = c.get("code_temperature", 0.0)
        self.residual = None
        if c.get("spatial_residual"):  # f_s = code mix + residual(features), as the temporal prior's
            self.residual = nn.Linear(d, d)
            nn.init.zeros_(self.residual.weight)
            nn.init.zeros_(self.residual.bias)

    def features(self, x, groups, cos, sin):
        return self.norm(self.layer(x, groups, cos, sin))    # (T, N, D)

    def forward(self, x, groups, cos, sin):
        feats = self.features(x, groups, cos, sin)
        logits = self.logits(feats)                          # (T, N, Ks)
        f_s = lookup(self.codebook, logits, self.temperature)
        if self.residual is not None:
            f_s = f_s + self.residual(feats)
        return f_s, logits.argmax(-1), logits, feats


class TemporalPrior(nn.Module):
    """Self-attention along the window at each latent location, plus the difference to
    the previous frame → code indices of a learned temporal codebook → f_t (motion).

    Causal chunk-wise streaming: with `cache` (from the previous window of the same
    face), the first frame's difference is taken to the previous window's last frame,
    and the window's queries also attend to the previous window's keys and values, so
    window borders do not flicker. `forward` returns the cache for the next window.

    With config `temporal_residual`, f_t = codebook entry + residual(features): the code
    alone is one of 64 vectors, and on real clips the predictor picks the same code for
    nearly every token (motion-free codes dominate), so nothing of the window reached the
    restoration blocks and window 1 and window 4 gave identical faces. The residual
    (zero-initialised, so older weights behave as before) passes the continuous motion
    features on, as residual vector quantisation does."""

    def __init__(self, c):
        super().__init__()
        d = c["dim"]
        self.diff = nn.Linear(2 * d, d)
        self.norm1 = nn.LayerNorm(d)
        self.attn = Attention(d, c["heads"])
        self.norm = nn.LayerNorm(d)
        self.logits = nn.Linear(d, c["temporal_codes"])
        self.codebook = nn.Embedding(c["temporal_codes"], d)
        self.causal = bool(c.get("causal_temporal"))
        self.temperature = c.get("code_temperature", 0.0)
        self.residual = None
        if c.get("temporal_residual"):
            self.residual = nn.Linear(d, d)
            nn.init.zeros_(self.residual.weight)
            nn.init.zeros_(self.residual.bias)

    def features(self, x, cache=None, context=None):
        b, t, n, d = x.shape                                 # (B, T, N, D)
        first = cache["last"][:, None] if cache is not None else x[:, :1]
        prev = torch.cat([first, x[:, :-1]], dim=1)          # frame t−1
        h = self.diff(torch.cat([x, x - prev], dim=-1))      # (B, T, N, D)
        h = h.transpose(1, 2).reshape(b * n, t, d)           # (B·N, T, D): attend along time
        q_in = self.norm1(h)
        kv_in = torch.cat([cache["normed"], q_in], dim=1) if cache is not None else q_in   # (B·N, Tk, D)
        tc = kv_in.shape[1] - t
        heads, hd = self.attn.heads, d // self.attn.heads
        q = self.attn.qkv(q_in)[..., :d]
        k, v = self.attn.qkv(kv_in)[..., d:].chunk(2, dim=-1)
        q, k, v = (a.reshape(b * n, a.shape[1], heads, hd).transpose(1, 2) for a in (q, k, v))  # (B·N, H, T|Tk, hd)
        steps = torch.arange(tc + t, device=x.device)[:, None]
        cq, sq = rope_tables(steps[tc:], hd)
        ck, sk = rope_tables(steps, hd)
        # Causal: frame i of the window (position tc + i) sees the cache and frames ≤ i, so
        # a frame's restoration never waits for later frames — the element can restore
        # each frame as it arrives, the window becoming a context of past frames.
        causal = torch.ones(t, tc + t, dtype=torch.bool, device=x.device).tril(tc) if self.causal else None
        o = F.scaled_dot_product_attention(apply_rope(q, cq, sq), apply_rope(k, ck, sk), v, attn_mask=causal)
        h = h + self.attn.proj(o.transpose(1, 2).reshape(b * n, t, d))
        # The next window attends to this window's frames — or, with `context`, to the last
        # `context` frames seen (cache included): a rolling context for frame-by-frame use.
        # With context 0 nothing carries over: the next frame is restored as a first frame
        # (its difference taken to itself). Keeping only the last tokens would hand it a
        # frame difference with nothing to attend to, a state training never produces.
        kept = q_in if context is None else kv_in[:, max(0, kv_in.shape[1] - context):]
        new_cache = None if context == 0 else {"last": x[:, -1].detach(), "normed": kept.detach()}
        return self.norm(h.reshape(b, n, t, d).transpose(1, 2)), new_cache  # (B, T, N, D)

    def forward(self, x, cache=None, context=None):
        feats, new_cache = self.features(x, cache, context)
        logits = self.logits(feats)                          # (B, T, N, Kt)
        f_t = lookup(self.codebook, logits, self.temperature)
        if self.residual is not None:
            f_t = f_t + self.residual(feats)
        return f_t, logits.argmax(-1), logits, feats, new_cache


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


# MARK: - Restoration

class FusionBlock(nn.Module):
    """One restoration block: asymmetric fusion of the priors, then shifted-window
    self-attention and an MLP.
        x̃  = (1 + γ)·x + β                     (γ, β shared across blocks, from Pool(f_t))
        Δx = Attn(Q = W_q f_t, K = W_k f_s, V = W_v f_s)
        x' = x̃ + Proj(Δx)                       (Proj zero-initialised)"""

    def __init__(self, c):
        super().__init__()
        d = c["dim"]
        self.fuse = Attention(d, c["heads"], cross=True)
        nn.init.zeros_(self.fuse.proj.weight)
        nn.init.zeros_(self.fuse.proj.bias)
        self.layer = TransformerLayer(d, c["heads"], c["mlp_ratio"])

    def forward(self, x, f_s, f_t, gamma, beta, groups, cos, sin):
        x = (1 + gamma) * x + beta
        x = x + self.fuse(f_t, groups, cos, sin, context=f_s)
        return self.layer(x, groups, cos, sin)


class Restorer(nn.Module):
    def __init__(self, config=None):
        super().__init__()
        c = dict(DEFAULT_CONFIG, **(config or {}))
        self.config = c
        d = c["dim"]
        self.naf = c.get("backbone", "conv") == "naf"
        self.encoder = NAFEncoder(c) if self.naf else Encoder(c)
        self.decoder = NAFDecoder(c) if self.naf else Decoder(c)
        # priors=False (training's ablation only, never exported): the backbone alone, z_hq = z.
        self.priors = c.get("priors", True)
        if not self.priors:
            self.next_cache, self.prior_features = None, None
            return
        self.in_proj = nn.Linear(c["latent"], d)
        self.spatial = SpatialPrior(c)
        self.temporal = TemporalPrior(c)
        self.modulation = nn.Sequential(nn.Linear(d, d), nn.SiLU(), nn.Linear(d, 2 * d))
        nn.init.zeros_(self.modulation[2].weight)
        nn.init.zeros_(self.modulation[2].bias)
        self.task_embed = nn.Linear(len(TASKS), d)
        self.step_embed = nn.Parameter(torch.zeros(d))
        self.blocks = nn.ModuleList([FusionBlock(c) for _ in range(c["blocks"])])
        self.out_norm = nn.LayerNorm(d)
        self.out_proj = nn.Linear(d, c["latent"])
        if self.naf:  # v starts at zero: the one step starts as no step, z_hq = z
            nn.init.zeros_(self.out_proj.weight)
            nn.init.zeros_(self.out_proj.bias)
        if self.naf:  # (γ, β) for the decoder's R/8, R/4 and R/2 features, from Pool(f_t)
            self.scale_modulation = nn.Linear(d, 2 * sum(c["channels"]))
            nn.init.zeros_(self.scale_modulation.weight)
            nn.init.zeros_(self.scale_modulation.bias)
        self.past = PastFeatures(c) if self.naf and c.get("past_features") else None

    def forward(self, frames, mask, tasks, cache=None, context=None, past_shift=None):
        """frames (T, 3, R, R) in [0, 1]; mask (T, 1, R, R), 1 = missing; tasks (3,) flags;
        cache: `next_cache` after the previous window of the same face (or None);
        context: how many frames `next_cache` keeps (None: this window's);
        past_shift: (dx, dy), how far the cached frame's crop lies from this window's
        first (PastFeatures), or None.
        Or B windows at once: frames (B, T, 3, R, R), mask (B, T, 1, R, R), tasks (B, 3).
        Returns the restored frames, shaped as the input, and (z, z_hq, idx_s, logits_s,
        idx_t, logits_t) over the B·T frames (for training and the fixtures)."""
        c = self.config
        single = frames.dim() == 4
        if single:
            frames, mask, tasks = frames[None], mask[None], tasks[None]
        b, t = frames.shape[:2]
        frames = frames.flatten(0, 1)                                     # (B·T, 3, R, R)
        if c.get("prefill"):
            frames = fill_missing(frames, mask.flatten(0, 1))
        z, skips = self.encoder(torch.cat([frames, mask.flatten(0, 1)], dim=1))  # (B·T, L, h, w)
        if not self.priors:
            ch = c["channels"]
            zero = lambda k: z.new_zeros(b * t, 2 * k, 1, 1)
            self.z_hq = z
            out = (frames + self.decoder(z, skips, [zero(ch[2]), zero(ch[1]), zero(ch[0])])).unflatten(0, (b, t))
            return out[0] if single else out, (z, z, None, None, None, None)
        _, latent, h, w = z.shape
        tokens = z.flatten(2).transpose(1, 2)                             # (B·T, N, L)
        x0 = self.in_proj(tokens)                                         # (B·T, N, D)
        cos, sin, plain, shifted = self.geometry(h, w, z.device)
        f_s, idx_s, logits_s, feats_s = self.spatial(x0, plain, cos, sin)  # (B·T, N, D)
        f_t, idx_t, logits_t, feats_t, self.next_cache = self.temporal(x0.unflatten(0, (b, t)), cache, context)
        f_t, idx_t, logits_t, feats_t = (a.flatten(0, 1) for a in (f_t, idx_t, logits_t, feats_t))  # (B·T, N, …)
        if self.past is not None:
            s0, s1, s2 = skips
            s1, past = self.past(s1, f_t, b, cache.get("past") if cache else None, context, past_shift)
            skips = (s0, s1, s2)
            if self.next_cache is not None:
                self.next_cache["past"] = past
        self.prior_features = (feats_s, feats_t)  # training reads them (see train.py's code loss)
        pooled = f_t.mean(dim=1, keepdim=True)                            # (B·T, 1, D)
        gamma, beta = self.modulation(pooled).chunk(2, dim=-1)            # (B·T, 1, D) each
        x = x0 + self.task_embed(tasks).repeat_interleave(t, dim=0)[:, None] + self.step_embed
        for i, block in enumerate(self.blocks):
            x = block(x, f_s, f_t, gamma, beta, shifted if i % 2 else plain, cos, sin)
        v = self.out_proj(self.out_norm(x))                               # (B·T, N, L)
        v = v.transpose(1, 2).reshape(b * t, latent, h, w)
        z_hq = z - c["t_star"] * v                                        # one step
        # The decoder predicts the correction to the input frames: an untrained or unsure
        # model starts from (and a clean face stays at) the input.
        if self.naf:
            ch = c["channels"]
            mods = self.scale_modulation(pooled[:, 0]).split([2 * ch[2], 2 * ch[1], 2 * ch[0]], dim=-1)
            correction = self.decoder(z_hq, skips, [m[:, :, None, None] for m in mods])
        else:
            correction = self.decoder(z_hq, skips)
        self.z_hq = z_hq
        out = (frames + correction).unflatten(0, (b, t))
        return out[0] if single else out, (z, z_hq, idx_s, logits_s, idx_t, logits_t)

    def geometry(self, h, w, device):
        """RoPE tables of the latent grid and the plain and shifted attention windows."""
        c = self.config
        cos, sin = rope_tables(grid_positions(h, w, device), c["dim"] // c["heads"])
        return (cos, sin, window_groups(h, w, c["window"], 0, str(device)),
                window_groups(h, w, c["window"], c["window"] // 2, str(device)))

    def prior_features_of(self, frames, mask, cache=None):
        """The spatial and temporal prior features (before the code heads) of B windows
        (B, T, 3, R, R): (B·T, N, D) each, and the temporal cache for the next window."""
        b, t = frames.shape[:2]
        z, _ = self.encoder(torch.cat([frames, mask], dim=2).flatten(0, 1))
        _, _, h, w = z.shape
        x0 = self.in_proj(z.flatten(2).transpose(1, 2))
        cos, sin, plain, _ = self.geometry(h, w, z.device)
        fs = self.spatial.features(x0, plain, cos, sin)
        ft, next_cache = self.temporal.features(x0.unflatten(0, (b, t)), cache)
        return fs, ft.flatten(0, 1), next_cache


def nearest_code(features, codebook):
    """Index of the nearest codebook entry (Euclidean) for each feature vector (…, D)."""
    w = codebook.weight
    d = features.pow(2).sum(-1, keepdim=True) - 2 * features @ w.t() + w.pow(2).sum(-1)
    return d.argmin(-1)
