"""Framing choices and the crop geometry shared by stills and footage (cheap to import: no numpy, no
ffmpeg bindings, so `mediakit batch --help` can offer the choices without loading the renderers)."""

from __future__ import annotations

import math
from dataclasses import dataclass

MOTIONS: tuple[str, ...] = ("push-in", "pull-out", "drift", "static")
# "auto": for a still, a crop that keeps its faces and text inside the safe zone all through the camera
# move, else the whole picture over a blurred fill (blur); footage is cropped.
# "smart" (footage): a crop that follows each shot's subject (faces, else motion) on a smooth path; a
# still with smart is framed as with auto.
FITS: tuple[str, ...] = ("auto", "crop", "blur", "pad", "smart")
LOOPS: tuple[str, ...] = ("pingpong", "crossfade", "cut")  # footage


@dataclass(frozen=True)
class Framing:
    """The one framing decision of a render, made once from the pictures (in the kind's `prepare` hook) and
    read by every renderer: still frames, still JPEGs and footage alike.

    A static crop is `fit="crop"` with `focus`; a crop that follows a subject has one box position per
    output frame in `path`; a still's push-in zooms towards `anchor` instead of the stage centre.
    """

    fit: str  # crop | blur | pad ("auto" and "smart" are resolved before this is made)
    focus: tuple[float, float] = (0.5, 0.5)  # where a static crop sits (crop_box's focus)
    # --fit smart on footage (fit "crop"): the crop box's top-left corner (x, y) in the source's display
    # pixels (after rotation and SAR) for each frame after the rate conversion, frame 0 first; the box is
    # crop_box's size. Empty: a static crop at `focus`. Positions may be fractional: the renderer rounds.
    path: tuple[tuple[float, float], ...] = ()
    anchor: tuple[float, float] = (0.5, 0.5)  # still motion: the stage point (fractions) zoomed towards
    fg_scale: float = 1.0  # blur/pad: the picture's size as a share of the size that fills the frame
    why: str = ""  # what the choice keeps or why it could not crop, said in the result
    lost: bool = False  # a crop that leaves out something that matters: `why` is said as a warning

    @property
    def warns(self) -> bool:
        """Whether `why` is a warning (something cut off, or the picture shown smaller) or a note."""
        return self.lost or self.fit != "crop"

    @staticmethod
    def fixed(fit: str, focus: tuple[float, float]) -> Framing:
        """An explicit --fit/--focus, taken as it is."""
        return Framing(fit=fit, focus=focus)


def crop_box(
    src: tuple[int, int], aspect: float, focus: tuple[float, float]
) -> tuple[float, float, float, float]:
    """The largest box of `aspect` (w/h) inside `src`, placed so `focus` (0-1 each) stays in frame."""
    sw, sh = src
    if sw / sh > aspect:
        w, h = sh * aspect, float(sh)
    else:
        w, h = float(sw), sw / aspect
    x = (sw - w) * min(max(focus[0], 0.0), 1.0)
    y = (sh - h) * min(max(focus[1], 0.0), 1.0)
    return x, y, w, h


# A crop that removes more than this share of the source's width or height is reported, and, when nothing
# has looked at its pixels (resolve_fit), a still that would lose more than this counts as shown whole.
# 10 % is a 4:5 frame's safe margin: titles and logos placed by eye sit further in than that; a 9:16 phone
# photo (0 %) or a 3:5 one (6 %) keeps crop.
CROP_LOSS_LIMIT = 0.10


def crop_loss(src: tuple[int, int], aspect: float) -> tuple[float, str]:
    """The share of the source a crop to `aspect` removes, and which side it cuts ("width"/"height")."""
    sw, sh = src
    if sw <= 0 or sh <= 0:
        return 0.0, "width"
    if sw / sh > aspect:
        return 1.0 - sh * aspect / sw, "width"
    return 1.0 - sw / aspect / sh, "height"


def resolve_fit(fit: str, src: tuple[int, int], aspect: float, still: bool) -> str:
    """The fit to use when nothing has looked at the pixels (a plan from probed facts alone, `fix`'s size
    prediction): "auto" shows a still that a crop would cut by over CROP_LOSS_LIMIT whole (blur), the
    conservative case; footage and near-9:16 stills are cropped. A render looks at the still and decides
    with `choose_still_framing` instead."""
    if fit != "auto":
        return fit
    return "blur" if still and crop_loss(src, aspect)[0] > CROP_LOSS_LIMIT else "crop"


