"""Stills for canvases: load safely, fit to the frame, and draw subpixel camera moves as YUV frames."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import tempfile
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mediakit.errors import InputError, ProbeError
from mediakit.ffmpeg.runner import send_range
from mediakit.inputs import display
from mediakit.probe import MAX_STILL_PIXELS, PIL_DAMAGE, STILL_FORMATS
from mediakit.rendering.framing import FITS as FITS  # re-exported: the framing choices are the still's
from mediakit.rendering.framing import MOTIONS as MOTIONS
from mediakit.rendering.framing import Framing, camera_windows, crop_box

log = logging.getLogger(__name__)


# BT.709 luma weights and limited ("tv") range scaling, as H.264 players expect for HD.
_KR, _KB = 0.2126, 0.0722
_KG = 1.0 - _KR - _KB
OVERSAMPLE = 3  # luma is drawn bilinearly from a plane this many times the stage's resolution
# Drawn frames kept to be sent again (on disk, beside the output): all a canvas needs at 1080x1920 (119
# frames of 3.1 MB for 8 s at 30 fps), not the ~450 of a 30 s clip's push-in.
SPOOL_BYTES = 400_000_000


# The last decoded stills, so the assets of one release (kit) decode their cover once: (path, mtime, size)
# -> (min_size asked, reduced?, pixels). Read-only arrays: every use makes its own staged copy.
_DECODED: dict[tuple[str, int, int], tuple[tuple[int, int], bool, np.ndarray]] = {}
_DECODED_LOCK = threading.Lock()
_DECODING: dict[tuple[str, int, int], threading.Lock] = {}
_DECODED_KEEP = 2


def load_rgb(path: Path, min_size: tuple[int, int]) -> np.ndarray:
    """`_load_rgb`, reusing the last decodes of the same unchanged file (a full decode serves any size)."""
    st = os.stat(path)
    key = (os.path.abspath(path), st.st_mtime_ns, st.st_size)
    with _DECODED_LOCK:
        lock = _DECODING.setdefault(key, threading.Lock())
    with lock:  # two renders of one cover at once (kit): the second waits for the first decode
        with _DECODED_LOCK:
            hit = _DECODED.get(key)
        if hit is not None and (not hit[1] or hit[0] == min_size):
            return hit[2]
        rgb, reduced = _load_rgb(path, min_size)
        rgb.setflags(write=False)
        with _DECODED_LOCK:
            while len(_DECODED) >= _DECODED_KEEP:
                del _DECODED[next(iter(_DECODED))]
            _DECODED[key] = (min_size, reduced, rgb)
    return rgb


def _load_rgb(path: Path, min_size: tuple[int, int]) -> tuple[np.ndarray, bool]:
    """Decode a still to 8-bit RGB with EXIF orientation applied, alpha flattened and CMYK/16-bit converted.

    JPEGs are decoded at a reduced scale when that still leaves at least `min_size` pixels, so an 8000x8000
    photo never costs a full-size decode.
    """
    from PIL import Image, ImageOps

    reduced = False
    try:
        # From an open file, not a path: given a path, Pillow 13 maps an uncompressed TIFF's pixels into the
        # already-turned size of an EXIF-rotated page (L, P and CMYK modes), scrambling them; the probe reads
        # from a file too, so both see the same picture.
        with warnings.catch_warnings(), open(path, "rb") as fh:
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im: Image.Image = Image.open(fh, formats=STILL_FORMATS)
            if im.size[0] * im.size[1] > MAX_STILL_PIXELS:
                raise InputError(
                    f"{display(path)}: image is {im.size[0]}x{im.size[1]}, over the "
                    f"{MAX_STILL_PIXELS / 1e6:.0f} MP limit",
                    "downscale it first",
                )
            if im.format == "JPEG":
                need = max(min_size) * 1.05
                scale = max(1, min(8, int(min(im.size) / need)))
                if scale > 1:
                    im.draft("RGB", (im.size[0] // scale, im.size[1] // scale))
                    reduced = True
            im.load()
            ImageOps.exif_transpose(im, in_place=True)  # no copy when there is nothing to turn
    except InputError:
        raise
    except (*PIL_DAMAGE, Image.DecompressionBombError) as exc:
        raise ProbeError(
            f"{display(path)}: damaged or truncated image ({exc})", "export or download it again"
        ) from None
    return _to_rgb(im), reduced


def _to_rgb(im: object) -> np.ndarray:
    from PIL import Image

    assert isinstance(im, Image.Image)
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale: keep the top 8 bits (PIL's own convert clips instead of scaling).
        arr = np.asarray(im, dtype=np.uint32)
        top = (arr >> 8) if arr.max(initial=0) > 255 else arr
        grey = top.clip(0, 255).astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2)
    if im.mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        im = Image.alpha_composite(background, rgba)
    return np.asarray(im if im.mode == "RGB" else im.convert("RGB"), dtype=np.uint8)


def _resize(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    import cv2

    w, h = size
    if (rgb.shape[1], rgb.shape[0]) == (w, h):
        return rgb
    shrinking = w < rgb.shape[1] and h < rgb.shape[0]
    # INTER_AREA averages when shrinking (no aliasing); cubic when enlarging.
    return cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)


def fit_stage(
    rgb: np.ndarray, size: tuple[int, int], framing: Framing, color: tuple[int, int, int]
) -> tuple[np.ndarray, float]:
    """Compose the still onto a `size` stage as `framing` says (a crop at its focus, or the whole picture
    at `fg_scale` over a blurred or plain fill); returns (stage, upscale factor of the part kept)."""
    import cv2

    sh, sw = rgb.shape[:2]
    w, h = size
    aspect = w / h
    if framing.fit == "crop":
        x, y, cw, ch = crop_box((sw, sh), aspect, framing.focus)
        box = rgb[round(y) : round(y + ch), round(x) : round(x + cw)]
        return _resize(box, size), w / cw
    scale = min(w / sw, h / sh) * framing.fg_scale
    fw, fh = max(2, round(sw * scale)), max(2, round(sh * scale))
    fg = _resize(rgb, (fw, fh))
    if framing.fit == "pad":
        stage = np.empty((h, w, 3), dtype=np.uint8)
        stage[:] = np.array(color, dtype=np.uint8)
    else:
        # A cover-cropped, heavily blurred and darkened copy fills the frame behind the whole image.
        x, y, cw, ch = crop_box((sw, sh), aspect, (0.5, 0.5))
        box = rgb[int(y) : int(y + ch), int(x) : int(x + cw)]
        small = _resize(box, (max(2, w // 8), max(2, h // 8)))
        small = cv2.GaussianBlur(small, (0, 0), sigmaX=max(2.0, w / 8 / 40))
        stage = (_resize(small, size).astype(np.float32) * 0.55).astype(np.uint8)
    ox, oy = (w - fw) // 2, (h - fh) // 2
    stage[oy : oy + fh, ox : ox + fw] = fg
    return stage, scale


def rgb_to_yuv420(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BT.709 limited-range Y, Cb, Cr planes as 8-bit codes (chroma averaged over 2x2 blocks).

    One 3x4 matrix (OpenCV's transform: SIMD, rounding to the nearest code) instead of numpy float planes,
    which took 0.1-0.2 s of a 1210x2150 stage while the encoder waited for its first frame.
    """
    import cv2

    rows = np.array(
        [
            [_KR, _KG, _KB],
            [-_KR / (2 * (1 - _KB)), -_KG / (2 * (1 - _KB)), 0.5],
            [0.5, -_KG / (2 * (1 - _KR)), -_KB / (2 * (1 - _KR))],
        ]
    )
    scale = np.array([[219.0], [224.0], [224.0]]) / 255.0
    offset = np.array([[16.0], [128.0], [128.0]])
    ycc = cv2.transform(rgb, np.hstack([rows * scale, offset]))
    h, w = ycc.shape[:2]
    chroma = cv2.resize(
        np.ascontiguousarray(ycc[..., 1:]), ((w + 1) // 2, (h + 1) // 2), interpolation=cv2.INTER_AREA
    )
    return (
        np.ascontiguousarray(ycc[..., 0]),
        np.ascontiguousarray(chroma[..., 0]),
        np.ascontiguousarray(chroma[..., 1]),
    )


@dataclass(frozen=True)
class Window:
    """The visible part of the stage for one frame: centre and width, in stage pixels (floats)."""

    cx: float
    cy: float
    width: float


def camera_path(
    motion: str, frames: int, zoom: float, stage: tuple[int, int], anchor: tuple[float, float] = (0.5, 0.5)
) -> list[Window]:
    """One loop of camera windows in stage pixels (framing.camera_windows: a raised-cosine push-in or
    pull-out about `anchor`, or a drift ellipse); frame `frames` would equal frame 0, so the wrap has no seam.

    All in floats: nothing is rounded to whole pixels, which is what makes ffmpeg's zoompan shake.
    """
    sw, sh = stage
    return [Window(cx * sw, cy * sh, w * sw) for cx, cy, w in camera_windows(motion, frames, zoom, anchor)]


def _affine(window: Window, out_w: int, out_h: int, plane: float, out_plane: float) -> np.ndarray:
    """Map a pixel of an output plane to coordinates in a stage plane, pixel centres at +0.5 in both.

    `plane` is the stage plane's resolution relative to the stage (2 for the oversampled luma, 0.5 for
    chroma), `out_plane` the output plane's relative to the output frame (1 for luma, 0.5 for chroma).
    """
    s = window.width / out_w * plane / out_plane  # stage-plane pixels per output-plane pixel
    x0 = (window.cx - window.width / 2) * plane
    y0 = (window.cy - out_h * window.width / out_w / 2) * plane
    return np.array([[s, 0.0, x0 + 0.5 * s - 0.5], [0.0, s, y0 + 0.5 * s - 0.5]], dtype=np.float64)


def drawer(
    planes: tuple[np.ndarray, np.ndarray, np.ndarray], out: tuple[int, int]
) -> Callable[[Window], memoryview]:
    """A function drawing the frame of one camera window, as yuv420p, into a buffer it reuses.

    Luma is upsampled OVERSAMPLE (3x) once, bicubic, and each frame is then drawn from that plane
    bilinearly: 4.5 ms a 1080x1920 frame against 11.7 for a bicubic warp of the stage, with the same
    fidelity. Against a Lanczos warp of the 3000x3000 benchmark still: 53.3-55.1 dB PSNR (bicubic warp
    54.1-56.1, bilinear 48.0-51.0, bilinear from a 2x plane 51.8-51.9: softer). OpenCV places a bilinear
    sample to 1/32 of a pixel of its source, here 1/96 of a stage pixel.
    The stage is quantised to 8 bits once; that error is the same in every frame, so it cannot jitter.
    """
    import cv2

    y, u, v = planes
    y3 = cv2.resize(y, (y.shape[1] * OVERSAMPLE, y.shape[0] * OVERSAMPLE), interpolation=cv2.INTER_CUBIC)
    ow, oh = out
    frame = np.empty(ow * oh * 3 // 2, dtype=np.uint8)
    yo = frame[: ow * oh].reshape(oh, ow)
    uo, vo = (part.reshape(oh // 2, ow // 2) for part in np.split(frame[ow * oh :], 2))
    linear, edge = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, cv2.BORDER_REPLICATE

    def draw(window: Window) -> memoryview:
        m = _affine(window, ow, oh, OVERSAMPLE, 1)
        mc = _affine(window, ow, oh, 0.5, 0.5)
        cv2.warpAffine(y3, m, (ow, oh), dst=yo, flags=linear, borderMode=edge)
        cv2.warpAffine(u, mc, (ow // 2, oh // 2), dst=uo, flags=linear, borderMode=edge)
        cv2.warpAffine(v, mc, (ow // 2, oh // 2), dst=vo, flags=linear, borderMode=edge)
        return frame.data

    return draw


def first_uses(path: list[Window]) -> list[int]:
    """For each frame, the index of the first frame with the same window: itself when its window is new."""
    first: dict[Window, int] = {}
    return [first.setdefault(window, i) for i, window in enumerate(path)]


def stage_size(out: tuple[int, int], motion: str, zoom: float) -> tuple[int, int]:
    """Stage resolution: the tightest window is shown 1:1, so the zoomed-in frames keep full detail."""
    factor = 1.0 if motion == "static" else zoom
    w = int(math.ceil(out[0] * factor / 2) * 2)
    return w, int(round(w * out[1] / out[0] / 2) * 2)


def feed_motion(
    path: Path,
    out: tuple[int, int],
    motion: str,
    zoom: float,
    framing: Framing,
    color: tuple[int, int, int],
    frames: int,
    spool_dir: Path,
    stdin: Any,
) -> None:
    """Decode, fit and stage a still, then write `frames` yuv420p frames of one loop of `motion` to `stdin`.

    A frame whose window was drawn before is not drawn again where that is cheap. Push-in and pull-out are
    symmetric in time, so half their frames come back: up to SPOOL_BYTES of those are kept in an unnamed
    temp file beside the output when first drawn, and the kernel copies them from there into the pipe the
    second time (sendfile), which costs less than the warp. Past that budget, or if the file cannot be
    written (a full disk), a frame is simply drawn again. A frame with the window of the one before it
    (all of a static canvas) is the buffer sent again.
    """
    stage = stage_size(out, motion, zoom)
    windows = camera_path(motion, frames, zoom, stage, framing.anchor)
    source = first_uses(windows)
    frame_bytes = out[0] * out[1] * 3 // 2
    # Frames worth keeping: first drawings of windows that come back later, not just in the next frame.
    back = {s for i, s in enumerate(source) if s != i and windows[i] != windows[i - 1]}
    keep = set(sorted(back)[: SPOOL_BYTES // frame_bytes])
    staged, _ = fit_stage(load_rgb(path, stage), stage, framing, color)
    draw = drawer(rgb_to_yuv420(staged), out)
    del staged
    fd = stdin.fileno()
    with contextlib.ExitStack() as stack:
        spool = (
            stack.enter_context(tempfile.TemporaryFile(dir=spool_dir, prefix=".mediakit-")) if keep else None
        )
        slots: dict[int, int] = {}  # first index of a window -> its place in the spool
        shown: Window | None = None  # the window whose frame is in draw's buffer
        frame = memoryview(b"")
        for i, window in enumerate(windows):
            if window == shown:
                _write(fd, frame)
            elif spool is not None and source[i] in slots:
                send_range(fd, spool.fileno(), slots[source[i]] * frame_bytes, frame_bytes)
            else:
                frame, shown = draw(window), window
                _write(fd, frame)
                if spool is not None and i in keep:
                    try:
                        os.pwrite(spool.fileno(), frame, len(slots) * frame_bytes)
                    except OSError as exc:  # e.g. the disk is full: draw the rest instead
                        log.debug("spool of drawn frames abandoned: %s", exc)
                        spool = None
                    else:
                        slots[i] = len(slots)


def _write(fd: int, data: memoryview) -> None:
    while data:
        data = data[os.write(fd, data) :]


@dataclass(frozen=True)
class StillMotion:
    """Frames of one loop of `motion` over a still, drawn by mediakit and written to an encoder's stdin."""

    path: Path
    out: tuple[int, int]
    motion: str
    zoom: float
    framing: Framing
    color: tuple[int, int, int]
    frames: int
    spool_dir: Path

    def feed(self, stdin: Any) -> None:
        feed_motion(
            self.path,
            self.out,
            self.motion,
            self.zoom,
            self.framing,
            self.color,
            self.frames,
            self.spool_dir,
            stdin,
        )

    def describe(self) -> str:
        return (
            f"{self.frames} {self.motion} frames of {self.path.name} at {self.out[0]}x{self.out[1]} "
            f"(fit {self.framing.fit}), drawn by mediakit (subpixel warp) on stdin"
        )


@dataclass(frozen=True)
class StillPicture:
    """A still fitted to `out` and written as a JPEG by Pillow (no ffmpeg run)."""

    path: Path
    out: tuple[int, int]
    framing: Framing
    color: tuple[int, int, int]
    target: Path

    def write(self) -> None:
        from PIL import Image

        staged, _ = fit_stage(load_rgb(self.path, self.out), self.out, self.framing, self.color)
        Image.fromarray(staged).save(self.target, "JPEG", quality=92, optimize=True)

    def describe(self) -> str:
        return f"{self.path.name} fitted to {self.out[0]}x{self.out[1]} and written as JPEG by Pillow"


def auto_framing(
    path: Path,
    decode: tuple[int, int],
    out: tuple[int, int],
    safe: tuple[float, float, float, float],
    motion: str,
    zoom: float,
    fits: tuple[str, ...],
) -> Framing:
    """--fit auto for a still: its faces and text lines (analysis.regions) kept inside the safe zone
    (top, bottom, left, right fractions) in every frame of `motion`, by a crop if one can, else by showing
    it whole (framing.choose_still_framing). `decode` is the size the renderer decodes the still at, so both
    share one decode."""
    from mediakit.analysis.regions import analyse_still
    from mediakit.rendering.framing import Keep, choose_still_framing

    rgb = load_rgb(path, decode)
    found = analyse_still(rgb)
    keep = tuple(Keep(r.box, r.where) for r in found.regions)
    profiles = (
        tuple(float(v) for v in found.saliency.sum(axis=0)),  # along x: each column's salient mass
        tuple(float(v) for v in found.saliency.sum(axis=1)),
    )
    h, w = rgb.shape[:2]
    return choose_still_framing((w, h), out, keep, safe, motion, zoom, fits, profiles)
