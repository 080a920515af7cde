#!/usr/bin/env python3
"""Trains the restorer on synthetic clips (swiftvr_train/data.py) in DVFace's two stages,
resuming from its last checkpoint after any interruption.

    python3 training/train.py                     # train (or resume) for --minutes
    python3 training/train.py --fresh             # retrain from scratch
    python3 -m swiftvr_train.export CKPT OUT      # export (run from training/)

Stage 1 (the first --stage1 share of the run), codebooks by HQ reconstruction: the
encoder and both prior feature networks see clean clips; their features are vector-
quantised (nearest code, straight-through) and small training-only heads must rebuild
from the codes each token's 8×8 pixel patch (spatial) and its change since the previous
frame (temporal); plus the codebook and commitment losses, and dead codes restarted on
live features (CodeUsage). The codes must therefore carry structure and motion — the
run before this one trained the codes on restoration alone and both codebooks
collapsed to a single code.

Stage 2, one-step restoration on degraded clips. A frozen copy of the stage-1 networks
(the teacher) gives the code indices of the clean clip; the codebooks are frozen. Losses:
  pixel:    L1 and MSE, plus L1 on image gradients (edges) and on FFT amplitudes (texture) —
            structure losses that need no downloaded network;
  temporal: the exact motion of the synthetic clip warps frame t−1 onto frame t, and the
            restored pair must differ the way the clean pair does (flicker costs);
  priors:   cross-entropy of both code predictors (on the degraded input) against the
            teacher's codes, and the code-feature loss pulling their features to those
            codes' entries.
The learning rate follows a cosine over the --minutes of the run. Checkpoints go to
~/.cache/swiftvr/ (outside the repository) every --save-every steps, after scoring a
fixed validation set (swiftvr_train/validate.py); restorer-best.pt keeps the stage-2
checkpoint with the best validation gain, which is the one to export. Runs on a GPU
when there is one (clips are made by --workers processes meanwhile).
"""
import argparse
import copy
import json
import math
import os
import sys
import time

import cv2
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from swiftvr_train import data, validate  # noqa: E402
from swiftvr_train.model import Restorer, nearest_code  # noqa: E402

CACHE = os.path.expanduser("~/.cache/swiftvr")


def per_clip(x):
    """Mean over all but the first (clip) dimension: (B, …) → (B,)."""
    return x.flatten(1).mean(1)


def gradient_l1(a, b):
    dx = lambda x: x[..., :, 1:] - x[..., :, :-1]
    dy = lambda x: x[..., 1:, :] - x[..., :-1, :]
    return per_clip((dx(a) - dx(b)).abs()) + per_clip((dy(a) - dy(b)).abs())


def fft_l1(a, b):
    return per_clip((torch.fft.rfft2(a, norm="ortho").abs() - torch.fft.rfft2(b, norm="ortho").abs()).abs())


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
    """out, hq (B, T, 3, S, S); mats (B, T−1, 2, 3) → (B,)."""
    b, t = out.shape[:2]
    prev = lambda x: x[:, :-1].flatten(0, 1)
    w_out, valid = warp(prev(out), mats.flatten(0, 1))
    w_hq, _ = warp(prev(hq), mats.flatten(0, 1))
    diff = (w_out - out[:, 1:].flatten(0, 1)) - (w_hq - hq[:, 1:].flatten(0, 1))
    num = (diff.abs() * valid).unflatten(0, (b, t - 1)).flatten(1).sum(1)
    return num / valid.unflatten(0, (b, t - 1)).flatten(1).sum(1).clamp(min=1) / 3


@torch.no_grad()
def seed_codes(book, codes, features):
    """Codebook entries `codes` become random rows of `features` (N, D), a little noise added."""
    pick = features[torch.randint(len(features), (len(codes),), device=features.device)]
    book.weight[codes] = pick + 0.01 * torch.randn_like(pick)