def crop_warning(fit: str, src: tuple[int, int], aspect: float, may_blur: bool = True) -> str | None:
    """A warning when a crop cuts off more than CROP_LOSS_LIMIT of the picture (any source, any reason);
    `may_blur` is False where the preset allows only crop (the art must fill the frame)."""
    if fit != "crop":
        return None
    loss, side = crop_loss(src, aspect)
    if loss <= CROP_LOSS_LIMIT:
        return None
    fix = "use --fit blur to show the whole picture, or --focus to choose the part kept"
    if not may_blur:
        fix = (
            "this preset takes only a crop (the art must fill the frame): use --focus to choose the part kept"
        )
    size = f"{src[0]}x{src[1]}"
    return f"the crop to {ratio_text(aspect)} cuts off {loss:.0%} of the source's {side} ({size}): {fix}"


def ratio_text(aspect: float) -> str:
    """9:16, 3:4, 1:1 ... for a width/height ratio (the nearest with terms up to 32)."""
    from fractions import Fraction

    ratio = Fraction(aspect).limit_denominator(32)
    return f"{ratio.numerator}:{ratio.denominator}"


@dataclass(frozen=True)
class Keep:
    """A part of a still that a framing must keep in sight: its box in source pixels (x0, y0, x1, y1) and
    how a warning names it ("the text line across the top (76% of the width)")."""

    box: tuple[float, float, float, float]
    name: str


Box = tuple[float, float, float, float]  # x0, y0, x1, y1
Safe = tuple[float, float, float, float]  # top, bottom, left, right: fractions of the frame
# Candidate crop positions along the free axis: 2.5 % steps of the slack.
POSITIONS = 41
# With nothing to keep, saliency may move a crop off centre only this far (as focus): a photo's subject
# pulls the crop towards it, but the crop never lands on an edge because of a busy corner.
SALIENT_PULL = 0.25


def camera_windows(
    motion: str, frames: int, zoom: float, anchor: tuple[float, float] = (0.5, 0.5)
) -> list[tuple[float, float, float]]:
    """One loop of camera windows as (centre x, centre y, width), fractions of the stage; frame `frames`
    would equal frame 0, so the wrap has no seam.

    Push-in and pull-out follow a raised cosine (zero speed at both ends of the move, so the turnarounds
    ease instead of bouncing) and zoom about the fixed stage point `anchor`: at zoom z the window spans
    anchor*(1-1/z) .. anchor*(1-1/z) + 1/z, inside the stage for any anchor in 0-1, and its edges move on
    the same smooth curve as its width. Drift follows an ellipse about the centre, so it never stops.
    """
    ax, ay = anchor
    windows = []
    for i in range(frames):
        # Push-in and pull-out are symmetric in time: frame i and frame `frames - i` get the very same
        # window (computed from the same number), which lets the feed draw each of them once.
        k = i if motion == "drift" else min(i, frames - i)
        phase = 2 * math.pi * k / frames
        ease = (1 - math.cos(phase)) / 2  # 0 -> 1 -> 0 over the loop
        if motion == "push-in":
            z = 1 + (zoom - 1) * ease
        elif motion == "pull-out":
            z = zoom - (zoom - 1) * ease
        else:
            z = zoom if motion == "drift" else 1.0
        w = 1 / z
        if motion == "drift":
            cx = 0.5 - (1 - w) / 2 * DRIFT_SWING[0] * math.cos(phase)
            cy = 0.5 - (1 - w) / 2 * DRIFT_SWING[1] * math.sin(phase)
        elif z == 1.0:
            cx, cy = 0.5, 0.5
        else:
            cx, cy = ax * (1 - w) + w / 2, ay * (1 - w) + w / 2
        windows.append((cx, cy, w))
    return windows


# Drift: the share of the slack (stage minus window) the window's centre swings through, along x and y.
DRIFT_SWING = (0.9, 0.5)


def _safe_interval(
    lo: float, hi: float, near: float, far: float, motion: str, zoom: float, swing: float
) -> tuple[float, float] | None:
    """The anchors (fractions of the stage, on one axis) that keep the span lo..hi inside every window's
    safe part: `near`/`far` are the safe margins before and after it, as fractions of a window.

    A push-in or pull-out zooms about a fixed stage point `a`: at zoom z the window is a*(1-1/z) ..
    a*(1-1/z) + 1/z, so its safe part's edges are linear in 1/z and the span fits every window of the move
    when it fits the widest (z=1) and the tightest (z=zoom). Drift slides a 1/zoom window through `swing`
    of the slack: the span must fit both ends. None: no anchor keeps it.
    """
    if motion == "drift":
        w = 1 / zoom
        travel = swing * (1 - w) / 2
        for centre in (0.5 - travel, 0.5 + travel):
            if lo < centre - w / 2 + near * w - 1e-9 or hi > centre + w / 2 - far * w + 1e-9:
                return None
        return (0.5, 0.5)
    if lo < near - 1e-9 or hi > 1 - far + 1e-9:  # the whole stage (z=1) already cuts it
        return None
    if motion == "static" or zoom <= 1.0:
        return (0.0, 1.0)
    w = 1 / zoom
    if hi - lo > (1 - near - far) * w + 1e-9:
        return None
    k = 1 - w  # at the tightest zoom the window starts at anchor * k
    a_lo = max((hi - (1 - far) * w) / k, 0.0)
    a_hi = min((lo - near * w) / k, 1.0)
    return (a_lo, a_hi) if a_lo <= a_hi + 1e-9 else None


