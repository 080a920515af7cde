"""Push-pull filling of missing pixels before encoding (FillMissing.swift)."""
import torch.nn.functional as F


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