class CodeUsage:
    """Keeps both codebooks alive. Codes no clean feature has been nearest to for a while
    (usage, an exponential average over steps) are moved onto clean features of the
    current batch: without this, one code soon wins every token and the priors carry
    nothing (the VQ "codebook collapse")."""

    def __init__(self, model, decay=0.99):
        self.decay = decay
        self.books = {"spatial": model.spatial.codebook, "temporal": model.temporal.codebook}
        self.usage = {k: torch.ones(b.num_embeddings, device=b.weight.device) for k, b in self.books.items()}
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
            seed_codes(book, dead, feats)
            self.usage[name][dead] = 1.0
            restarted += len(dead)
        return restarted


class ReconstructionHeads(torch.nn.Module):
    """Stage 1 only (never exported): from the quantised prior features of a clean clip,
    each token's 8×8 RGB patch (spatial) and its change since the previous frame
    (temporal). Linear, so the codes themselves must hold the information."""

    def __init__(self, dim, patch=8):
        super().__init__()
        self.patch = patch
        self.spatial = torch.nn.Linear(dim, 3 * patch * patch)
        self.temporal = torch.nn.Linear(dim, 3 * patch * patch)

    def patches(self, frames):
        """(B·T, 3, R, R) → (B·T, N, 3·p²), tokens in the latent grid's order."""
        return F.pixel_unshuffle(frames, self.patch).flatten(2).transpose(1, 2)


def quantise(features, codebook):
    """Nearest codes, straight-through values, and the VQ codebook + commitment loss."""
    idx = nearest_code(features.detach(), codebook)
    entries = codebook(idx)
    vq = F.mse_loss(entries, features.detach()) + 0.25 * F.mse_loss(features, entries.detach())
    return idx, features + (entries - features).detach(), vq


def two_windows(clip):
    half = clip.shape[1] // 2
    return clip[:, :half], clip[:, half:]


def clean_prior_features(net, hq):
    """Prior features of clean clips (B, T, 3, S, S) as two consecutive windows, the
    second attending to the first through the cache, as in streaming: (B·T, N, D) each,
    ordered window a's frames then window b's."""
    a, b = two_windows(hq)
    zeros = lambda x: torch.zeros_like(x[:, :, :1])
    fs_a, ft_a, cache = net.prior_features_of(a, zeros(a))
    fs_b, ft_b, _ = net.prior_features_of(b, zeros(b), {k: v.detach() for k, v in cache.items()})
    return torch.cat([fs_a, fs_b]), torch.cat([ft_a, ft_b])


def window_order(clip):
    """(B, T, …) → (B·T, …) in clean_prior_features' order (window a of every clip, then b)."""
    a, b = two_windows(clip)
    return torch.cat([a.flatten(0, 1), b.flatten(0, 1)])


def stage1_loss(model, heads, hq, usage):
    fs, ft = clean_prior_features(model, hq)
    idx_s, q_s, vq_s = quantise(fs, model.spatial.codebook)
    idx_t, q_t, vq_t = quantise(ft, model.temporal.codebook)
    usage.record("spatial", idx_s, fs)
    usage.record("temporal", idx_t, ft)
    frames = window_order(hq)
    change = window_order(torch.cat([torch.zeros_like(hq[:, :1]), hq[:, 1:] - hq[:, :-1]], dim=1))
    losses = {
        "recon_spatial": F.l1_loss(heads.spatial(q_s), heads.patches(frames)),
        "recon_temporal": F.l1_loss(heads.temporal(q_t), heads.patches(change)),
        "vq": vq_s + vq_t,
    }
    parts = {k: v.item() for k, v in losses.items()}
    parts.update(codes_used_s=len(torch.unique(idx_s)), codes_used_t=len(torch.unique(idx_t)))
    return sum(losses.values()), parts