def safe_anchor(
    box: Box, safe: tuple[float, float, float, float], motion: str, zoom: float
) -> tuple[float, float] | None:
    """The stage point (fractions) a push-in should zoom towards so that `box` (stage fractions) stays
    inside the safe zone (top, bottom, left, right fractions of the frame) in every frame; None if none does.

    Of the anchors that work, the one nearest the centre: the usual centred move when it keeps the box, else
    moved only as far as it must. (Centring the box instead pinned the astronaut's portrait to the corner,
    anchor (0, 0): two edges of the frame stood still while the others moved.)"""
    top, bottom, left, right = safe
    xs = _safe_interval(box[0], box[2], left, right, motion, zoom, DRIFT_SWING[0])
    ys = _safe_interval(box[1], box[3], top, bottom, motion, zoom, DRIFT_SWING[1])
    if xs is None or ys is None:
        return None
    if motion in ("push-in", "pull-out") and zoom > 1.0:
        return (min(max(0.5, xs[0]), xs[1]), min(max(0.5, ys[0]), ys[1]))
    return (0.5, 0.5)


def _union(boxes: list[Box]) -> Box | None:
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _in_crop(box: Box, crop: tuple[float, float, float, float]) -> Box:
    """A source box in stage fractions of a crop (x, y, w, h)."""
    x, y, w, h = crop
    return ((box[0] - x) / w, (box[1] - y) / h, (box[2] - x) / w, (box[3] - y) / h)


def blur_layout(src: tuple[int, int], out: tuple[int, int], fg_scale: float) -> Box:
    """Where a blur/pad fit puts the whole picture on the stage (fractions): centred, `fg_scale` of the size
    that fills the frame's width or height (still.fit_stage draws it so)."""
    sw, sh = src
    w, h = out
    scale = min(w / sw, h / sh) * fg_scale
    fw, fh = sw * scale / w, sh * scale / h
    return ((1 - fw) / 2, (1 - fh) / 2, (1 + fw) / 2, (1 + fh) / 2)


def _mass(profile: tuple[float, ...], lo: float, hi: float) -> float:
    """The share of a saliency profile (summed along the other axis) between fractions lo and hi."""
    n = len(profile)
    total = sum(profile) or 1.0
    got = 0.0
    for i, v in enumerate(profile):
        a, b = i / n, (i + 1) / n
        got += v * max(0.0, min(b, hi) - max(a, lo)) * n
    return got / total


