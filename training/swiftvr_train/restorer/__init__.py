"""The restoration model, the PyTorch twin of Sources/SwiftVRModels/Restorer/: one module
per Swift file, module and parameter names matching the Swift code, which loads the state
dict export.py writes.

A light restoration-aware backbone, spatial and temporal codebook priors, asymmetric
fusion in every block, and one-step restoration in latent space with mask-free
shifted-window attention (DVFace + SVFR + SeedVR/SwiftVR, sized for two CPU cores).

Shapes: a window of T aligned face crops is a batch of T; R is the crop size, h = w = R/8
the latent grid, N = h·w tokens, D = config.dim. Training runs B windows (of B faces)
at once: frames (B, T, 3, R, R), and everything but the temporal prior sees B·T frames.
"""
from .config import CONV_CONFIG, DEFAULT_CONFIG, TASKS
from .fill_missing import fill_missing
from .restorer import Restorer, nearest_code

__all__ = ["CONV_CONFIG", "DEFAULT_CONFIG", "TASKS", "Restorer", "fill_missing", "nearest_code"]
