"""What a still must keep visible when it is framed: faces, lines of text, and where the eye goes
(spectral-residual saliency), found at a reduced size so a 3000x3000 cover costs a few tens of ms."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mediakit.analysis.faces import detect_faces

# Everything is analysed at up to this many pixels on the long side: letters of a cover's title are 15+
# px tall there, and YuNet searches at 640 itself.
ANALYSIS_SIDE = 640
TEXT_SIDE = 512  # MSER's cost grows with the area: 40-80 ms at 512 px
MSER_DELTA = 5
# A text line is at least this share of the picture's width (a lone word of a title is; a scatter of
# letter-like blobs in a photo is not), and holds at least MIN_GLYPHS letter-like shapes in a row.
MIN_LINE_WIDTH = 0.08
MIN_GLYPHS = 3
# Letter-like shapes: height 1.5-25 % of the short side, width/height 0.08-2.0, strokes thinner than
# 40 % of the height (a brick, a filled box or a blob of noise is solid: its stroke is its height).
GLYPH_HEIGHT = (0.015, 0.25)
GLYPH_ASPECT = (0.08, 2.0)
MAX_STROKE = 0.4
FACE_PAD = 0.1  # of the face box's height, on each side
SALIENCY_SIDE = 64  # the method's fixed scale (Hou & Zhang 2007)


@dataclass(frozen=True)
class Region:
    """A part of the picture (x0, y0, x1, y1 in its pixels) that a framing must keep: a face or a line
    of text. `where` names it for a warning ("the text line across the top")."""

    kind: str  # "face" | "text"
    box: tuple[float, float, float, float]
    score: float
    where: str = ""


@dataclass(frozen=True)
class StillRegions:
    """What `analyse_still` found: the must-keep regions and a saliency map (0-1, any small size; it
    covers the whole picture)."""

    size: tuple[int, int]  # the picture's (width, height) the boxes refer to
    regions: tuple[Region, ...]
    saliency: np.ndarray


def analyse_still(rgb: np.ndarray) -> StillRegions:
    """Faces, text lines and saliency of an RGB picture; deterministic, so a re-plan frames alike."""
    h, w = rgb.shape[:2]
    small, scale = _shrink(rgb, ANALYSIS_SIDE)
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    found: list[Region] = []
    for face in detect_faces(small):
        x0, y0, x1, y1 = _scaled(face.box, 1 / scale)
        # YuNet's box is tight around the features: a little room around them belongs to the face a crop
        # keeps (the box's top edge came 1 % into the safe margin at zoom 1.5).
        pad = FACE_PAD * (y1 - y0)
        box = (max(0.0, x0 - pad), max(0.0, y0 - pad), min(float(w), x1 + pad), min(float(h), y1 + pad))
        found.append(Region("face", box, face.score))
    text_grey, k = _shrink(grey, TEXT_SIDE)
    for box in text_lines(text_grey):
        found.append(Region("text", _scaled(box, 1 / scale / k), 1.0))
    named = tuple(Region(r.kind, r.box, r.score, _where(r.kind, r.box, (w, h))) for r in found)
    return StillRegions((w, h), named, saliency(grey))


def _shrink(image: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    """The picture at up to `side` pixels on its long side (area-averaged), and the factor applied."""
    h, w = image.shape[:2]
    k = min(1.0, side / max(w, h))
    if k == 1.0:
        return image, 1.0
    size = (max(1, round(w * k)), max(1, round(h * k)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), k


def _scaled(box: tuple[float, ...], k: float) -> tuple[float, float, float, float]:
    return (box[0] * k, box[1] * k, box[2] * k, box[3] * k)


def _where(kind: str, box: tuple[float, float, float, float], size: tuple[int, int]) -> str:
    """A name a user can find on the picture: "the text line across the top", "the face at the left"."""
    w, h = size
    cx, cy = (box[0] + box[2]) / 2 / w, (box[1] + box[3]) / 2 / h
    across = (box[2] - box[0]) / w
    row = "top" if cy < 1 / 3 else "bottom" if cy > 2 / 3 else "middle"
    col = "left" if cx < 1 / 3 else "right" if cx > 2 / 3 else "centre"
    if kind == "text":
        if across >= 0.5:
            return f"the text line across the {row} ({across:.0%} of the width)"
        return f"the text at the {row} {col}" if col != "centre" else f"the text at the {row}"
    place = f"{row} {col}" if row != "middle" else col
    return f"the face at the {place}" if place != "centre" else "the face in the middle"


def text_lines(grey: np.ndarray) -> list[tuple[float, float, float, float]]:
    """Boxes of lines of text in a grey picture: letter-like MSER regions (OpenCV finds both dark-on-light
    and light-on-dark ones) chained into straight rows of letters of one height, wide and dense enough to
    be a title or a name."""
    h, w = grey.shape
    short = min(w, h)
    mser = cv2.MSER.create(delta=MSER_DELTA, min_area=max(12, int((short * GLYPH_HEIGHT[0]) ** 2 * 0.3)),
                           max_area=int((short * GLYPH_HEIGHT[1]) ** 2 * 2))  # fmt: skip
    points, _ = mser.detectRegions(grey)
    glyphs: dict[tuple[int, int, int, int], np.ndarray] = {}
    for region in points:
        pts = np.asarray(region, dtype=np.int32).reshape(-1, 2)
        x, y, bw, bh = (int(v) for v in cv2.boundingRect(pts))
        if not GLYPH_HEIGHT[0] * short <= bh <= GLYPH_HEIGHT[1] * short:
            continue
        if not GLYPH_ASPECT[0] <= bw / bh <= GLYPH_ASPECT[1]:
            continue
        if not 0.15 <= len(pts) / (bw * bh) <= 0.95:
            continue
        if x <= 1 or y <= 1 or x + bw >= w - 1 or y + bh >= h - 1:
            continue  # cut by the picture's edge: a shape running out of the frame, not a whole letter
        glyphs.setdefault((x, y, bw, bh), pts)  # nested MSERs of one letter: one box each
    candidates = _split_merges(list(glyphs))
    # Two readings of nested regions, and the words of both: a letter's parent of about its size is a
    # copy of it (one box), but whether a much larger region behind a word stands for its letters or
    # swallows them depends on the picture ("Tapes" was found for "Summer Tapes" with the first alone).
    words = [*_words(_dedupe(candidates, 0.0), glyphs), *_words(_dedupe(candidates, 0.2), glyphs)]
    return [line for line in _join_words(words) if line[2] - line[0] >= MIN_LINE_WIDTH * w]


def _words(
    boxes: list[tuple[int, int, int, int]], glyphs: dict[tuple[int, int, int, int], np.ndarray]
) -> list[tuple[float, float, float, float]]:
    """The rows of `boxes` that look like words: letters of one or two heights on a baseline, with thin
    strokes, filling the row."""
    words = []
    for members in _rows(boxes):
        heights = sorted(b[3] for b in members)
        if not _two_heights(heights):
            continue
        tall = heights[-1 - len(heights) // 10]  # capitals' height, one odd glyph in ten aside
        x0 = min(b[0] for b in members)
        y0 = min(b[1] for b in members)
        x1 = max(b[0] + b[2] for b in members)
        y1 = max(b[1] + b[3] for b in members)
        glyph_h = _median([b[3] for b in members])
        bottom = _median([b[1] + b[3] for b in members])
        if y1 - y0 > 1.5 * tall:  # a staircase of shapes, not a row
            continue
        on_line = sum(abs(b[1] + b[3] - bottom) <= 0.08 * glyph_h + 2.5 for b in members)
        if on_line < 0.75 * len(members):  # letters sit on a baseline (a "g" or "p" may hang below it)
            continue
        if sum(b[2] for b in members) < 0.35 * (x1 - x0):  # letters fill a word; a scatter does not
            continue
        strokes = [_stroke(glyphs[b], *b) / b[3] for b in members]
        if _median(strokes) > MAX_STROKE:  # solid shapes (bricks, blobs), not letters
            continue
        words.append((float(x0), float(y0), float(x1), float(y1)))
    return words


def _two_heights(heights: list[int]) -> bool:
    """Whether sorted glyph heights are those of a row of letters: at most two sizes (x-height, and
    capitals or ascenders up to ~1.6x it) that nearly all glyphs match; a chain of shapes of every size
    is not a word."""
    low, high = heights[len(heights) // 4], heights[-1 - len(heights) // 10]
    if high > 1.9 * low:
        return False
    near = sum(min(abs(h - low) / low, abs(h - high) / high) <= 0.18 for h in heights)
    return near >= 0.8 * len(heights)


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def _join_words(words: list[tuple[float, float, float, float]]) -> list[tuple[float, float, float, float]]:
    """Words on one row, less than 1.5 line heights apart, make one line."""
    lines: list[list[float]] = []
    for x0, y0, x1, y1 in sorted(words):
        for line in lines:
            h = max(y1 - y0, line[3] - line[1])
            shared = min(y1, line[3]) - max(y0, line[1])
            if shared >= 0.5 * min(y1 - y0, line[3] - line[1]) and x0 - line[2] <= 1.5 * h:
                line[:] = [min(x0, line[0]), min(y0, line[1]), max(x1, line[2]), max(y1, line[3])]
                break
        else:
            lines.append([x0, y0, x1, y1])
    return [(a, b, c, d) for a, b, c, d in lines]


def _stroke(pts: np.ndarray, x: int, y: int, bw: int, bh: int) -> float:
    """The widest stroke of a region: twice the largest distance from its inside to its outside."""
    mask = np.zeros((bh + 2, bw + 2), np.uint8)
    mask[pts[:, 1] - y + 1, pts[:, 0] - x + 1] = 1
    return 2.0 * float(cv2.distanceTransform(mask, cv2.DIST_L2, 3).max())


def _split_merges(boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Without the boxes that are several letters run together (an outline stroke joins a title's letters
    into one dark region): a box holding two letter-high boxes side by side is dropped for them."""
    if len(boxes) < 3:
        return boxes
    b = np.asarray(boxes, dtype=np.float64)
    x0, y0, w, h = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    x1, y1 = x0 + w, y0 + h
    inside = (
        (x0[None, :] >= x0[:, None])
        & (x1[None, :] <= x1[:, None])
        & (y0[None, :] >= y0[:, None] - 1)
        & (y1[None, :] <= y1[:, None] + 1)
        & (h[None, :] >= 0.6 * h[:, None])
        & (w[None, :] <= 0.7 * w[:, None])
    )
    centre = np.broadcast_to(x0 + w / 2, inside.shape)
    first = np.where(inside, centre, np.inf).min(axis=1)
    last = np.where(inside, centre, -np.inf).max(axis=1)
    merged = last - first >= 0.3 * w
    return [box for box, drop in zip(boxes, merged, strict=True) if not drop]


