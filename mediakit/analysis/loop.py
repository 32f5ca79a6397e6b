"""Loop seam and stall measure: does the wrap from the last frame to the first look like any other step?"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = [
    "BLUR_FRACTION",
    "DIFF_FLOOR",
    "SEAM_NEIGHBOURHOOD",
    "STALL_NEIGHBOUR_FRACTION",
    "STALL_RATIO",
    "LoopReport",
    "measure_loop",
]

# Frames are compared after a Gaussian blur of sigma = short side * BLUR_FRACTION (6 px at 360 wide).
# Per-frame noise (grain, encoder noise, testsrc2's noise patch) adds the same floor to every difference
# and squeezes a real jump towards 1x a step; the blur removes most of it and keeps moderate motion in
# the range where the difference still grows with distance. On a 360x640 testsrc2 clip cut at 1.72 s the
# seam reads 1.39 unblurred and 2.2 with this blur, while a correct ping-pong stays at 1.01.
BLUR_FRACTION = 1 / 60
# Mean-abs-difference floor in 0-255 luma levels for the degenerate still-video case: a twentieth of a
# level counts as "nothing moved", while visible motion on any textured content measures whole levels.
DIFF_FLOOR = 0.05
# A step is a stall candidate when it is this small relative to the smaller of its two neighbours ...
STALL_RATIO = 0.2
# ... and only if those neighbours are real motion, i.e. above this fraction of the median step. A repeat
# inside constant motion has neighbours ≈ 1x the median. 0.5 rather than 0.25: a smooth cosine ease whose
# turnaround falls between two frames samples the same position twice, and its neighbouring steps are
# ≈ 2*pi / (0.7 * frames_per_cycle) of the median (measured 0.14-0.45 for 24-72 frames per cycle on a
# texture); 0.25 flagged those as stalls, 0.5 clears every cycle of 24 frames or more.
STALL_NEIGHBOUR_FRACTION = 0.5
# Steps on each side of the wrap that define "the motion at the seam" (see measure_loop).
SEAM_NEIGHBOURHOOD = 3


@dataclass(frozen=True)
class LoopReport:
    """How a frame sequence behaves when played on repeat.

    Attributes:
        seam: ``seam_diff / max(step_median, local_median)``. About 1 means the wrap (last -> first) is
            an ordinary step;
            much larger is a visible jump; much smaller (≈0) means the first frame repeats the last,
            which also shows up in ``stalls`` as index 0.
        stalls: indices ``i`` whose incoming step (frame ``i-1 -> i``; for ``i == 0`` the wrap
            ``last -> first``) is a near-repeat in the middle of real motion. See :func:`measure_loop`.
        step_median: median mean-abs-difference between consecutive frames (wrap excluded), 0-255 levels.
        local_median: median of the steps next to the wrap (the last and first few), 0-255 levels.
        seam_diff: mean abs difference between the last and the first frame, 0-255 levels.
        steps: the cyclic step diffs; ``steps[0]`` is the wrap, ``steps[i]`` is frame ``i-1 -> i``.
    """

    seam: float
    stalls: tuple[int, ...]
    step_median: float
    local_median: float
    seam_diff: float
    steps: tuple[float, ...]

    def ok(self, seam_limit: float = 1.25) -> bool:
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

    Seam: ``d[0] / max(median(d[1:]), local)``, where ``local`` is the median of the
    :data:`SEAM_NEIGHBOURHOOD` steps on each side of the wrap. A jump shows only when it stands out from
    both the clip's typical step and the motion around the seam: footage that moves faster near its
    start than on average makes a perfect ping-pong wrap (source frame 1 -> 0, the same step as 0 -> 1)
    read 1.37 against the global median alone (measured on testsrc2), 1.09 with this rule; an eased
    still motion is slow near the wrap, so there the global median is the larger and is used. If both
    are below :data:`DIFF_FLOOR` nothing moves and nothing jumps, so the seam is 1.0; if only the
    denominator is, the floor is used (a jump in a still is large).

    Stall rule, applied cyclically to every index ``i`` (so the wrap can stall too)::

        m = min(d[i-1], d[i+1])
        stall  <=>  d[i] < 0.2 * m  and  m > 0.5 * median(d[1:])  and  m > DIFF_FLOOR

    That flags a repeated frame inside real motion — e.g. the duplicated turnaround of a naive
    ping-pong (``…v, v, 0, v, v…``) — but not a smooth ease whose motion slows to ~0 over several frames
    (steps ``5, 3, 1, 1, 3, 5``), nor an ease whose turnaround falls between two frames so that one step
    is exactly zero (``5, 3, 1, 0, 1, 3, 5``): there the neighbours are themselves well below the median.
    A turnaround that is that slow holds for a frame invisibly; the same repeat at full speed is a hitch.
    """
    _validated(frames)
    sigma = min(np.shape(frames[0])) * BLUR_FRACTION if blur_sigma is None else blur_sigma
    if sigma < 0:
        raise ValueError(f"blur_sigma must be >= 0, got {sigma}")
    # One frame at a time rather than one stacked array: a long clip at analysis size would otherwise
    # hold full float copies of itself in memory.
    first = previous = _prepare(frames[0], sigma)
    forward = np.empty(len(frames) - 1)
    for i in range(1, len(frames)):
        current = _prepare(frames[i], sigma)
        forward[i - 1] = _mean_abs_diff(current, previous)
        previous = current
    seam_diff = _mean_abs_diff(first, previous)
    steps = np.concatenate(([seam_diff], forward))  # cyclic layout: steps[i] is the step into frame i
    step_median = float(np.median(forward))
    k = min(SEAM_NEIGHBOURHOOD, max(1, len(forward) // 2))
    local_median = float(np.median(np.concatenate((forward[:k], forward[-k:]))))
    reference = max(step_median, local_median)

    if reference < DIFF_FLOOR and seam_diff < DIFF_FLOOR:
        seam = 1.0
    else:
        seam = seam_diff / max(reference, DIFF_FLOOR)

    prev_step = np.roll(steps, 1)
    next_step = np.roll(steps, -1)
    neighbour = np.minimum(prev_step, next_step)
    is_stall = (
        (steps < STALL_RATIO * neighbour)
        & (neighbour > STALL_NEIGHBOUR_FRACTION * step_median)
        & (neighbour > DIFF_FLOOR)
    )
    stalls = tuple(int(i) for i in np.flatnonzero(is_stall))
    return LoopReport(
        seam=float(seam),
        stalls=stalls,
        step_median=step_median,
        local_median=local_median,
        seam_diff=seam_diff,
        steps=tuple(float(s) for s in steps),
    )
