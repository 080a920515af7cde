"""The first shipped weights' light convolutional autoencoder, backbone "conv" (Autoencoder.swift)."""
import torch.nn as nn
import torch.nn.functional as F


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
