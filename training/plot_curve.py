#!/usr/bin/env python3
"""Plots a validation CSV written by train.py (run, step, minutes, family, psnr_input,
psnr_output, gain): the gain over the input per degradation family against training
steps, one panel per run, the worst family (the checkpoint criterion) in black.

Run: python3 training/plot_curve.py CSV OUT.png [YMIN]   (e.g. docs/train-curve.csv docs/train-curve.png)
YMIN cuts the axis off below that gain, so a divergence and its roll-back do not flatten the
other curves (the cut is written on the plot).
"""
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    src, out = sys.argv[1], sys.argv[2]
    ymin = float(sys.argv[3]) if len(sys.argv) > 3 else None
    rows = list(csv.DictReader(open(src)))
    runs = list(dict.fromkeys(r["run"] for r in rows))
    fig, axes = plt.subplots(1, len(runs), figsize=(6.5 * len(runs), 4.5), squeeze=False, sharey=True)
    for ax, run in zip(axes[0], runs):
        curves = defaultdict(list)
        for r in rows:
            if r["run"] == run:
                curves[r["family"]].append((int(r["step"]), float(r["gain"])))
        for fam, pts in curves.items():
            ax.plot([p[0] for p in pts], [p[1] for p in pts], label=fam, linewidth=1.2)
        steps = sorted({p[0] for pts in curves.values() for p in pts})
        worst = [min(dict(pts).get(s, float("inf")) for pts in curves.values()) for s in steps]
        ax.plot(steps, worst, color="black", linewidth=2.2, label="worst family")
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.set_title(run)
        ax.set_xlabel("training step")
        ax.grid(alpha=0.3)
    if ymin is not None and min(float(r["gain"]) for r in rows) < ymin:
        axes[0][0].set_ylim(bottom=ymin)
        for ax in axes[0]:
            ax.text(0.01, 0.02, f"axis cut at {ymin:g} dB", transform=ax.transAxes, fontsize=8, color="grey")
    axes[0][0].set_ylabel("validation gain over the input (dB, face crops)")
    axes[0][-1].legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
