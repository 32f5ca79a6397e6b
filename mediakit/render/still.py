"""Stills for canvases: load safely, fit to the frame, and draw subpixel camera moves as YUV frames."""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mediakit.errors import InputError, ProbeError
from mediakit.inputs import display
from mediakit.probe import MAX_STILL_PIXELS, STILL_FORMATS
from mediakit.render.framing import FITS as FITS  # re-exported: the framing choices are the still's
from mediakit.render.framing import MOTIONS as MOTIONS
from mediakit.render.framing import crop_box

log = logging.getLogger(__name__)


# BT.709 luma weights and limited ("tv") range scaling, as H.264 players expect for HD.
_KR, _KB = 0.2126, 0.0722
_KG = 1.0 - _KR - _KB


def load_rgb(path: Path, min_size: tuple[int, int]) -> np.ndarray:
    """Decode a still to 8-bit RGB with EXIF orientation applied, alpha flattened and CMYK/16-bit converted.

    JPEGs are decoded at a reduced scale when that still leaves at least `min_size` pixels, so an 8000x8000
    photo never costs a full-size decode.
    """
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im: Image.Image = Image.open(path, formats=STILL_FORMATS)
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
            im.load()
            im = ImageOps.exif_transpose(im)
    except InputError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ProbeError(f"{display(path)}: cannot decode the image ({exc})") from None
    return _to_rgb(im)


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
    return np.asarray(im.convert("RGB"), dtype=np.uint8)


def _resize(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    import cv2

    w, h = size
    if (rgb.shape[1], rgb.shape[0]) == (w, h):
        return rgb
    shrinking = w < rgb.shape[1] and h < rgb.shape[0]
    # INTER_AREA averages when shrinking (no aliasing); cubic when enlarging.
    return cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)


def fit_stage(
    rgb: np.ndarray, size: tuple[int, int], fit: str, focus: tuple[float, float], color: tuple[int, int, int]
) -> tuple[np.ndarray, float]:
    """Compose the still onto a `size` stage; returns (stage, upscale factor of the part kept)."""
    import cv2

    sh, sw = rgb.shape[:2]
    w, h = size
    aspect = w / h
    if fit == "crop":
        x, y, cw, ch = crop_box((sw, sh), aspect, focus)
        box = rgb[round(y) : round(y + ch), round(x) : round(x + cw)]
        return _resize(box, size), w / cw
    scale = min(w / sw, h / sh)
    fw, fh = max(2, round(sw * scale)), max(2, round(sh * scale))
    fg = _resize(rgb, (fw, fh))
    if fit == "pad":
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
    """BT.709 limited-range Y, Cb, Cr planes (chroma averaged over 2x2 blocks), as float32."""
    import cv2

    f = rgb.astype(np.float32) / 255.0
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    y = _KR * r + _KG * g + _KB * b
    cb = (b - y) / (2 * (1 - _KB))
    cr = (r - y) / (2 * (1 - _KR))
    h, w = y.shape
    cw, ch = (w + 1) // 2, (h + 1) // 2
    cb = cv2.resize(cb, (cw, ch), interpolation=cv2.INTER_AREA)
    cr = cv2.resize(cr, (cw, ch), interpolation=cv2.INTER_AREA)
    return 16 + 219 * y, 128 + 224 * cb, 128 + 224 * cr


@dataclass(frozen=True)
class Window:
    """The visible part of the stage for one frame: centre and width, in stage pixels (floats)."""

    cx: float
    cy: float
    width: float


def camera_path(motion: str, frames: int, zoom: float, stage: tuple[int, int]) -> list[Window]:
    """One loop of camera windows; frame `frames` would equal frame 0, so the wrap has no seam.

    Push-in and pull-out follow a raised cosine (zero speed at both ends of the move, so the turnarounds
    ease instead of bouncing). Drift follows an ellipse, so it never stops at all. All in floats: nothing
    is rounded to whole pixels, which is what makes ffmpeg's zoompan shake.
    """
    sw, sh = stage
    full = sw  # window width at zoom 1: the whole stage
    out_windows = []
    for i in range(frames):
        phase = 2 * math.pi * i / frames
        ease = (1 - math.cos(phase)) / 2  # 0 -> 1 -> 0 over the loop
        cx, cy = sw / 2, sh / 2
        if motion == "push-in":
            width = full / (1 + (zoom - 1) * ease)
        elif motion == "pull-out":
            width = full / (zoom - (zoom - 1) * ease)
        elif motion == "drift":
            width = full / zoom
            cx = sw / 2 - (sw - width) / 2 * 0.9 * math.cos(phase)
            cy = sh / 2 - (sh - width * sh / sw) / 2 * 0.5 * math.sin(phase)
        else:
            width = full
        out_windows.append(Window(cx, cy, width))
    return out_windows


def _affine(window: Window, out_w: int, out_h: int, sub: int) -> np.ndarray:
    # Maps output pixel (u, v) to stage pixel coordinates, pixel centres at +0.5 in both spaces.
    s = window.width / out_w
    x0 = window.cx - window.width / 2
    y0 = window.cy - out_h * s / 2
    return np.array(
        [[s, 0.0, (x0 / sub) + 0.5 * s - 0.5], [0.0, s, (y0 / sub) + 0.5 * s - 0.5]], dtype=np.float64
    )


def yuv_frames(
    planes: tuple[np.ndarray, np.ndarray, np.ndarray], path: list[Window], out: tuple[int, int]
) -> Iterator[bytes]:
    """Warp the stage planes through the camera path: one yuv420p frame (bytes) per window.

    The stage is quantised to 8 bits once; that error is the same in every frame, so it cannot jitter.
    """
    import cv2

    y, u, v = (np.rint(p).clip(0, 255).astype(np.uint8) for p in planes)
    ow, oh = out
    inverse = cv2.WARP_INVERSE_MAP
    for window in path:
        m = _affine(window, ow, oh, 1)
        mc = _affine(window, ow, oh, 2)
        yo = cv2.warpAffine(y, m, (ow, oh), flags=cv2.INTER_CUBIC | inverse, borderMode=cv2.BORDER_REPLICATE)
        uo = cv2.warpAffine(
            u, mc, (ow // 2, oh // 2), flags=cv2.INTER_LINEAR | inverse, borderMode=cv2.BORDER_REPLICATE
        )
        vo = cv2.warpAffine(
            v, mc, (ow // 2, oh // 2), flags=cv2.INTER_LINEAR | inverse, borderMode=cv2.BORDER_REPLICATE
        )
        yield yo.tobytes() + uo.tobytes() + vo.tobytes()


def stage_size(out: tuple[int, int], motion: str, zoom: float) -> tuple[int, int]:
    """Stage resolution: the tightest window is shown 1:1, so the zoomed-in frames keep full detail."""
    factor = 1.0 if motion == "static" else zoom
    w = int(math.ceil(out[0] * factor / 2) * 2)
    return w, int(round(w * out[1] / out[0] / 2) * 2)


def motion_frames(
    path: Path,
    out: tuple[int, int],
    motion: str,
    zoom: float,
    fit: str,
    focus: tuple[float, float],
    color: tuple[int, int, int],
    frames: int,
) -> Iterator[bytes]:
    """Decode, fit and stage a still, then yield `frames` yuv420p frames of one loop of `motion`."""
    stage = stage_size(out, motion, zoom)
    staged, _ = fit_stage(load_rgb(path, stage), stage, fit, focus, color)
    planes = rgb_to_yuv420(staged)
    del staged
    yield from yuv_frames(planes, camera_path(motion, frames, zoom, stage), out)
