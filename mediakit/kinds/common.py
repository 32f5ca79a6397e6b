"""Options every render kind shares (framing, timing, encoding), declared once for all of them."""

from __future__ import annotations

from typing import Any

from mediakit.options import option
from mediakit.preset import RENDER_RATES
from mediakit.rendering.framing import FITS, MOTIONS
from mediakit.rendering.plan import X264_PRESETS


def motion() -> Any:
    return option("push-in", "Camera move when the source is a still.", type="str", choices=MOTIONS)


def zoom(default: float) -> Any:
    return option(
        default,
        "Strength of the move (1.0-1.5).",
        type="number",
        min=1.0,
        max=1.5,
        hint="1.05 is subtle, 1.12 the canvas default, 1.3 strong",
    )


def fit() -> Any:
    return option(
        "auto",
        "How a source of another shape fills the frame (auto: a still is cropped where a crop keeps its "
        "faces and text inside the safe zone in every frame, else shown whole over a blurred fill, and "
        "the warnings say which and why; footage is cropped; smart: footage is cropped per shot on a "
        "smooth path that follows the faces, else the motion, a still is framed as with auto; a preset "
        "may allow only crop).",
        type="str",
        choices=FITS,
    )


def focus() -> Any:
    return option(
        (0.5, 0.5),
        "X,Y (0-1) of the point kept in frame when cropping.",
        type="pair",
        min=0.0,
        max=1.0,
        metavar="X,Y",
        hint="0.5,0.5 is the centre; 0.5,0.3 keeps the upper part",
    )


def color() -> Any:
    return option("black", "Bar colour for --fit pad (a name or #RRGGBB).", type="str")


def start(auto: bool = False) -> Any:
    """Where the footage starts; with `auto`, "auto" asks the loop search (mediakit.analysis.loopsearch)."""
    if not auto:
        return option(
            0.0, "Where the footage starts (s).", type="number", min=0.0, hint="0 (the default) or more"
        )
    return option(
        0.0,
        "Where the footage starts (s), or auto: the loop search picks the start, length and (unless --loop "
        "is given) the loop that repeats most seamlessly.",
        type="number",
        choices=("auto",),
        min=0.0,
        metavar="SECONDS|auto",
        hint="0 (the default), more, or auto",
    )


def duration(default_text: str) -> Any:
    return option(
        None, "Length in seconds, inside the preset's range.", type="number", default_text=default_text
    )


def fps() -> Any:
    return option(
        None,
        "Frame rate.",
        type="int",
        choices=RENDER_RATES,  # type: ignore[arg-type]
        default_text="the footage's own (24/25/30 or NTSC, half of 50/60), else the preset's",
    )


def crf() -> Any:
    return option(
        None,
        "x264 quality (lower is better).",
        type="int",
        min=0,
        max=51,
        hint="lower is better quality; 18-23 is typical",
        default_text="the preset's (20)",
    )


def x264_preset() -> Any:
    return option(
        None,
        "x264 speed/size trade-off.",
        type="str",
        choices=X264_PRESETS,
        default_text="the preset's (slow)",
    )


def threads() -> Any:
    return option(None, "ffmpeg threads (default: all cores).", type="int", min=1, batch=False)
