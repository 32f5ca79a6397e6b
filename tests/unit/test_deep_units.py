"""The deep-check measures on synthetic arrays: cuts, black and frozen runs, sharpness."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mediakit.analysis.blur import sharpness
from mediakit.analysis.cuts import CutMeter, cuts_per_window
from mediakit.analysis.stillness import StillnessMeter
from mediakit.deep import conversion_rate, deep_checks
from mediakit.preset import CHECKS, resolve

FPS = 30


def test_every_deep_check_kind_has_an_evaluator() -> None:
    assert deep_checks() == {name for name, (deep, _) in CHECKS.items() if deep}
    for preset in (resolve("canvas"), resolve("clip")):
        assert {r.check for r in preset.rules if r.deep} <= deep_checks()


# --- cuts -------------------------------------------------------------------------------------------------


def shot(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur(rng.integers(0, 256, (80, 45, 3), dtype=np.uint8), (0, 0), 2)


def meter_cuts(frames: list[np.ndarray]) -> list[float]:
    meter = CutMeter(FPS)
    for i, frame in enumerate(frames):
        meter.add(i / FPS, frame)
    return meter.cuts()


def test_a_hard_cut_counts_and_a_flash_frame_or_a_dissolve_does_not() -> None:
    a, b = shot(1), shot(2)
    assert meter_cuts([a] * 30 + [b] * 30) == [pytest.approx(1.0)]
    white = np.full_like(a, 255)
    assert meter_cuts([a] * 30 + [white] * 2 + [a] * 30) == []
    dissolve = [cv2.addWeighted(a, 1 - k / 30, b, k / 30, 0) for k in range(31)]
    assert meter_cuts([a] * 15 + dissolve + [b] * 15) == []


def test_cuts_per_window_is_half_open() -> None:
    starts = np.array([0.0, 0.5, 1.0])
    assert cuts_per_window([0.5, 1.0, 1.5, 2.0], starts, 1.0).tolist() == [1, 2, 2]


# --- black and frozen -------------------------------------------------------------------------------------


def test_black_and_frozen_runs() -> None:
    rng = np.random.default_rng(3)
    meter = StillnessMeter(black_level=0.10, freeze_level=0.001, full_range=False)
    frozen = rng.integers(40, 200, (48, 27), dtype=np.uint8)
    frames = [rng.integers(40, 200, (48, 27), dtype=np.uint8) for _ in range(30)]  # moving
    frames += [np.full((48, 27), 16, np.uint8)] * 60  # black
    frames += [frozen] * 45
    frames += [rng.integers(40, 200, (48, 27), dtype=np.uint8) for _ in range(15)]
    for i, frame in enumerate(frames):
        meter.add(i / FPS, frame)
    black, still = meter.finish(len(frames) / FPS)
    assert [(s.start, s.end) for s in black] == [(pytest.approx(1.0), pytest.approx(3.0))]
    assert [(s.start, s.end) for s in still] == [(pytest.approx(3.0), pytest.approx(4.5))]


# --- sharpness --------------------------------------------------------------------------------------------


def test_sharpness_orders_sharp_soft_and_flat() -> None:
    rng = np.random.default_rng(4)
    texture = cv2.resize(
        rng.integers(0, 256, (60, 34), dtype=np.uint8), (540, 960), interpolation=cv2.INTER_NEAREST
    )  # sharp-edged blocks
    sharp = sharpness(texture)
    soft = sharpness(cv2.GaussianBlur(texture, (0, 0), 4))
    assert sharp is not None and soft is not None
    assert sharp > 0.5 > soft
    assert sharpness(np.full((960, 540), 90, np.uint8)) is None


# --- loop-seam: which repeat cadences are frame-rate conversions ----------------------------------------


@pytest.mark.parametrize(
    ("fps", "period", "source"),
    [(25, 25, 24), (30, 6, 25), (30, 5, 24), (60, 2, 30), (29.97, 5, 23.976), (30000 / 1001, 5, 23.976)],
)
def test_a_repeat_cadence_between_real_rates_is_a_conversion(fps: float, period: int, source: float) -> None:
    assert conversion_rate(fps, period) == pytest.approx(source, rel=0.01)


@pytest.mark.parametrize(("fps", "period"), [(25, 7), (25, 3), (30, 4), (5, 5), (24, 1), (25, None)])
def test_a_repeat_cadence_no_rate_pair_explains_is_no_conversion(fps: float, period: int | None) -> None:
    """E.g. 25 fps with a repeat every 7 frames would be 21.4 fps footage; 5 fps is no delivery rate."""
    assert conversion_rate(fps, period) is None
