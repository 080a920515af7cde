"""What training clips are cut from: the photographs that ship in installed packages
(training/DATA.md lists every source and licence), or any folder of images and videos
(train.py --data). degrade.py turns them into degraded clips.

The evaluation images (astronaut.png, grace_hopper.jpg) are refused here by name.
"""
import glob
import os

import cv2
import numpy as np

RESERVED = ("astronaut", "grace_hopper")

SKIMAGE_PHOTOS = ["camera.png", "coffee.png", "chelsea.png", "rocket.jpg", "motorcycle_left.png",
                  "motorcycle_right.png", "brick.png", "grass.png", "gravel.png", "hubble_deep_field.jpg",
                  "color.png", "retina.jpg", "horse.png"]


# The Debian packages whose photographs the restorer trains on (training/DATA.md).
PACKAGES = {
    "mate-backgrounds": ["/usr/share/backgrounds/mate/nature/*.jpg", "/usr/share/backgrounds/mate/abstract/*.jpg"],
    "gnome-backgrounds": ["/usr/share/backgrounds/gnome/*.webp", "/usr/share/backgrounds/gnome/*.jpg",
                          "/usr/share/backgrounds/gnome/*.png"],
}


def source_paths():
    """The packaged photographs in a fixed order (a machine without the packages trains
    on a folder instead: train.py --data DIR)."""
    import skimage
    sk = os.path.join(os.path.dirname(skimage.__file__), "data")
    paths = [os.path.join(sk, f) for f in SKIMAGE_PHOTOS if os.path.exists(os.path.join(sk, f))]
    for package, patterns in PACKAGES.items():
        found = [p for pattern in patterns for p in sorted(glob.glob(pattern))]
        if not found:
            # Without them the pool and the validation set come from a dozen scikit-image
            # samples and one held-out image: runs would not be comparable with any other.
            raise SystemExit(f"the packaged photographs of {package} are missing: apt-get install {package} "
                             "(or scripts/install-deps.sh --training; training/DATA.md), or train on --data DIR")
        paths += found
    for p in paths:
        assert not any(r in os.path.basename(p) for r in RESERVED), f"evaluation image in the training set: {p}"
    return paths


def load_images(max_side=1400, split="train"):
    """The training photographs, or with split="val" every tenth one, held out to watch
    training (the evaluation proper uses the reserved portraits, evaluate.py)."""
    images = [read_rgb(p, max_side, min_side=200) for i, p in enumerate(source_paths()) if (i % 10 == 9) == (split == "val")]
    return [img for img in images if img is not None]


def read_rgb(path, max_side, min_side):
    """An image file as RGB, its long side at most max_side; None if unreadable or smaller than min_side."""
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None or min(img.shape[:2]) < min_side:
        return None
    img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    s = max_side / max(img.shape[:2])
    return cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA) if s < 1 else img


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
        img = read_rgb(p, max_side, min_side=64)
        if img is not None:
            out.append(img)
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
