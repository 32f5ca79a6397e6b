"""The one pipeline: --dry-run prints exactly the commands a render runs (every pass, in order, read back
from the runner's own log), canvases and clips go through the same steps, and the progress events name
them in order."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from mediakit import ClipOptions, render
from mediakit.kinds.canvas import CanvasOptions
from mediakit.probe import probe
from tests.media import MediaFactory

pytestmark = pytest.mark.integration

FAST = {"x264_preset": "ultrafast"}


def _ran(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The commands the runner started, as it logged them (`running: ...`, feeders included)."""
    return [
        re.sub(r"^running(?: \(feeder\))?: ", "", r.getMessage())
        for r in caplog.records
        if r.name == "mediakit.ffmpeg.runner" and r.getMessage().startswith("running")
    ]


def _same_workdir(commands: list[str], work: str | None) -> list[str]:
    # A render's private temp folder (captions, level candidates) is made per run: named alike here.
    return [re.sub(r"/[^ '/]*mediakit-(canvas|clip)-[^/ ']+", "/WORK", c) for c in commands]


@pytest.mark.parametrize(
    ("kind", "source", "options"),
    [
        ("canvas", "still", CanvasOptions(duration=3, size="540x960", **FAST)),
        ("canvas", "footage", CanvasOptions(duration=3, loop="pingpong", **FAST)),
        ("canvas", "footage", CanvasOptions(duration=3, loop="crossfade", **FAST)),
        ("clip", "song-still", ClipOptions(duration=4, text="Tap save", **FAST)),
    ],
)
def test_dry_run_prints_exactly_the_commands_that_run(
    kind: str, source: str, options, media: MediaFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if source == "still":
        src = media.still("pipe-still.png", (900, 1600))
    elif source == "footage":
        src = media.video("pipe-footage.mp4", size="640x360", seconds=4)
    else:
        src = media.still("pipe-cover.png", (800, 800))
        song = media.video("pipe-song.mp4", size="64x64", seconds=8, audio=True)
        options = ClipOptions(**{**options.__dict__, "audio": str(song)})
    out = tmp_path / f"out.{kind}.mp4"
    planned = render(kind, src, out, options, dry_run=True)
    assert not out.exists() and not list(tmp_path.iterdir())  # a dry run writes nothing
    caplog.set_level(logging.DEBUG, logger="mediakit.ffmpeg.runner")
    done = render(kind, src, out, options)
    ran = _ran(caplog)
    assert _same_workdir(list(planned.commands), None) == _same_workdir(ran, None)
    assert list(done.commands) == ran  # and the result says what ran
    if kind == "clip":
        # the loudness step first (measure, then encoded candidates each measured), then the encode, then
        # the loudness of the written file (before it is renamed into place)
        assert "ebur128" in ran[0] and "libx264" in ran[-2] and len(ran) >= 5
        assert "ebur128" in ran[-1] and ".out.clip.part.mp4" in ran[-1]
    assert probe(out).primary_video is not None


def test_canvas_and_clip_report_the_same_steps_in_order(media: MediaFactory, tmp_path: Path) -> None:
    cover = media.still("steps-cover.png", (800, 800))
    song = media.video("steps-song.mp4", size="64x64", seconds=6, audio=True)
    seen: dict[str, list[str]] = {"canvas": [], "clip": []}
    for kind, options in (
        ("canvas", CanvasOptions(duration=3, size="540x960", **FAST)),
        ("clip", ClipOptions(duration=4, audio=str(song), **FAST)),
    ):
        steps = seen[kind]

        def on_event(event, steps=steps) -> None:
            if not steps or steps[-1] != event.step:
                steps.append(event.step)

        render(kind, cover, tmp_path / f"c.{kind}.mp4", options, on_event=on_event)
    assert seen["canvas"] == ["probing", "drawing and encoding frames", "validating"]
    assert seen["clip"] == ["probing", "measuring loudness", "drawing and encoding frames", "validating"]


def test_a_preset_of_another_kind_is_refused(media: MediaFactory, tmp_path: Path) -> None:
    from mediakit.errors import UsageError

    with pytest.raises(UsageError, match="is for a clip, not a canvas"):
        render("canvas", media.still("k.png", (900, 1600)), tmp_path / "x.mp4", preset="spotify-clip")
