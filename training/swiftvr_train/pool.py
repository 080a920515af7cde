"""The training pool and the validation set: clips from degrade.make, made once and
cached in ~/.cache/swiftvr/ (making a clip costs about as much as a training step on
two cores, so the trainer draws from a fixed pool with random flips and crops)."""
import hashlib
import json
import multiprocessing
import os

import cv2
import numpy as np
import torch

from . import data, degrade, faces

CACHE = os.path.expanduser("~/.cache/swiftvr")


# The crop window over a licensed face photograph (cut around one face): the face box
# about 0.55–0.9 of it, as the element's alignment frames a face.
FACE_RANGE = (1.0, 1.6)


def _make_chunk(job):
    folder, split, seed, count, frames, size, params, families, face_share = job
    cv2.setNumThreads(1)
    # "faces": the held-out licensed faces; a training pool may draw face_share of its
    # clips from the other faces.
    sources = [crop for _, crop in faces.face_crops("val")] if split == "faces" else data.load_sources(folder, split)
    train_faces = [crop for _, crop in faces.face_crops("train")] if face_share > 0 else []
    face_range = FACE_RANGE if split == "faces" else (0.5, 1.5) if params is None else (0.45, 2.2)
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        on_face = bool(train_faces) and rng.random() < face_share
        src = train_faces[rng.integers(len(train_faces))] if on_face else sources[rng.integers(len(sources))]
        p = params[i] if params else None
        lq, hq, mask, tasks, warps, p = degrade.make(src, rng, frames, size, p, tasks_allowed=params is None,
                                                     face_range=FACE_RANGE if on_face else face_range, families=families)
        out.append((lq, hq, mask.astype(bool), tasks, warps, p["family"]))
    return out