def stage2_loss(model, teacher, lq, hq, mask, tasks, warps, weights):
    """Each clip is two consecutive windows of the same face: the second attends to the
    first's cached temporal keys/values, as in streaming, and the temporal loss spans
    the window border."""
    (lq_a, lq_b), (m_a, m_b) = two_windows(lq), two_windows(mask)
    out_a, _ = model(lq_a, m_a, tasks)
    feats_a = model.prior_features
    out_b, _ = model(lq_b, m_b, tasks, cache={k: v.detach() for k, v in model.next_cache.items()})
    feats_b = model.prior_features
    out = torch.cat([out_a, out_b], dim=1)                              # (B, T, 3, S, S)
    feats_s, feats_t = torch.cat([feats_a[0], feats_b[0]]), torch.cat([feats_a[1], feats_b[1]])
    with torch.no_grad():
        fs, ft = clean_prior_features(teacher, hq)
        tgt_s, tgt_t = nearest_code(fs, model.spatial.codebook), nearest_code(ft, model.temporal.codebook)
    per = {
        "l1": per_clip((out - hq).abs()),
        "mse": per_clip((out - hq) ** 2),
        "grad": gradient_l1(out, hq),
        "fft": fft_l1(out, hq),
        "temporal": temporal_loss(out, hq, warps),
    }
    # The same L1 for the degraded input itself: the bar the model must get under. Each
    # clip's image losses are scaled by it, so a gray or holed clip (errors several times
    # a noisy one's) does not drown the others' gradients, and clean clips weigh most:
    # leaving them alone matters most.
    l1_input = per_clip((lq - hq).abs())
    scale = 0.05 / (l1_input + 0.02)
    total = sum(weights[k] * (scale * v).mean() for k, v in per.items())
    priors = {
        "code": F.cross_entropy(model.spatial.logits(feats_s).flatten(0, 1), tgt_s.flatten())
        + F.cross_entropy(model.temporal.logits(feats_t).flatten(0, 1), tgt_t.flatten()),
        "feature": F.mse_loss(feats_s, model.spatial.codebook(tgt_s)) + F.mse_loss(feats_t, model.temporal.codebook(tgt_t)),
    }
    total = total + sum(weights[k] * v for k, v in priors.items())
    parts = {k: v.mean().item() for k, v in {**per, **priors}.items()}
    parts["l1_input"] = l1_input.mean().item()
    with torch.no_grad():
        parts["code_acc_s"] = (model.spatial.logits(feats_s).argmax(-1) == tgt_s).float().mean().item()
        parts["codes_used_s"] = len(torch.unique(tgt_s))
        parts["codes_used_t"] = len(torch.unique(tgt_t))
    return total, parts


class Clips(torch.utils.data.IterableDataset):
    """Endless synthetic clips; each worker draws from its own seed."""

    def __init__(self, frames, size, seed):
        self.frames, self.size, self.seed = frames, size, seed

    def __iter__(self):
        cv2.setNumThreads(1)  # the workers are the parallelism
        info = torch.utils.data.get_worker_info()
        rng = np.random.default_rng([self.seed, info.id if info else 0])
        images = data.load_images()
        while True:
            lq, hq, mask, tasks, warps = data.batch(images, rng, 1, self.frames, self.size)
            yield lq[0], hq[0], mask[0], tasks[0], warps[0]


