"""Auto-reframe (--fit smart): the subject of each shot, and a smooth crop path that keeps it in frame."""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from mediakit.analysis.cuts import THUMB_SHORT, CutMeter
from mediakit.analysis.faces import Face, detect_faces
from mediakit.analysis.frames import _planes
from mediakit.probe import MediaInfo, open_container

log = logging.getLogger(__name__)

# Samples per second the subject is looked for in: a face crossing a 9:16 crop of 1080p footage at walking
# speed moves about a tenth of the crop between two samples, which the path's margins absorb.
SAMPLE_FPS = 6.0
ANALYSIS_LONG = 640  # YuNet's own input size: bigger costs 4x and finds nothing more in a crop's subject
# Footage asks more of a face than a still does: Big Buck Bunny's cartoon head scored 0.70-0.83.
FOOTAGE_MIN_SCORE = 0.8
# A face under this share of the frame's height is too small to steer a crop (a face in a crowd, noise).
MIN_FACE_HEIGHT = 0.04
# A face that steers a crop faces the camera enough to show both eyes apart, with the nose between them.
# Big Buck Bunny's head scored 0.80-0.86 (as high as a real cyclist's 0.86) with its "eyes" 0.15-0.25 of
# the box apart and its "nose" outside them; people in carphone, bikes and astronaut.png: 0.37-0.48, nose
# between.
MIN_EYE_SPAN = 0.3
# A face counts only when a face is also seen near it in the sample before or after (a sixth of a second
# away): one false face on one frame is what ruins AutoFlip's crops. "Near": centres at most this many face
# widths apart.
NEAR = 3.0
# The subject's box stays this share of the crop's width inside its edges, and its centre inside the
# middle half of the crop: a face touching the edge of the picture reads as cut off.
EDGE_MARGIN = 0.08
CENTRE_BAND = 0.25
# A subject whose centre moves less than this share of the crop over the shot gets a still crop.
STATIC_RANGE = 0.05
# Grundmann, Kwatra and Essa (CVPR 2011): weights of |velocity|, |acceleration| and |jerk| in the L1 path.
# Velocity dominates, so the path is still wherever it can be; jerk is the most expensive, so it moves in
# constant-velocity stretches joined by short eases.
W1, W2, W3 = 10.0, 1.0, 100.0
# HiGHS's time grows faster than the frame count (300 frames 58 ms, 900 290 ms, 2700 2.3 s): longer shots
# are solved on every k-th frame and interpolated linearly, which keeps a piecewise-linear path as it is.
MAX_LP_FRAMES = 900
# Motion as the subject when a shot has no face: a pixel "moves" when its blurred level changes by this
# much between samples; the moving area must be a part of the frame, not all of it (a pan, a flash).
MOTION_LEVEL = 12.0
MOTION_AREA = (0.002, 0.35)
MOTION_WIDTH = 160
# The moving box is the extent of what moved with this share of the moving pixels left off each side (a
# stray speck far away must not widen it); a mean ± one standard deviation held only 58 % of a sliding
# square's width, and the crop cut the rest off.
MOTION_TRIM = 0.01


@dataclass(frozen=True)
class Shot:
    """One shot of the render, in output frames [start, end), and how its crop was chosen."""

    start: int
    end: int
    subject: str  # "face", "faces", "motion" or "none"
    static: bool
    dropped: int = 0  # faces left out of the crop: they could not fit beside the one kept


