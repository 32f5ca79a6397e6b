"""The render kinds: each is a name, an options dataclass (fields carry their help, choices and bounds) and
a renderer module with a pure `plan`. A preset names its kind; commands, batch and kit look kinds up here."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from mediakit.errors import UsageError
from mediakit.kinds.canvas import CanvasOptions
from mediakit.kinds.clip import ClipOptions


@dataclass(frozen=True)
class Kind:
    """One kind of asset mediakit renders.

    `renderer` names the module that implements it (imported on first use, so listing kinds or generating
    `--help` loads no numpy or ffmpeg bindings). It provides `check_options(options, preset)`,
    `files(options)` (the other input files by role), `output_format(options)` ("mp4" or "jpg") and
    `plan(job) -> Plan` (see mediakit.pipeline.Job).
    """

    name: str
    title: str
    options: type[Any]
    default_preset: str
    renderer: str
    accepts: tuple[str, ...]  # what a source may be: "image", "video"

    def impl(self) -> ModuleType:
        return importlib.import_module(self.renderer)

    def suffix(self, options: Any, preset_name: str, draft: bool = False) -> str:
        """`.canvas.mp4` for the kind's own preset, `.apple-motion-tall.mp4` for another; `.draft` added."""
        tag = self.name if preset_name == self.default_preset else preset_name
        fmt = getattr(options, "format", "mp4")
        return f".{tag}{'.draft' if draft else ''}.{fmt}"


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if kind.name in _KINDS:
        raise ValueError(f"kind {kind.name!r} is registered twice")
    _KINDS[kind.name] = kind
    return kind


def get(name: str) -> Kind:
    try:
        return _KINDS[name]
    except KeyError:
        raise UsageError(f"unknown kind {name!r}", f"choose one of {', '.join(names())}") from None


def names() -> tuple[str, ...]:
    return tuple(_KINDS)


register(
    Kind(
        name="canvas",
        title="a silent looping visual (Spotify Canvas, Apple Music motion artwork)",
        options=CanvasOptions,
        default_preset="spotify-canvas",
        renderer="mediakit.rendering.canvas",
        accepts=("image", "video"),
    )
)
register(
    Kind(
        name="clip",
        title="a vertical video with sound and captions (Spotify Clips, Reels, TikTok, Shorts)",
        options=ClipOptions,
        default_preset="spotify-clip",
        renderer="mediakit.rendering.clip",
        accepts=("image", "video"),
    )
)
