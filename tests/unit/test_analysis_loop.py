"""Unit tests for the loop seam and stall measure on exactly generated synthetic frames."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediakit.analysis.loop import (
    STALL_RATIO,
    STEP_FLOOR,
    LoopReport,
    measure_loop,
    stall_cadence,
)

H, W = 64, 96
PERIOD = 48.0  # horizontal period of the grating, px; shifting by PERIOD reproduces the frame exactly

_Y, _X = np.mgrid[0:H, 0:W].astype(np.float64)


def grating(offset: float) -> np.ndarray:
    """Two oblique sinusoidal gratings shifted right by ``offset`` px, evaluated exactly (no resampling)."""
    x = _X - offset
    a = 50.0 * np.sin(2 * np.pi * (x / PERIOD + _Y / 37.0))
    b = 30.0 * np.cos(2 * np.pi * (2 * x / PERIOD - _Y / 23.0))
    return (128.0 + a + b).astype(np.float32)


def linear(n: int, speed: float) -> list[np.ndarray]:
    return [grating(k * speed) for k in range(n)]


def eased(n: int, amplitude: float, phase: float) -> list[np.ndarray]:
    """A full cosine cycle out and back; ``phase=0.5`` puts the turnaround between two frames."""
    return [grating(amplitude * (1 - np.cos(2 * np.pi * (k + phase) / n)) / 2) for k in range(n)]


def good_pingpong(fwd: list[np.ndarray]) -> list[np.ndarray]:
    return fwd + fwd[-2:0:-1]  # 0..n-1, n-2..1: neither end frame is shown twice


def naive_pingpong(fwd: list[np.ndarray]) -> list[np.ndarray]:
    return fwd + fwd[::-1]  # 0..n-1, n-1..0: both turnaround frames are shown twice


def test_periodic_motion_is_seamless() -> None:
    n = 30
    report = measure_loop(linear(n, PERIOD / n))  # frame n would equal frame 0
    assert report.seam == pytest.approx(1.0, abs=0.02)
    assert report.stalls == ()
    assert report.ok()


def test_cut_loop_jumps() -> None:
    n = 30
    report = measure_loop(linear(n, PERIOD / n)[:19])  # the wrap skips 11 steps' worth of motion
    assert report.seam > 5.0
    assert not report.ok()
    assert report.stalls == ()


def test_naive_pingpong_stalls_at_both_turnarounds() -> None:
    fwd = linear(20, 1.3)
    report = measure_loop(naive_pingpong(fwd))
    assert report.stalls == (0, 20)  # the wrap (frame 0 repeats frame 39) and the middle repeat
    assert report.seam < 0.01
    assert not report.ok()


def test_correct_pingpong_has_no_stall_and_a_clean_seam() -> None:
    report = measure_loop(good_pingpong(linear(20, 1.3)))
    assert report.stalls == ()
    assert report.seam == pytest.approx(1.0, abs=0.02)
    assert report.ok()


def test_repeated_frame_mid_motion_is_a_stall() -> None:
    frames = linear(30, PERIOD / 30)
    frames.insert(11, frames[10].copy())
    report = measure_loop(frames)
    assert report.stalls == (11,)


@pytest.mark.parametrize("n", [24, 48, 72])
@pytest.mark.parametrize("phase", [0.0, 0.5])
def test_cosine_ease_is_not_a_stall(n: int, phase: float) -> None:
    # phase 0: steps ...5,3,1,1,3,5...; phase 0.5: the two frames around each turnaround are identical, so
    # one step is exactly 0 (...5,3,1,0,1,3,5...) -- still a smooth ease, not a hitch.
    report = measure_loop(eased(n, amplitude=20.0, phase=phase))
    assert report.stalls == ()
    assert report.seam <= 1.25
    assert report.ok()


def test_cosine_zoom_is_not_a_stall() -> None:
    rng = np.random.default_rng(7)
    texture = cv2.GaussianBlur(rng.random((H, W)).astype(np.float32) * 255, (0, 0), 2.0)
    frames = []
    for k in range(36):
        zoom = 1 + 0.2 * (1 - np.cos(2 * np.pi * k / 36)) / 2
        m = cv2.getRotationMatrix2D(((W - 1) / 2, (H - 1) / 2), 0.0, zoom)
        frames.append(
            cv2.warpAffine(texture, m, (W, H), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
        )
    report = measure_loop(frames)
    assert report.stalls == ()
    assert report.ok()


def test_static_sequence() -> None:
    frame = grating(0.0)
    report = measure_loop([frame.copy() for _ in range(10)])
    assert report == LoopReport(
        seam=0.0,
        stalls=(),
        step_median=0.0,
        local_median=0.0,
        seam_diff=0.0,
        steps=(0.0,) * 10,
        held=True,  # one picture held throughout
    )
    assert report.ok()


def test_noise_level_steps_on_a_still_are_no_seam_and_no_stall() -> None:
    """A still with encoder-like noise: steps of a few hundredths of a level, and a keyframe's refresh of a
    tenth of a level at the wrap. The old 0.05 floor read that wrap as 2x a step (and any real change in
    such a video as over 100x); against STEP_FLOOR it is well under one step."""
    rng = np.random.default_rng(3)
    base = grating(0.0)
    frames = [base + rng.normal(0.0, 0.02, base.shape).astype(np.float32) for _ in range(60)]
    frames[0] = frames[0] + np.float32(0.1)  # the wrap's refresh: 0.1 level everywhere
    report = measure_loop(frames, blur_sigma=0)
    assert report.step_median < 0.05 and report.seam_diff > 0.09
    assert report.seam == pytest.approx(report.seam_diff / STEP_FLOOR)
    assert report.seam < 0.5
    assert report.stalls == ()
    assert report.ok()


def test_jump_in_a_still_is_large() -> None:
    frames = [grating(0.0) for _ in range(9)] + [grating(5.0)]
    report = measure_loop(frames)
    assert report.step_median == 0.0  # one real step (8 -> 9) among zeros leaves the median at 0 ...
    # ... so the floor is the denominator: the jump back is counted in units of the smallest visible motion
    assert report.seam == pytest.approx(report.seam_diff / STEP_FLOOR)
    assert report.seam > 20
    assert not report.ok()


def test_a_slow_step_of_real_motion_is_no_stall() -> None:
    """Footage slows for a frame without repeating it (measured 0.18 of its neighbours on real footage)."""
    positions = np.cumsum([1.0] * 10 + [0.18] + [1.0] * 10)
    report = measure_loop([grating(float(p)) for p in positions])
    around = min(report.steps[9], report.steps[11])
    assert STALL_RATIO * around < report.steps[10] < 0.2 * around  # a stall by the old 0.2 ratio
    assert report.stalls == ()


def test_a_frame_rate_conversion_by_repeats_stalls_in_a_cadence() -> None:
    """25 fps motion shown at 30 fps by repeating every 5th source frame: a repeat every 6 output frames."""
    source = linear(40, 1.2)
    shown = [source[int(k * 25 / 30)] for k in range(48)]
    report = measure_loop(shown)
    assert len(report.stalls) >= 6
    assert stall_cadence(report.stalls) == 6


def test_scattered_stalls_have_no_cadence() -> None:
    assert stall_cadence((11,)) is None
    assert stall_cadence((3, 40)) is None
    assert stall_cadence((3, 17, 40, 41)) is None
    assert stall_cadence((5, 11, 17, 29, 35)) == 6  # a repeat too slow to see leaves a double gap
    assert stall_cadence((4, 9, 13, 18, 23)) == 5  # 23.976 -> 30 fps drifts by a frame


def test_uint8_does_not_wrap_around() -> None:
    fwd = linear(20, 1.3)
    as_float = measure_loop(fwd)
    as_uint8 = measure_loop([np.clip(np.rint(f), 0, 255).astype(np.uint8) for f in fwd])
    assert as_uint8.seam == pytest.approx(as_float.seam, rel=0.02)
    assert as_uint8.step_median == pytest.approx(as_float.step_median, rel=0.02)


def test_rejects_bad_input() -> None:
    f = grating(0.0)
    with pytest.raises(ValueError, match="at least 3"):
        measure_loop([f, f])
    with pytest.raises(ValueError, match="shape"):
        measure_loop([f, f, f[:, :-1]])
    with pytest.raises(ValueError, match="2-D"):
        measure_loop([np.zeros((4, 4, 3))] * 3)
    with pytest.raises(ValueError, match="blur_sigma"):
        measure_loop([f, f, f], blur_sigma=-1.0)


def test_blur_keeps_per_frame_noise_from_hiding_a_jump() -> None:
    # Fresh noise in every frame adds the same floor to every difference, squeezing the seam towards 1.
    rng = np.random.default_rng(11)
    frames = [f + rng.normal(0.0, 40.0, f.shape).astype(np.float32) for f in linear(30, PERIOD / 30)[:19]]
    raw = measure_loop(frames, blur_sigma=0)
    blurred = measure_loop(frames)
    assert raw.seam < 2.0
    assert blurred.seam > 2 * raw.seam


@settings(max_examples=40, deadline=None)
@given(speed=st.floats(min_value=0.3, max_value=4.0), n=st.integers(min_value=4, max_value=40))
def test_pingpong_property(speed: float, n: int) -> None:
    fwd = linear(n, speed)
    good = measure_loop(good_pingpong(fwd))
    assert good.stalls == ()
    assert good.seam <= 1.25
    assert measure_loop(naive_pingpong(fwd)).stalls == (0, n)


def test_pingpong_of_footage_faster_at_its_start_is_still_seamless() -> None:
    """The wrap of a correct ping-pong is the source's first step; if the source moves faster there than on
    average, the global median alone would call that ordinary step a jump. The local motion clears it."""
    positions = np.cumsum([3.0] * 6 + [1.0] * 24)  # fast for the first frames, then slow
    source = [grating(float(p)) for p in positions]
    loop = source + source[-2:0:-1]
    report = measure_loop(loop)
    assert report.seam_diff / report.step_median > 1.25  # what the global rule alone would say
    assert report.seam <= 1.25
    assert report.stalls == ()


def test_pingpong_of_footage_with_one_fast_first_step_is_seamless() -> None:
    """The wrap of a ping-pong is the source's first step played back: ordinary however it compares with
    the median (this read 12.9 against the medians alone)."""
    source = [grating(p) for p in [0.0, *(4 + 0.3 * np.arange(25))]]
    report = measure_loop(source + source[-2:0:-1])
    assert report.seam_diff / max(report.step_median, report.local_median) > 10
    assert report.seam <= 1.0 + 1e-6
    assert report.ok()


def test_cut_in_fast_footage_is_still_a_seam() -> None:
    """Local motion does not excuse a real jump: a cut back to the start of moving footage reads high."""
    source = [grating(2.0 * i) for i in range(30)]
    assert measure_loop(source).seam > 1.25


def lit(offsets: list[float]) -> list[np.ndarray]:
    """Frames whose steps are known exactly: one picture lifted by a uniform offset per frame (a uniform
    offset survives the blur unchanged, so step k is |offsets[k] - offsets[k-1]|)."""
    base = grating(0.0) * 0.5 + 64.0
    return [base + np.float32(o) for o in offsets]


def test_an_eased_turnaround_with_encoder_noise_is_no_stall() -> None:
    """A push-in on a flat photo: steps of ~0.1 level, easing to zero at the turnaround, where a keyframe
    lifts two frames by 0.08 (noise, like the encoder's refresh). The old rule (neighbours over 0.05 and
    half the median) called the flat step between them a stall; neighbours of noise are no motion."""
    n = 210
    offsets = [12.0 * (1 - np.cos(2 * np.pi * k / n)) / 2 for k in range(n)]
    offsets[104] += 0.08
    offsets[105] += 0.08
    report = measure_loop(lit(offsets))
    steps = report.steps
    assert 0.5 * report.step_median < min(steps[104], steps[106]) < STEP_FLOOR
    assert steps[105] < 0.2 * min(steps[104], steps[106])  # what the old rule flagged
    assert report.stalls == ()


def test_a_repeat_inside_slow_but_visible_motion_is_still_a_stall() -> None:
    """Steps of 0.4 level (over the floor): a repeat there is a hitch, and is found."""
    forward = list(np.arange(40) * 0.4)
    offsets = forward + forward[-2:0:-1]  # a clean ping-pong ...
    offsets.insert(20, offsets[19])  # ... with one frame shown twice
    report = measure_loop(lit(offsets))
    assert report.stalls == (20,)


# --- held content: flashing and slideshow patterns (shaped like the IRIS flash test videos) --------------


def held(pattern: str) -> list[np.ndarray]:
    """One frame per character: each letter is its own flat picture (``a`` dark, ``b`` light, ...)."""
    return [np.full((H, W), 40.0 + 40.0 * (ord(c) - ord("a")), np.float32) for c in pattern]


def test_a_flash_pattern_with_holds_has_no_stalls_and_no_cadence() -> None:
    """Like IRIS 3Hz_6s (25 fps): three-frame flashes with one two-frame gap, then a pause, every 25 frames;
    the two-frame gap is a single 0 step between two swaps. Those are the pattern's own holds, not a
    24 -> 25 fps conversion."""
    cycle = "bbbaaabbbaabbb" + "a" * 11
    assert len(cycle) == 25
    report = measure_loop(held(cycle * 6), blur_sigma=0)
    assert report.held
    assert report.stalls == ()
    # Even given those repeats as stalls, the steps between them are mostly holds: no cadence.
    singles = tuple(range(10, 150, 25))
    assert all(report.steps[i] == 0.0 < min(report.steps[i - 1], report.steps[i + 1]) for i in singles)
    assert stall_cadence(singles) == 25
    assert stall_cadence(singles, report.steps) is None


def test_a_picture_swapping_between_holds_has_no_seam_when_the_wrap_is_one_more_swap() -> None:
    """Like IRIS gray: grey and white swap every 4-5 frames; the median step is 0 (held frames), and the
    wrap is one more 40-level swap, like every other one."""
    report = measure_loop(held("aaaabbbbaaaabbbbbaaaabbbbaaaabbbbbaaaabbbbaaaabbbb"), blur_sigma=0)
    assert report.step_median == 0.0 and report.held
    assert report.seam_diff == pytest.approx(40.0)
    assert report.seam == pytest.approx(1.0)
    assert report.ok()


def test_held_flashes_at_full_rate_are_no_stalls() -> None:
    """Like IRIS 2Hz_5s (5 fps): six held frames, then a picture swapping every frame with single holds.
    The neighbours of those holds are swaps of the whole picture, but the content holds its frames."""
    report = measure_loop(held("aaaaaaa" + "babababa" + "ab" + "aba" + "ba" + "abab" + "b"), blur_sigma=0)
    assert report.step_median > STEP_FLOOR and report.held
    assert report.stalls == ()


def test_one_change_in_a_still_is_still_a_seam() -> None:
    """A still that changes once and changes back at the wrap: held, but with one change there is no
    rhythm of changes, so the wrap is a jump in units of the floor."""
    report = measure_loop(held("a" * 30 + "b" * 10), blur_sigma=0)
    assert report.held
    assert report.seam == pytest.approx(40.0 / STEP_FLOOR)


def test_a_30_to_60_conversion_is_not_held_and_stalls_in_a_cadence() -> None:
    """30 fps motion at 60 fps shows every frame twice: every other step is 0, never two in a row."""
    shown = [f for f in linear(30, 1.2) for _ in range(2)]
    report = measure_loop(shown)
    assert not report.held
    assert len(report.stalls) >= 20
    assert stall_cadence(report.stalls, report.steps) == 2
