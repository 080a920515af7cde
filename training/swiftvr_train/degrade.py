"""Training and validation clips degraded at frame scale, as real video is.

A clip is 8 frames of a canvas (a video frame) that moves smoothly over a photograph,
with a "face" region of a chosen size at its centre. The whole canvas is degraded —
optical and motion blur, signal-dependent sensor noise, JPEG on the frame's grid,
H.264 through ffmpeg (default preset) at a CRF, down/up-sampling — and then the aligned
crops are cut from both the clean and the degraded canvas with the same similarity
warp and cubic sampling the element's aligner uses, following the face with a little
landmark jitter. The clean crop is the target: a clean frame maps to itself, so the
model learns to leave clean faces alone.

Families (validation reports each; training draws all of them, every severity):
  clean, bnj (blur + noise + JPEG, mild/medium/heavy), h264 (CRF 18–45), down
  (blur + down-sampling ×1.5–4, then the frame is up-sampled back), plus gray
  (colorize) and masked (inpaint) task clips;
  and the compression live streams carry, each after sensor noise and often a down/up
  scaling (a call sent small and shown large):
  live (x264 as live encoders run it: veryfast, zerolatency, CBR with a VBV buffer,
  short or long keyframe interval), vp8 (libvpx realtime CBR, as WebRTC sends it) and
  mjpeg (a webcam's 4:2:2 MJPEG). Their bit rates are bits per pixel per frame, so a
  256² canvas gets the budget a 720p frame gets per pixel: 150–2,000 kbit/s at 1280×720
  and 25 frames/s is 0.0065–0.087 bit per pixel.
"""
import math
import shutil
import subprocess

import cv2
import numpy as np

CANVAS_FRAMES = 8
FAMILIES = ("clean", "bnj", "h264", "down", "live", "vp8", "mjpeg")
# Families encoded as a video (inter-frame prediction): their clips are cut from the
# canvas's last frames, past the key frame.
VIDEO_CODECS = ("h264", "live", "vp8")

# Validation: fixed severities, one row each in the report.
VAL_SETS = {
    "clean": dict(family="clean"),
    "bnj-mild": dict(family="bnj", blur=0.6, noise=3, quality=85),
    "bnj-medium": dict(family="bnj", blur=1.2, noise=7, quality=50),
    "bnj-heavy": dict(family="bnj", blur=2.0, noise=12, quality=25),
    "h264-crf28": dict(family="h264", crf=28),
    "h264-crf35": dict(family="h264", crf=35),
    "h264-crf40": dict(family="h264", crf=40),
    "down-2x": dict(family="down", blur=0.8, factor=2.0),
    "down-4x": dict(family="down", blur=1.5, factor=4.0),
    "live-call": dict(family="live", bpp=0.02, keyint=250, noise=4, factor=1.5),
    "live-720p": dict(family="live", bpp=0.05, keyint=60, noise=3, factor=1.0),
    "vp8-call": dict(family="vp8", bpp=0.02, noise=4, factor=1.5),
    "mjpeg-webcam": dict(family="mjpeg", qscale=12, noise=5),
}


# Validation rows on the licensed face photographs (faces.py), named faces-<row>: the
# VAL_SETS rows of these names, applied to real faces.
FACE_VAL_SETS = ("clean", "bnj-medium", "h264-crf35", "live-call")


FAMILY_SHARES = {"clean": 0.08, "bnj": 0.3, "h264": 0.18, "down": 0.16, "live": 0.14, "vp8": 0.08, "mjpeg": 0.06}


def draw_params(rng, families=None):
    """A random degradation: family and severity drawn from wide ranges (mild included);
    `families` keeps only those families, at their relative shares."""
    names = [f for f in FAMILY_SHARES if not families or f in families]
    shares = np.array([FAMILY_SHARES[f] for f in names])
    f = rng.choice(names, p=shares / shares.sum())
    if f == "clean":
        return dict(family="clean")
    if f == "bnj":
        return dict(family="bnj", blur=float(rng.uniform(0, 2.5)) if rng.random() < 0.8 else 0.0,
                    motion=float(rng.uniform(0, 9)) if rng.random() < 0.2 else 0.0,
                    noise=float(rng.uniform(1, 15)) if rng.random() < 0.85 else 0.0,
                    quality=int(rng.uniform(20, 92)) if rng.random() < 0.8 else 0)
    if f == "h264":
        return dict(family="h264", crf=int(rng.uniform(20, 47)),
                    noise=float(rng.uniform(0, 8)) if rng.random() < 0.5 else 0.0)
    if f in ("live", "vp8"):
        return dict(family=f, bpp=float(math.exp(rng.uniform(math.log(0.0065), math.log(0.09)))),
                    keyint=int(rng.choice([4, 30, 250])), noise=float(rng.uniform(0, 8)),
                    factor=float(rng.uniform(1.0, 2.0)) if rng.random() < 0.6 else 1.0)
    if f == "mjpeg":
        return dict(family="mjpeg", qscale=int(rng.uniform(3, 20)), noise=float(rng.uniform(0, 8)))
    return dict(family="down", blur=float(rng.uniform(0, 1.8)), factor=float(rng.uniform(1.5, 4.0)),
                quality=int(rng.uniform(40, 95)) if rng.random() < 0.3 else 0)


