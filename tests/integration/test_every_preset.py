"""Every bundled preset renders, and its output passes that preset: re-validated by mediakit and checked
independently (PyAV) against the platform's figures, which are written here from docs/SPECS.md, not read
from the preset files."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import pytest

from mediakit import CanvasOptions, ClipOptions, render
from mediakit.preset import builtin_names, resolve
from mediakit.validate import validate_path
from tests import loudness_meter as meter
from tests.media import MediaFactory

pytestmark = pytest.mark.integration


# name -> (kind, width, height, (shortest, longest) s, audio?), from the platforms' figures (docs/SPECS.md).
FIGURES = {
    "spotify-canvas": ("canvas", 1080, 1920, (3.0, 8.0), False),
    "spotify-clip": ("clip", 1080, 1920, (3.0, 30.0), True),
    "apple-motion-tall": ("canvas", 2048, 2732, (8.0, 20.0), False),
    "apple-motion-square": ("canvas", 3840, 3840, (8.0, 20.0), False),
    "instagram-reels": ("clip", 1080, 1920, (0.0, 180.0), True),  # no published minimum
    "tiktok": ("clip", 1080, 1920, (0.0, 600.0), True),
    "youtube-shorts": ("clip", 1080, 1920, (0.0, 180.0), True),
}
FAST = {"x264_preset": "ultrafast"}


def test_the_table_covers_every_bundled_preset() -> None:
    assert set(FIGURES) == set(builtin_names())
    for name, (kind, *_rest) in FIGURES.items():
        assert resolve(name).kind == kind


def _independent(path: Path) -> tuple[int, int, float, Fraction, bool, int]:
    """(width, height, seconds, average rate, has audio, frames) as PyAV reads the file."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        frames = sum(1 for p in container.demux(video) if p.size)
        rate = video.average_rate
        seconds = frames / rate
        return (
            video.codec_context.width,
            video.codec_context.height,
            float(seconds),
            Fraction(rate),
            bool(container.streams.audio),
            frames,
        )


def _render(name: str, media: MediaFactory, out: Path) -> None:
    kind, _w, _h, (lo, _hi), _audio = FIGURES[name]
    cover = media.still("preset-cover.png", (1200, 1200))
    seconds = max(lo, 3.5)  # the shortest each platform takes (over 3 s, an open bound for clips)
    if kind == "canvas":
        render(kind, cover, out, CanvasOptions(duration=seconds, fps=24, **FAST), preset=name)
    else:
        song = media.video("preset-song.mp4", size="64x64", seconds=8, audio=True)
        options = ClipOptions(duration=seconds, audio=str(song), text="Out now", **FAST)
        render(kind, cover, out, options, preset=name)


@pytest.mark.parametrize(
    # Every preset at full size runs in make test-release (CI); make test renders one of each kind here,
    # the Apple presets as drafts below, and a made-up platform from its TOML file.
    "name",
    [
        n if n in ("spotify-canvas", "spotify-clip") else pytest.param(n, marks=pytest.mark.slow)
        for n in FIGURES
    ],
)
def test_every_preset_renders_to_its_own_figures(name: str, media: MediaFactory, tmp_path: Path) -> None:
    _kind, width, height, (lo, hi), audio = FIGURES[name]
    out = tmp_path / f"{name}.mp4"
    _render(name, media, out)
    report = validate_path(out, name)
    assert report.verdict() in ("pass", "warn"), [f.as_dict() for f in report.findings]
    assert not [f for f in report.findings if f.severity == "error"]
    got_w, got_h, seconds, rate, has_audio, frames = _independent(out)
    assert (got_w, got_h) == (width, height)
    assert lo <= seconds <= hi and frames == round(seconds * rate)
    assert Fraction(24000, 1001) <= rate <= 30
    assert has_audio is audio


def test_the_square_apple_asset_renders_as_a_draft(media: MediaFactory, tmp_path: Path) -> None:
    # The full 3840x3840 render is in the slow tier; its draft (720x720) shows the preset's shape and rules
    # hold on every push: 8 s, silent, crop only.
    out = tmp_path / "square.mp4"
    cover = media.still("preset-cover.png", (1200, 1200))
    result = render(
        "canvas", cover, out, CanvasOptions(duration=8, fps=24), preset="apple-square", draft=True
    )
    got_w, got_h, seconds, _rate, has_audio, _frames = _independent(out)
    assert (got_w, got_h) == (720, 720) and seconds == 8.0 and not has_audio
    assert result.draft and result.options.fit == "crop" and result.report.verdict() in ("pass", "warn")


def test_a_new_platform_is_a_new_toml_file(media: MediaFactory, tmp_path: Path) -> None:
    # A made-up platform: 720x1280, 4-10 s, audio at -16 LUFS; no code knows it, the file says it all.
    preset = tmp_path / "my-platform.toml"
    preset.write_text(
        """schema = 1
name = "my-platform"
kind = "clip"
title = "My platform"
accepts = ["video", "image"]

[render]
width = 720
height = 1280
fps = 25
duration = 6.0
crf = 23
x264_preset = "ultrafast"
audio = true
loudness = -16.0
true_peak = -2.0

[[rule]]
id = "duration"
check = "duration"
min = 4.0
max = 10.0
severity = "error"
source = "our spec"

[[rule]]
id = "size"
check = "size"
min_width = 720
min_height = 1280
severity = "error"
source = "our spec"
""",
        encoding="utf-8",
    )
    cover = media.still("preset-cover.png", (1200, 1200))
    song = media.video("preset-song.mp4", size="64x64", seconds=8, audio=True)
    out = tmp_path / "mine.mp4"
    result = render("clip", cover, out, ClipOptions(audio=str(song)), preset=str(preset))
    got_w, got_h, seconds, rate, has_audio, _frames = _independent(out)
    assert (got_w, got_h, seconds, rate, has_audio) == (720, 1280, 6.0, 25, True)
    assert result.preset == "my-platform"
    # measured by pyloudnorm (BS.1770, tests/loudness_meter.py), not by mediakit's ebur128 pass
    assert abs(meter.integrated(out) - -16.0) <= 0.5 and meter.true_peak(out) <= -2.0
