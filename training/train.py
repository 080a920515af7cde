#!/usr/bin/env python3
"""Trains the restorer on synthetic clips (swiftvr_train/data.py), resuming from its last
checkpoint after any interruption.

    python3 training/train.py                 # train (or resume) with the defaults below
    python3 training/train.py --fresh         # retrain from scratch
    python3 -m swiftvr_train.export CKPT OUT  # export (run from training/)

Losses, all on the restored window:
  pixel:    L1 and MSE, plus L1 on image gradients (edges) and on FFT amplitudes (texture) —
            structure losses that need no downloaded network;
  temporal: the exact motion of the synthetic clip warps frame t−1 onto frame t, and the
            restored pair must differ the way the clean pair does (flicker costs);
  priors:   cross-entropy of both code predictors (their last layers) against the codes
            of the clean frames, and a codebook loss pulling those codes toward the
            clean features; unused codes are restarted on clean features (CodeUsage).
Checkpoints go to ~/.cache/swiftvr/ (outside the repository) every --save-every steps,
after scoring a fixed validation set (swiftvr_train/validate.py); restorer-best.pt keeps
the one with the best validation gain, which is the one to export.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from swiftvr_train import data, validate  # noqa: E402
from swiftvr_train.model import Restorer  # noqa: E402

CACHE = os.path.expanduser("~/.cache/swiftvr")


def gradient_l1(a, b):
    dx = lambda x: x[..., :, 1:] - x[..., :, :-1]
    dy = lambda x: x[..., 1:, :] - x[..., :-1, :]
    return F.l1_loss(dx(a), dx(b)) + F.l1_loss(dy(a), dy(b))


def fft_l1(a, b):
    return F.l1_loss(torch.fft.rfft2(a, norm="ortho").abs(), torch.fft.rfft2(b, norm="ortho").abs())


def warp(frames, mats):
    """Samples frames t−1 (T−1, 3, S, S) onto the pixel grids of frames t, given the 2×3
    maps m from a frame-t pixel index to a frame-(t−1) pixel index. With
    align_corners=False a pixel index i sits at x = (2i + 1)/S − 1, so the map in
    normalised coordinates is x' = A·x + A·1·(1 − 1/S) + (2c + 1)/S − 1."""
    n, _, s, _ = frames.shape
    a, c = mats[:, :, :2], mats[:, :, 2]
    theta = torch.cat([a, (a.sum(2) * (1 - 1 / s) + (2 * c + 1) / s - 1)[..., None]], dim=2)
    grid = F.affine_grid(theta, list(frames.shape), align_corners=False)
    valid = F.grid_sample(torch.ones_like(frames[:, :1]), grid, align_corners=False, padding_mode="zeros") > 0.999
    return F.grid_sample(frames, grid, align_corners=False, padding_mode="border"), valid


def temporal_loss(out, hq, mats):
    w_out, valid = warp(out[:-1], mats)
    w_hq, _ = warp(hq[:-1], mats)
    diff = (w_out - out[1:]) - (w_hq - hq[1:])
    return (diff.abs() * valid).sum() / valid.sum().clamp(min=1) / 3


class CodeUsage:
    """Keeps both codebooks alive. Codes no clean feature has been nearest to for a while
    (usage, an exponential average over steps) are moved onto clean features of the
    current batch: without this, one code soon wins every token and the priors carry
    nothing (the VQ "codebook collapse")."""

    def __init__(self, model, decay=0.99):
        self.decay = decay
        self.books = {"spatial": model.spatial.codebook, "temporal": model.temporal.codebook}
        self.usage = {k: torch.ones(b.num_embeddings) for k, b in self.books.items()}
        self.features = {}

    def record(self, name, targets, features):
        counts = torch.bincount(targets.flatten(), minlength=self.books[name].num_embeddings).float()
        self.usage[name] = self.decay * self.usage[name] + (1 - self.decay) * (counts > 0).float()
        self.features[name] = features.detach().flatten(0, -2)

    @torch.no_grad()
    def restart_dead(self, threshold=0.02):
        """Returns how many codes were restarted."""
        restarted = 0
        for name, book in self.books.items():
            dead = (self.usage[name] < threshold).nonzero().flatten()
            feats = self.features.get(name)
            if len(dead) == 0 or feats is None:
                continue
            pick = feats[torch.randint(len(feats), (len(dead),))]
            book.weight[dead] = pick + 0.01 * torch.randn_like(pick)
            self.usage[name][dead] = 1.0
            restarted += len(dead)
        return restarted


