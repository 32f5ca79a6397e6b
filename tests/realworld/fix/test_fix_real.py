"""`mediakit fix` on real clips nobody here made: the facts each expectation rests on (size, keyframe times,
streams, duration) are read by the ffmpeg binary (`ffmpeg -i`, `showinfo` over the keyframes), not by
mediakit, and the repaired files are read back the same way and by PyAV's packets."""

from __future__ import annotations

import hashlib
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import av
import pytest

from mediakit.fix.run import fix_file
from mediakit.validate import validate_path
from tests.media import FFMPEG
from tests.realworld.presets.test_presets_real import BIKES, BUNNY, ffmpeg_reading

pytestmark = [pytest.mark.fetched, pytest.mark.integration]

# A profile for landscape loops (a web player's, say): 3-8 s, H.264 MP4, silent. It lets the trims be
# tested on a real encoder's keyframes (bikes.mp4's are scene-cut placed: 0, 1.2, 3.04, 5.48, 7.48, 9.68 s)
# without a re-render for the shape.
LANDSCAPE_LOOP = """
schema = 1
name = "landscape-loop"
kind = "canvas"
title = "Landscape loop"
description = "3-8 s landscape H.264 MP4, silent."
accepts = ["video"]

[render]
width = 640
height = 272
fps = 25
duration = 7.0
crf = 20
x264_preset = "medium"
audio = false

[[rule]]
id = "duration"
check = "duration"
min = 3.0
max = 8.0
severity = "error"
source = "test profile"

[[rule]]
id = "format"
check = "container"
allowed = ["mp4"]
severity = "error"
source = "test profile"

[[rule]]
id = "audio"
check = "audio"
present = false
severity = "error"
source = "test profile"
"""


def keyframe_times(path: Path) -> list[float]:
    """Keyframe times as ffmpeg decodes them with every other frame skipped (`showinfo`'s pts_time)."""
    err = subprocess.run(
        [
            FFMPEG,
            "-hide_banner",
            "-skip_frame",
            "nokey",
            "-i",
            str(path),
            "-vf",
            "showinfo",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    return [float(t) for t in re.findall(r"pts_time:([\d.]+)", err)]


def video_packets(path: Path) -> list[str]:
    with av.open(str(path)) as c:
        return [hashlib.sha1(bytes(p)).hexdigest() for p in c.demux(c.streams.video[0]) if p.size]


def decoded_frames(path: Path) -> int:
    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(video=0))


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    p = tmp_path / "landscape-loop.toml"
    p.write_text(LANDSCAPE_LOOP)
    return p


def test_bikes_is_trimmed_under_8_s_keeping_the_encoders_packets(
    fetched: Callable[[str], Path], profile: Path, tmp_path: Path
) -> None:
    src = fetched(BIKES)
    facts = ffmpeg_reading(src)
    assert facts["seconds"] == 10.0 and facts["fps"] == 25.0 and not facts["audio"]
    keys = keyframe_times(src)
    assert keys == [0.0, 1.2, 3.04, 5.48, 7.48, 9.68]
    out = tmp_path / "bikes.fixed.mp4"
    result = fix_file(src, str(profile), output=out)
    assert result.status == "fixed", result.message
    got = ffmpeg_reading(out)
    assert got["seconds"] <= 8.0 and got["size"] == (640, 272)
    frames = decoded_frames(out)
    assert abs(frames / 25.0 - got["seconds"]) < 0.05  # every declared frame decodes
    kept = video_packets(out)
    source = video_packets(src)
    assert result.cut is not None
    if result.cut.method == "lossless":
        # A copy: the output is the source's first packets, byte for byte (an end needs no keyframe when
        # no kept frame refers to a dropped one).
        assert kept == source[: len(kept)] and len(kept) == frames
    else:
        # A smart cut: everything before the last keyframe inside the span is copied byte for byte.
        last_key = max(k for k in keys if k < result.cut.end)
        copied = round(last_key * 25)
        assert result.cut.method == "smart" and kept[:copied] == source[:copied]
    assert validate_path(out, str(profile)).verdict() == "pass"


def test_bikes_from_a_start_between_keyframes_is_a_smart_cut(
    fetched: Callable[[str], Path], profile: Path, tmp_path: Path
) -> None:
    """--start 2.0 lies between the keyframes at 1.2 and 3.04 s: only 2.0-3.04 s may be re-encoded."""
    src = fetched(BIKES)
    out = tmp_path / "bikes.fixed.mp4"
    result = fix_file(src, str(profile), output=out, start=2.0)
    assert result.status == "fixed", result.message
    assert result.cut is not None and result.cut.method == "smart", result.cut
    action = next(a for a in result.actions if a.finding.rule == "duration")
    assert action.repair == "smart-cut"
    # The re-encoded head is the 26 frames from 2.0 s to the keyframe at 3.04 s (and at most the tail GOP).
    assert 26 <= result.cut.reencoded_frames <= 26 + round((result.cut.end - 7.48) * 25) + 1
    assert decoded_frames(out) == result.cut.frames
    assert ffmpeg_reading(out)["seconds"] <= 8.0
    assert validate_path(out, str(profile)).verdict() == "pass"


def test_bunny_drops_its_51_track_and_copies_every_video_packet(
    fetched: Callable[[str], Path], profile: Path, tmp_path: Path
) -> None:
    src = fetched(BUNNY)
    facts = ffmpeg_reading(src)
    assert facts["audio"] and facts["seconds"] == 5.31
    # Bunny is 1280x720; the loop profile checks no size, so only the audio track is wrong.
    out = tmp_path / "bunny.fixed.mp4"
    result = fix_file(src, str(profile), output=out)
    assert result.status == "fixed" and result.repair is not None and result.repair.strongest == "remux"
    assert video_packets(out) == video_packets(src)
    assert not ffmpeg_reading(out)["audio"]


def test_bunny_as_a_canvas_is_cropped_to_720x1280(fetched: Callable[[str], Path], tmp_path: Path) -> None:
    """1280x720 cropped to 9:16 fills 720x1280 at 1.78x (1280/720), under the 2x limit; the audio goes."""
    src = fetched(BUNNY)
    out = tmp_path / "bunny.fixed.mp4"
    result = fix_file(src, "canvas", output=out)
    assert result.status == "fixed", result.message
    got = ffmpeg_reading(out)
    assert got["size"] == (720, 1280) and not got["audio"]
    assert validate_path(out, "canvas").verdict() != "fail"


@pytest.mark.parametrize(
    ("rel", "preset", "factor"),
    [(BIKES, "canvas", 1280 / 272), (BUNNY, "clip", 1920 / 720)],
    ids=["bikes-canvas", "bunny-clip"],
)
def test_too_small_to_reframe_is_refused_with_the_factor(
    fetched: Callable[[str], Path], tmp_path: Path, rel: str, preset: str, factor: float
) -> None:
    src = fetched(rel)
    out = tmp_path / "out.mp4"
    result = fix_file(src, preset, output=out)
    assert result.status == "unfixable" and not out.exists()
    assert f"enlarged {factor:.2f}x" in result.hint