def _make(folder, split, seed, count, frames, size, params=None, workers=2, families=None, face_share=0.0):
    chunks = max(1, min(workers * 4, count))
    per = [count // chunks + (i < count % chunks) for i in range(chunks)]
    jobs, start = [], 0
    for i, n in enumerate(per):
        jobs.append((folder, split, [seed, i], n, frames, size, params[start:start + n] if params else None, families,
                     face_share))
        start += n
    with multiprocessing.get_context("fork").Pool(workers) as p:
        parts = p.map(_make_chunk, jobs)
    return [c for part in parts for c in part]


def _key(folder):
    """Names the cached pool and validation set after their sources: the packaged
    photographs (and how many there are) or the folder."""
    if not folder:
        return f"packaged{len(data.source_paths())}"
    return "data-" + str(abs(hash(os.path.abspath(folder))) % 10 ** 8)


def _recipe(table):
    """A short digest of a degradation table, so a cache made with other families or
    severities is never read as this one."""
    return hashlib.sha1(json.dumps(table, sort_keys=True).encode()).hexdigest()[:6]


def load_or_make(folder, count, frames, size, seed, families=None, face_share=0.0):
    """The training pool; `families` (a list of degrade.FAMILIES) keeps only those;
    `face_share` of the clips come from the training half of the licensed faces."""
    only = "-" + "+".join(families) if families else ""
    if face_share > 0 and folder:
        raise SystemExit("--face-share draws on the packaged face photographs; with --data, put faces in DIR")
    if face_share > 0 and not faces.face_crops("train"):
        raise SystemExit("--face-share: no face photographs (apt-get install visp-images-data libvlfeat-doc)")
    faced = f"-faces{face_share:g}" if face_share > 0 else ""
    path = os.path.join(CACHE, f"pool-{_key(folder)}{only}{faced}-{_recipe(degrade.FAMILY_SHARES)}-{count}x{frames}x{size}-{seed}.npz")
    if os.path.exists(path):
        z = np.load(path)
        print(f"pool: {path}", flush=True)
        return {k: z[k] for k in z.files}
    print(f"pool: making {count} clips of {frames}×{size}² (once; cached as {path})", flush=True)
    clips = _make(folder, "train", seed, count, frames, size, families=families, face_share=face_share)
    out = {k: np.stack([c[i] for c in clips]) for i, k in enumerate(["lq", "hq", "mask", "tasks", "warps"])}
    out["family"] = np.array([c[5] for c in clips])
    np.savez(path + ".tmp.npz", **out)
    os.replace(path + ".tmp.npz", path)
    return out


def batch(pool, rng, clips, size, clean_share=0.0):
    """(lq, hq, mask, tasks, warps) tensors of `clips` random pool clips, each flipped,
    transposed and cropped to size² at random (the warps follow). With probability
    clean_share a restore clip's input is its clean target: the pool's own clean
    family (8 %) proved too rare to keep clean and nearly clean faces untouched."""
    idx = rng.integers(len(pool["lq"]), size=clips)
    full = pool["lq"].shape[2]
    lqs, hqs, masks, warps = [], [], [], []
    for i in idx:
        y, x = rng.integers(full - size + 1, size=2)
        lq, hq, mask = (pool[k][i][:, y:y + size, x:x + size] for k in ("lq", "hq", "mask"))
        if clean_share > 0 and pool["tasks"][i][1:].sum() == 0 and rng.random() < clean_share:
            lq = hq
        w = pool["warps"][i].copy()
        w[:, :, 2] += w[:, :, 0] * x + w[:, :, 1] * y - np.array([x, y], np.float32)  # crop offset
        if rng.random() < 0.5:                                      # mirror: x ↦ size−1−x
            lq, hq, mask = lq[:, :, ::-1], hq[:, :, ::-1], mask[:, :, ::-1]
            f = np.array([[-1, 0, size - 1], [0, 1, 0], [0, 0, 1]], np.float32)
            w = np.stack([(f @ np.vstack([m, [0, 0, 1]]) @ f)[:2] for m in w])
        lqs.append(lq); hqs.append(hq); masks.append(mask); warps.append(w)
    to = lambda a: torch.from_numpy(np.ascontiguousarray(np.stack(a))).permute(0, 1, 4, 2, 3).float() / 255
    return (to(lqs), to(hqs), torch.from_numpy(np.stack(masks).astype(np.float32))[:, :, None],
            torch.from_numpy(pool["tasks"][idx]), torch.from_numpy(np.stack(warps).astype(np.float32)))


def validation_set(folder, frames, size, per_family=8, seed=321, families=None):
    """{family: (lq, hq)} of (B, T, 3, S, S) tensors from the held-out images, cached;
    `families` keeps those families' rows and the clean row (do no harm). With the
    packaged photographs, the licensed face photographs (faces.py) add the FACE_VAL_SETS
    rows when their packages are installed."""
    crops = faces.face_crops("val") if not folder else []
    rows = list(degrade.VAL_SETS) + ([f"faces-{n}" for n in degrade.FACE_VAL_SETS] if crops else [])
    path = os.path.join(CACHE, f"val-{_key(folder)}-{_recipe(degrade.VAL_SETS)}-faces{len(crops)}"
                               f"{_recipe(degrade.FACE_VAL_SETS)}-{per_family}x{frames}x{size}-{seed}.npz")
    if not os.path.exists(path):
        params = [dict(p) for p in degrade.VAL_SETS.values() for _ in range(per_family)]
        clips = _make(folder, "val", seed, len(params), frames, size, params=params)
        if crops:
            params = [dict(degrade.VAL_SETS[n]) for n in degrade.FACE_VAL_SETS for _ in range(per_family)]
            clips += _make(folder, "faces", seed, len(params), frames, size, params=params)
        np.savez(path + ".tmp.npz", lq=np.stack([c[0] for c in clips]), hq=np.stack([c[1] for c in clips]))
        os.replace(path + ".tmp.npz", path)
    z = np.load(path)
    to = lambda a: torch.from_numpy(a).permute(0, 1, 4, 2, 3).float() / 255
    lq, hq = to(z["lq"]), to(z["hq"])
    family = lambda name: degrade.VAL_SETS[name.removeprefix("faces-")]["family"]
    keep = lambda name: not families or family(name) in set(families) | {"clean"}
    return {name: (lq[i * per_family:(i + 1) * per_family], hq[i * per_family:(i + 1) * per_family])
            for i, name in enumerate(rows) if keep(name)}