def save(obj, path):
    torch.save(obj, path + ".tmp")
    os.replace(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=24 * 60, help="length of the run (the learning-rate cosine spans it)")
    ap.add_argument("--stage1", type=float, default=0.15, help="share of the run spent on stage 1")
    ap.add_argument("--clips", type=int, default=4, help="clips per step")
    ap.add_argument("--frames", type=int, default=6, help="frames per clip: two consecutive windows of half this")
    ap.add_argument("--size", type=int, default=96, help="crop size (multiple of 8)")
    ap.add_argument("--lr", type=float, default=1e-3, help="peak learning rate")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=0, help="processes making clips (0: in the training process)")
    ap.add_argument("--save-every", type=int, default=200, help="steps between checkpoints and validation")
    ap.add_argument("--ckpt", default=os.path.join(CACHE, "restorer.pt"))
    ap.add_argument("--fresh", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=JSON",
                    help="change the architecture config (e.g. temporal_residual=true); resuming with a new "
                         "config fine-tunes: new parameters start at their init, the optimiser and the "
                         "learning-rate schedule start afresh")
    ap.add_argument("--restart", action="store_true",
                    help="keep the checkpoint's weights but start a fresh optimiser and learning-rate schedule")
    ap.add_argument("--weight", action="append", default=[], metavar="LOSS=W", help="override a loss weight, e.g. temporal=2")
    ap.add_argument("--lr-scale", action="append", default=[], metavar="PREFIX=S",
                    help="learning rate × S for parameters whose name starts with PREFIX, e.g. temporal.residual=10")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    os.makedirs(os.path.dirname(args.ckpt), exist_ok=True)
    weights = dict(l1=1.0, mse=5.0, grad=0.5, fft=0.1, temporal=0.5, code=0.01, feature=0.05)
    for k, v in (a.split("=", 1) for a in args.weight):
        assert k in weights, f"--weight {k}: no such loss (one of {sorted(weights)})"
        weights[k] = float(v)

    state = {}
    if os.path.exists(args.ckpt) and not args.fresh:
        state = torch.load(args.ckpt, map_location="cpu")
        assert "elapsed" in state, f"{args.ckpt} predates the two-stage trainer: pass --fresh"
    changes = {k: json.loads(v) for k, v in (a.split("=", 1) for a in args.set)}
    model = Restorer(dict(state.get("config") or {}, **changes)).to(device)
    upgraded = bool(state) and model.config != Restorer(state["config"]).config
    heads = ReconstructionHeads(model.config["dim"]).to(device)
    teacher = None
    scales = [(k, float(v)) for k, v in (a.split("=", 1) for a in args.lr_scale)]
    scaled = {n for n, _ in model.named_parameters() if any(n.startswith(k) for k, _ in scales)}
    groups = [{"params": [p for n, p in model.named_parameters() if n not in scaled] + list(heads.parameters()), "scale": 1.0}]
    for k, v in scales:
        groups.append({"params": [p for n, p in model.named_parameters() if n.startswith(k)], "scale": v})
    opt = torch.optim.AdamW(groups, lr=args.lr, weight_decay=1e-4)
    step, elapsed, best = 0, 0.0, -1e9
    if state:
        load_grown(model, state["model"])
        heads.load_state_dict(state["heads"])
        if state.get("teacher") is not None:
            teacher = Restorer(model.config).to(device)
            load_grown(teacher, state["teacher"])
        step = state["step"]
        if not upgraded and not args.restart and not scales:
            opt.load_state_dict(state["optimizer"])
            elapsed, best = state["elapsed"], state.get("best_gain", -1e9)
        print(f"{'fine-tuning with ' + json.dumps(changes) if upgraded else 'restarted' if args.restart or scales else 'resumed'} from {args.ckpt} "
              f"at step {step} ({elapsed / 60:.1f} min, stage {2 if teacher else 1})", flush=True)
    if teacher is not None:
        freeze_codebooks(model, teacher)
    val = validate.clips()
    loader = iter(torch.utils.data.DataLoader(
        Clips(args.frames, args.size, args.seed + step), batch_size=args.clips, num_workers=args.workers,
        pin_memory=device.type == "cuda", persistent_workers=args.workers > 0, prefetch_factor=4 if args.workers else None,
        # spawned, not forked: a fork after the parent has run torch can deadlock in OpenMP
        multiprocessing_context="spawn" if args.workers else None))
    model.train()
    usage = CodeUsage(model)
    log = open(os.path.join(os.path.dirname(args.ckpt), "train.log"), "a")
    total_s = args.minutes * 60
    t_last, t0 = time.time(), time.time()
    while elapsed < total_s:
        if teacher is None and elapsed >= args.stage1 * total_s:
            teacher = Restorer(model.config).to(device)
            teacher.load_state_dict(model.state_dict())
            freeze_codebooks(model, teacher)
            print(f"stage 2 from step {step}", flush=True)
        lq, hq, mask, tasks, warps = (x.to(device, non_blocking=True) for x in next(loader))
        frac = elapsed / total_s
        for group in opt.param_groups:  # warm-up, then a cosine down to zero at the end of the run
            group["lr"] = group.get("scale", 1.0) * args.lr * min(1.0, step / 200) * 0.5 * (1 + math.cos(math.pi * frac))
        if teacher is None:
            if step == 0:
                init_codebooks(model, hq)
            loss, parts = stage1_loss(model, heads, hq, usage)
        else:
            loss, parts = stage2_loss(model, teacher, lq, hq, mask, tasks, warps, weights)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        now = time.time()
        elapsed += now - t_last
        t_last = now
        if teacher is None and step % 20 == 0:
            parts["codes_restarted"] = usage.restart_dead()
        if step % 20 == 0:
            line = json.dumps(dict(step=step, stage=2 if teacher else 1, minutes=round(elapsed / 60, 2),
                                   loss=round(loss.item(), 5), s_per_step=round((now - t0) / 20, 3),
                                   **{k: round(v, 5) for k, v in parts.items()}))
            print(line, flush=True)
            log.write(line + "\n")
            log.flush()
            t0 = time.time()
        if step % args.save_every == 0 or elapsed >= total_s:
            p_in, p_out = validate.score(model, val)
            line = json.dumps(dict(step=step, val_psnr_input=round(p_in, 3), val_psnr_output=round(p_out, 3)))
            print(line, flush=True)
            log.write(line + "\n")
            best_now = teacher is not None and p_out - p_in > best
            if best_now:
                best = p_out - p_in
            ckpt = dict(model=model.state_dict(), heads=heads.state_dict(), optimizer=opt.state_dict(), step=step,
                        elapsed=elapsed, config=model.config, best_gain=best,
                        teacher=teacher.state_dict() if teacher is not None else None)
            save(ckpt, args.ckpt)
            if best_now:  # the checkpoint to export: the best validation gain so far
                save(ckpt, args.ckpt.replace(".pt", "-best.pt"))
            t_last = time.time()  # validation and saving are not training time


