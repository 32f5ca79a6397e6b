"""Unit tests for camera-path estimation and jitter on exactly rendered synthetic push-ins."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mediakit.analysis.motion import TrackingError, estimate_windows, jitter

H, W = 320, 180  # portrait, like the Canvas output at a reduced analysis size


def _scene(seed: int = 3, waves: int = 48):
    """A continuous scene (a sum of plane waves) that can be sampled exactly at any window.

    Rendering a window by evaluating the scene, not by resampling an image, makes the true camera
    path exact: the only error left in the estimate is the estimator's.
    """
    rng = np.random.default_rng(seed)
    wavelength = rng.uniform(7.0, 60.0, waves)  # output px; the shortest is well above Nyquist
    angle = rng.uniform(0.0, np.pi, waves)
    phase = rng.uniform(0.0, 2 * np.pi, waves)
    amp = rng.uniform(0.5, 1.0, waves) * np.sqrt(wavelength)
    amp *= 40.0 / np.sqrt((amp**2).sum() / 2)  # ~40 levels RMS around mid-grey
    kx, ky = 2 * np.pi / wavelength * np.cos(angle), 2 * np.pi / wavelength * np.sin(angle)

    def render(window: np.ndarray) -> np.ndarray:
        left, top, right, bottom = window
        xs = left + (np.arange(W) + 0.5) * (right - left) / W  # pixel centres of the window
        ys = top + (np.arange(H) + 0.5) * (bottom - top) / H
        across, down = np.outer(xs, kx), np.outer(ys, ky) + phase
        # sin(a + b) = sin a cos b + cos a sin b, as two matrix products instead of an (H, W, waves) array
        image = 128.0 + (np.cos(down) * amp) @ np.sin(across).T + (np.sin(down) * amp) @ np.cos(across).T
        return image.astype(np.float32)

    return render


RENDER = _scene()


def push_in(n: int, depth: float, pan: tuple[float, float] = (3.0, -4.0)) -> np.ndarray:
    """A cosine push-in that eases back out, drifting by ``pan`` px at the peak: (n, 4) true windows."""
    ease = (1 - np.cos(2 * np.pi * np.arange(n) / (n - 1))) / 2
    zoom = 1 + depth * ease
    cx, cy = W / 2 + pan[0] * ease, H / 2 + pan[1] * ease
    return np.stack([cx - W / 2 / zoom, cy - H / 2 / zoom, cx + W / 2 / zoom, cy + H / 2 / zoom], axis=1)


def zoompan_rounded(windows: np.ndarray, source_scale: float = 2.0) -> np.ndarray:
    """What ffmpeg zoompan does: crop position and crop size each rounded to whole source pixels."""
    q = 1.0 / source_scale  # one source pixel, in output pixels
    left, top = np.round(windows[:, 0] / q) * q, np.round(windows[:, 1] / q) * q
    width = np.round((windows[:, 2] - windows[:, 0]) / q) * q
    height = np.round((windows[:, 3] - windows[:, 1]) / q) * q
    return np.stack([left, top, left + width, top + height], axis=1)


@pytest.fixture(scope="module")
def smooth() -> tuple[np.ndarray, np.ndarray]:
    truth = push_in(72, 0.06)
    return truth, estimate_windows([RENDER(w) for w in truth])


@pytest.fixture(scope="module")
def stairs() -> tuple[np.ndarray, np.ndarray]:
    truth = zoompan_rounded(push_in(72, 0.06))
    return truth, estimate_windows([RENDER(w) for w in truth])


def test_direction_of_the_warp() -> None:
    # One zoomed, off-centre frame: a sign or direction error in reading ECC's warp would be obvious here.
    frame0 = np.array([0.0, 0.0, W, H])
    window = np.array([8.3, 11.7, 8.3 + W / 1.1, 11.7 + H / 1.1])
    est = estimate_windows([RENDER(frame0), RENDER(window)])
    np.testing.assert_allclose(est[0], frame0, atol=1e-9)
    np.testing.assert_allclose(est[1], window, atol=0.02)


def test_smooth_push_in_is_recovered_exactly(smooth: tuple[np.ndarray, np.ndarray]) -> None:
    truth, est = smooth
    assert np.abs(est - truth).max() < 0.02
    # Windows shrink into the zoom and grow back out.
    width = est[:, 2] - est[:, 0]
    assert np.all(np.diff(width[: len(width) // 2]) < 0)
    assert np.all(np.diff(width[len(width) // 2 + 1 :]) > 0)


def test_smooth_push_in_has_no_jitter(smooth: tuple[np.ndarray, np.ndarray]) -> None:
    truth, est = smooth
    report = jitter(est)
    assert report.mean <= 0.03
    assert report.mean == pytest.approx(jitter(truth).mean, abs=0.002)  # what is left is the ease itself
    assert report.hf_mean < 0.005
    assert report.backsteps == 0
    assert report.peak in (35, 36)
    assert report.ok()
    assert report.ok(highpass=True)


def test_whole_pixel_rounding_is_jitter(stairs: tuple[np.ndarray, np.ndarray]) -> None:
    truth, est = stairs
    assert np.abs(est - truth).max() < 0.02  # the estimator sees the stairs as they are
    report = jitter(est)
    assert report.mean >= 0.1
    assert report.hf_mean >= 0.1
    assert report.backsteps > 0  # rounding position and size separately moves an edge backwards
    assert not report.ok()
    assert not report.ok(highpass=True)
    # Stair-steps: many frames where a moving edge does not move at all, then jumps by a source pixel.
    steps = np.abs(np.diff(est, axis=0))
    assert np.mean(steps < 0.02) > 0.2


def test_uint8_frames_track_too() -> None:
    truth = push_in(12, 0.03)
    frames = [np.clip(np.rint(RENDER(w)), 0, 255).astype(np.uint8) for w in truth]
    assert np.abs(estimate_windows(frames) - truth).max() < 0.05


def test_single_frame_is_its_own_window() -> None:
    np.testing.assert_array_equal(estimate_windows([RENDER(np.array([0.0, 0.0, W, H]))]), [[0, 0, W, H]])


def test_estimate_rejects_bad_input() -> None:
    frame = RENDER(np.array([0.0, 0.0, W, H]))
    with pytest.raises(ValueError, match="at least one"):
        estimate_windows([])
    with pytest.raises(ValueError, match="shape"):
        estimate_windows([frame, frame[:-1]])
    with pytest.raises(ValueError, match="2-D"):
        estimate_windows([np.dstack([frame] * 3)])


def test_unrelated_frame_is_a_tracking_error() -> None:
    frame = RENDER(np.array([0.0, 0.0, W, H]))
    other = _scene(seed=99)(np.array([0.0, 0.0, W, H]))
    with pytest.raises(TrackingError, match="frame 1"):
        estimate_windows([frame, other])


def test_jitter_of_straight_lines_is_zero() -> None:
    k = np.arange(20, dtype=np.float64)[:, None]
    report = jitter(np.array([0.0, 0.0, W, H]) + k * np.array([0.3, 0.5, -0.3, -0.5]))
    assert (report.backsteps, report.peak) == (0, 19)
    assert max(report.mean, report.max, report.hf_mean, report.hf_max) < 1e-12


def test_backsteps_follow_the_ramps() -> None:
    k = np.arange(21, dtype=np.float64)
    rise = np.minimum(k, 20 - k) * 0.5  # in to frame 10, back out
    windows = np.stack([rise, rise, W - rise, H - rise], axis=1)
    assert jitter(windows).backsteps == 0
    assert jitter(windows).peak == 10
    windows[4, 0] -= 0.6  # left edge dips back on the way in: one backstep into frame 4 ...
    assert jitter(windows).backsteps == 1  # ... (the recovery into frame 5 goes the ramp's way)
    windows[15, 3] -= 0.005  # within tol: not counted
    assert jitter(windows).backsteps == 1
    assert jitter(windows, tol=1.0).backsteps == 0


def test_turnaround_frame_is_not_a_backstep() -> None:
    # Frames 10 and 11 are equally zoomed; estimator noise makes 11 the peak while its top edge sits
    # 0.02 px short of frame 10's. Which frame is "the" turnaround is ambiguous, so that step is skipped.
    k = np.arange(22, dtype=np.float64)
    rise = np.minimum(k, 21 - k) * 0.5
    windows = np.stack([rise, rise, W - rise, H - rise], axis=1)
    windows[11, 0] += 0.05
    windows[11, 1] -= 0.02
    report = jitter(windows)
    assert (report.peak, report.backsteps) == (11, 0)


def test_jitter_rejects_bad_shapes_and_handles_short_paths() -> None:
    with pytest.raises(ValueError, match=r"\(n, 4\)"):
        jitter(np.zeros((5, 3)))
    report = jitter(np.array([[0.0, 0.0, W, H], [1.0, 1.0, W - 1, H - 1]]))
    assert (report.mean, report.max, report.backsteps, report.peak) == (0.0, 0.0, 0, 1)


@settings(max_examples=50, deadline=None)
@given(
    path=arrays(np.float64, (30, 4), elements=st.floats(-3, 3)),
    slope=arrays(np.float64, (4,), elements=st.floats(-2, 2)),
)
def test_jitter_ignores_constant_velocity(path: np.ndarray, slope: np.ndarray) -> None:
    # Second differences do not see a constant-velocity drift, so adding one changes no jitter number.
    drifted = path + np.arange(30)[:, None] * slope
    a, b = jitter(path), jitter(drifted)
    assert b.mean == pytest.approx(a.mean, abs=1e-9)
    assert b.max == pytest.approx(a.max, abs=1e-9)
    assert b.hf_mean == pytest.approx(a.hf_mean, abs=1e-9)
