"""Synthetic training video for the restorer, made from still photographs that ship in
installed packages (training/DATA.md lists every source and licence).

A clip is T crops of one photo under smooth random similarity motion, so the motion
between frames is known exactly (the temporal loss warps with it). Each clip draws
one degradation: blur, down/up-sampling, noise, JPEG, and — for the colorize and
inpaint tasks — gray conversion and random masks and scratches. A share of clips is
left clean, so the model learns to leave sharp faces alone.

The evaluation images (astronaut.png, grace_hopper.jpg) are refused here by name.
"""
import glob
import math
import os

import cv2
import numpy as np
import torch

RESERVED = ("astronaut", "grace_hopper")

SKIMAGE_PHOTOS = ["camera.png", "coffee.png", "chelsea.png", "rocket.jpg", "motorcycle_left.png",
                  "motorcycle_right.png", "brick.png", "grass.png", "gravel.png", "hubble_deep_field.jpg",
                  "color.png", "retina.jpg", "horse.png"]


def source_paths():
    """The photographs in a fixed order. SWIFTVR_DATA_DIR, if set, names a folder holding
    exactly these (as written by pack_images, e.g. for a training machine without the
    packages): its files sort in the same order."""
    if os.environ.get("SWIFTVR_DATA_DIR"):
        paths = sorted(glob.glob(os.path.join(os.environ["SWIFTVR_DATA_DIR"], "*.jpg")))
        assert paths, "SWIFTVR_DATA_DIR holds no .jpg files"
        for p in paths:
            assert not any(r in os.path.basename(p) for r in RESERVED), f"evaluation image in the training set: {p}"
        return paths
    import skimage
    sk = os.path.join(os.path.dirname(skimage.__file__), "data")
    paths = [os.path.join(sk, f) for f in SKIMAGE_PHOTOS if os.path.exists(os.path.join(sk, f))]
    for pattern in ["/usr/share/backgrounds/mate/nature/*.jpg", "/usr/share/backgrounds/mate/abstract/*.jpg",
                    "/usr/share/backgrounds/gnome/*.webp", "/usr/share/backgrounds/gnome/*.jpg",
                    "/usr/share/backgrounds/gnome/*.png"]:
        paths += sorted(glob.glob(pattern))
    for p in paths:
        assert not any(r in os.path.basename(p) for r in RESERVED), f"evaluation image in the training set: {p}"
    return paths


def load_images(max_side=1400, split="train"):
    """The training photographs, or with split="val" every tenth one, held out to watch
    training (the evaluation proper uses the reserved portraits, evaluate.py)."""
    images = []
    for i, p in enumerate(source_paths()):
        if (i % 10 == 9) != (split == "val"):
            continue
        img = cv2.imread(p, cv2.IMREAD_COLOR)
        if img is None or min(img.shape[:2]) < 200:
            continue
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        s = max_side / max(img.shape[:2])
        if s < 1:
            img = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
        images.append(img)
    return images


