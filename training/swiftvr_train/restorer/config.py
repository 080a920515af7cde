"""The restorer's architecture as a config dict (RestorerConfig.swift), stored whole in
every exported file's metadata."""

# What a key absent from a file's config means: the first shipped weights' architecture,
# the light convolutional autoencoder with every later option off. Swift's
# RestorerConfig(json:) reads absent keys the same way.
CONV_CONFIG = dict(
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
    past_inputs=0,          # early fusion: the k earlier input crops, moved onto this one, enter the encoder ("naf" only; PastInputs)
)

# The shipped model's architecture: what train.py trains, and what the Swift
# RestorerConfig() defaults describe (RestorerConfigTests checks them against the file).
DEFAULT_CONFIG = dict(CONV_CONFIG, backbone="naf", channels=[16, 32, 64], dec_blocks=[2, 2, 2], dim=48, blocks=2,
                      temporal_residual=True, spatial_residual=True, prefill=True, causal_temporal=True,
                      code_temperature=0.5, past_features=True)

TASKS = ("restore", "colorize", "inpaint")  # SVFR's task ids 0, 1, 2