@dataclass(frozen=True)
class Reframe:
    """The crop's top-left corner (source display px) for every output frame, and what each shot did."""

    path: tuple[tuple[float, float], ...]
    size: tuple[float, float]  # the crop's (w, h) in source display px
    shots: tuple[Shot, ...]
    notes: tuple[str, ...] = field(default=())
    # Seconds of the window the analysis saw when decoding stopped early (None: all of it).
    analysed: float | None = None

    def describe(self) -> str:
        """'smart: 2 shots, 1 static, 1 moving crop following a face'."""
        n = len(self.shots)
        parts = [f"{n} shot{'s' if n != 1 else ''}"]
        still = sum(s.static for s in self.shots)
        if still:
            parts.append(f"{still} static")
        for subject, words in (("face", "a face"), ("faces", "faces"), ("motion", "the motion")):
            moving = sum(1 for s in self.shots if not s.static and s.subject == subject)
            if moving:
                parts.append(f"{moving} moving crop{'s' if moving > 1 else ''} following {words}")
        if self.analysed is not None:
            parts.append(f"framed from the first {self.analysed:.1f} s (decoding stopped)")
        return "smart: " + ", ".join(parts)


@dataclass(frozen=True)
class Sample:
    """What one analysed frame holds: its time (s from the window's start) and the faces / motion found."""

    time: float
    faces: tuple[Face, ...]  # in source display px, persistence not yet checked
    motion: tuple[float, float, float, float] | None = None  # the moving area: x0, x1, y0, y1 (fractions)


def analyse(info: MediaInfo, start: float, frames: int, fps: float, out_aspect: float) -> Reframe:
    """Decode `frames / fps` seconds from `start`, find the shots and their subjects, and solve the path.

    Output frame i is taken to show the source at `start + i / fps` (how retime maps the rates)."""
    video = info.primary_video
    assert video is not None
    samples, cut_times, stopped = _decode(info, start, frames / fps)
    found = frame_path(
        samples, cut_times, frames, fps, (video.display_width, video.display_height), out_aspect
    )
    if stopped is None:
        return found
    # A render's warning, not a log line on stderr: the path past the last sample holds what was seen.
    seen = samples[-1].time if samples else 0.0
    note = (
        f"smart: {info.path.name}: the analysis stopped decoding near {start + seen:.1f} s ({stopped}): "
        f"the crop after that holds where the subject was last seen"
    )
    return dataclasses.replace(found, notes=(*found.notes, note), analysed=seen)


def frame_path(
    samples: Sequence[Sample],
    cut_times: Sequence[float],
    frames: int,
    fps: float,
    src: tuple[int, int],
    out_aspect: float,
) -> Reframe:
    """The crop path for `frames` output frames from what the samples hold, shot by shot."""
    cw, ch = crop_size(src, out_aspect)
    bounds = [round(t * fps) for t in cut_times]
    edges = [0, *sorted({b for b in bounds if 0 < b < frames}), frames]
    axis = 0 if src[0] / src[1] > out_aspect else 1
    span, free = (cw, src[0]) if axis == 0 else (ch, src[1])
    positions = np.zeros(frames)
    shots: list[Shot] = []
    notes: list[str] = []
    for a, b in itertools.pairwise(edges):
        inside = [s for s in samples if a / fps - 0.5 / fps <= s.time < b / fps - 0.5 / fps]
        shot, track, dropped = _shot_subject(inside, axis, span, src)
        if dropped:
            notes.append(
                f"smart: shot {len(shots) + 1} ({a / fps:.1f}-{b / fps:.1f} s) has faces too far apart for "
                f"one crop: the crop follows the largest, most central one"
            )
        times = (np.arange(a, b) + 0.0) / fps
        lo, hi, centre = _bounds(track, times, span, free)
        if lo is None:
            positions[a:b] = (free - span) / 2
            shots.append(Shot(a, b, "none", True))
            continue
        assert hi is not None and centre is not None
        path, static = solve_shot(lo, hi, centre, span)
        positions[a:b] = path
        shots.append(Shot(a, b, shot, static, dropped))
    if all(s.subject == "none" for s in shots):
        notes.append("smart: no face or moving subject found: a static centre crop")
    fixed = (src[1] - ch) / 2 if axis == 0 else (src[0] - cw) / 2
    path_xy = tuple((float(p), fixed) if axis == 0 else (fixed, float(p)) for p in positions)
    return Reframe(path_xy, (cw, ch), tuple(shots), tuple(notes))


