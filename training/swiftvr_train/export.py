"""Exports a Restorer's weights to safetensors with its configuration in the metadata,
which the Swift model is built from (Sources/SwiftVRModels/Restorer/RestorerConfig.swift).

Run: python3 -m swiftvr_train.export CHECKPOINT OUT.safetensors   (from training/)
"""
import json
import sys

import torch

from . import safetensors_io
from .restorer import Restorer


def export(model, path, extra_metadata=None):
    tensors = {k: v.detach().float().cpu().numpy() for k, v in model.state_dict().items()}
    meta = {"architecture": "swiftvr-restorer", "format_version": "1",
            "config": json.dumps(model.config, sort_keys=True)}
    meta.update(extra_metadata or {})
    safetensors_io.save(path, tensors, meta)
    return len(tensors), sum(v.size for v in tensors.values())


def load(path):
    """The inverse of export: a Restorer built from the configuration in the file's
    metadata, with its weights (strict)."""
    tensors, meta = safetensors_io.load(path)
    model = Restorer(json.loads(meta["config"])).eval()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()}, strict=True)
    return model


def main():
    ckpt, out = sys.argv[1], sys.argv[2]
    state = torch.load(ckpt, map_location="cpu")
    model = Restorer(state.get("config"))
    model.load_state_dict(state["model"])
    n, params = export(model, out, {"trained_steps": str(state.get("step", 0))})
    print(f"wrote {out}: {n} tensors, {params} parameters")


if __name__ == "__main__":
    main()
