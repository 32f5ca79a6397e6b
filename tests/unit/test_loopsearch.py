"""The loop search on synthetic frame sequences (no decoding): it finds a planted period, turns a ping-pong
where the motion comes to rest, never offers a still, black or cut-crossing window, and its --start selects
the frame it scored."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import cv2
import numpy as np
import pytest

from mediakit.analysis.loop import measure_loop
from mediakit.analysis.loopsearch import _start_text, loop_frames, scan_frames, search_loops

FPS = Fraction(30)
LENGTHS = range(90, 241)  # 3-8 s at 30 fps, a Spotify Canvas's range
W, H = 64, 36


def _texture(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = cv2.resize(rng.random((24, 40)).astype(np.float32), (W * 4, H * 4), interpolation=cv2.INTER_CUBIC)
    t = cv2.GaussianBlur(t, (0, 0), 3)
    return (40 + 170 * (t - t.min()) / (t.max() - t.min())).astype(np.float32)


def _view(texture: np.ndarray, x: float, y: float) -> np.ndarray:
    m = np.float32([[1, 0, -x], [0, 1, -y]])
    return cv2.warpAffine(texture, m, (W, H), flags=cv2.INTER_LINEAR)


def _random_walk(texture: np.ndarray, n: int, rng: np.random.Generator, start=(64.0, 36.0)) -> list:
    pos, vel, out = np.array(start), np.zeros(2), []
    for _ in range(n):
        vel = 0.9 * vel + rng.normal(0, 0.3, 2)
        pos = np.clip(pos + vel, 2, [W * 3 - 2, H * 3 - 2])
        out.append(_view(texture, *pos))
    return out


def _planted(period: int, before: int = 200, inside: int = 300, after: int = 150, seed: int = 1) -> list:
    """Random motion, then `inside` frames repeating every `period` (a shift on an ellipse), then random."""
    rng = np.random.default_rng(seed)
    tex = _texture(seed)
    frames = _random_walk(tex, before, rng)
    for i in range(inside):
        th = 2 * np.pi * i / period
        frames.append(_view(tex, 90 + 20 * np.cos(th), 40 + 10 * np.sin(th)))
    return frames + _random_walk(tex, after, rng, start=(90.0, 40.0))


def _span(c) -> int:
    return {"pingpong": c.frames // 2 + 1, "crossfade": c.frames + 30}.get(c.mode, c.frames)


def _first(c) -> int:
    return round((c.start + 0.02) * 30)  # the frame --start selects (see test_start_selects_the_frame)


@pytest.mark.parametrize("period", [75, 100])
def test_the_planted_period_wins_as_a_cut_loop(period):
    frames = _planted(period)
    best = search_loops(scan_frames(np.stack(frames), FPS), LENGTHS)[0]
    assert best.mode == "cut"
    multiple = round(best.frames / period)
    assert multiple >= 1 and abs(best.frames - multiple * period) <= 1, best
    assert _first(best) >= 200 and _first(best) + best.frames <= 500, best
    # What the search predicts, the loop measure confirms on the very frames.
    report = measure_loop(loop_frames(frames[_first(best) :], "cut", best.frames, 30))
    assert report.ok(), (best, report.seam, report.stalls)


def test_a_still_or_black_stretch_never_wins_and_nothing_to_loop_gives_nothing():
    frames = _planted(100, before=100, inside=100, after=100)
    still = [frames[-1]] * 300  # 10 s that do not move: any window in it would "loop" perfectly
    black = [np.full((H, W), 16, np.float32)] * 30  # a second of black between them
    scanned = scan_frames(np.stack(frames + black + still), FPS)
    found = search_loops(scanned, LENGTHS, top=10)
    assert found
    for c in found:
        assert _first(c) + _span(c) <= 300, c
    assert search_loops(scan_frames(np.stack(still), FPS), LENGTHS) == []
    # A picture that changes every third of a second (a slideshow, a blink) never holds for 0.5 s, but
    # most of its steps are no motion: the movement floor keeps it out.
    tex = _texture(3)
    ticking = [_view(tex, 20 + 3 * (i // 10), 30) for i in range(400)]
    assert search_loops(scan_frames(np.stack(ticking), FPS), LENGTHS) == []


def test_no_window_holds_a_cut():
    frames = _planted(100)
    other = _texture(9)
    frames[350:] = [_view(other, 60 + 0.7 * i, 30) for i in range(len(frames) - 350)]  # a new shot
    found = search_loops(scan_frames(np.stack(frames), FPS, cuts=[350]), LENGTHS, top=10)
    assert found
    for c in found:
        first = _first(c)
        assert first + _span(c) <= 350 or first >= 350, c


def test_a_ping_pong_turns_where_the_motion_comes_to_rest():
    """A swing (cosine, 120 frames a cycle): its speed is zero at both ends, so the ping-pong's
    turnarounds land on them, whatever the length."""
    tex = _texture(4)
    frames = [_view(tex, 60 + 40 * np.cos(2 * np.pi * i / 120), 36) for i in range(400)]
    best = search_loops(scan_frames(np.stack(frames), FPS), LENGTHS, modes=("pingpong",))[0]
    first, last = _first(best), _first(best) + _span(best) - 1
    assert min(first % 60, 60 - first % 60) <= 1, best
    assert min(last % 60, 60 - last % 60) <= 1, best
    assert best.score < 0.5  # a turnaround at rest, not a bounce (about 2 at full speed)


@pytest.mark.parametrize("fps", [Fraction(30), Fraction(25), Fraction(24000, 1001), Fraction(30000, 1001)])
def test_start_selects_the_frame_it_scored(fps):
    """ffmpeg keeps the frames at or after -ss (which mediakit rounds to 4 decimals): the printed start
    must keep the frame and drop the one before it."""
    for index in range(1, 2000, 7):
        t = index / float(fps)
        start = _start_text(t, fps)
        assert (index - 1) / float(fps) < round(start, 4) <= t, (index, start)


def test_loop_frames_are_the_rendered_loops():
    frames = [np.full((4, 4), float(i), np.float32) for i in range(20)]
    pp = loop_frames(frames, "pingpong", 10, 0)
    assert [f[0, 0] for f in pp] == [0, 1, 2, 3, 4, 5, 4, 3, 2, 1]
    cut = loop_frames(frames, "cut", 10, 0)
    assert [f[0, 0] for f in cut] == list(range(10))
    xf = loop_frames(frames, "crossfade", 10, 4)
    # body = source[4:14]; its last 4 frames dissolve into source[0:4]: 10, 11, 12, 13 -> 0, 1, 2, 3
    assert [round(float(f[0, 0]), 2) for f in xf] == [4, 5, 6, 7, 8, 9, 10, 8.5, 7, 5.5]


def test_the_match_is_of_motion_not_only_of_pictures():
    """A swing passes every position twice a cycle, going one way and then the other: a single frame
    matches at many lengths, but only whole cycles continue the motion (Schödl's filter over the wrap)."""
    tex = _texture(5)
    rng = np.random.default_rng(5)
    # Sensor or encoder noise on every frame: no two frames are equal, so exact matches cannot decide.
    frames = [
        _view(tex, 60 + 40 * np.cos(2 * np.pi * i / 120), 36) + rng.normal(0, 1.0, (H, W)).astype(np.float32)
        for i in range(500)
    ]
    best = search_loops(scan_frames(np.stack(frames), FPS), LENGTHS, modes=("cut",))[0]
    assert min(abs(best.frames - 120), abs(best.frames - 240)) <= 1, best


def test_rate_conversion_blends_like_ffmpeg_framerate():
    from mediakit.analysis.loopsearch import _Blender

    # 20 fps to 30 fps: output 0 is source 0; output 1 (1/30 s) is 2/3 of the way to source 1 (1/20 s);
    # output 2 (2/30 s) a third of the way from source 1 to source 2; output 3 is source 2 itself.
    blender = _Blender(Fraction(30))
    out = []
    for i in range(4):
        out += blender.push(i / 20, (np.full((2, 2), 30.0 * i, np.float32),))
    values = [float(items[0][0, 0]) for _, items in out]
    assert values == pytest.approx([0, 20, 40, 60, 80])
    # Within 15/256 of a source frame framerate shows that frame unblended (its interp_start/interp_end).
    near = _Blender(Fraction(1000, 49))  # outputs 1 and 2 land 2 % and 4 % of an interval before sources 1, 2
    got = []
    for i in range(3):
        got += near.push(i / 20, (np.full((1, 1), 100 * i, np.uint8),))
    assert [int(items[0][0, 0]) for _, items in got] == [0, 100, 200]


def test_a_loop_that_still_shows_says_which_bar_and_why():
    from mediakit.analysis.loopsearch import LoopCandidate, shortfalls
    from mediakit.preset import resolve

    rule = resolve("spotify-canvas").rule("loop-seam")
    assert rule is not None
    limit = rule.params["max_seam"]  # what the deep check allows (2.0 for a Spotify Canvas)
    base = LoopCandidate(1.0, 120, FPS, "cut", 0.5, 3.0)
    over_own_bar = shortfalls(dataclasses.replace(base, seam=1.4), limit)
    assert len(over_own_bar) == 1
    assert "seam 1.40" in over_own_bar[0] and "mediakit's own bar of 1.25" in over_own_bar[0]
    assert f"the deep check allows up to {limit:g}" in over_own_bar[0]
    assert "warns over" in shortfalls(dataclasses.replace(base, seam=limit + 0.5), limit)[0]
    # A loop that fails on repeated frames, not on its seam, says stalls (and nothing about the seam).
    stalled = shortfalls(dataclasses.replace(base, seam=0.8, stalls=(0, 45)), limit)
    assert stalled == [
        "the most seamless loop this footage gives still repeats a frame (stalls at the wrap, 1.50 s of the "
        "loop); the deep check flags stalls"
    ]
    assert shortfalls(dataclasses.replace(base, seam=0.8), limit) == []


def test_search_memory_follows_the_footage_not_the_lengths():
    import tracemalloc

    # 100 s at 30 fps of random motion, searched over every 3-8 s length in every mode.
    frames = np.stack(_random_walk(_texture(3), 3000, np.random.default_rng(3)))
    scanned = scan_frames(frames, FPS)
    tracemalloc.start()
    try:
        found = search_loops(scanned, LENGTHS, top=5)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert found
    # A lag and a window median per span (about 530 x 3000 floats, 13 MB) and their transients: 18.5 MB
    # measured; keeping every window's score for every length and mode as well took 104 MB here.
    assert peak < 25e6, peak / 1e6
