"""Photosensitive flashes (WCAG 2.3.1, ITU-R BT.1702): transitions a second over an area, and sustained."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = [
    "CELL",
    "WindowCounts",
    "block_stats",
    "count_transitions",
    "general_and_red",
    "sustained",
    "transitions",
    "window_starts",
]

# Pixels of the colour planes per block side (frames.COLOUR_SHORT = 18 blocks across the short side).
CELL = 5
# "in any one-second period" (WCAG 2.3.1; ITU-R BT.1702 counts the same way).
WINDOW = 1.0
# IRIS's extended failure (its ExtendedFailWindow): flashing sustained over part of any 5 s.
EXTENDED_WINDOW = 5.0
# WCAG 2.x definition of a red flash: a pair of opposing transitions involving a saturated red, where
# saturated red is R/(R+G+B) >= 0.8 and each transition changes (R-G-B) x 320 (negatives read as 0) by
# more than 20, with R, G, B the linear values of the relative-luminance definition. These are fixed by
# the definition itself, so they are not preset parameters.
RED_SATURATION = 0.8
RED_SCALE = 320.0
RED_CHANGE = 20.0

# sRGB EOTF (IEC 61966-2-1, as WCAG's relative luminance uses it) for each 8-bit code.
_codes = np.arange(256) / 255.0
_LINEAR = np.where(_codes <= 0.04045, _codes / 12.92, ((_codes + 0.055) / 1.055) ** 2.4).astype(np.float32)
# (Kr, Kb) of the Y'CbCr matrices.
_KR_KB = {False: (0.2126, 0.0722), True: (0.299, 0.114)}


def _yuv_to_rgb(full_range: bool, bt601: bool) -> np.ndarray:
    """3x4 matrix from 8-bit (Y, U, V, 1) to 8-bit R'G'B' (cv2.transform rounds and clips to 0-255)."""
    kr, kb = _KR_KB[bt601]
    kg = 1 - kr - kb
    y_gain, c_gain, y_zero = (1.0, 1.0, 0.0) if full_range else (255.0 / 219.0, 255.0 / 224.0, 16.0)
    rows = np.array([
        [1.0, 0.0, 2 * (1 - kr)],  # R = Y + 2 (1 - Kr) Cr
        [1.0, -2 * kb * (1 - kb) / kg, -2 * kr * (1 - kr) / kg],  # G = (Y - Kr R - Kb B) / Kg
        [1.0, 2 * (1 - kb), 0.0],  # B = Y + 2 (1 - Kb) Cb
    ])  # fmt: skip
    scale = rows * np.array([y_gain, c_gain, c_gain])
    offset = -(scale[:, 0] * y_zero + (scale[:, 1] + scale[:, 2]) * 128.0)
    return np.column_stack((scale, offset)).astype(np.float32)


_MATRICES = {(full, sd): _yuv_to_rgb(full, sd) for full in (False, True) for sd in (False, True)}


def _linear_rgb(y: np.ndarray, u: np.ndarray, v: np.ndarray, full_range: bool, bt601: bool) -> np.ndarray:
    # All in OpenCV: it runs once per frame, and numpy's temporaries cost more than the decode-side work.
    rgb8 = cv2.transform(cv2.merge((y, u, v)), _MATRICES[(full_range, bt601)])
    return cv2.LUT(rgb8, _LINEAR)


