#!/usr/bin/env python3
"""Trains the restorer on clips degraded at frame scale (swiftvr_train/degrade.py),
resuming from its last checkpoint after any interruption.

    python3 training/train.py                      # train (or resume) for --minutes
                                                   # (a fresh clone resumes from training/checkpoints/restorer.pt)
    python3 training/train.py --data DIR           # your own face images and/or videos
    python3 training/train.py --ablation --minutes 20   # the ablation table (docs/EVAL.md)
    python3 -m swiftvr_train.export CKPT OUT       # export (after pip install -e training)

One stage, every part learned together through the real decoder. Losses:
  pixel:    Charbonnier, plus L1 on image gradients and on FFT amplitudes;
  latent:   z_hq against the clean clip's latent (the one step must land on it);
  usage:    both codebooks' soft assignments spread over their codes (log K − entropy
            of the batch's mean assignment), the codes' meaning learned through the decoder;
  warp:     the exact motion between crops warps frame t−1 onto frame t, and the restored
            pair must differ as the clean pair does.
No per-clip loss scale: every clip, clean or heavily degraded, weighs the same, so the
model learns how much to do from the input itself. Code assignment is soft: the softmax
temperature anneals from 2 to the configured τ over the first half of the run.

Clips come from a pool made once (--pool clips, cached in ~/.cache/swiftvr/) and are
flipped and transposed at random; validation scores every degradation family and
severity (degrade.VAL_SETS) and keeps as restorer-best.pt the checkpoint whose WORST
family gain is highest. Each validation appends a row to ~/.cache/swiftvr/val.csv.
"""
import argparse
import csv
import json
import math
import os
import time

import numpy as np
import torch

from swiftvr_train import degrade, metrics, pool
from swiftvr_train.losses import charbonnier, fft_l1, gradient_l1, latent_loss, usage_loss, warp_loss
from swiftvr_train.restorer import CONV_CONFIG, DEFAULT_CONFIG, Restorer

CACHE = os.path.expanduser("~/.cache/swiftvr")
# Modules an option added to the architecture (model.py); a checkpoint that predates the
# option resumes without them.
NEW_MODULES = ("past", "past_inputs")


def grown_tensors(saved, model):
    """The saved weights, each tensor that an option made larger (early fusion's input
    and output channels) copied into the leading part of the model's own: new input
    channels start at zero (they change nothing), new outputs at their initialisation."""
    own = model.state_dict()
    out = {}
    for k, v in saved.items():
        if k in own and own[k].shape != v.shape and own[k].dim() == v.dim():
            t = own[k].clone()
            if k == "encoder.conv_in.weight":
                t.zero_()
            t[tuple(slice(0, n) for n in v.shape)] = v
            v = t
        out[k] = v
    return out
# The latest resumable checkpoint, committed when validation improved, so training goes on
# from a fresh clone on a new machine (copied into CACHE when CACHE has none).
COMMITTED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "checkpoints", "restorer.pt")


def set_temperature(model, frac):
    tau = model.config.get("code_temperature", 0.0)
    if not model.priors or tau <= 0:
        return
    t = tau + (2.0 - tau) * max(0.0, 1 - 2 * frac)
    model.spatial.temperature = model.temporal.temperature = t


def loss_fn(model, lq, hq, mask, tasks, warps, weights):
    out, (z, z_hq, _, logits_s, _, logits_t) = model(lq, mask, tasks)
    # Colorize and inpaint clips (a few per cent) carry errors several times a restore
    # clip's: a fixed task weight keeps them from steering every step.
    w = torch.where(tasks[:, 1:].sum(1) > 0, 0.3, 1.0).to(out)[:, None, None, None, None]
    out_w, hq_w = hq + (out - hq) * w, hq
    with torch.no_grad():
        # The clean clip's latent: no missing pixels, and (early fusion) no differences from earlier crops.
        extra = model.encoder.conv_in.in_channels // 4 - hq.shape[2]
        z_clean, _ = model.encoder(torch.cat([hq, hq.new_zeros(*hq.shape[:2], extra, *hq.shape[3:])], dim=2).flatten(0, 1))
    parts = {
        "charbonnier": charbonnier(out_w, hq_w),
        "grad": gradient_l1(out_w, hq_w),
        "fft": fft_l1(out_w, hq_w),
        # Without priors z_hq is the encoder's own output: pulling it onto the clean latent
        # only asks the encoder to forget the degradation (it collapsed the latent there).
        "latent": latent_loss(z, z_hq, z_clean) if model.priors else out.new_zeros(()),
        "warp": warp_loss(out, hq, warps) if lq.shape[1] > 1 else out.new_zeros(()),
    }
    if model.priors:
        parts["usage"] = usage_loss(logits_s, model.spatial.temperature) + usage_loss(logits_t, model.temporal.temperature)
    total = sum(weights[k] * v for k, v in parts.items())
    return total, {k: float(v.detach()) for k, v in parts.items()}


