"""The restorer: encoder, priors, fusion blocks, the one step and the decoder (Restorer.swift)."""
import torch
import torch.nn as nn

from .windows import window_groups, rope_tables, grid_positions
from .attention import Attention, TransformerLayer
from .fill_missing import fill_missing
from .autoencoder import Encoder, Decoder
from .naf import NAFEncoder, NAFDecoder
from .priors import SpatialPrior, TemporalPrior
from .past_features import PastFeatures
from .past_inputs import PastInputs, past_differences
from .config import CONV_CONFIG, DEFAULT_CONFIG, TASKS


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
        """config: the shipped architecture when None; otherwise a file's or a run's config,
        whose absent keys mean what they meant in the first shipped files (CONV_CONFIG)."""
        super().__init__()
        c = dict(DEFAULT_CONFIG) if config is None else dict(CONV_CONFIG, **config)
        self.config = c
        d = c["dim"]
        self.naf = c["backbone"] == "naf"
        k = c.get("past_inputs", 0)   # early fusion: the k earlier crops' differences enter the encoder
        self.encoder = NAFEncoder(dict(c, in_channels=c["in_channels"] + 3 * k)) if self.naf else Encoder(c)
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
        self.past_inputs = PastInputs(c) if self.naf and k else None

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
        inputs = [frames, mask.flatten(0, 1)]
        if self.past_inputs is not None:
            k = c["past_inputs"]
            d, last_inputs = past_differences(frames.unflatten(0, (b, t)), mask, k, cache.get("inputs") if cache else None)
            d = d.flatten(0, 1)                                           # (B·T, 3k, R, R)
            inputs.append(d)
        z, skips = self.encoder(torch.cat(inputs, dim=1))                # (B·T, L, h, w)
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
            if self.past_inputs is not None:  # (B·T, 3 + k, R, R): the correction, then the k weights' logits
                frames = self.past_inputs(frames, d, correction[:, 3:])
                correction = correction[:, :3]
                if self.next_cache is not None:
                    self.next_cache["inputs"] = last_inputs
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
