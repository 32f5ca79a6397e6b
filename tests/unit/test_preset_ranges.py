"""Renders follow each preset's duration range as it is written (open or closed ends) and its size rules,
refusing before any file is read what the preset would refuse after the render."""

from __future__ import annotations

from fractions import Fraction

import pytest

from mediakit.errors import UsageError
from mediakit.kinds.canvas import CanvasOptions
from mediakit.kinds.clip import ClipOptions
from mediakit.preset import resolve
from mediakit.rendering import canvas, clip


@pytest.mark.parametrize(
    ("preset", "seconds", "ok"),
    [
        ("spotify-clip", 30.0, False),  # "shorter than 30 seconds": open
        ("spotify-clip", 3.0, False),  # "longer than 3 seconds": open
        ("spotify-clip", 29.0, True),
        ("instagram-reels", 180.0, True),  # up to 3 minutes: closed
        ("instagram-reels", 181.0, False),
        ("spotify-canvas", 8.0, True),  # 3-8 s, both ends allowed
        ("apple-motion-tall", 7.9, False),
    ],
)
def test_the_duration_range_is_the_presets_own(preset: str, seconds: float, ok: bool) -> None:
    profile = resolve(preset)
    options = (ClipOptions if profile.kind == "clip" else CanvasOptions)(duration=seconds)
    check = clip.check_options if profile.kind == "clip" else canvas.check_options
    if ok:
        check(options, profile)  # type: ignore[arg-type]
    else:
        with pytest.raises(UsageError, match="outside the"):
            check(options, profile)  # type: ignore[arg-type]


def test_whole_frames_land_inside_each_kind_of_range() -> None:
    fps = Fraction(30000, 1001)
    assert canvas.whole_frames(30.0, Fraction(30), resolve("spotify-clip")) == 899  # under 30 s
    assert canvas.whole_frames(3.0, Fraction(30), resolve("spotify-clip")) == 91  # over 3 s
    assert canvas.whole_frames(180.0, Fraction(30), resolve("instagram-reels")) == 5400  # 180 s allowed
    assert canvas.whole_frames(8.0, fps, resolve("spotify-canvas")) == 239  # 239 frames = 7.974 s <= 8 s


@pytest.mark.parametrize(
    ("preset", "size", "ok"),
    [
        ("apple-motion-square", "720x720", False),  # Apple wants 3840x3840
        ("spotify-canvas", "720x1280", True),
        ("spotify-canvas", "400x712", False),  # under 720 px tall
        ("spotify-canvas", "1080x1918", False),  # not the shape
        ("spotify-canvas", "20000x35556", False),
    ],
)
def test_a_size_the_preset_refuses_is_refused_before_rendering(preset: str, size: str, ok: bool) -> None:
    options, profile = CanvasOptions(size=size), resolve(preset)
    if ok:
        canvas.check_options(options, profile)
    else:
        with pytest.raises(UsageError, match="--size"):
            canvas.check_options(options, profile)
