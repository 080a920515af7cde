"""Exports a restorer to ONNX (for onnxruntime, TensorRT and other runtimes) at a fixed
window length and crop size; the window layout depends on the crop size, so export one
file per size you deploy.

Run (from training/): python3 -m swiftvr_train.export_onnx MODEL.safetensors OUT.onnx [--frames 4] [--size 256]
"""
import argparse

import torch

from .export import load


class Wrapped(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, frames, mask, tasks):
        return self.model(frames, mask, tasks)[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--frames", type=int, default=4)
    ap.add_argument("--size", type=int, default=256)
    args = ap.parse_args()
    model = load(args.model)
    t, s = args.frames, args.size
    inputs = (torch.rand(t, 3, s, s), torch.zeros(t, 1, s, s), torch.tensor([1.0, 0.0, 0.0]))
    with torch.no_grad():
        torch.onnx.export(Wrapped(model), inputs, args.out, input_names=["frames", "mask", "tasks"],
                          output_names=["restored"], opset_version=17, dynamo=False)
    print(f"wrote {args.out} ({t} frames of {s}x{s})")


if __name__ == "__main__":
    main()