def crop_size(src: tuple[int, int], aspect: float) -> tuple[float, float]:
    """The largest box of `aspect` (w/h) in `src` (the renderer rounds it to even pixels)."""
    sw, sh = src
    return (sh * aspect, float(sh)) if sw / sh > aspect else (float(sw), sw / aspect)


def _decode(info: MediaInfo, start: float, seconds: float) -> tuple[list[Sample], list[float], str | None]:
    """One PyAV pass over the window: every frame feeds the cut meter, SAMPLE_FPS of them are searched.
    Returns the samples, the cuts' times and why decoding stopped early (None: it did not)."""
    video = info.primary_video
    assert video is not None
    rotation = video.rotation % 360
    dw, dh = video.display_width, video.display_height
    scale = min(1.0, ANALYSIS_LONG / max(dw, dh))
    aw, ah = max(16, round(dw * scale)), max(16, round(dh * scale))
    # Sizes before the rotation PyAV does not apply (ffmpeg's autorotate does, in the render).
    coded = (ah, aw) if rotation in (90, 270) else (aw, ah)
    thumb = _thumb_size(dw, dh)
    thumb_coded = (thumb[1], thumb[0]) if rotation in (90, 270) else thumb
    rate = float(video.avg_rate or video.real_rate or 30)
    meter = CutMeter(rate)
    samples: list[Sample] = []
    greys: list[np.ndarray] = []
    stopped: str | None = None
    next_sample = 0.0
    import av

    with open_container(info.path) as container:
        stream = container.streams[video.index]
        stream.codec_context.thread_type = "AUTO"
        # Faces and cuts read fine without deblocking; the decode is most of the analysis's time.
        stream.codec_context.options = {"skip_loop_filter": "all"}
        base = float(stream.start_time * stream.time_base) if stream.start_time and stream.time_base else 0.0
        if start > 0 and stream.time_base is not None:
            # As ffmpeg's -ss does: from the stream's first timestamp, back to the keyframe before.
            container.seek(int((base + start) / stream.time_base), stream=stream, backward=True)
        index = 0
        try:
            for frame in container.decode(stream):
                if frame.pts is None or frame.time_base is None:
                    rel = index / rate - start
                else:
                    rel = float(frame.pts * frame.time_base) - base - start
                index += 1
                if rel < -0.5 / rate:
                    continue
                if rel >= seconds:
                    break
                meter.add(rel, _rotate(_thumb(frame, thumb_coded), rotation))
                if rel + 0.5 / rate < next_sample:
                    continue
                next_sample += 1.0 / SAMPLE_FPS
                rgb = _rotate(frame.to_ndarray(width=coded[0], height=coded[1], format="rgb24"), rotation)
                faces = tuple(
                    Face(tuple(v / scale for v in f.box), f.score)  # type: ignore[arg-type]
                    for f in detect_faces(rgb, FOOTAGE_MIN_SCORE)
                    if (f.box[3] - f.box[1]) >= MIN_FACE_HEIGHT * ah and frontal(f)
                )
                greys.append(_motion_grey(rgb))
                samples.append(Sample(rel, faces))
        except av.error.FFmpegError as exc:
            stopped = str(exc.strerror or exc)
    pairs = [_motion(a, b, dw, dh) for a, b in itertools.pairwise(greys)]
    boxes = motion_boxes(pairs)
    samples = [dataclasses.replace(s, motion=m) for s, m in zip(samples, boxes, strict=True)]
    return samples, meter.cuts(), stopped


def frontal(face: Face) -> bool:
    """Whether the landmarks look like a face turned to the camera: the eyes at least MIN_EYE_SPAN of the
    box apart and the nose tip between them (a face without landmarks is taken as it is)."""
    if len(face.landmarks) < 3:
        return True
    (ex0, _), (ex1, _), (nx, _) = face.landmarks[:3]
    width = face.box[2] - face.box[0]
    lo, hi = min(ex0, ex1), max(ex0, ex1)
    return width > 0 and hi - lo >= MIN_EYE_SPAN * width and lo < nx < hi


