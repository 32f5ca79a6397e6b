"""The clip kind's options: vertical video with sound (a track or the footage's own) and captions."""

from __future__ import annotations

from dataclasses import dataclass

from mediakit.kinds import common
from mediakit.options import option

CAPTION_STYLES = ("outline", "box", "karaoke")


@dataclass(frozen=True)
class ClipOptions:
    """Everything that shapes a clip; unset ones (None) come from the preset."""

    start: float = common.start()
    duration: float | None = common.duration(
        "all of the footage after --start (up to the preset's limit), or the preset's length for a still"
    )
    fit: str = common.fit()
    focus: tuple[float, float] = common.focus()
    color: str = common.color()
    motion: str = common.motion()
    zoom: float = common.zoom(1.08)
    audio: str | None = option(None, "A track to lay under the clip.", type="path", metavar="FILE")
    audio_start: float = option(
        0.0, "Where the track starts (s).", type="number", min=0.0, hint="0 (the default) or more"
    )
    mix: float = option(
        0.0,
        "Level (0-1) of the footage's own sound kept under --audio.",
        type="number",
        min=0.0,
        max=1.0,
        hint="0.2 keeps the footage's sound quietly under the track",
    )
    captions: str | None = option(
        None,
        "SRT, WebVTT or ASS file; cue times are in the source's time and follow --start.",
        type="path",
        metavar="FILE",
    )
    text: str | None = option(None, "One caption instead of a file.", type="str")
    at: tuple[float, float] | None = option(
        None,
        "When --text shows, e.g. 2-6 (seconds of the clip; default: all).",
        type="span",
        min=0.0,
        metavar="A-B",
    )
    caption_style: str = option("outline", "Caption look.", type="str", choices=CAPTION_STYLES)
    font: str | None = option(
        None, "A .ttf/.otf for captions (default: the bundled DejaVu Sans Bold).", type="path", metavar="FILE"
    )
    fps: int | None = common.fps()
    crf: int | None = common.crf()
    x264_preset: str | None = common.x264_preset()
    threads: int | None = common.threads()
