"""What validation measures: PSNR against the clean clip, each family's gain, the
model's cost, and how much of each codebook it uses."""
import math

import numpy as np
import torch


def psnr(a, b, cap=45.0):
    """PSNR in dB, capped at 45 (evaluation's bar for clean faces): a clean input scores
    45, and an output above the bar counts as leaving it alone."""
    return min(cap, 10 * math.log10(1 / max(float(torch.mean((a - b) ** 2)), 1e-12)))


@torch.no_grad()
def score(model, val):
    """{family: {input, output, gain}}: mean PSNR (dB) over the family's clips."""
    was = model.training
    model.eval()
    device = next(model.parameters()).device
    out = {}
    for name, (lq, hq) in val.items():
        lq, hq = lq.to(device), hq.to(device)
        mask = torch.zeros_like(lq[:, :, :1])
        tasks = torch.tensor([1.0, 0.0, 0.0], device=device).expand(len(lq), 3)
        res, _ = model(lq, mask, tasks)
        pin = np.mean([psnr(a, b) for a, b in zip(lq, hq)])
        pout = np.mean([psnr(a.clamp(0, 1), b) for a, b in zip(res, hq)])
        out[name] = dict(input=float(pin), output=float(pout), gain=float(pout - pin))
    model.train(was)
    return out


def gflops(model, r=256):
    from torch.utils.flop_counter import FlopCounterMode
    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        model(torch.rand(1, 3, r, r), torch.zeros(1, 1, r, r), torch.tensor([1.0, 0, 0]))
    return fc.get_total_flops() / 1e9


def effective_rank(m):
    """exp of the entropy of the normalised singular values (Roy & Vetterli)."""
    s = torch.linalg.svdvals(m.float())
    p = s / s.sum().clamp(min=1e-12)
    return float(torch.exp(-(p * torch.log(p.clamp(min=1e-12))).sum()))


@torch.no_grad()
def code_usage(model, val):
    """How much of each codebook the model uses on degraded input (every validation
    family): perplexity of the mean soft assignment (how many codes are in use, at most
    the codebook size), the share of codes that win at least one token, and the
    effective rank of the codebook's entries and of the features f it hands on."""
    if not getattr(model, "priors", True):
        return {}
    was = model.training
    model.eval()
    probs = {"spatial": [], "temporal": []}
    wins = {"spatial": [], "temporal": []}
    for lq, _ in val.values():
        mask = torch.zeros_like(lq[:, :, :1])
        tasks = torch.tensor([1.0, 0.0, 0.0]).expand(len(lq), 3)
        _, (_, _, idx_s, logits_s, idx_t, logits_t) = model(lq, mask, tasks)
        for name, logits, idx, prior in (("spatial", logits_s, idx_s, model.spatial), ("temporal", logits_t, idx_t, model.temporal)):
            tau = prior.temperature if prior.temperature > 0 else 1.0
            probs[name].append(torch.softmax(logits / tau, -1).flatten(0, -2).mean(0))
            wins[name].append(idx.flatten())
    out = {}
    for name, prior in (("spatial", model.spatial), ("temporal", model.temporal)):
        p = torch.stack(probs[name]).mean(0)
        k = prior.codebook.num_embeddings
        out[name] = dict(perplexity=float(torch.exp(-(p * torch.log(p.clamp(min=1e-12))).sum())), codes=k,
                         winning=len(torch.unique(torch.cat(wins[name]))) / k,
                         codebook_rank=effective_rank(prior.codebook.weight))
    model.train(was)
    return out
