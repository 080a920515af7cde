"""The two held-out portraits (never used for training) and composites made from them."""
import numpy as np
from scipy import ndimage


def astronaut():
    import skimage.data
    return skimage.data.astronaut()  # (512, 512, 3) uint8, NASA, public domain


def grace_hopper():
    import matplotlib.cbook
    import skimage.io
    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
        return skimage.io.imread(f)  # (600, 512, 3) uint8, U.S. Navy, public domain


def resize(img, h, w):
    """Bilinear resize of an HxWx3 uint8 image, rounded back to uint8."""
    zy, zx = h / img.shape[0], w / img.shape[1]
    out = ndimage.zoom(img.astype(np.float32), (zy, zx, 1), order=1)
    return np.clip(np.rint(out[:h, :w]), 0, 255).astype(np.uint8)


def background(h, w, seed=0):
    yy, xx = np.mgrid[0:h, 0:w]
    base = 110 + 50 * np.sin(xx / 37.0 + seed) * np.cos(yy / 23.0)
    return np.clip(base[..., None] * np.array([0.9, 1.0, 0.8]), 0, 255).astype(np.uint8)


def paste(canvas, sprite, x, y, angle=0.0):
    """Pastes `sprite` with its top-left at (x, y), rotated by `angle` degrees; parts
    outside the canvas are cut off (faces cut by the frame edge)."""
    if angle:
        sprite = ndimage.rotate(sprite, angle, reshape=True, order=1, mode="nearest")
    h, w = sprite.shape[:2]
    H, W = canvas.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, W), min(y + h, H)
    if x1 > x0 and y1 > y0:
        canvas[y0:y1, x0:x1] = sprite[y0 - y:y1 - y, x0 - x:x1 - x]
    return canvas


def head(img, which):
    """Head-and-shoulders crops that keep each face whole."""
    return img[0:300, 100:380] if which == "astronaut" else img[0:420, 60:460]