def canvas_clip(img, rng, canvas, face):
    """CANVAS_FRAMES frames (T, C, C, 3) float32 of a canvas drifting over the photo, the
    photo shown at 0.8–2 source pixels per canvas pixel, and each frame's canvas→photo
    2×3 matrix."""
    h, w = img.shape[:2]
    s0 = min(rng.uniform(0.8, 2.0), 0.95 * min(h, w) / canvas)
    cx, cy = rng.uniform(canvas * s0 / 2, w - canvas * s0 / 2), rng.uniform(canvas * s0 / 2, h - canvas * s0 / 2)
    v = rng.normal(0, 1.0, 2) * s0
    da = rng.normal(0, 0.006)
    frames, mats = [], []
    for t in range(CANVAS_FRAMES):
        a, b = s0 * math.cos(da * t), s0 * math.sin(da * t)
        m = np.array([[a, -b, cx + v[0] * t - a * canvas / 2 + b * canvas / 2],
                      [b, a, cy + v[1] * t - b * canvas / 2 - a * canvas / 2]], np.float32)
        frames.append(cv2.warpAffine(img, m, (canvas, canvas), flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP,
                                     borderMode=cv2.BORDER_REFLECT).astype(np.float32))
        mats.append(m)
    return np.stack(frames), np.stack(mats)


def video_canvas(path, rng, canvas):
    """CANVAS_FRAMES consecutive frames of a face video, centre square scaled to the canvas;
    the motion between frames is unknown, so the canvas→photo matrices are one scale."""
    from . import data
    v = data.video_frames(path, rng, CANVAS_FRAMES)
    h, w = v.shape[1:3]
    side = min(h, w)
    y, x = (h - side) // 2, (w - side) // 2
    frames = np.stack([cv2.resize(f[y:y + side, x:x + side], (canvas, canvas), interpolation=cv2.INTER_AREA)
                       for f in v]).astype(np.float32)
    m = np.array([[side / canvas, 0, x], [0, side / canvas, y]], np.float32)
    return frames, np.stack([m] * CANVAS_FRAMES)


def motion_kernel(length, angle):
    k = np.zeros((int(length) | 1, int(length) | 1), np.float32)
    c = k.shape[0] // 2
    dx, dy = math.cos(angle) * c, math.sin(angle) * c
    cv2.line(k, (int(round(c - dx)), int(round(c - dy))), (int(round(c + dx)), int(round(c + dy))), 1.0, 1)
    return k / k.sum()