def _thumb(frame: Any, size: tuple[int, int]) -> np.ndarray:
    """The cut meter's Y/U/V thumbnail, area-averaged from the decoded planes (a swscale conversion of
    every 1080p frame cost 6 ms; this, under 1 ms)."""
    y, u, v, _ = _planes(frame)
    return np.dstack([cv2.resize(p, size, interpolation=cv2.INTER_AREA) for p in (y, u, v)])


def _thumb_size(w: int, h: int) -> tuple[int, int]:
    short = THUMB_SHORT
    return (max(short, round(w * short / h)), short) if w >= h else (short, max(short, round(h * short / w)))


def _rotate(arr: np.ndarray, rotation: int) -> np.ndarray:
    # PyAV's frame.rotation is the angle ffmpeg's autorotate undoes, counter-clockwise (as np.rot90 turns).
    return np.ascontiguousarray(np.rot90(arr, rotation // 90)) if rotation else arr


def _motion_grey(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    size = (MOTION_WIDTH, max(8, round(h * MOTION_WIDTH / w)))
    grey = cv2.cvtColor(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
    return cv2.GaussianBlur(grey, (5, 5), 1.5).astype(np.float32)


Box = tuple[float, float, float, float]  # x0, x1, y0, y1 as fractions of the frame


def _motion(before: np.ndarray, after: np.ndarray, dw: int, dh: int) -> Box | None:
    """The box of what moved between two samples (where it was and where it went: x0, x1, y0, y1 as
    fractions of the frame), or None."""
    moving = np.abs(after - before) > MOTION_LEVEL  # blurred first (_motion_grey): grain does not count
    area = float(moving.mean())
    if not MOTION_AREA[0] <= area <= MOTION_AREA[1]:
        return None
    spans = []
    for axis in (0, 1):
        weights = moving.sum(axis=axis).astype(np.float64)  # axis 0: per column (x)
        share = np.cumsum(weights) / weights.sum()
        first = int(np.searchsorted(share, MOTION_TRIM, side="right"))
        last = int(np.searchsorted(share, 1 - MOTION_TRIM, side="left"))
        spans += [first / weights.size, (last + 1) / weights.size]
    return spans[0], spans[1], spans[2], spans[3]


def motion_boxes(pairs: Sequence[Box | None]) -> list[Box | None]:
    """Per sample (one more than `pairs`, the motion between neighbouring samples), the box of what moves
    at that sample's time. What moved from sample i-1 to i spans both places, and so does what moved from
    i to i+1: where the two overlap is where it is at i (exactly, for a steady move; a turn only widens
    it). The first and last samples have one neighbour, and take its box whole."""
    n = len(pairs) + 1 if pairs else 0
    boxes: list[Box | None] = []
    for i in range(n):
        near = [b for b in (pairs[i - 1] if i > 0 else None, pairs[i] if i < n - 1 else None) if b]
        if not near:
            boxes.append(None)
        elif len(near) == 1:
            boxes.append(near[0])
        else:
            (a0, a1, a2, a3), (b0, b1, b2, b3) = near
            x0, x1, y0, y1 = max(a0, b0), min(a1, b1), max(a2, b2), min(a3, b3)
            # No overlap: two things moved, not one: keep both in view.
            both = (min(a0, b0), max(a1, b1), min(a2, b2), max(a3, b3))
            boxes.append((x0, x1, y0, y1) if x0 < x1 and y0 < y1 else both)
    return boxes


def _persistent(samples: Sequence[Sample]) -> list[list[Face]]:
    """Per sample, the faces also seen (overlapping) in the sample before or after it."""
    kept: list[list[Face]] = []
    for i, s in enumerate(samples):
        near = [samples[j].faces for j in (i - 1, i + 1) if 0 <= j < len(samples)]
        kept.append([f for f in s.faces if any(_overlap(f, g) for faces in near for g in faces)])
    return kept


def _overlap(a: Face, b: Face) -> bool:
    """Whether two faces in neighbouring samples can be the same one: centres at most NEAR face widths
    apart (a man crossing bikes.mp4 moves 1.5-2.7 widths between samples, overlapping nothing)."""
    ax0, ay0, ax1, ay1 = a.box
    bx0, by0, bx1, by1 = b.box
    reach = NEAR * max(ax1 - ax0, bx1 - bx0)
    return abs((ax0 + ax1 - bx0 - bx1) / 2) <= reach and abs((ay0 + ay1 - by0 - by1) / 2) <= reach


def _shot_subject(
    samples: Sequence[Sample], axis: int, span: float, src: tuple[int, int]
) -> tuple[str, list[tuple[float, float, float]], int]:
    """The subject's (time, lo, hi) on the free axis per sample, what it is, and how many faces were
    dropped because they could not share the crop."""
    faces = _persistent(samples)
    size = src[axis]
    room = span * (1 - 2 * EDGE_MARGIN)
    track: list[tuple[float, float, float]] = []
    dropped = 0
    several = False
    if any(faces):
        for s, found in zip(samples, faces, strict=True):
            if not found:
                continue
            spans = [(f.box[axis], f.box[axis + 2]) for f in found]
            lo, hi = min(a for a, _ in spans), max(b for _, b in spans)
            if hi - lo > room:
                # Blurring this shot alone needs per-shot fits in the renderer: keep the largest face,
                # nearest the middle on a tie, and say so.
                centre = size / 2
                best = max(
                    found, key=lambda f: (_area(f), -abs((f.box[axis] + f.box[axis + 2]) / 2 - centre))
                )
                lo, hi = best.box[axis], best.box[axis + 2]
                dropped = max(dropped, len(found) - 1)
            elif len(found) > 1:
                several = True
            track.append((s.time, lo, hi))
        return ("faces" if several else "face"), track, dropped
    moving = [
        (s.time, s.motion[2 * axis] * size, s.motion[2 * axis + 1] * size)
        for s in samples
        if s.motion is not None
    ]
    if len(moving) < 2:  # one sample's motion is a flicker, not a subject
        return "none", [], 0
    # The box of what moves is kept inside the crop as a face's is (a running median of its centre lagged
    # at a turn and cut the subject off there).
    return "motion", moving, 0


def _area(f: Face) -> float:
    return (f.box[2] - f.box[0]) * (f.box[3] - f.box[1])


def _bounds(
    track: list[tuple[float, float, float]], times: np.ndarray, span: float, free: float
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """Per output frame, the range of crop positions that keep the subject in frame, and the position that
    centres it; the subject between samples is interpolated linearly, and before the first sample and
    after the last it may be where it was or where its last step was taking it (for at most one step)."""
    if not track:
        return None, None, None
    ts = np.array([t for t, _, _ in track])
    lo_s = _reach(times, ts, np.array([a for _, a, _ in track]), np.minimum)
    hi_s = _reach(times, ts, np.array([b for _, _, b in track]), np.maximum)
    centre = (lo_s + hi_s) / 2
    margin = EDGE_MARGIN * span
    lo = np.maximum(hi_s + margin - span, centre - (1 - CENTRE_BAND) * span)
    hi = np.minimum(lo_s - margin, centre - CENTRE_BAND * span)
    wide = lo > hi  # a subject wider than the crop: centre it
    lo[wide] = hi[wide] = centre[wide] - span / 2
    top = max(0.0, free - span)
    lo, hi = np.clip(lo, 0.0, top), np.clip(hi, 0.0, top)
    return lo, hi, np.clip(centre - span / 2, 0.0, top)


def _reach(times: np.ndarray, ts: np.ndarray, values: np.ndarray, widest: Any) -> np.ndarray:
    """`values` at `times`: interpolated between the samples; outside them, the nearer sample's value and
    its step's continuation (up to one step's time) both, the widest (`widest`: np.minimum for a low edge,
    np.maximum for a high one). A subject moving at the window's ends was cut off when held flat."""
    out = np.interp(times, ts, values)
    if len(ts) < 2:
        return out
    for at, ref, other in ((times < ts[0], 0, 1), (times > ts[-1], -1, -2)):
        if not at.any():
            continue
        step = ts[ref] - ts[other]
        if step == 0:
            continue
        slope = (values[ref] - values[other]) / step
        ahead = np.clip(times[at] - ts[ref], -abs(step), abs(step))
        out[at] = widest(values[ref], values[ref] + slope * ahead)
    return out


def solve_shot(lo: np.ndarray, hi: np.ndarray, centre: np.ndarray, span: float) -> tuple[np.ndarray, bool]:
    """One shot's crop positions inside [lo, hi] per frame: a still crop when one position serves every
    frame (or the subject barely moves), else the L1-optimal smooth path. Returns (path, static)."""
    n = len(lo)
    top, bottom = float(lo.max()), float(hi.min())
    if top <= bottom or float(np.ptp(centre)) < STATIC_RANGE * span:
        # The position nearest the subject's typical centre that every frame allows (or, when none does,
        # the middle of the conflict).
        want = float(np.median(centre))
        position = min(max(want, top), bottom) if top <= bottom else (top + bottom) / 2
        return np.full(n, position), True
    return solve_path(lo, hi), False


def solve_path(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The path p with lo <= p <= hi minimising W1·Σ|Δp| + W2·Σ|Δ²p| + W3·Σ|Δ³p| (a linear program,
    solved by HiGHS); over MAX_LP_FRAMES frames it is solved on every k-th one and interpolated."""
    n = len(lo)
    if n < 4:
        return (lo + hi) / 2
    if n > MAX_LP_FRAMES:
        k = math.ceil(n / MAX_LP_FRAMES)
        idx = np.arange(0, n, k)
        if idx[-1] != n - 1:
            idx = np.append(idx, n - 1)
        # Each kept frame takes the tightest bounds of the frames around it, so the interpolated path
        # between two of them keeps the constraints of the frames it skips.
        lo_k = np.array([lo[max(0, i - k + 1) : i + k].max() for i in idx])
        hi_k = np.array([hi[max(0, i - k + 1) : i + k].min() for i in idx])
        clash = lo_k > hi_k
        lo_k[clash] = hi_k[clash] = (lo_k[clash] + hi_k[clash]) / 2
        return np.interp(np.arange(n), idx, solve_path(lo_k, hi_k))
    from scipy import sparse
    from scipy.optimize import linprog

    blocks = []
    costs = [np.zeros(n)]
    sizes = []
    for order, weight in ((1, W1), (2, W2), (3, W3)):
        d = sparse.eye(n, format="csr")
        for _ in range(order):
            d = d[1:] - d[:-1]
        m = d.shape[0]
        sizes.append(m)
        costs.append(np.full(m, weight))
        blocks.append(d)
    total = n + sum(sizes)
    rows = []
    offset = n
    for d, m in zip(blocks, sizes, strict=True):
        slack = sparse.csr_matrix((np.full(m, -1.0), (np.arange(m), offset + np.arange(m))), shape=(m, total))
        wide = sparse.hstack([d, sparse.csr_matrix((m, total - n))], format="csr")
        rows += [wide + slack, -wide + slack]  # -e <= D p <= e
        offset += m
    a_ub = sparse.vstack(rows, format="csr")
    bounds = [(float(a), float(b)) for a, b in zip(lo, hi, strict=True)] + [(0.0, None)] * sum(sizes)
    result = linprog(np.concatenate(costs), A_ub=a_ub, b_ub=np.zeros(a_ub.shape[0]), bounds=bounds,
                     method="highs")  # fmt: skip
    if result.status != 0 or result.x is None:
        log.warning(
            "the crop path's linear program failed (%s): following the subject's centre", result.message
        )
        return (lo + hi) / 2
    return np.clip(np.asarray(result.x[:n]), lo, hi)
