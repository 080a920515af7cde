"""NAFNet-style down and up paths, backbone "naf" (NAFBackbone.swift, NAFBlocked.swift)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


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
        # 3 correction channels, and with early fusion one weight logit per earlier crop (PastInputs)
        self.conv_out = nn.Conv2d(ch[0], 4 * (3 + c.get("past_inputs", 0)), 1)
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