def jpeg(frame, quality):
    """JPEG of an RGB frame, encoded in the colour order the codec expects (BGR for cv2)."""
    ok, enc = cv2.imencode(".jpg", cv2.cvtColor(np.round(np.clip(frame, 0, 255)).astype(np.uint8), cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return cv2.cvtColor(cv2.imdecode(enc, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB).astype(np.float32)


def h264(clip, crf):
    """The clip through x264 (default preset) and back; unchanged where ffmpeg is missing."""
    return codec(clip, ["-c:v", "libx264", "-crf", str(crf), "-pix_fmt", "yuv420p"], "h264")


def codec(clip, encoder, fmt):
    """The clip (T, H, W, 3) through an ffmpeg encoder (its arguments, and the raw stream
    format `fmt` between encoder and decoder) and back; unchanged where ffmpeg is missing."""
    if shutil.which("ffmpeg") is None:
        return clip
    t, hgt, wid = clip.shape[:3]
    raw = np.round(np.clip(clip, 0, 255)).astype(np.uint8)  # rounded: truncation biased every pair by −0.5
    enc = subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{wid}x{hgt}",
                          "-r", "25", "-i", "-"] + encoder + ["-threads", "1", "-f", fmt, "-"],
                         input=raw.tobytes(), capture_output=True, check=True).stdout
    dec = subprocess.run(["ffmpeg", "-loglevel", "error", "-threads", "1", "-f", fmt, "-i", "-", "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], input=enc, capture_output=True, check=True).stdout
    out = np.frombuffer(dec, np.uint8)
    return out.reshape(-1, hgt, wid, 3)[:t].astype(np.float32) if out.size >= raw.size else clip


def live_stream(clip, p):
    """A live encoder's stream of the clip, at p["bpp"] bits per pixel per frame: sent at
    1/p["factor"] of its size and shown back at full size."""
    t, c = clip.shape[:2]
    small = max(16, int(round(c / p.get("factor", 1.0) / 2)) * 2)
    x = clip if small == c else np.stack([cv2.resize(f, (small, small), interpolation=cv2.INTER_AREA) for f in clip])
    if p["family"] != "mjpeg":
        kbps = max(8, int(p["bpp"] * small * small * 25 / 1000))
        rate = ["-b:v", f"{kbps}k", "-maxrate", f"{kbps}k", "-bufsize", f"{kbps}k"]   # a one-second VBV buffer
    if p["family"] == "vp8":   # as WebRTC runs libvpx: realtime, CBR, no look-ahead, speed −6
        # (a negative speed is fixed; a positive one is re-chosen from the encoder's own
        # timing, so the same clip came out differently on a busy host)
        y = codec(x, ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "-6", "-lag-in-frames", "0",
                      "-error-resilient", "1", "-minrate", f"{kbps}k", "-g", str(p.get("keyint", 250))] + rate
                  + ["-pix_fmt", "yuv420p"], "ivf")
    elif p["family"] == "mjpeg":
        y = codec(x, ["-c:v", "mjpeg", "-q:v", str(p["qscale"]), "-pix_fmt", "yuvj422p"], "mjpeg")
    else:                      # x264 as live encoders (OBS, WebRTC's openh264-likes, cameras) run it
        y = codec(x, ["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-g", str(p.get("keyint", 250)),
                      "-x264-params", "nal-hrd=cbr"] + rate + ["-pix_fmt", "yuv420p"], "h264")
    return y if small == c else np.stack([cv2.resize(f, (c, c), interpolation=cv2.INTER_CUBIC) for f in y])


def degrade_canvas(clip, p, rng):
    """The degradation p applied to every frame of the canvas clip (T, C, C, 3) float32."""
    fam = p["family"]
    if fam == "clean":
        return clip
    if fam == "h264":
        if p.get("noise"):
            clip = clip + sensor_noise(clip, p["noise"], rng)
        return h264(clip, p["crf"])
    if fam in ("live", "vp8", "mjpeg"):
        if p.get("noise"):
            clip = clip + sensor_noise(clip, p["noise"], rng)
        return live_stream(clip, p)
    c = clip.shape[1]
    out = []
    for f in clip:
        if p.get("blur"):
            f = cv2.GaussianBlur(f, (0, 0), p["blur"])
        if p.get("motion"):
            f = cv2.filter2D(f, -1, motion_kernel(p["motion"], rng.uniform(0, math.pi)))
        if fam == "down":
            small = max(8, int(round(c / p["factor"])))
            f = cv2.resize(f, (small, small), interpolation=cv2.INTER_AREA)
        if p.get("noise"):
            f = f + sensor_noise(f, p["noise"], rng)
        if p.get("quality"):
            f = jpeg(f, p["quality"])
        if fam == "down":
            f = cv2.resize(f, (c, c), interpolation=cv2.INTER_CUBIC)
        out.append(np.clip(f, 0, 255))
    return np.stack(out)


def sensor_noise(x, sigma, rng):
    """Signal-dependent noise: variance a + b·x with σ at mid-grey; a little chroma too."""
    var = (0.5 * sigma) ** 2 + (0.75 * sigma) ** 2 * np.clip(x, 0, 255) / 128.0
    n = rng.normal(0, 1, x.shape).astype(np.float32) * np.sqrt(var)
    luma = rng.normal(0, 1, x.shape[:-1] + (1,)).astype(np.float32) * np.sqrt(var.mean(-1, keepdims=True))
    return (0.5 * n + 0.85 * luma).astype(np.float32)


def crop_warp(centre, face, size, angle):
    """2×3 crop→canvas matrix: a square of `face` canvas pixels about centre, rotated."""
    s = face / size
    a, b = s * math.cos(angle), s * math.sin(angle)
    return np.array([[a, -b, centre[0] - a * size / 2 + b * size / 2],
                     [b, a, centre[1] - b * size / 2 - a * size / 2]], np.float32)


def cut(frame, m, size):
    """The aligned crop (the element's aligner samples with cubics; area where it shrinks
    more than 2×, as its box-averaged cubic taps do)."""
    interp = cv2.INTER_AREA if m[0, 0] ** 2 + m[1, 0] ** 2 > 4 else cv2.INTER_CUBIC
    return cv2.warpAffine(frame, m, (size, size), flags=interp | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT)


def make(img, rng, frames, size, params=None, tasks_allowed=True, face_range=(0.5, 1.5), families=None):
    """One training clip: lq, hq (T, size, size, 3) uint8, mask (T, size, size), tasks (3,),
    the relative warps (T−1, 2, 3) between consecutive crops, and the params used."""
    p = params or draw_params(rng, families)
    # The face's size in the frame, relative to the crop. Training keeps it near the crop
    # size (a face much larger than the crop averages its degradation away: nothing to
    # learn); validation spans 0.45–2.2, as real faces do.
    face = float(rng.uniform(*face_range) * size)
    canvas = int(min(448, max(256, math.ceil(face * 1.5 / 16) * 16)))
    if isinstance(img, str):   # a video: its own frames are the canvas, a face assumed at the centre
        clean, photo = video_canvas(img, rng, canvas)
    else:
        clean, photo = canvas_clip(img, rng, canvas, face)
    # The face: the photo point under the first frame's centre, followed through the frames.
    p0 = photo[0] @ np.array([canvas / 2, canvas / 2, 1], np.float32)
    centres = [np.linalg.solve(m[:, :2], p0 - m[:, 2]) for m in photo]
    lq_canvas = degrade_canvas(clean, p, rng)
    start = int(rng.integers(CANVAS_FRAMES - frames + 1)) if p["family"] not in VIDEO_CODECS else CANVAS_FRAMES - frames
    angle = rng.normal(0, 0.1)
    hq, lq, mats = [], [], []
    for t in range(start, start + frames):
        jitter = rng.normal(0, 0.3 * face / size, 2)           # landmark noise, in canvas pixels
        m = crop_warp(centres[t] + jitter, face, size, angle + rng.normal(0, 0.005))
        hq.append(cut(clean[t], m, size))
        lq.append(cut(lq_canvas[t], m, size))
        mats.append(photo[t] @ np.vstack([m, [0, 0, 1]]))           # crop → photo
    hq, lq = np.clip(np.stack(hq), 0, 255), np.clip(np.stack(lq), 0, 255)
    tasks = np.array([1.0, 0.0, 0.0], np.float32)
    mask = np.zeros(lq.shape[:3], np.float32)
    if tasks_allowed and rng.random() < 0.03:                   # colorize
        lq = np.repeat((lq @ np.array([0.299, 0.587, 0.114], np.float32))[..., None], 3, axis=-1)
        tasks[1] = 1
    if tasks_allowed and rng.random() < 0.03:                   # inpaint
        m = np.zeros((size, size), np.uint8)
        cv2.circle(m, (int(rng.uniform(0, size)), int(rng.uniform(0, size))), int(rng.uniform(size * 0.05, size * 0.2)), 1, -1)
        for _ in range(rng.integers(1, 4)):
            cv2.line(m, tuple(int(v) for v in rng.uniform(0, size, 2)), tuple(int(v) for v in rng.uniform(0, size, 2)),
                     1, int(rng.uniform(1, 4)))
        mask[:] = m
        lq = lq * (1 - mask[..., None])
        tasks[2] = 1
    return (np.round(lq).astype(np.uint8), np.round(hq).astype(np.uint8), mask, tasks, relative_warps(np.stack(mats)), p)


def relative_warps(mats):
    """For t ≥ 1, the 2×3 map from crop t's pixel grid to crop t−1's (through the photo)."""
    out = []
    for t in range(1, len(mats)):
        a = np.vstack([mats[t], [0, 0, 1]])
        b = np.vstack([mats[t - 1], [0, 0, 1]])
        out.append((np.linalg.inv(b) @ a)[:2])
    return np.stack(out).astype(np.float32) if out else np.zeros((0, 2, 3), np.float32)
