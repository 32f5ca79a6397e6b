"""The deep-check measures on synthetic arrays: flashes, cuts, black and frozen runs, sharpness."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mediakit.analysis import flash
from mediakit.analysis.blur import sharpness
from mediakit.analysis.cuts import CutMeter, cuts_per_window
from mediakit.analysis.stillness import StillnessMeter
from mediakit.deep import deep_checks
from mediakit.preset import CHECKS, resolve

FPS = 30
BLOCKS = 100


def test_every_deep_check_kind_has_an_evaluator() -> None:
    assert deep_checks() == {name for name, (deep, _) in CHECKS.items() if deep}
    for preset in (resolve("canvas"), resolve("clip")):
        assert {r.check for r in preset.rules if r.deep} <= deep_checks()


# --- flashes ----------------------------------------------------------------------------------------------


def square_wave(
    hz: float, seconds: float = 4, lo: float = 0.0, hi: float = 1.0, share: float = 1.0
) -> np.ndarray:
    """(frames, BLOCKS) luminance: `share` of the blocks alternate lo/hi at `hz`, the rest stay at lo."""
    t = np.arange(int(seconds * FPS)) / FPS
    on = (np.floor(t * hz * 2) % 2 == 0)[:, None]
    values = np.where(on, hi, lo) * np.ones((1, BLOCKS))
    values[:, int(share * BLOCKS) :] = lo
    return values.astype(np.float32)


def general_flashes(values: np.ndarray, min_area: float = 0.25) -> int:
    times = np.arange(len(values)) / FPS
    return int(flash.count_flashes(times, flash.transitions(values, 0.1, dark=0.8), min_area).flashes.max())


@pytest.mark.parametrize(("hz", "expected"), [(1, 1), (2, 2), (3, 3), (5, 5), (10, 10)])
def test_a_full_screen_square_wave_flashes_hz_times_a_second(hz: float, expected: int) -> None:
    assert general_flashes(square_wave(hz)) == expected


def test_the_flashing_area_must_reach_min_area() -> None:
    assert general_flashes(square_wave(5, share=0.10)) == 0
    assert general_flashes(square_wave(5, share=0.30)) == 5


def test_bright_flicker_above_the_dark_threshold_is_no_flash() -> None:
    # WCAG: the darker state must be below 0.80 relative luminance.
    assert general_flashes(square_wave(5, lo=0.85, hi=1.0)) == 0
    assert general_flashes(square_wave(5, lo=0.70, hi=0.85)) == 5


def test_small_changes_and_slow_fades_are_no_flash() -> None:
    assert general_flashes(square_wave(5, lo=0.30, hi=0.38)) == 0
    fade = np.concatenate((np.linspace(0, 1, 45), np.linspace(1, 0, 45)))[:, None] * np.ones((1, BLOCKS))
    assert general_flashes(fade.astype(np.float32)) == 0


def yuv709(
    rgb: tuple[int, int, int], size: tuple[int, int] = (20, 30)
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat limited-range BT.709 Y, U, V planes of an sRGB colour."""
    r, g, b = (c / 255 for c in rgb)
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    cb, cr = (b - y) / 1.8556, (r - y) / 1.5748
    codes = (16 + 219 * y, 128 + 224 * cb, 128 + 224 * cr)
    y_plane, u_plane, v_plane = (np.full(size, round(c), np.uint8) for c in codes)
    return y_plane, u_plane, v_plane


def test_block_stats_read_relative_luminance_and_saturated_red() -> None:
    lum, red, sat = flash.block_stats(*yuv709((255, 0, 0)), full_range=False, bt601=False)
    assert lum.shape == (24,)  # 4 x 6 blocks of 5 px
    assert lum.mean() == pytest.approx(0.2126, abs=0.01)
    assert red.mean() == pytest.approx(320, abs=10) and sat.all()
    lum, red, sat = flash.block_stats(*yuv709((128, 128, 128)), full_range=False, bt601=False)
    assert lum.mean() == pytest.approx(0.2158, abs=0.01)  # sRGB 128 is 21.6 % of white
    assert red.max() == 0 and not sat.any()


def test_red_against_grey_of_equal_luminance_is_a_red_flash_only() -> None:
    red_frame = flash.block_stats(*yuv709((255, 0, 0)), full_range=False, bt601=False)
    grey_frame = flash.block_stats(*yuv709((127, 127, 127)), full_range=False, bt601=False)
    frames = [red_frame if on else grey_frame for on in square_wave(5)[:, 0] > 0.5]
    lum, red, sat = (np.array([f[i] for f in frames]) for i in range(3))
    times = np.arange(len(frames)) / FPS
    assert flash.count_flashes(times, flash.transitions(lum, 0.1, dark=0.8), 0.25).flashes.max() == 0
    reds = flash.count_flashes(times, flash.transitions(red, flash.RED_CHANGE, flags=sat, strict=True), 0.25)
    assert reds.flashes.max() == 5


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