def save(obj, path):
    torch.save(obj, path + ".tmp")
    os.replace(path + ".tmp", path)


class Run:
    """One model being trained: its optimiser, step count and wall time."""

    def __init__(self, name, config, args, device, ckpt):
        self.name, self.ckpt, self.args = name, ckpt, args
        state = torch.load(ckpt, map_location="cpu") if os.path.exists(ckpt) and not args.fresh else {}
        grown = []
        if state:
            # The checkpoint's architecture, plus any option it predates (the model grew):
            # new parts start at their zero initialisation, so the resumed model restores
            # exactly as before until they learn.
            grown = sorted(k for k in config if k not in state["config"])
            config = dict(state["config"], **{k: config[k] for k in grown})
        self.model = Restorer(config).to(device)
        # The latent transformer (priors, fusion blocks) at half the backbone's rate: at the
        # backbone's 2e-3 it spiked (clean crops at −3.5 dB for a few hundred steps).
        named = list(self.model.named_parameters())
        backbone = [p for n, p in named if n.startswith(("encoder.", "decoder."))]
        latent = [p for n, p in named if not n.startswith(("encoder.", "decoder.", "past_inputs."))]
        # Early fusion's weights of the earlier crops: a few scalars that start at zero and
        # must reach about 1/3; at the backbone's rate they took 600 steps to reach 0.04.
        fusion = [p for n, p in named if n.startswith("past_inputs.")]
        groups = ([{"params": backbone, "scale": 1.0}] + ([{"params": latent, "scale": 0.5}] if latent else [])
                  + ([{"params": fusion, "scale": 20.0}] if fusion else []))
        self.opt = torch.optim.AdamW(groups, lr=args.lr, betas=(0.9, 0.99), weight_decay=1e-4)
        self.step, self.elapsed, self.best, self.loss, self.lr_scale = 0, 0.0, -1e9, float("nan"), 1.0
        self.start_step = 0
        self.best_mean = -1e9
        self.val_rows = None   # the validation rows `best` was measured on
        self.scored = -1  # the step last scored on the validation set
        if state:
            missing, unexpected = self.model.load_state_dict(grown_tensors(state["model"], self.model), strict=not grown)
            if unexpected or any(not k.startswith(tuple(f"{m}." for m in NEW_MODULES)) for k in missing):
                raise SystemExit(f"{ckpt} does not match the model: missing {missing}, unexpected {unexpected}")
            self.step, self.elapsed, self.best = state["step"], state["elapsed"], state["best"]
            self.lr_scale = state.get("lr_scale", 1.0)
            self.best_mean = state.get("best_mean", -1e9)
            self.val_rows = state.get("val_rows")
            if grown or state.get("fresh_optimizer"):
                # A new schedule (warm-up, then a cosine over --minutes) and fresh optimiser moments.
                self.elapsed = 0.0
                if grown:
                    print(f"{name}: {ckpt} predates {', '.join(grown)}; new parts {sorted(set(k.split('.')[0] for k in missing))} "
                          f"start at zero, the learning-rate schedule restarts", flush=True)
            else:
                self.opt.load_state_dict(state["optimizer"])
            print(f"{name}: resumed from {ckpt} at step {self.step} ({state['elapsed'] / 60:.1f} min)", flush=True)
            self.start_step = self.step if grown else 0
        self.model.train()

    def train_step(self, batch, total_s, weights):
        t0 = time.time()
        frac = min(1.0, self.elapsed / total_s)
        for g in self.opt.param_groups:   # warm-up, then a cosine to 5 % at the end of the run
            g["lr"] = g["scale"] * self.lr_scale * self.args.lr * min(1.0, (self.step - self.start_step + 1) / 50) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
        set_temperature(self.model, frac)
        loss, parts = loss_fn(self.model, *batch, weights)
        self.opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 0.5)
        self.opt.step()
        self.step += 1
        self.elapsed += time.time() - t0
        return float(loss.detach()), parts

    def checkpoint(self, scores):
        worst = min(s["gain"] for s in scores.values())
        if sorted(scores) != self.val_rows:
            # Another validation set (families added): the best so far was measured on
            # other rows, so neither the pick nor the divergence check can compare with it.
            self.best, self.best_mean, self.val_rows = -1e9, -1e9, sorted(scores)
        good = self.ckpt  # the last checkpoint, written only when it had not diverged
        mean = sum(s["gain"] for s in scores.values()) / len(scores)
        # Diverged: a loss spike leaves every family several dB below its input, so the
        # mean falls. (The worst family alone is no sign: the real clean faces' row, 8 clips,
        # swings by 3 dB from one checkpoint to the next while the rest hold.)
        if mean < self.best_mean - 2 and os.path.exists(good):
            # Go back to the last checkpoint, keep the steps and time, and halve the learning rate.
            state = torch.load(good, map_location="cpu")
            self.model.load_state_dict(state["model"])
            self.opt.load_state_dict(state["optimizer"])
            self.lr_scale *= 0.5
            print(f"{self.name}: diverged at step {self.step} (mean family gain {mean:+.2f} dB); back to the last "
                  f"checkpoint (step {state['step']}), learning rate × {self.lr_scale:g}", flush=True)
            save(dict(state, step=self.step, elapsed=self.elapsed, best=self.best, lr_scale=self.lr_scale), self.ckpt)
            return worst, False
        # Ties on the worst family (clean validation is capped at 45 dB, so a model that leaves
        # clean faces alone ties at +0.00) go to the higher mean gain.
        improved = worst > self.best + 1e-4 or (worst >= self.best - 1e-4 and mean > self.best_mean)
        if improved:
            self.best, self.best_mean = max(self.best, worst), mean
        state = dict(model=self.model.state_dict(), optimizer=self.opt.state_dict(), step=self.step,
                     elapsed=self.elapsed, config=self.model.config, best=self.best, best_mean=self.best_mean,
                     lr_scale=self.lr_scale, val_rows=self.val_rows)
        save(state, self.ckpt)
        if improved:
            save(state, self.ckpt.replace(".pt", "-best.pt"))
        return worst, improved


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", help="a folder of face images and/or videos (default: the packaged photographs)")
    ap.add_argument("--minutes", type=float, default=12 * 60, help="training time of the run (the learning-rate cosine spans it)")
    ap.add_argument("--clips", type=int, default=8, help="clips per step")
    ap.add_argument("--frames", type=int, default=3, help="frames per clip (causal: frame t sees frames ≤ t)")
    ap.add_argument("--size", type=int, default=96, help="training crop size (multiple of 8)")
    ap.add_argument("--pool", type=int, default=3000, help="clips in the degraded pool")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--save-every", type=int, default=150, help="steps between validation and checkpoints")
    ap.add_argument("--ckpt", default=os.path.join(CACHE, "restorer.pt"))
    ap.add_argument("--fresh", action="store_true", help="start from scratch instead of resuming")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=JSON", help="change the architecture config")
    ap.add_argument("--ablation", action="store_true",
                    help="train the full model, the same backbone without priors (equal compute) and the old "
                         "architecture side by side on the same batches, and print the table")
    ap.add_argument("--clean-share", type=float, default=0.15,
                    help="share of restore clips whose input is replaced by their clean target (do no harm)")
    ap.add_argument("--families", help="train and validate on these degradation families only "
                                       f"(comma-separated from {', '.join(degrade.FAMILIES)}; clean is always validated)")
    ap.add_argument("--init", metavar="CKPT", help="start from CKPT's weights with a new optimiser and schedule "
                                                 "(a diagnostic run beside the main one)")
    ap.add_argument("--face-share", type=float, default=0.0,
                    help="share of training clips cut from the training half of the licensed face photographs "
                         "(training/DATA.md; the other half, other people, is validated on)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    families = args.families.split(",") if args.families else None
    if families and not set(families) <= set(degrade.FAMILIES):
        raise SystemExit(f"--families: unknown family in {args.families!r} (known: {', '.join(degrade.FAMILIES)})")
    torch.set_num_threads(args.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    os.makedirs(CACHE, exist_ok=True)
    weights = dict(charbonnier=1.0, grad=0.5, fft=0.05, latent=0.01, usage=0.01, warp=0.05)

    config = dict(DEFAULT_CONFIG, **{k: json.loads(v) for k, v in (a.split("=", 1) for a in args.set)})
    if args.ablation:
        runs = [Run("naf+priors", config, args, device, os.path.join(CACHE, "ablation-full.pt")),
                Run("naf-no-priors", dict(config, priors=False, enc_blocks=[2, 2, 2], dec_blocks=[3, 3, 3]),
                    args, device, os.path.join(CACHE, "ablation-nopriors.pt")),
                Run("old-architecture", dict(CONV_CONFIG, temporal_residual=True, prefill=True, causal_temporal=True),
                    args, device, os.path.join(CACHE, "ablation-old.pt"))]
    else:
        if args.init and not os.path.exists(args.ckpt):
            init = torch.load(args.init, map_location="cpu")
            save(dict(model=init["model"], config=init["config"], step=0, elapsed=0.0, best=-1e9, fresh_optimizer=True),
                 args.ckpt)
            print(f"starting from {args.init}'s weights (step {init['step']}) with a new schedule", flush=True)
        elif not args.fresh and not os.path.exists(args.ckpt) and os.path.exists(COMMITTED):
            import shutil
            shutil.copyfile(COMMITTED, args.ckpt)
            print(f"starting from the committed checkpoint {COMMITTED}", flush=True)
        runs = [Run("restorer", config, args, device, args.ckpt)]
    clips = pool.load_or_make(args.data, args.pool, args.frames, args.size + 16, args.seed, families, args.face_share)
    val = pool.validation_set(args.data, args.frames, args.size, families=families)
    rng = np.random.default_rng(args.seed + runs[0].step)
    total_s = args.minutes * 60
    log = open(os.path.join(CACHE, "train.log"), "a")
    csv_path = os.path.join(CACHE, "ablation.csv" if args.ablation else "val.csv")
    new_csv = not os.path.exists(csv_path)
    csv_file = open(csv_path, "a", newline="")
    writer = csv.writer(csv_file)
    if new_csv:
        writer.writerow(["run", "step", "minutes", "family", "psnr_input", "psnr_output", "gain"])
    t_print = time.time()
    while min(r.elapsed for r in runs) < total_s:
        batch = tuple(x.to(device) for x in pool.batch(clips, rng, args.clips, args.size, args.clean_share))
        for r in runs:
            if r.elapsed < total_s:
                r.loss, parts = r.train_step(batch, total_s, weights)
        r0 = runs[0]
        if time.time() - t_print > 60:
            for r in runs:
                line = json.dumps(dict(run=r.name, step=r.step, minutes=round(r.elapsed / 60, 2), loss=round(r.loss, 5),
                                       s_per_step=round(r.elapsed / max(r.step, 1), 3)))
                print(line, flush=True)
            log.write(json.dumps(dict(run=r0.name, step=r0.step, **{k: round(v, 5) for k, v in parts.items()})) + "\n")
            log.flush()
            t_print = time.time()
        for r in runs:
            # Each run is scored every save_every of its steps and once when its time is up
            # (a run that finished first is not scored again while the others go on).
            if r.step != r.scored and (r.step % args.save_every == 0 or r.elapsed >= total_s):
                r.scored = r.step
                scores = metrics.score(r.model, val)
                worst, improved = r.checkpoint(scores)
                for fam, s in scores.items():
                    writer.writerow([r.name, r.step, round(r.elapsed / 60, 2), fam, round(s["input"], 3),
                                     round(s["output"], 3), round(s["gain"], 3)])
                csv_file.flush()
                print(f"{r.name} step {r.step} ({r.elapsed / 60:.1f} min): worst family gain {worst:+.3f} dB"
                      f"{' (best so far)' if improved else ''}; " +
                      ", ".join(f"{k} {v['gain']:+.2f}" for k, v in scores.items()), flush=True)
                if not args.ablation:
                    print("codes: " + json.dumps(metrics.code_usage(r.model, val)), flush=True)
    if args.ablation:
        print("\n| model | params | GFLOP @256² | steps | " + " | ".join(val) + " | worst |")
        for r in runs:
            scores = metrics.score(r.model, val)
            print(f"| {r.name} | {sum(p.numel() for p in r.model.parameters()) / 1e6:.2f} M | "
                  f"{metrics.gflops(r.model):.2f} | {r.step} | " + " | ".join(f"{s['gain']:+.2f}" for s in scores.values()) +
                  f" | {min(s['gain'] for s in scores.values()):+.2f} |")
        for r in runs:
            print(f"{r.name} codes: " + json.dumps(metrics.code_usage(r.model, val)))


if __name__ == "__main__":
    main()