def choose_still_framing(
    src: tuple[int, int],
    out: tuple[int, int],
    keep: tuple[Keep, ...],
    safe: tuple[float, float, float, float],
    motion: str,
    zoom: float,
    fits: tuple[str, ...],
    saliency: tuple[tuple[float, ...], tuple[float, ...]] = ((), ()),
) -> Framing:
    """The framing of a still for --fit auto, from what it must keep (faces, text; source pixels).

    A crop (and the point its push-in zooms towards) that keeps every region inside the safe zone
    (`safe`: top, bottom, left, right fractions of the frame) in every frame of `motion` at `zoom`; of the
    crops that do, the one holding the most salient mass (`saliency`: the map summed over rows and over
    columns, any length). Else the whole picture over a blurred fill, small enough to stay inside the safe
    zone at the tightest zoom, with `why` naming what a crop would have lost. A preset that allows no blur
    gets the best crop, and the same warning. Pure geometry (no pixels): unit-testable.
    """
    aspect = out[0] / out[1]
    sw, sh = src
    horizontal = sw / sh > aspect  # the crop slides along x (else along y)
    profile = saliency[0] if horizontal else saliency[1]
    boxes = [k.box for k in keep]
    loss = crop_loss(src, aspect)[0]
    steps = [i / (POSITIONS - 1) for i in range(POSITIONS)] if loss > 1e-6 else [0.5]
    found: list[tuple[float, float, tuple[float, float]]] = []  # (mass, position, anchor)
    for t in steps:
        crop = crop_box(src, aspect, (t, t))
        union = _union([_in_crop(b, crop) for b in boxes])
        anchor = (0.5, 0.5) if union is None else safe_anchor(union, safe, motion, zoom)
        if anchor is None:
            continue
        lo = crop[0] / sw if horizontal else crop[1] / sh
        hi = (crop[0] + crop[2]) / sw if horizontal else (crop[1] + crop[3]) / sh
        found.append((_mass(profile, lo, hi) if profile else 0.0, t, anchor))
    if found:
        if not boxes:  # nothing must stay: saliency only nudges the crop, towards the centre
            found = [f for f in found if abs(f[1] - 0.5) <= SALIENT_PULL + 1e-9]
        best = max(f[0] for f in found)
        # Among crops within 1 % of the best salient mass, the one nearest the centre (stable, unsurprising)
        _, t, anchor = min((f for f in found if f[0] >= best - 0.01), key=lambda f: (abs(f[1] - 0.5), f[1]))
        focus = (t, 0.5) if horizontal else (0.5, t)
        stays = "stays" if len(keep) == 1 else "stay"
        through = "" if motion == "static" else f" all through the {motion}"
        why = (
            f"crop: {_names(keep)} {stays} inside the safe zone{through}"
            if keep
            else "crop: no face or text found, the crop keeps the most salient part"
        )
        return Framing(fit="crop", focus=focus, anchor=anchor, why=why)
    lost = _lost(src, aspect, keep, safe, motion, zoom)
    if "blur" not in fits:
        return Framing(fit="crop", why=f"crop (the preset allows no other fit): {lost}", lost=True)
    scale, anchor = _blur_scale(src, out, safe, motion, zoom)
    return Framing(fit="blur", fg_scale=scale, anchor=anchor,
                   why=f"blur: the whole picture is shown, because {lost}")  # fmt: skip


def _blur_scale(
    src: tuple[int, int], out: tuple[int, int], safe: Safe, motion: str, zoom: float
) -> tuple[float, tuple[float, float]]:
    """The largest picture (share of the size that fills the frame) whose every part stays inside the safe
    zone at the tightest zoom, and the anchor that does it (bisection: 20 steps, 1e-6 of the size)."""
    lo, hi = 0.05, 1.0
    anchor = safe_anchor(blur_layout(src, out, hi), safe, motion, zoom)
    if anchor is not None:
        return 1.0, anchor
    best = safe_anchor(blur_layout(src, out, lo), safe, motion, zoom) or (0.5, 0.5)
    for _ in range(20):
        mid = (lo + hi) / 2
        found = safe_anchor(blur_layout(src, out, mid), safe, motion, zoom)
        if found is None:
            hi = mid
        else:
            lo, best = mid, found
    return lo, best


def _names(keep: tuple[Keep, ...]) -> str:
    names = [k.name for k in keep]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _lost(
    src: tuple[int, int], aspect: float, keep: tuple[Keep, ...], safe: Safe, motion: str, zoom: float
) -> str:
    """Why no crop keeps `keep`, naming the regions: too wide or tall for the crop's safe part, cut off
    by every crop position, or only not all of them at once."""
    aspect_text = ratio_text(aspect)
    sw, sh = src
    crop = crop_box(src, aspect, (0.5, 0.5))
    top, bottom, left, right = safe
    z = 1.0 if motion == "static" else zoom
    room_w = (1 - left - right) / z * crop[2] / sw  # the safe width of the tightest window, of the source's
    room_h = (1 - top - bottom) / z * crop[3] / sh
    alone = []
    for k in keep:
        x0, y0, x1, y1 = k.box
        if (x1 - x0) / sw > room_w + 1e-9:
            alone.append(
                f"{k.name} is wider than the safe part of a {aspect_text} crop ({room_w:.0%} of the width)"
            )
        elif (y1 - y0) / sh > room_h + 1e-9:
            alone.append(
                f"{k.name} is taller than the safe part of a {aspect_text} crop ({room_h:.0%} of the height)"
            )
        else:
            placed = [_in_crop(k.box, crop_box(src, aspect, (t / 20, t / 20))) for t in range(21)]
            x_ok = any(_safe_interval(b[0], b[2], left, right, motion, z, DRIFT_SWING[0]) for b in placed)
            y_ok = any(_safe_interval(b[1], b[3], top, bottom, motion, z, DRIFT_SWING[1]) for b in placed)
            if not (x_ok and y_ok):
                side = "left or right" if not x_ok else "top or bottom"
                alone.append(
                    f"{k.name} is too near the {side} edge to stay clear of the frame's safe margins"
                )
    if alone:
        return "; ".join(alone)
    return f"no {aspect_text} crop keeps {_names(keep)} inside the safe zone together"
