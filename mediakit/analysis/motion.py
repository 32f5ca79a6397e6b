"""Camera-path estimation for motion-smoothness tests: recover a zoom/pan's crop windows and their jitter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["JitterReport", "TrackingError", "estimate_windows", "jitter"]

# ECC stops when an iteration improves the correlation by less than 1e-6: on encoded 360x640 frames the
# windows then sit within 0.003 px of a 1e-7 run at ~60 % of the time.
_ECC_CRITERIA = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 200, 1e-6)
# ECC's own Gaussian pre-blur (gaussFiltSize) is applied to both images in their own pixel grids; under a
# zoom that is a different blur in scene terms and biases the scale (a 6 % zoom read ~0.03 px small at
# the edges with size 5). So the accurate pass uses no blur (size 1), and the blurred pass, whose basin
# of convergence is wider, is only the fallback for a frame the unblurred pass cannot lock onto.
_ECC_BLUR_FINE = 1
_ECC_BLUR_COARSE = 5
# Below this correlation the "alignment" is not of the same picture (a cut, a blank or unrelated frame).
_MIN_CORRELATION = 0.5
# Width of the moving average that separates a path's smooth acceleration (an ease) from jitter.
_HF_WINDOW = 5


class TrackingError(RuntimeError):
    """ECC could not align a frame with the first one (unrelated content, a cut, a blank frame)."""


def _to_gray32(frame: np.ndarray) -> np.ndarray:
    arr = np.asarray(frame)
    if arr.ndim != 2:
        raise ValueError(f"frames must be 2-D luma arrays, got shape {arr.shape}")
    return arr.astype(np.float32, copy=False)


def _warp_to_window(warp: np.ndarray, width: int, height: int) -> np.ndarray:
    """Window edges (left, top, right, bottom) in frame 0's pixel-edge coordinates.

    ECC works in pixel-centre coordinates (pixel k is centred on k); the window is reported with pixel
    edges (frame 0 spans [0, width] x [0, height]) so that a crop's edges, not its sample centres, are
    compared. Each edge is where the midpoint of that side of frame i lands in frame 0; with a pure
    scale+translation warp that is exact, and any fitted shear is averaged out rather than biasing one end.
    """
    mids = np.array(
        [
            [0.0, height / 2],  # left side
            [width / 2, 0.0],  # top side
            [float(width), height / 2],  # right side
            [width / 2, float(height)],  # bottom side
        ]
    )
    centres = mids - 0.5
    mapped = centres @ warp[:, :2].T + warp[:, 2] + 0.5
    return np.array([mapped[0, 0], mapped[1, 1], mapped[2, 0], mapped[3, 1]])


def _ecc(template: np.ndarray, image: np.ndarray, start: np.ndarray, blur: int) -> tuple[float, np.ndarray]:
    # The stubs only accept a None mask in the overload without gaussFiltSize; OpenCV itself takes it.
    correlation, warp = cv2.findTransformECC(  # type: ignore[call-overload]
        template, image, start.copy(), cv2.MOTION_AFFINE, _ECC_CRITERIA, None, blur
    )
    return float(correlation), warp


def _align(frame: np.ndarray, reference: np.ndarray, guess: np.ndarray, previous: np.ndarray) -> np.ndarray:
    try:
        correlation, warp = _ecc(frame, reference, guess, _ECC_BLUR_FINE)
        if correlation >= _MIN_CORRELATION:
            return warp
    except cv2.error:
        pass  # diverged from the guess (e.g. a jump larger than the finest texture): take the wide basin
    # Restart from the last good estimate, not the extrapolated guess, which may have overshot a reversal.
    correlation, coarse = _ecc(frame, reference, previous, _ECC_BLUR_COARSE)
    try:
        correlation, warp = _ecc(frame, reference, coarse, _ECC_BLUR_FINE)
    except cv2.error:
        warp = coarse  # too noisy for unblurred ECC: a slightly scale-biased answer beats none
    if correlation < _MIN_CORRELATION:
        raise TrackingError(f"best alignment only correlates {correlation:.2f}")
    return warp


def estimate_windows(frames: Sequence[np.ndarray]) -> np.ndarray:
    """Estimate, per frame, the region of frame 0 it shows: an ``(n, 4)`` array of (left, top, right, bottom).

    Frame ``i`` shows ``[left, right] x [top, bottom]`` of frame 0 scaled to the full frame, in frame 0's
    pixel-edge coordinates, so row 0 is ``(0, 0, width, height)`` and a zoom-in's windows shrink.

    Each frame is aligned with ``cv2.findTransformECC`` (affine model) against frame 0 rather than
    against its predecessor, so errors do not accumulate along the path; the search starts from the
    previous two estimates extrapolated at constant velocity, which keeps each solve to a few iterations,
    and falls back to ECC's pre-blurred wider search when that does not converge.
    Frame ``i`` is the ECC *template* and frame 0 the *input*: ECC's warp maps template coordinates to
    input coordinates, which is exactly "where does this pixel of frame i sit in frame 0", and every
    pixel of a zoomed-in frame lands inside frame 0, so nothing is sampled off the edge.

    ``frames`` are 2-D luma arrays (uint8 or float), all the same shape, from one continuous shot with
    texture to lock onto; neighbouring frames must be close (a 10 % zoom and 15 px jump between frame 0
    and frame 1 still converges at 180x320, a cut does not).
    Raises ``ValueError`` for bad input and :class:`TrackingError` when a frame cannot be aligned.
    """
    if len(frames) == 0:
        raise ValueError("need at least one frame")
    reference = _to_gray32(frames[0])
    height, width = reference.shape
    identity = np.eye(2, 3, dtype=np.float32)
    warps = [identity]
    for i in range(1, len(frames)):
        frame = _to_gray32(frames[i])
        if frame.shape != reference.shape:
            raise ValueError(f"frame {i} has shape {frame.shape}, expected {reference.shape}")
        # Constant-velocity extrapolation of the last two estimates: most frames converge in a few steps.
        guess = warps[-1] if i < 2 else 2 * warps[-1] - warps[-2]
        try:
            warps.append(_align(frame, reference, guess, warps[-1]))
        except (cv2.error, TrackingError) as exc:
            raise TrackingError(f"frame {i} could not be aligned with frame 0: {exc}") from exc
    return np.array([_warp_to_window(w.astype(np.float64), width, height) for w in warps])


@dataclass(frozen=True)
class JitterReport:
    """Smoothness of a camera path, in output pixels.

    Attributes:
        mean: mean |x[i+1] - 2 x[i] + x[i-1]| over all four edges and all interior frames.
        max: the largest such |second difference|.
        backsteps: steps of an edge against the direction of the ramp it is in, by more than ``tol``.
        peak: index of the smallest window (the peak of the zoom), where the ramps turn around.
        hf_mean: ``mean`` after removing the path's own smooth acceleration (a centred moving average of
            the second differences); an ease's acceleration is not jitter, rounding is.
        hf_max: the largest |high-passed second difference|.
    """

    mean: float
    max: float
    backsteps: int
    peak: int
    hf_mean: float
    hf_max: float

    def ok(self, limit: float = 0.03, *, highpass: bool = False) -> bool:
        """True when mean jitter is within ``limit`` px.

        ``highpass=True`` compares ``hf_mean`` instead, for fast eases whose acceleration alone would
        exceed the limit: a 3 s, 10 % in-and-out push-in at 360x640 reads ``mean`` ≈ 0.05 when perfectly
        smooth. ``backsteps`` is not part of the verdict: at the default 0.01 px tolerance, encoder noise
        during a hold can produce them; check it separately (with a ``tol`` suited to the input).
        """
        return (self.hf_mean if highpass else self.mean) <= limit


def _count_backsteps(windows: np.ndarray, peak: int, tol: float) -> int:
    count = 0
    # Two ramps meeting at the peak: a push-in that eases back out, or a single ramp if the peak is an end.
    for start, end in ((0, peak), (peak, len(windows) - 1)):
        if end - start < 1:
            continue
        segment = windows[start : end + 1]
        net = segment[-1] - segment[0]
        steps = np.diff(segment, axis=0)
        # The step touching the peak is ambiguous: when two frames are nearly equally zoomed, estimator
        # noise picks either as the peak and the step between them would count against the other ramp.
        steps = steps[:-1] if end == peak else steps[1:]
        for edge in range(4):
            # An edge that does not travel in this ramp has no direction to step against.
            if abs(net[edge]) <= tol:
                continue
            count += int(np.count_nonzero(np.sign(net[edge]) * steps[:, edge] < -tol))
    return count


def jitter(windows: np.ndarray, tol: float = 0.01) -> JitterReport:
    """Measure how smoothly the window edges move.

    ``windows`` is an ``(n, 4)`` array of (left, top, right, bottom), e.g. from :func:`estimate_windows`.

    Ramps come from the estimate itself: the peak is the frame with the smallest window (largest zoom;
    width + height), and each edge is expected to move monotonically from frame 0 to the peak and from
    the peak to the last frame, in the direction of its net travel over that ramp (for a push-in that
    eases back out, left/top rise to the peak then fall). A backstep is a step whose sign opposes its
    ramp's direction by more than ``tol`` px. Skipped: edges that travel no more than ``tol`` over a ramp,
    and the two steps touching the peak (which frame is the turnaround is ambiguous there).

    A perfectly smooth path has ``mean`` equal to its own acceleration (small for gentle eases) and no
    backsteps; whole-pixel rounding (ffmpeg ``zoompan``) shows up as stair-steps in ``mean`` and
    ``hf_mean`` and, when crop position and size are rounded separately, as backsteps.
    """
    path = np.asarray(windows, dtype=np.float64)
    if path.ndim != 2 or path.shape[1] != 4 or len(path) == 0:
        raise ValueError(f"windows must have shape (n, 4), got {path.shape}")
    size = (path[:, 2] - path[:, 0]) + (path[:, 3] - path[:, 1])
    peak = int(np.argmin(size))
    backsteps = _count_backsteps(path, peak, tol)
    if len(path) < 3:
        return JitterReport(mean=0.0, max=0.0, backsteps=backsteps, peak=peak, hf_mean=0.0, hf_max=0.0)

    signed = path[2:] - 2 * path[1:-1] + path[:-2]
    accel = np.abs(signed)
    # Edge padding: at the ends the trend is held, so a path that starts or stops moving abruptly still
    # reads as jitter there rather than being averaged away.
    pad = _HF_WINDOW // 2
    padded = np.pad(signed, ((pad, pad), (0, 0)), mode="edge")
    kernel = np.ones(_HF_WINDOW) / _HF_WINDOW
    trend = np.stack([np.convolve(padded[:, e], kernel, mode="valid") for e in range(4)], axis=1)
    hf = np.abs(signed - trend)
    return JitterReport(
        mean=float(accel.mean()),
        max=float(accel.max()),
        backsteps=backsteps,
        peak=peak,
        hf_mean=float(hf.mean()),
        hf_max=float(hf.max()),
    )
