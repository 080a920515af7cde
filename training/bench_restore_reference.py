#!/usr/bin/env python3
"""Reference half of scripts/bench-restore.sh: the PyTorch restorer (the model's own
framework) on the same window sizes and weights, with the same thread count.
Prints `torch R T ms_per_window ms_per_face_frame` and the FLOP count per face-frame."""
import argparse
import time

import torch

from swiftvr_train import safetensors_io
from swiftvr_train.restorer import Restorer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/swiftvr-restorer.safetensors")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tensors, meta = safetensors_io.load(args.model)
    import json
    model = Restorer(json.loads(meta["config"])).eval()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})
    from torch.utils.flop_counter import FlopCounterMode
    for r in (128, 256):
        for t in (1, 4):
            x, m, tasks = torch.rand(t, 3, r, r), torch.zeros(t, 1, r, r), torch.tensor([1.0, 0, 0])
            with torch.no_grad():
                for _ in range(2):
                    model(x, m, tasks)
                ts = []
                for _ in range(args.runs):
                    s = time.perf_counter()
                    model(x, m, tasks)
                    ts.append((time.perf_counter() - s) * 1000)
                with FlopCounterMode(display=False) as fc:
                    model(x, m, tasks)
            med = sorted(ts)[len(ts) // 2]
            print(f"torch {r} {t} {med:.2f} {med / t:.2f} {fc.get_total_flops() / t / 1e9:.3f}")


if __name__ == "__main__":
    main()
