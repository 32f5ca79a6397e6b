"""Loop-point search: where footage loops best, for how long, and as which loop (cut, crossfade, ping-pong).

The idea is Schödl et al.'s "Video Textures" (SIGGRAPH 2000): a jump from frame i to frame j is invisible
when j looks like the frame that would have followed i, and stays invisible when the frames around i and j
match too (so the motion continues across the jump, not only the picture). One decode pass gives small
grey frames at the output rate; every window of an allowed length is scored per loop mode in units of the
window's own ordinary frame step, the unit the deep check's `loop-seam` rule measures in. The best
windows are then measured by `measure_loop` on the exact frames the loop would hold.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import cv2
import numpy as np

from mediakit.analysis.cuts import THUMB_SHORT, CutMeter
from mediakit.analysis.frames import LUMA_SHORT, _planes, scaled
from mediakit.analysis.loop import (
    SEAM_LIMIT,
    STALL_NEIGHBOUR_FRACTION,
    STALL_RATIO,
    STEP_FLOOR,
    LoopReport,
    measure_loop,
)
from mediakit.probe import MediaInfo, open_container

__all__ = [
    "MODES",
    "LoopCandidate",
    "Scan",
    "loop_frames",
    "scan",
    "scan_frames",
    "search_loops",
    "shortfalls",
    "verify",
]

MODES = ("cut", "crossfade", "pingpong")
# Short side of the grey frames the search compares. Area-reduced from 1080p that is a 30x average, about
# the blur measure_loop puts on its 270 px frames (sigma 4.5 px), so STEP_FLOOR keeps its meaning here.
SEARCH_SHORT = 36
# Schödl's filter over the jump: the frames two before to one after the wrap, binomial weights. A single
# matching frame is not enough: a pendulum matches itself at both ends of a swing, moving the other way.
_TAPS = (-2, -1, 0, 1)
_WEIGHTS = np.array([1.0, 3.0, 3.0, 1.0]) / 8.0
# A window may not hold a still or black stretch longer than this (the deep check's black-frozen rule
# warns from 0.5 s on a canvas): a loop of a picture that stops is no loop of motion.
HOLD_SECONDS = 0.5
# Luma code (limited range) under which a grey frame's brightest 2 % counts as black (blackdetect's 0.1).
_BLACK_CODE = 16 + 0.1 * 219
# A dissolve's frames are blends: the worst one (halfway) strays half the mismatch from either picture.
_CROSSFADE_VISIBLE = 0.5
# Ties go to the loop that changes the footage least: a cut shows it untouched, a crossfade blends a
# second of it, a ping-pong plays half of it backwards. In ordinary steps, far below a visible difference.
# A crossfade (score 0.5 m + 0.25) beats a cut (m) only once the cut's mismatch m passes 0.5 steps, about
# where its measured seam passes SEAM_LIMIT.
_MODE_COST = {"cut": 0.0, "crossfade": 0.25, "pingpong": 0.3}
# The measured seam the pick should stay under (see LoopCandidate.safe).
SAFE_SEAM = 1.0
# The search reads at most this much of the footage from its start: a loop of seconds is found in
# minutes of footage, and an hour-long concert would need GBs and an hour's decode (see Scan.clipped).
SEARCH_SECONDS = 600.0
# Two candidates starting closer than this are one choice, not two: the list shows different places.
_DISTINCT_SECONDS = 1.0
# ffmpeg's framerate filter (the renderer's rate conversion when no whole step fits: rendering.footage
# .retime) blends the two source frames around each output time, linear in time, except within
# 15/256 of a source interval of either frame (its interp_start and interp_end), where it shows that frame.
_INTERP_START = 15 / 256
_INTERP_END = 240 / 256


class _Blender:
    """Output frames at `fps` from source frames given in time order, as ffmpeg's framerate shows them:
    output times from the first source frame on, each a blend of the source frames before and after it
    (see _INTERP_START). Payloads are tuples of arrays, blended alike."""

    def __init__(self, fps: Fraction) -> None:
        self.period = 1 / float(fps)
        self.origin: float | None = None
        self.k = 0
        self.prev: tuple[float, tuple[np.ndarray, ...]] | None = None

    def _time(self) -> float:
        assert self.origin is not None
        return self.origin + self.k * self.period

    def push(self, t: float, items: tuple[np.ndarray, ...]) -> list[tuple[float, tuple[np.ndarray, ...]]]:
        out: list[tuple[float, tuple[np.ndarray, ...]]] = []
        if self.prev is None:
            self.origin, self.prev = t, (t, items)
            return out
        t0, before = self.prev
        if t <= t0:  # a repeated or backwards timestamp: framerate keeps the newer picture
            self.prev = (t0, items)
            return out
        while self._time() < t:
            w = (self._time() - t0) / (t - t0)
            if w > _INTERP_END:
                mixed = items
            elif w < _INTERP_START:
                mixed = before
            else:
                mixed = tuple(_mix(a, b, w) for a, b in zip(before, items, strict=True))
            out.append((self._time(), mixed))
            self.k += 1
        self.prev = (t, items)
        return out

    def flush(self, until: float) -> list[tuple[float, tuple[np.ndarray, ...]]]:
        """The last source frame, held until `until` s (one source interval after it, as framerate does)."""
        out: list[tuple[float, tuple[np.ndarray, ...]]] = []
        if self.prev is None:
            return out
        while self._time() < until:
            out.append((self._time(), self.prev[1]))
            self.k += 1
        return out


def _mix(a: np.ndarray, b: np.ndarray, w: float) -> np.ndarray:
    mixed = a.astype(np.float32) * (1 - w) + b.astype(np.float32) * w
    return mixed if a.dtype == np.float32 else np.round(mixed).astype(a.dtype)


@dataclass(frozen=True)
class LoopCandidate:
    """One loop the footage can give: `frames` output frames at `fps` from `start` s, as `mode`.

    `score` is the predicted mismatch at the loop's wrap in ordinary frame steps (lower is better; see
    search_loops); `seam` and `stalls` are measure_loop's figures on the exact frames, once verified.
    """

    start: float
    frames: int
    fps: Fraction
    mode: str
    score: float
    motion: float  # the window's median frame step, 0-255 levels on the search frames
    repeated: bool = False  # the search saw a repeated frame inside (ranked after every window without)
    seam: float | None = None
    stalls: tuple[int, ...] = ()

    @property
    def seconds(self) -> float:
        return float(self.frames / self.fps)

    @property
    def verified(self) -> bool:
        return self.seam is not None

    def safe(self) -> bool:
        """ok() with room for the encoder: a seam measured on the source moved by up to 0.2 once rendered
        (bigbuckbunny's pick: 1.09 on the source, 1.28 on the encoded canvas)."""
        return self.ok() and self.seam is not None and self.seam <= SAFE_SEAM and not self.repeated

    def ok(self) -> bool:
        """Whether the measured loop passes the deep check's rule (seam <= SEAM_LIMIT, no stalls)."""
        return self.seam is not None and self.seam <= SEAM_LIMIT and not self.stalls


@dataclass(frozen=True)
class Scan:
    """The footage at the output rate, reduced: grey search frames and what each may not be part of."""

    times: np.ndarray  # seconds of each output frame from the container's start (what --start takes)
    frames: np.ndarray  # (n, h, w) float32 grey
    fps: Fraction
    cut_before: np.ndarray  # bool: a hard cut lands on this frame (the step into it)
    held: np.ndarray  # bool: frame is in a still or black stretch over HOLD_SECONDS
    decoded: int  # source frames decoded
    seconds: float  # of footage decoded
    clipped: bool = False  # the footage goes on past what was searched (SEARCH_SECONDS)

    @property
    def steps(self) -> np.ndarray:
        return _lag_distance(self.frames.reshape(len(self.frames), -1), 1)


Region = tuple[float, float, float, float]  # x, y, w, h as fractions of the displayed picture


def _cropper(info: MediaInfo, region: Region | None) -> Callable[[np.ndarray, int], np.ndarray]:
    """Cuts a decoded plane (subsampled by 1 or 2) to `region`, the part of the picture the canvas shows.

    A rotated video decodes unrotated: its region is turned to match (90: x from the top, y from the
    right)."""
    video = info.primary_video
    if region is None or video is None:
        return lambda plane, sub: plane
    x, y, w, h = region
    rot = video.rotation % 360
    if rot == 90:
        x, y, w, h = y, 1 - x - w, h, w
    elif rot == 180:
        x, y = 1 - x - w, 1 - y - h
    elif rot == 270:
        x, y, w, h = 1 - y - h, x, h, w

    def cut(plane: np.ndarray, sub: int) -> np.ndarray:
        ph, pw = plane.shape
        x0, y0 = int(x * pw), int(y * ph)
        return plane[y0 : max(y0 + 1, round((y + h) * ph)), x0 : max(x0 + 1, round((x + w) * pw))]

    return cut


def scan(
    info: MediaInfo,
    fps: Fraction,
    step: int,
    on_progress: Callable[[float], None] | None = None,
    region: Region | None = None,
    limit: float = SEARCH_SECONDS,
) -> Scan:
    """One reduced decode of the first video stream at the output rate: every `step`-th frame (step 0:
    the source frames blended at each output time, as the renderer's rate conversion shows them), of
    `region` (the part the render shows: a repeated frame or a jump counts where it is seen), up to
    `limit` s into the footage.

    The loop filter is skipped on every frame (about a third of the decoder's time at 1080p); at the
    search size the difference is a fraction of a level, and the chosen loop is measured on an exact
    decode afterwards (verify).
    """
    import av

    video = info.primary_video
    if video is None:
        raise ValueError("no video stream")
    duration = float(info.duration or 0) or None
    times: list[float] = []
    greys = _Stack()
    meter = CutMeter(float(fps))
    sizes: tuple[tuple[int, int], tuple[int, int], tuple[int, int]] | None = None
    decoded = 0
    blender = _Blender(fps)
    interval = 1 / float(fps)  # the last source frame interval (how long framerate holds the last frame)
    last_t: float | None = None
    cut = _cropper(info, region)
    clipped = False
    with open_container(info.path) as container:
        origin = float(container.start_time or 0) / 1_000_000
        stream = container.streams[video.index]
        stream.codec_context.thread_type = "AUTO"
        stream.codec_context.options = {"skip_loop_filter": "all"}
        try:
            for frame in container.decode(stream):
                index = decoded
                decoded += 1
                if frame.pts is None or frame.time_base is None:
                    t = index / float(video.avg_rate or fps)
                else:
                    t = float(Fraction(frame.pts) * Fraction(frame.time_base)) - origin
                if t >= limit:
                    clipped = True
                    break
                if step >= 1 and index % step:
                    continue
                y, u, v, _ = _planes(frame)
                y, u, v = cut(y, 1), cut(u, 2), cut(v, 2)
                if sizes is None:
                    h, w = y.shape
                    grey = scaled(w, h, SEARCH_SHORT)
                    thumb = scaled(w, h, THUMB_SHORT)
                    # Point taps to 4x the size, then an area average: the plane is read once, sparsely.
                    mid = (min(w, grey[0] * 4), min(h, grey[1] * 4))
                    sizes = (grey, thumb, mid)
                grey_size, thumb_size, mid_size = sizes
                small_y = cv2.resize(y, mid_size, interpolation=cv2.INTER_NEAREST)
                g = cv2.resize(small_y, grey_size, interpolation=cv2.INTER_AREA).astype(np.float32)
                yuv = np.dstack(
                    [
                        cv2.resize(small_y, thumb_size, interpolation=cv2.INTER_AREA),
                        cv2.resize(u, thumb_size, interpolation=cv2.INTER_AREA),
                        cv2.resize(v, thumb_size, interpolation=cv2.INTER_AREA),
                    ]
                )
                if step >= 1:
                    _add(times, greys, meter, t, g, yuv)
                else:
                    for bt, (bg, byuv) in blender.push(t, (g, yuv)):
                        _add(times, greys, meter, bt, bg, byuv)
                    if last_t is not None and t > last_t:
                        interval = t - last_t
                    last_t = t
                if on_progress is not None and duration and index % 30 == 0:
                    on_progress(min(1.0, t / duration))
        except av.error.FFmpegError:
            pass  # damage is validate's business: the search uses what decodes
    if last_t is not None:
        for bt, (bg, byuv) in blender.flush(last_t + interval):
            _add(times, greys, meter, bt, bg, byuv)
    arr = greys.array()
    n = len(arr)
    cuts = set(meter.cuts())
    cut_flags = np.array([t in cuts for t in times], dtype=bool)
    return Scan(
        times=np.asarray(times, dtype=np.float64),
        frames=arr,
        fps=fps,
        cut_before=cut_flags,
        held=_held(arr, fps) if n else np.zeros(0, bool),
        decoded=decoded,
        seconds=(times[-1] - times[0] + 1 / float(fps)) if times else 0.0,
        clipped=clipped,
    )


def scan_frames(frames: np.ndarray, fps: Fraction, cuts: Iterable[int] = ()) -> Scan:
    """A Scan of grey frames already at the output rate (tools and tests), with hard cuts on the frames
    given by index (decoded footage finds its own: scan)."""
    arr = np.asarray(frames, dtype=np.float32)
    n = len(arr)
    cut_before = np.zeros(n, bool)
    cut_before[list(cuts)] = True
    times = np.arange(n) / float(fps)
    return Scan(times, arr, fps, cut_before, _held(arr, fps), n, n / float(fps))


class _Stack:
    """Frames appended into one growing array: a list of frames and np.stack at the end would hold the
    footage twice at the peak."""

    def __init__(self) -> None:
        self.buffer: np.ndarray | None = None
        self.n = 0

    def append(self, frame: np.ndarray) -> None:
        if self.buffer is None:
            self.buffer = np.empty((256, *frame.shape), np.float32)
        elif self.n == len(self.buffer):  # grown by a quarter: the copy's peak stays near the footage's size
            grown = np.empty((self.n + max(256, self.n // 4), *frame.shape), np.float32)
            grown[: self.n] = self.buffer
            self.buffer = grown
        self.buffer[self.n] = frame
        self.n += 1

    def array(self) -> np.ndarray:
        if self.buffer is None:
            return np.zeros((0, SEARCH_SHORT, SEARCH_SHORT), np.float32)
        return self.buffer[: self.n]


def _add(times: list[float], greys: _Stack, meter: CutMeter, t: float, g: np.ndarray,
         yuv: np.ndarray) -> None:  # fmt: skip
    times.append(t)
    # float32, not float16: numpy has no fast half-precision arithmetic (the search took twice as long).
    greys.append(g)
    meter.add(t, yuv)


def _held(frames: np.ndarray, fps: Fraction) -> np.ndarray:
    """Frames inside a still or black stretch longer than HOLD_SECONDS."""
    n = len(frames)
    flat = frames.reshape(n, -1)
    out = np.zeros(n, bool)
    longest = HOLD_SECONDS * float(fps)  # in frame steps
    black = np.percentile(flat, 98, axis=1) <= _BLACK_CODE
    # Frames i..j are still when every step between them is noise (under STEP_FLOOR).
    quiet = _lag_distance(flat, 1) < STEP_FLOOR
    for flags, extra in ((black, 0), (quiet, 1)):
        i = 0
        while i < len(flags):
            if not flags[i]:
                i += 1
                continue
            j = i
            while j < len(flags) and flags[j]:
                j += 1
            if j - i + extra - 1 >= longest:  # black: j - i frames; still: j - i steps
                out[i : j + extra] = True
            i = j
    return out


def _repeats(steps: np.ndarray) -> np.ndarray:
    """Frames (by index) that repeat the one before in the middle of motion: measure_loop's stall rule,
    with the footage's median step for "real motion"."""
    out = np.zeros(len(steps) + 1, bool)
    if len(steps) < 3:
        return out
    neighbour = np.minimum(steps[:-2], steps[2:])
    middle = steps[1:-1]
    floor = max(STALL_NEIGHBOUR_FRACTION * float(np.median(steps)), STEP_FLOOR)
    out[2:-1] = (middle < STALL_RATIO * neighbour) & (neighbour > floor)
    return out


def _lag_distance(flat: np.ndarray, lag: int) -> np.ndarray:
    """mean |f[i + lag] - f[i]| for every i, in blocks so memory stays small on long footage."""
    n = len(flat) - lag
    if n <= 0:
        return np.zeros(0)
    out = np.empty(n)
    block = 512
    for a in range(0, n, block):
        b = min(n, a + block)
        out[a:b] = np.abs(flat[a + lag : b + lag] - flat[a:b]).mean(axis=1)
    return out


def _filtered(d: np.ndarray, count: int) -> np.ndarray:
    """Schödl's filtered match for each start s < count: sum of w_k d[s + k] over the taps that exist,
    the weights renormalised at the ends of the footage."""
    total = np.zeros(count)
    weight = np.zeros(count)
    s = np.arange(count)
    for k, w in zip(_TAPS, _WEIGHTS, strict=True):
        idx = s + k
        have = (idx >= 0) & (idx < len(d))
        total[have] += w * d[idx[have]]
        weight[have] += w
    return np.where(weight > 0, total / np.maximum(weight, 1e-9), np.inf)


def _window_medians(steps: np.ndarray, span: int, count: int) -> np.ndarray:
    """Median of the `span - 1` steps inside each window of `span` frames starting at s < count."""
    if span < 2:
        return np.zeros(count)
    view = np.lib.stride_tricks.sliding_window_view(steps, span - 1)[:count]
    return np.median(view, axis=1)


def _prefix(flags: np.ndarray) -> np.ndarray:
    return np.concatenate(([0], np.cumsum(flags.astype(np.int64))))


def search_loops(
    scanned: Scan,
    lengths: Iterable[int],
    modes: Iterable[str] = MODES,
    *,
    crossfade: float = 1.0,
    top: int = 5,
) -> list[LoopCandidate]:
    """The best loops, best first, at most `top`, starting at least a second apart.

    `lengths` are the loop's output frame counts the preset allows; a ping-pong's is even, as the
    renderer makes it. Scores, in ordinary steps (the window's median step, or STEP_FLOOR when larger):
    - cut: how far the loop's first frame is from the frame that would follow its last one, Schödl-
      filtered over the frames around the wrap (0: the footage itself continues that way);
    - crossfade: the mean distance of the frames the dissolve blends, halved (its blends are halfway);
    - ping-pong: how far the frame each turnaround shows is from the one that would follow, at the worse
      end (about 2 at full speed: a bounce; about 0 where the motion itself comes to rest).
    No window holds a cut, a still or black stretch over HOLD_SECONDS, or a median step under STEP_FLOOR.
    """
    n = len(scanned.frames)
    flat = scanned.frames.reshape(n, -1)
    steps = scanned.steps
    cut_sum = _prefix(scanned.cut_before)
    stall_sum = _prefix(_repeats(steps))
    held_sum = _prefix(scanned.held)
    fps = scanned.fps
    # The best window at each start over every length and mode (rank, score, frames, mode, motion): the
    # pick below never takes two windows at one start, so the others need not be kept. Memory follows the
    # footage's length, not length x lengths x modes (that was 0.5 GB for 5 minutes).
    best_rank = np.full(n, np.iinfo(np.int8).max, np.int8)
    best_score = np.full(n, np.inf)
    best_frames = np.zeros(n, np.int32)
    best_kind = np.zeros(n, np.int8)
    best_motion = np.zeros(n)
    lag_cache: dict[int, np.ndarray] = {}
    median_cache: dict[int, np.ndarray] = {}

    def lag(k: int) -> np.ndarray:
        if k not in lag_cache:
            lag_cache[k] = _lag_distance(flat, k)
        return lag_cache[k]

    def medians(span: int) -> np.ndarray:
        if span not in median_cache:
            median_cache[span] = _window_medians(steps, span, n - span + 1)
        return median_cache[span]

    modes = tuple(modes)
    for out_frames in sorted(set(lengths)):
        for mode in modes:
            if mode == "pingpong":
                if out_frames % 2:
                    continue
                span = out_frames // 2 + 1  # frames s .. s + span - 1 forwards, then back
            elif mode == "crossfade":
                fade = max(2, min(round(crossfade * fps), out_frames // 2))
                span = out_frames + fade
            else:
                span = out_frames
            count = n - span + 1
            if count <= 0 or span < 3:
                continue
            s = np.arange(count)
            flawed = np.zeros(count, bool)  # ranked after the windows without a flaw
            # A cut on the first frame starts the window's shot; one on any later frame is inside it.
            bad = (cut_sum[s + span] - cut_sum[s + 1]) > 0
            bad |= (held_sum[s + span] - held_sum[s]) > 0
            motion = medians(span)
            bad |= motion < STEP_FLOOR
            unit = np.maximum(motion, STEP_FLOOR)
            if mode == "cut":
                mismatch = _filtered(lag(out_frames), count)
            elif mode == "crossfade":
                d = lag(out_frames)
                blended = np.lib.stride_tricks.sliding_window_view(d, fade)[:count].mean(axis=1)
                mismatch = _CROSSFADE_VISIBLE * blended
            else:
                d2 = lag(2)
                end = d2[np.minimum(s + span - 2, len(d2) - 1)]
                # At the footage's first or last frame there is nothing to compare one turnaround with:
                # the other one stands for both.
                end = np.where(s + span < n, end, np.nan)
                begin = np.where(s >= 1, d2[np.maximum(s - 1, 0)], np.nan)
                mismatch = np.fmax(begin, end)
                mismatch = np.where(np.isnan(mismatch), np.inf, mismatch)
                # The wrap (second frame back to the first) as measure_loop reads it once encoding has
                # made the last frame differ from the second: the first step against the window's median
                # and the steps beside it. A first step much faster than those reads as a jump.
                near = np.median(np.lib.stride_tricks.sliding_window_view(steps, 3)[s], axis=1)
                wrap = steps[s] / np.maximum(np.maximum(motion, near), STEP_FLOOR)
                flawed |= wrap > SAFE_SEAM
            # A window holding a repeated frame (footage converted by repeating frames, a dropped frame
            # filled in) fails the deep check whatever its wrap: it ranks after every window without one.
            stalled = (stall_sum[s + span] - stall_sum[s + 1]) > 0
            score = mismatch / unit + _MODE_COST[mode]
            keep = np.flatnonzero(~bad & np.isfinite(score))
            # A repeated frame is a sure failure; a fast first step a likely one.
            rank = (2 * stalled + flawed).astype(np.int8)[keep]
            score = score[keep]
            # Lengths come shortest first and modes in order: on a tie the one kept is the shorter, then
            # the earlier mode.
            better = (rank < best_rank[keep]) | ((rank == best_rank[keep]) & (score < best_score[keep]))
            at = keep[better]
            best_rank[at], best_score[at] = rank[better], score[better]
            best_frames[at], best_kind[at], best_motion[at] = out_frames, modes.index(mode), motion[at]
    starts = np.flatnonzero(np.isfinite(best_score))
    if not len(starts):
        return []
    scores, frames, kinds = best_score[starts], best_frames[starts], best_kind[starts]
    motions, flaws = best_motion[starts], best_rank[starts]
    chosen: list[LoopCandidate] = []
    taken: list[float] = []
    # Windows without a flaw first; then the best score; ties: the earlier, then the shorter.
    for i in np.lexsort((frames, starts, scores, flaws)):
        t = float(scanned.times[starts[i]])
        if any(abs(t - other) < _DISTINCT_SECONDS for other in taken):
            continue
        taken.append(t)
        chosen.append(
            LoopCandidate(
                _start_text(t, fps),
                int(frames[i]),
                fps,
                modes[kinds[i]],
                float(scores[i]),
                float(motions[i]),
                repeated=bool(flaws[i] >= 2),
            )
        )
        if len(chosen) >= top:
            break
    return chosen


def _start_text(t: float, fps: Fraction) -> float:
    """A --start, in hundredths, that selects the frame at `t` and not the one before: ffmpeg keeps the
    frames at or after it, so it is rounded down, a quarter frame early (a frame at 7.26667 s is lost to
    "7.2667" and kept by 7.26)."""
    return max(0.0, math.floor((t - 0.25 / float(fps)) * 100) / 100)


def loop_frames(frames: list[np.ndarray], mode: str, out_frames: int, fade: int) -> list[np.ndarray]:
    """The frames a loop of `mode` shows, from the source frames at the output rate beginning at its start
    (as mediakit renders it: rendering.footage.build_loop and the ping-pong feeder)."""
    if mode == "pingpong":
        forward = frames[: out_frames // 2 + 1]
        return forward + forward[-2:0:-1]
    if mode == "crossfade":
        body = frames[fade : out_frames + fade]
        out = [f.astype(np.float32) for f in body]
        # xfade's fade: the head's weight grows by 1/fade per frame from 0 at the dissolve's first frame.
        for j in range(fade):
            a = out[out_frames - fade + j]
            w = j / fade
            out[out_frames - fade + j] = a * (1 - w) + frames[j].astype(np.float32) * w
        return out
    return frames[:out_frames]


def _exact_frames(
    info: MediaInfo, start: float, count: int, fps: Fraction, step: int, region: Region | None
) -> list[np.ndarray]:
    """`count` luma frames at LUMA_SHORT from `start` s at the output rate, decoded exactly (deblocked), as
    the deep check decodes a loop."""
    import av

    video = info.primary_video
    assert video is not None
    out: list[np.ndarray] = []
    size: tuple[int, int] | None = None
    cut = _cropper(info, region)
    with open_container(info.path) as container:
        origin = float(container.start_time or 0) / 1_000_000
        stream = container.streams[video.index]
        stream.codec_context.thread_type = "AUTO"
        tb = Fraction(stream.time_base) if stream.time_base else Fraction(1, 90000)
        target = start - 1e-6  # what ffmpeg's -ss keeps: frames at or after it
        container.seek(max(0, int((start + origin - 1.0) / tb)), stream=stream, backward=True)
        kept = 0
        blender = _Blender(fps)
        # From the keyframe before the start (up to 10 s before it in camera footage) only the frames
        # others refer to are needed: the rest are skipped until a second before the start, which is
        # more than any decoder's reordering and threading delay.
        stream.codec_context.skip_frame = "NONREF"
        try:
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                t = float(Fraction(frame.pts) * Fraction(frame.time_base)) - origin
                if t >= target - 1.0 and stream.codec_context.skip_frame != "DEFAULT":
                    stream.codec_context.skip_frame = "DEFAULT"
                if t < target:
                    continue
                y = cut(_planes(frame)[0], 1)
                if size is None:
                    size = scaled(y.shape[1], y.shape[0], LUMA_SHORT)
                luma = cv2.resize(y, size, interpolation=cv2.INTER_AREA)
                if step >= 1:
                    if kept % step == 0:
                        out.append(luma)
                    kept += 1
                else:  # blended at each output time from the first kept frame on, as framerate does
                    out += [items[0] for _, items in blender.push(t, (luma,))]
                if len(out) >= count:
                    break
        except av.error.FFmpegError:
            pass
        if blender.prev is not None and len(out) < count:
            out += [items[0] for _, items in blender.flush(blender.prev[0] + 1 / float(fps))]
    return out[:count]


def verify(
    info: MediaInfo,
    candidate: LoopCandidate,
    step: int,
    crossfade: float = 1.0,
    region: Region | None = None,
) -> LoopCandidate:
    """The candidate with measure_loop's seam and stalls on the exact frames its loop shows (of `region`)."""
    fps = candidate.fps
    fade = max(2, min(round(crossfade * fps), candidate.frames // 2))
    need = {"pingpong": candidate.frames // 2 + 1, "crossfade": candidate.frames + fade}.get(
        candidate.mode, candidate.frames
    )
    frames = _exact_frames(info, candidate.start, need, fps, step, region)
    if len(frames) < need:
        return candidate
    report: LoopReport = measure_loop(loop_frames(frames, candidate.mode, candidate.frames, fade))
    seam = report.seam
    if candidate.mode == "pingpong":
        # measure_loop reads a ping-pong's wrap (its second frame back to its first) against that step
        # itself only while the last frame is the second one again; after encoding, the two copies may
        # differ enough that the wrap is read against the medians alone. Held to that reading too.
        seam = max(seam, report.seam_diff / max(report.step_median, report.local_median, STEP_FLOOR))
    return _with(candidate, seam=seam, stalls=report.stalls)


def shortfalls(best: LoopCandidate, max_seam: float | None) -> list[str]:
    """What the picked loop still shows, said truthfully: repeated frames, or a seam over mediakit's own
    bar (SEAM_LIMIT) and, when the preset's loop-seam rule gives one, whether its deep check warns too."""
    out = []
    if best.verified and best.stalls:
        at = [("the wrap" if i == 0 else f"{float(i / best.fps):.2f} s") for i in best.stalls[:3]]
        more = ", ..." if len(best.stalls) > 3 else ""
        out.append(
            "the most seamless loop this footage gives still repeats a frame "
            f"(stalls at {', '.join(at)}{more} of the loop); the deep check flags stalls"
        )
    if best.seam is not None and best.seam > SEAM_LIMIT:
        check = ""
        if max_seam is not None:
            verdict = "warns over" if best.seam > max_seam else "allows up to"
            check = f"; the deep check {verdict} {max_seam:g}"
        out.append(
            f"the most seamless loop this footage gives still shows at the wrap (seam {best.seam:.2f}, over "
            f"mediakit's own bar of {SEAM_LIMIT:g} frame steps{check})"
        )
    return out


def _with(candidate: LoopCandidate, **changes: Any) -> LoopCandidate:
    import dataclasses

    return dataclasses.replace(candidate, **changes)