def load_grown(model, state):
    """Loads a checkpoint into a model that may have grown since (a config change that
    adds modules): every saved tensor must fit, and only new parameters may be missing."""
    result = model.load_state_dict(state, strict=False)
    assert not result.unexpected_keys, f"checkpoint has parameters the model lacks: {result.unexpected_keys}"
    grown = [k for k in result.missing_keys if k.startswith("temporal.residual.")]
    assert grown == result.missing_keys, f"checkpoint lacks parameters: {sorted(set(result.missing_keys) - set(grown))}"


@torch.no_grad()
def init_codebooks(model, hq):
    """Both codebooks start as features of the first clean batch (random tokens, a little
    noise added): codes drawn from N(0, 1) far from the features would never be nearest."""
    fs, ft = clean_prior_features(model, hq)
    for book, feats in ((model.spatial.codebook, fs.flatten(0, 1)), (model.temporal.codebook, ft.flatten(0, 1))):
        seed_codes(book, torch.arange(book.num_embeddings, device=feats.device), feats)


def freeze_codebooks(model, teacher):
    """Stage 2: the teacher gives targets and learns nothing; the codebooks stay as
    stage 1 left them (the teacher's are the same tensors' values)."""
    teacher.eval().requires_grad_(False)
    model.spatial.codebook.weight.requires_grad_(False)
    model.temporal.codebook.weight.requires_grad_(False)


if __name__ == "__main__":
    main()