def pack_images(folder, max_side=1400):
    """Writes the training photographs, scaled as load_images scales them, to folder as
    NNN-name.jpg (quality 95), for a training machine that lacks the packages."""
    os.makedirs(folder, exist_ok=True)
    for i, p in enumerate(source_paths()):
        img = cv2.imread(p, cv2.IMREAD_COLOR)
        if img is None:
            continue
        s = max_side / max(img.shape[:2])
        if s < 1:
            img = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
        name = os.path.splitext(os.path.basename(p))[0]
        cv2.imwrite(os.path.join(folder, f"{i:03d}-{name}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, 95])


def similarity(angle, scale, tx, ty, cx, cy):
    """2×3 matrix: rotate by angle and scale about (cx, cy), then translate."""
    a, b = scale * math.cos(angle), scale * math.sin(angle)
    return np.array([[a, -b, cx - a * cx + b * cy + tx], [b, a, cy - b * cx - a * cy + ty]], np.float32)


def make_clip(img, rng, frames, size):
    """T HQ crops (T, size, size, 3) uint8 and the 2×3 crop→source matrices."""
    h, w = img.shape[:2]
    # Source pixels per crop pixel: near native scale, where photographs have the smooth
    # regions and sparse edges of a face crop (whole landscapes squeezed into a crop are
    # dense texture, where noise and detail cannot be told apart).
    s0 = min(rng.uniform(0.7, 2.5), 0.9 * min(h, w) / size)
    cx, cy = rng.uniform(size * s0 / 2, w - size * s0 / 2), rng.uniform(size * s0 / 2, h - size * s0 / 2)
    v = rng.normal(0, 1.5, 2) * s0                          # drift, source px per frame
    da, ds = rng.normal(0, 0.01), rng.normal(0, 0.01)       # rotation and zoom per frame
    clip, mats = [], []
    for t in range(frames):
        ang, sc = da * t, s0 * (1 + ds * t)
        a, b = sc * math.cos(ang), sc * math.sin(ang)
        # crop (u, v) ↦ source: centre + R·(u − size/2, v − size/2)
        m = np.array([[a, -b, cx + v[0] * t - a * size / 2 + b * size / 2],
                      [b, a, cy + v[1] * t - b * size / 2 - a * size / 2]], np.float32)
        mats.append(m)
        clip.append(cv2.warpAffine(img, m, (size, size), flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP,
                                   borderMode=cv2.BORDER_REFLECT))
    return np.stack(clip), np.stack(mats)


def degrade(clip, rng):
    """Returns (lq uint8 (T, S, S, 3), mask float (T, S, S) 1 = missing, tasks (3,))."""
    t, s = clip.shape[0], clip.shape[1]
    tasks = np.array([1.0, 0.0, 0.0], np.float32)
    lq = clip.astype(np.float32)
    if rng.random() > 0.1:  # the rest stay clean
        sigma = rng.uniform(0.2, 2.5) if rng.random() < 0.8 else 0
        # The scale the degradation happens at, relative to the crop. Above 1: a face
        # smaller in the frame than the crop — the element's aligner up-samples it, so
        # noise and JPEG blocks happen at the small size and reach the crop magnified (as
        # in a real video). Below 1: a face larger than the crop (a 150-pixel face at 720p
        # is cut from a 450-pixel square into 256²) — blur, noise and blocks happen at the
        # frame's larger scale and reach the crop shrunk, through the aligner's cubic
        # sampling (one tap per crop pixel up to 2×, so the noise is not averaged away).
        factor = rng.choice([0.5, 0.6, 0.75, 1, 1, 1.5, 2, 2, 3, 4])
        small_size = max(8, int(round(s / factor)))
        noise = rng.uniform(0, 12) if rng.random() < 0.7 else 0
        quality = int(rng.uniform(25, 90)) if rng.random() < 0.7 else 0
        h264 = rng.random() < 0.15
        out = []
        for f in lq:
            if factor < 1:  # the frame's view of the face: more pixels, no more detail
                f = cv2.resize(f, (small_size, small_size), interpolation=cv2.INTER_CUBIC)
            if sigma:
                f = cv2.GaussianBlur(f, (0, 0), sigma)
            if factor > 1:
                f = cv2.resize(f, (small_size, small_size), interpolation=cv2.INTER_AREA)
            if noise:
                f = f + rng.normal(0, noise, f.shape).astype(np.float32)
            f = np.clip(f, 0, 255)
            if quality:
                ok, enc = cv2.imencode(".jpg", cv2.cvtColor(f.astype(np.uint8), cv2.COLOR_RGB2BGR),
                                       [cv2.IMWRITE_JPEG_QUALITY, quality])
                f = cv2.cvtColor(cv2.imdecode(enc, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB).astype(np.float32)
            if factor != 1:
                f = cv2.resize(f, (s, s), interpolation=cv2.INTER_CUBIC)
            out.append(f)
        lq = np.stack(out)
        if h264:  # the whole clip through x264 at a high CRF, as streamed video is
            lq = h264_roundtrip(np.clip(lq, 0, 255).astype(np.uint8), int(rng.uniform(30, 45))).astype(np.float32)
    if rng.random() < 0.1:  # colorize
        gray = lq @ np.array([0.299, 0.587, 0.114], np.float32)
        lq = np.repeat(gray[..., None], 3, axis=-1)
        tasks[1] = 1
    mask = np.zeros((t, s, s), np.float32)
    if rng.random() < 0.1:  # inpaint: one blob and a few scratches, fixed to the face across the clip
        m = np.zeros((s, s), np.uint8)
        cv2.circle(m, (int(rng.uniform(0, s)), int(rng.uniform(0, s))), int(rng.uniform(s * 0.05, s * 0.2)), 1, -1)
        for _ in range(rng.integers(1, 4)):
            p0 = tuple(int(v) for v in rng.uniform(0, s, 2))
            p1 = tuple(int(v) for v in rng.uniform(0, s, 2))
            cv2.line(m, p0, p1, 1, int(rng.uniform(1, 4)))
        mask[:] = m
        lq = lq * (1 - mask[..., None])
        tasks[2] = 1
    return np.clip(lq, 0, 255).astype(np.uint8), mask, tasks


def h264_roundtrip(clip, crf):
    """The clip through x264 and back; unchanged where ffmpeg is missing (a training
    machine without it still trains, on the other degradations)."""
    import shutil
    import subprocess
    if shutil.which("ffmpeg") is None:
        return clip
    t, s = clip.shape[0], clip.shape[1]
    cmd = ["ffmpeg", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{s}x{s}", "-r", "25", "-i", "-",
           "-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf), "-pix_fmt", "yuv420p", "-f", "h264", "-"]
    enc = subprocess.run(cmd, input=clip.tobytes(), capture_output=True, check=True).stdout
    dec = subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "h264", "-i", "-", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         input=enc, capture_output=True, check=True).stdout
    out = np.frombuffer(dec, np.uint8)
    return out.reshape(-1, s, s, 3)[:t] if out.size >= clip.size else clip


def relative_warps(mats):
    """For t ≥ 1, the 2×3 map from crop t's pixel grid to crop t−1's (through the source)."""
    out = []
    for t in range(1, len(mats)):
        a = np.vstack([mats[t], [0, 0, 1]])
        b = np.vstack([mats[t - 1], [0, 0, 1]])
        out.append((np.linalg.inv(b) @ a)[:2])
    return np.stack(out).astype(np.float32)


def batch(images, rng, clips, frames, size):
    """Tensors: lq, hq (B, T, 3, S, S) in [0, 1]; mask (B, T, 1, S, S); tasks (B, 3); warps (B, T−1, 2, 3)."""
    lqs, hqs, masks, tasks, warps = [], [], [], [], []
    for _ in range(clips):
        img = images[rng.integers(len(images))]
        hq, mats = make_clip(img, rng, frames, size)
        lq, mask, task = degrade(hq, rng)
        lqs.append(lq); hqs.append(hq); masks.append(mask); tasks.append(task); warps.append(relative_warps(mats))
    to = lambda a: torch.from_numpy(np.stack(a)).permute(0, 1, 4, 2, 3).float() / 255
    return (to(lqs), to(hqs), torch.from_numpy(np.stack(masks))[:, :, None],
            torch.from_numpy(np.stack(tasks)), torch.from_numpy(np.stack(warps)))


IMAGE_EXT = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
VIDEO_EXT = (".mp4", ".mkv", ".webm", ".mov", ".avi")


def load_sources(folder=None, split="train", max_side=1400):
    """What training clips are cut from: with no folder the packaged photographs
    (load_images); otherwise every image (RGB arrays) and video (paths) under folder,
    e.g. FFHQ-style face photographs or VFHQ-style face clips. Every tenth file is held
    out for validation; the evaluation portraits are refused by name."""
    if not folder:
        return load_images(max_side, split)
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(folder) for f in fs
                   if f.lower().endswith(IMAGE_EXT + VIDEO_EXT))
    assert files, f"--data {folder}: no images ({', '.join(IMAGE_EXT)}) or videos ({', '.join(VIDEO_EXT)}) found"
    out = []
    for i, p in enumerate(files):
        assert not any(r in os.path.basename(p) for r in RESERVED), f"evaluation image in the training set: {p}"
        if (i % 10 == 9) != (split == "val") and len(files) >= 10:
            continue
        if p.lower().endswith(VIDEO_EXT):
            out.append(p)
            continue
        img = cv2.imread(p, cv2.IMREAD_COLOR)
        if img is None or min(img.shape[:2]) < 64:
            continue
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        s = max_side / max(img.shape[:2])
        out.append(cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA) if s < 1 else img)
    assert out, f"--data {folder}: nothing readable for the {split} split"
    return out


def video_frames(path, rng, count):
    """`count` consecutive RGB frames from a random position of a video."""
    cap = cv2.VideoCapture(path)
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.set(cv2.CAP_PROP_POS_FRAMES, int(rng.integers(max(1, n - count))))
    frames = []
    while len(frames) < count:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(f, cv2.COLOR_BGR2RGB))
    cap.release()
    assert frames, f"could not read frames from {path}"
    while len(frames) < count:
        frames.append(frames[-1])
    return np.stack(frames)
