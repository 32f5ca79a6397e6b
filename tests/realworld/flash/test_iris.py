"""EA IRIS's published test videos: mediakit's flash verdicts and per-frame counts against IRIS's own logs."""

from __future__ import annotations

import csv
import dataclasses
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from mediakit.analysis import flash
from mediakit.analysis.video import VideoMeasures, VideoNeeds, measure_video
from mediakit.deep import deep_check
from mediakit.preset import Preset, resolve
from mediakit.probe import probe

pytestmark = pytest.mark.realworld

HERE = Path(__file__).resolve().parent
VIDEOS = sorted(p.stem for p in HERE.glob("*.mp4"))
# IRIS's logs (test/Iris.Tests/data/ExpectedVideoLogFiles/<name>_RELATIVE.csv), one row per frame. Columns
# of the format its VideoAnalysisTests check, and of the older format of flashStripes' log, which no IRIS
# test reads (its FlashFailedFrames is 2 from the frame whose second holds a 7th transition).
CURRENT = {"lum": 11, "red": 12, "lum_extended": 13, "red_extended": 14, "lum_result": 15, "red_result": 16}
OLDER = {"lum": 7, "red": 8, "failed": 10}
# IRIS's FlashResult: 0 pass, 1 warning (4+ transitions in a second), 2 extended failure, 3 flash failure.
EXTENDED, FAIL = 2, 3
# Where a transition lands one frame apart: GradualRedIncrease's red falls by 19.6 at frame 13 in IRIS's
# decode and by 20.2 in mediakit's (one code value of red), against a threshold of "more than 20".
ONE_FRAME_APART = {("GradualRedIncrease", "red")}


@cache
def iris_log(name: str) -> tuple[dict[str, int], np.ndarray]:
    with (HERE / f"{name}_RELATIVE.csv").open(newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    columns = CURRENT if "LuminanceExtendedFailCount" in header else OLDER
    table = np.array([[int(float(row[i])) for i in columns.values()] for row in rows])
    return dict(zip(columns, range(len(columns)), strict=True)), table


@cache
def measured(name: str) -> VideoMeasures:
    video = measure_video(probe(HERE / f"{name}.mp4"), VideoNeeds(flashes=True))
    assert video is not None and video.blocks is not None
    return video


def flash_rules() -> Preset:
    canvas = resolve("canvas")
    return dataclasses.replace(canvas, rules=tuple(r for r in canvas.rules if "flash" in r.check))


def test_every_video_has_its_iris_log() -> None:
    assert len(VIDEOS) == 8
    for name in VIDEOS:
        iris_log(name)


@pytest.mark.parametrize("name", VIDEOS)
def test_the_verdict_is_iris_s(name: str) -> None:
    col, log = iris_log(name)
    if "failed" in col:
        flash_fail, extended = bool(log[:, col["failed"]].any()), None
    else:
        results = log[:, [col["lum_result"], col["red_result"]]]
        flash_fail, extended = bool((results == FAIL).any()), bool((results == EXTENDED).any())
    found = {f.rule: f for f in deep_check(probe(HERE / f"{name}.mp4"), flash_rules())}
    assert ("flashing" in found) is flash_fail, found
    if extended is not None:
        assert ("extended-flash" in found) is extended, found
        if extended:
            assert found["extended-flash"].severity == "warning"


@pytest.mark.parametrize("name", VIDEOS)
def test_transitions_a_second_and_extended_counts_frame_by_frame_are_iris_s(name: str) -> None:
    col, log = iris_log(name)
    video = measured(name)
    assert video.frames == len(log)
    p = flash_rules().rule("flashing").params
    ext = flash_rules().rule("extended-flash").params
    assert video.blocks is not None
    general, reds = flash.general_and_red(
        video.times, video.blocks, p["luminance_change"], p["dark_threshold"], p["min_area"]
    )
    low, high = 2 * ext["min_flashes_per_second"], 2 * ext["max_flashes_per_second"]
    step = float(np.median(np.diff(video.times)))
    for kind, counts in (("lum", general), ("red", reds)):
        ours, theirs = counts.transitions, log[:, col[kind]]
        if (name, kind) in ONE_FRAME_APART:
            near = [theirs[max(i - 1, 0) : i + 2] for i in range(len(theirs))]
            off = [i + 1 for i, (n, around) in enumerate(zip(ours, near, strict=True)) if n not in around]
            assert not off, f"{kind} transitions more than a frame from IRIS's at frames {off}"
            assert ours.max() == theirs.max()
            continue
        off = (np.nonzero(ours != theirs)[0] + 1).tolist()
        assert not off, f"{kind} transitions a second differ from IRIS's at frames {off[:10]}"
        if f"{kind}_extended" in col:
            active = (counts.transitions >= low) & (counts.transitions <= high)
            held = flash.sustained(video.times, active, ext["window"], video.end)
            frames = np.rint(held / step).astype(int)
            off = (np.nonzero(frames != log[:, col[f"{kind}_extended"]])[0] + 1).tolist()
            assert not off, f"{kind} extended counts differ from IRIS's at frames {off[:10]}"


# Flash patterns that hold their pictures between swaps (IRIS's descriptions: bursts of flashes each second,
# black/white from 1.2 s at 5 fps, grey and white swapping about 6 times a second). Their repeated frames
# are the pattern, not stalled motion or a frame-rate conversion; gray's wrap is one more swap, like the
# others (its last swap is 4 frames before the end, and it swaps every 4-5 frames).
HELD_PATTERNS = ("2Hz_5s", "2Hz_6s", "3Hz_6s", "extendedFLONG", "gray", "intermitentEF")


@pytest.mark.parametrize("name", HELD_PATTERNS)
def test_a_held_flash_pattern_has_no_loop_seam_or_stall(name: str) -> None:
    canvas = resolve("canvas")
    rules = dataclasses.replace(canvas, rules=tuple(r for r in canvas.rules if r.check == "loop-seam"))
    assert deep_check(probe(HERE / f"{name}.mp4"), rules) == ()
    video = measure_video(probe(HERE / f"{name}.mp4"), VideoNeeds(loop=True))
    assert video is not None and video.loop is not None
    assert video.loop.held and video.loop.stalls == ()
