"""The canvas kind's options: a silent looping visual from a still or footage."""

from __future__ import annotations

from dataclasses import dataclass

from mediakit.kinds import common
from mediakit.options import option
from mediakit.rendering.framing import LOOPS


@dataclass(frozen=True)
class CanvasOptions:
    """Everything that shapes a canvas; unset ones (None) come from the preset."""

    motion: str = common.motion()
    zoom: float = common.zoom(1.12)
    fit: str = common.fit()
    focus: tuple[float, float] = common.focus()
    color: str = common.color()
    loop: str = option(
        "auto",
        "Loop for footage: forwards-backwards, dissolve, or hard cut (auto: pingpong, or with --start auto "
        "the one the loop search finds most seamless).",
        type="str",
        choices=("auto", *LOOPS),
    )
    crossfade: float = option(
        1.0,
        "Dissolve length for --loop crossfade (s).",
        type="number",
        min=0.0,
        min_open=True,
        unit=" s",
        hint="1 (the default) is a soft dissolve",
    )
    start: float | str = common.start(auto=True)
    duration: float | None = common.duration("the preset's (7 s for a Spotify Canvas)")
    fps: int | None = common.fps()
    size: str | None = option(
        None,
        "Frame size WxH, the preset's shape (e.g. 720x1280 for a lighter Spotify Canvas).",
        type="str",
        metavar="WxH",
        default_text="the preset's (1080x1920)",
    )
    crf: int | None = common.crf()
    x264_preset: str | None = common.x264_preset()
    format: str = option("mp4", "mp4, or a JPEG still.", type="str", choices=("mp4", "jpg"))
    threads: int | None = common.threads()