def block_stats(
    y: np.ndarray, u: np.ndarray, v: np.ndarray, full_range: bool, bt601: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per CELL x CELL block of same-size Y, U, V planes: relative luminance, red value, saturated red.

    Pixels are linearised before they are averaged into blocks, as light adds up linearly. Returns three
    flat arrays: luminance 0-1, (R-G-B) x 320 clipped at 0, and R/(R+G+B) >= 0.8.
    """
    rgb = _linear_rgb(y, u, v, full_range, bt601)
    h, w = rgb.shape[0] // CELL, rgb.shape[1] // CELL
    # INTER_AREA at a whole-number factor is the exact block mean, and much faster than numpy's.
    blocks = cv2.resize(rgb[: h * CELL, : w * CELL], (w, h), interpolation=cv2.INTER_AREA).reshape(-1, 3)
    r, g, b = blocks[:, 0], blocks[:, 1], blocks[:, 2]
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    red = np.maximum(r - g - b, 0.0) * RED_SCALE
    total = r + g + b
    saturated = r >= RED_SATURATION * np.maximum(total, 1e-6)
    saturated &= total > 1e-4  # black has no hue
    return luminance.astype(np.float32), red.astype(np.float32), saturated


def transitions(
    values: np.ndarray,
    delta: float,
    *,
    dark: float | None = None,
    flags: np.ndarray | None = None,
    strict: bool = False,
) -> np.ndarray:
    """(T, B) bool: frame t completes a transition of block b.

    A transition is a change of at least `delta` (more than, if `strict`) from the block's last extreme,
    opposite in direction to its previous transition; so a pair of them is one flash and a slow fade is one
    transition, however long it takes. With `dark`, the darker state must be below it (WCAG's general
    flash); with `flags`, the brighter state must be flagged (WCAG's saturated red).
    """
    frames, blocks = values.shape
    out = np.zeros((frames, blocks), dtype=bool)
    if frames == 0:
        return out
    lo = values[0].copy()
    hi = values[0].copy()
    hi_flag = flags[0].copy() if flags is not None else None
    last = np.zeros(blocks, dtype=np.int8)
    for t in range(1, frames):
        v = values[t]
        rise, fall = v - lo, hi - v
        up = (last != 1) & ((rise > delta) if strict else (rise >= delta))
        down = (last != -1) & ((fall > delta) if strict else (fall >= delta))
        if dark is not None:
            up &= lo < dark
            down &= v < dark
        if flags is not None and hi_flag is not None:
            up &= flags[t]
            down &= hi_flag
        both = up & down
        if both.any():  # only possible for a block with no transition yet: keep the larger change
            up &= ~both | (rise >= fall)
            down &= ~both | (fall > rise)
        event = up | down
        out[t] = event
        last[up] = 1
        last[down] = -1
        lo = np.where(event, v, np.minimum(lo, v))
        new_hi = event | (v > hi)
        hi = np.where(new_hi, v, hi)
        if flags is not None and hi_flag is not None:
            hi_flag = np.where(new_hi, flags[t], hi_flag)
    return out


@dataclass(frozen=True)
class WindowCounts:
    """Per frame, the `window` seconds ending at it: the most opposing transitions that at least `min_area` of
    the screen went through (`transitions`), the share of the screen that went through that many (`area`), and
    the window's first frame (`first`)."""

    first: np.ndarray
    transitions: np.ndarray
    area: np.ndarray


def count_transitions(
    times: np.ndarray, events: np.ndarray, min_area: float, window: float = WINDOW
) -> WindowCounts:
    """Opposing transitions in the `window` s ending at each frame, over at least `min_area` of the blocks.

    The window holds the frames later than `window` s before it, so transitions exactly `window` s apart are
    never in one window: at 25 fps it holds 25 frames, 0.96 s from first to last, as IRIS counts. Every window
    of the video is one of these. Enough of the screen must go through the count in the same window; the
    blocks need not be adjacent, as BT.1702 and WCAG (since 2.1, "25 % of any 10 degree field") both judge
    the flashing area.
    """
    frames, blocks = events.shape
    if frames == 0 or blocks == 0:
        empty = np.zeros(frames, dtype=np.int64)
        return WindowCounts(empty, empty.copy(), np.zeros(frames))
    cumulative = np.zeros((frames + 1, blocks), dtype=np.int32)
    np.cumsum(events, axis=0, dtype=np.int32, out=cumulative[1:])
    first = window_starts(np.asarray(times, dtype=np.float64), window)
    counts = cumulative[1:] - cumulative[first]
    k = min(blocks, max(1, int(np.ceil(min_area * blocks - 1e-9))))
    kth = -np.partition(-counts, k - 1, axis=1)[:, k - 1]
    area = (counts >= np.maximum(kth, 1)[:, None]).mean(axis=1)
    return WindowCounts(first, kth.astype(np.int64), area)


def sustained(
    times: np.ndarray, active: np.ndarray, window: float = EXTENDED_WINDOW, end: float | None = None
) -> np.ndarray:
    """Per frame: the seconds of the `window` s ending at it during which `active` held.

    A frame lasts until the next one (the last until `end`, one median step by default), so at a constant
    rate this is the frame count over the rate, IRIS's extended-failure count.
    """
    t = np.asarray(times, dtype=np.float64)
    if t.size == 0:
        return np.zeros(0)
    if end is None:
        end = float(t[-1] + (np.median(np.diff(t)) if t.size > 1 else 0.0))
    durations = np.diff(np.append(t, end))
    held = np.zeros(t.size + 1)
    np.cumsum(np.where(active, durations, 0.0), out=held[1:])
    return held[1:] - held[window_starts(t, window)]


def window_starts(times: np.ndarray, window: float) -> np.ndarray:
    """Index of the first frame later than `window` s before each frame (timestamps are exact to 1 µs)."""
    return np.searchsorted(times, times - window + 1e-6, side="left")


def general_and_red(
    times: np.ndarray,
    blocks: tuple[np.ndarray, np.ndarray, np.ndarray],
    luminance_change: float,
    dark_threshold: float,
    min_area: float,
) -> tuple[WindowCounts, WindowCounts]:
    """Transitions a second of general and of red flashes, from block_stats' (frames, blocks) arrays."""
    luminance, red, saturated = blocks
    general = transitions(luminance, luminance_change, dark=dark_threshold)
    reds = transitions(red, RED_CHANGE, flags=saturated, strict=True)
    return count_transitions(times, general, min_area), count_transitions(times, reds, min_area)