def step_loss(model, lq, hq, mask, tasks, warps, weights, usage=None):
    """Each clip is two consecutive windows of the same face: the second attends to the
    first's cached temporal keys/values, as in streaming, and the temporal loss spans
    the window border."""
    total, parts = 0.0, {}
    half = lq.shape[1] // 2
    for b in range(lq.shape[0]):
        out_a, aux_a = model(lq[b, :half], mask[b, :half], tasks[b])
        feats_a = model.prior_features
        cache = {k: v.detach() for k, v in model.next_cache.items()}
        out_b, aux_b = model(lq[b, half:], mask[b, half:], tasks[b], cache=cache)
        feats_b = model.prior_features
        out = torch.cat([out_a, out_b])
        # The code predictors learn from the cross-entropy through their last layer only:
        # the features (which also make the clean targets) are shaped by the restoration
        # losses alone, so they cannot collapse to make every target the same code.
        logits_s = model.spatial.logits(torch.cat([feats_a[0], feats_b[0]]).detach())
        logits_t = model.temporal.logits(torch.cat([feats_a[1], feats_b[1]]).detach())
        with torch.no_grad():
            tgt_s, feats_s, tgt_t, feats_t = model.prior_targets(hq[b], mask[b], tasks[b])
        if usage is not None:
            usage.record("spatial", tgt_s, feats_s)
            usage.record("temporal", tgt_t, feats_t)
        losses = {
            "l1": F.l1_loss(out, hq[b]),
            "mse": F.mse_loss(out, hq[b]),
            "grad": gradient_l1(out, hq[b]),
            "fft": fft_l1(out, hq[b]),
            "temporal": temporal_loss(out, hq[b], warps[b]),
            "code": F.cross_entropy(logits_s.flatten(0, 1), tgt_s.flatten()) + F.cross_entropy(logits_t.flatten(0, 1), tgt_t.flatten()),
            "book": F.mse_loss(model.spatial.codebook(tgt_s), feats_s) + F.mse_loss(model.temporal.codebook(tgt_t), feats_t),
        }
        # The same L1 for the degraded input itself: the bar the model must get under.
        l1_input = F.l1_loss(lq[b], hq[b]).item()
        parts["l1_input"] = parts.get("l1_input", 0.0) + l1_input / lq.shape[0]
        # Each clip's image losses are scaled by how far its input is from the truth, so a
        # gray or holed clip (errors several times a noisy one's) does not drown the
        # others' gradients, and clean clips weigh most: leaving them alone matters most.
        scale = 0.05 / (l1_input + 0.02)
        for k, v in losses.items():
            parts[k] = parts.get(k, 0.0) + v.item() / lq.shape[0]
            total = total + weights[k] * (1 if k in ("code", "book") else scale) * v / lq.shape[0]
    return total, parts


def save(obj, path):
    torch.save(obj, path + ".tmp")
    os.replace(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200_000)
    ap.add_argument("--clips", type=int, default=4, help="clips per step")
    ap.add_argument("--frames", type=int, default=6, help="frames per clip: two consecutive windows of half this")
    ap.add_argument("--size", type=int, default=96, help="crop size (multiple of 8)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--save-every", type=int, default=200, help="steps between checkpoints and validation")
    ap.add_argument("--ckpt", default=os.path.join(CACHE, "restorer.pt"))
    ap.add_argument("--fresh", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(os.path.dirname(args.ckpt), exist_ok=True)
    weights = dict(l1=1.0, mse=5.0, grad=0.5, fft=0.1, temporal=0.5, code=0.01, book=0.05)

    model = Restorer()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    step, state = 0, {}
    if os.path.exists(args.ckpt) and not args.fresh:
        state = torch.load(args.ckpt, map_location="cpu")
        model = Restorer(state["config"])
        opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        for group in opt.param_groups:  # the command line decides the rate, also on resume
            group["lr"] = args.lr
        step = state["step"]
        print(f"resumed from {args.ckpt} at step {step}", flush=True)
    images = data.load_images()
    val = validate.clips()
    best = state.get("best_gain", -1e9) if step else -1e9
    rng = np.random.default_rng(args.seed + step)
    model.train()
    usage = CodeUsage(model)
    log = open(os.path.join(os.path.dirname(args.ckpt), "train.log"), "a")
    t0 = time.time()
    while step < args.steps:
        lq, hq, mask, tasks, warps = data.batch(images, rng, args.clips, args.frames, args.size)
        loss, parts = step_loss(model, lq, hq, mask, tasks, warps, weights, usage)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % 50 == 0:
            parts["codes_restarted"] = usage.restart_dead()
        if step % 20 == 0:
            line = json.dumps(dict(step=step, loss=round(loss.item(), 5), s_per_step=round((time.time() - t0) / 20, 3),
                                   **{k: round(v, 5) for k, v in parts.items()}))
            print(line, flush=True)
            log.write(line + "\n")
            log.flush()
            t0 = time.time()
        if step % args.save_every == 0 or step == args.steps:
            p_in, p_out = validate.score(model, val)
            line = json.dumps(dict(step=step, val_psnr_input=round(p_in, 3), val_psnr_output=round(p_out, 3)))
            print(line, flush=True)
            log.write(line + "\n")
            best_now = p_out - p_in > best
            best = max(best, p_out - p_in)
            ckpt = dict(model=model.state_dict(), optimizer=opt.state_dict(), step=step, config=model.config, best_gain=best)
            save(ckpt, args.ckpt)
            if best_now:  # the checkpoint to export: the best validation gain so far
                save(ckpt, args.ckpt.replace(".pt", "-best.pt"))


if __name__ == "__main__":
    main()
