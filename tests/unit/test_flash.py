"""Photosensitive flash measures and verdicts on synthetic luminance and red series (no decoding)."""

from __future__ import annotations

from typing import cast

import numpy as np
import pytest

from mediakit import deep
from mediakit.analysis import flash
from mediakit.analysis.video import VideoMeasures
from mediakit.preset import resolve
from mediakit.probe import MediaInfo
from mediakit.validate import Finding

FPS = 30
BLOCKS = 100


def square_wave(
    hz: float, seconds: float = 4, lo: float = 0.0, hi: float = 1.0, share: float = 1.0
) -> np.ndarray:
    """(frames, BLOCKS) luminance: `share` of the blocks alternate lo/hi at `hz`, the rest stay at lo."""
    t = np.arange(int(seconds * FPS)) / FPS
    on = (np.floor(t * hz * 2) % 2 == 0)[:, None]
    values = np.where(on, hi, lo) * np.ones((1, BLOCKS))
    values[:, int(share * BLOCKS) :] = lo
    return values.astype(np.float32)


def toggles(at: list[int], frames: int, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """(frames, BLOCKS) full-screen luminance starting at `lo` and swapping lo/hi at each frame in `at`."""
    state = np.zeros(frames, dtype=np.int64)
    for i in at:
        state[i:] += 1
    return (np.where(state % 2 == 1, hi, lo)[:, None] * np.ones((1, BLOCKS))).astype(np.float32)


def most_transitions(values: np.ndarray, min_area: float = 0.25, fps: float = FPS) -> int:
    times = np.arange(len(values)) / fps
    events = flash.transitions(values, 0.1, dark=0.8)
    return int(flash.count_transitions(times, events, min_area).transitions.max())


# --- counting transitions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("hz", [1, 2, 3, 5, 10])
def test_a_full_screen_square_wave_has_two_transitions_per_flash(hz: float) -> None:
    assert most_transitions(square_wave(hz)) == 2 * hz


def test_the_flashing_area_must_reach_min_area() -> None:
    assert most_transitions(square_wave(5, share=0.10)) == 0
    assert most_transitions(square_wave(5, share=0.30)) == 10


def test_bright_flicker_above_the_dark_threshold_is_no_flash() -> None:
    # WCAG: the darker state must be below 0.80 relative luminance.
    assert most_transitions(square_wave(5, lo=0.85, hi=1.0)) == 0
    assert most_transitions(square_wave(5, lo=0.70, hi=0.85)) == 10


def test_small_changes_are_no_transition_and_a_slow_fade_is_one() -> None:
    assert most_transitions(square_wave(5, lo=0.30, hi=0.38)) == 0
    fade = np.concatenate((np.linspace(0, 1, 45), np.linspace(1, 0, 45)))[:, None] * np.ones((1, BLOCKS))
    assert most_transitions(fade.astype(np.float32)) == 1  # up, and down over a second later


def test_a_window_holds_the_frames_of_less_than_one_second() -> None:
    # IRIS at 25 fps: 25 frames, the first and last 0.96 s apart; transitions exactly 1 s apart never meet.
    times = np.arange(60) / 25
    first = flash.window_starts(times, 1.0)
    assert first[24] == 0 and first[25] == 1 and first[59] == 35
    events = np.zeros((60, 1), dtype=bool)
    events[[10, 35]] = True
    assert flash.count_transitions(times, events, 0.25).transitions.max() == 1
    events[34] = True
    assert flash.count_transitions(times, events, 0.25).transitions.max() == 2


def test_sustained_adds_the_frames_held_in_the_trailing_window() -> None:
    times = np.arange(50) / 5  # 5 fps, 10 s
    active = np.zeros(50, dtype=bool)
    active[5:30] = True  # 1.0-6.0 s
    held = flash.sustained(times, active, window=5.0)
    assert held[4] == 0.0 and held[10] == pytest.approx(1.2)
    assert held[29] == pytest.approx(5.0)  # the 25 frames later than 0.8 s, all held
    assert held[49] == pytest.approx(1.0)  # 4.8 s is out: 5.0-5.8 s are left


# --- verdicts: the preset rules on synthetic measures -----------------------------------------------------


def judge(
    rule_id: str, values: np.ndarray, fps: float = FPS, red: tuple[np.ndarray, np.ndarray] | None = None
) -> list[Finding]:
    """Run the canvas preset's `rule_id` evaluator on luminance (and red, saturated) block series."""
    times = np.arange(len(values)) / fps
    red_values, saturated = red if red is not None else (np.zeros_like(values), np.zeros(values.shape, bool))
    video = VideoMeasures(times, float(times[-1] + 1 / fps), len(values))
    video.blocks = (values, red_values, saturated)
    preset = resolve("canvas")
    rule = next(r for r in preset.rules if r.id == rule_id)
    measures = deep.Measures(cast(MediaInfo, None), preset, video, None, None)
    return deep._EVALUATORS[rule.check](rule, measures)


def test_six_transitions_in_one_second_pass_and_seven_fail() -> None:
    six = [30 + 4 * k for k in range(6)]
    assert judge("flashing", toggles(six, 120)) == []
    (f,) = judge("flashing", toggles([*six, 54], 120))
    assert f.observed == "3.5 flashes in 1 s" and f.severity == "error"
    # The second up to the 7th transition (frame 54 shows until 1.83 s).
    assert "(7 opposing transitions) in 1 s at 0.83-1.83 s" in f.message


def test_seven_transitions_spread_over_just_one_second_or_more_pass() -> None:
    # 100 fps: the first and last transitions 1.01 s, 1.00 s and 0.99 s apart.
    spread = [50, 67, 84, 101, 118, 135]
    assert judge("flashing", toggles([*spread, 151], 300), fps=100) == []
    assert judge("flashing", toggles([*spread, 150], 300), fps=100) == []
    (f,) = judge("flashing", toggles([*spread, 149], 300), fps=100)
    assert f.observed == "3.5 flashes in 1 s"


def test_three_flashes_a_second_sustained_pass_the_limit_but_warn() -> None:
    steady = square_wave(3, seconds=8)  # 6 transitions in every second
    assert most_transitions(steady) == 6
    assert judge("flashing", steady) == []
    (f,) = judge("extended-flash", steady)
    assert f.severity == "warning"
    assert f.observed.startswith("5.0 s of 5 s at 2-3 flashes a second")
    # 4 transitions by frame 20 (0.67 s), then 120 frames (4 s) to frame 139, which shows until 4.67 s.
    assert "sustained for 4 s of the 5 s at 0.0-4.67 s" in f.message


def test_two_flashes_a_second_for_a_short_while_or_with_pauses_do_not_warn() -> None:
    assert judge("extended-flash", square_wave(2, seconds=3)) == []
    assert judge("extended-flash", square_wave(1, seconds=10)) == []
    # 2 Hz for 2 s, still for 2 s, and again: never 4 s of any 5 s.
    burst = np.concatenate([square_wave(2, seconds=2), np.zeros((2 * FPS, BLOCKS), np.float32)] * 3)
    assert most_transitions(burst) == 4
    assert judge("extended-flash", burst) == []


def test_extended_warning_starts_after_4_s_of_2_to_3_flashes_a_second_as_iris_counts() -> None:
    # IRIS's TransitionTracker test at 5 fps: a transition on each of 23 frames is an extended failure at
    # the 23rd (5 a second from the 4th, held for 20 frames = 4 s). Frame 0 cannot change, hence 24 frames.
    every_frame = list(range(1, 30))
    assert judge("extended-flash", toggles(every_frame, 23), fps=5) == []
    (f,) = judge("extended-flash", toggles(every_frame, 24), fps=5)
    assert "at 0.0-4.8 s" in f.message


def test_faster_flashing_is_the_flashing_rule_s_failure_not_an_extended_one() -> None:
    strobe = square_wave(5, seconds=8)
    assert [f.rule for f in judge("flashing", strobe)] == ["flashing"]
    assert judge("extended-flash", strobe) == []


# --- red flashes ------------------------------------------------------------------------------------------


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


def red_and_grey(on: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Block series of frames saturated red where `on`, grey of equal luminance elsewhere: (luminance,
    (red, saturated))."""
    red_frame = flash.block_stats(*yuv709((255, 0, 0)), full_range=False, bt601=False)
    grey_frame = flash.block_stats(*yuv709((127, 127, 127)), full_range=False, bt601=False)
    frames = [red_frame if o else grey_frame for o in on]
    lum, red, saturated = (np.array([f[i] for f in frames]) for i in range(3))
    return lum, (red, saturated)


def test_red_against_grey_of_equal_luminance_is_a_red_flash_only() -> None:
    lum, red = red_and_grey(square_wave(5)[:, 0] > 0.5)
    assert most_transitions(lum) == 0
    (f,) = judge("flashing", lum, red=red)
    assert f.observed == "5 red flashes in 1 s"
    assert "avoid saturated red" in f.hint


def test_seven_red_transitions_in_one_second_fail_and_six_pass() -> None:
    six = [30 + 4 * k for k in range(6)]
    lum, red = red_and_grey(toggles(six, 120)[:, 0] > 0.5)
    assert judge("flashing", lum, red=red) == []
    lum, red = red_and_grey(toggles([*six, 54], 120)[:, 0] > 0.5)
    (f,) = judge("flashing", lum, red=red)
    assert f.observed == "3.5 red flashes in 1 s"
