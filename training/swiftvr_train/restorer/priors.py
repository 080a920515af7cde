"""The spatial and temporal codebook priors (Priors.swift)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .windows import rope_tables, apply_rope
from .attention import Attention, TransformerLayer


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