def _dedupe(boxes: list[tuple[int, int, int, int]], smaller: float) -> list[tuple[int, int, int, int]]:
    """One box per letter: of boxes overlapping by 70 %+ (an MSER and its parent), the largest, unless
    the smaller has under `smaller` of its area (then both are kept)."""
    kept: list[tuple[int, int, int, int]] = []
    for b in sorted(boxes, key=lambda b: -b[2] * b[3]):
        if all(_overlap(b, k) < 0.7 or b[2] * b[3] < smaller * k[2] * k[3] for k in kept):
            kept.append(b)
    return kept


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy / min(a[2] * a[3], b[2] * b[3])


def _rows(boxes: list[tuple[int, int, int, int]]) -> list[list[tuple[int, int, int, int]]]:
    """Chain letters into rows: similar height (within 1.5x), sharing 60 % of the smaller height, a gap
    under one height; chains of MIN_GLYPHS or more."""
    order = sorted(boxes, key=lambda b: b[0])
    parent = list(range(len(order)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(order):
        for j in range(i + 1, len(order)):
            b = order[j]
            if b[0] > a[0] + a[2] + 1.0 * max(a[3], b[3]):
                break
            small, big = sorted((a[3], b[3]))
            if big > 1.5 * small:
                continue
            if min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]) < 0.6 * small:
                continue
            if b[0] + b[2] <= a[0] + a[2] and b[0] >= a[0]:  # inside another letter (an "o" in a box)
                continue
            parent[find(j)] = find(i)
    groups: dict[int, list[tuple[int, int, int, int]]] = {}
    for i, b in enumerate(order):
        groups.setdefault(find(i), []).append(b)
    return [members for members in groups.values() if len(members) >= MIN_GLYPHS]


def saliency(grey: np.ndarray) -> np.ndarray:
    """Spectral-residual saliency (Hou & Zhang 2007) at 64x64, smoothed and scaled to 0-1: where the
    picture departs from its own average spectrum. Only a tie-breaker for placing a crop: on a portrait it
    points at the clothes as readily as the face."""
    s = cv2.resize(grey, (SALIENCY_SIDE, SALIENCY_SIDE), interpolation=cv2.INTER_AREA).astype(np.float64)
    spectrum = np.fft.fft2(s)
    amplitude = np.log(np.abs(spectrum) + 1e-9)
    residual = amplitude - cv2.blur(amplitude, (3, 3), borderType=cv2.BORDER_REPLICATE)
    back = np.abs(np.fft.ifft2(np.exp(residual + 1j * np.angle(spectrum)))) ** 2
    back = cv2.GaussianBlur(back, (0, 0), 2.5)
    top = float(back.max())
    return (back / top if top > 0 else back).astype(np.float32)
