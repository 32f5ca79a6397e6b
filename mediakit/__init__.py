"""mediakit: spec-checked vertical video for a release (Spotify Canvas and Clips, Apple Music motion
artwork, Reels, TikTok, Shorts) from stills, footage and songs.

The public API (each name is loaded on first use, so `import mediakit` stays light):

- `render(kind, source, output=None, options=None, *, preset=None, ...) -> Result`, and the shorthands
  `render_canvas` / `render_clip`; `CanvasOptions`, `ClipOptions` (one field per option, with its help);
- `validate_path(path, profile=None, *, deep=False) -> FileReport`, with `Finding`;
- `fix_file(path, profile=None, *, output=None, dry_run=False, ...) -> FixResult`: repair with the smallest
  change, then re-check;
- `probe(path) -> MediaInfo`; `Cache` (what renders in one process share); `kinds` (the registry);
- errors: `MediakitError` and its subclasses (`UsageError`, `InputError`, `RenderError`, ...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from mediakit.errors import FFmpegFailed as FFmpegFailed
    from mediakit.errors import InputError as InputError
    from mediakit.errors import MediakitError as MediakitError
    from mediakit.errors import RenderError as RenderError
    from mediakit.errors import UsageError as UsageError
    from mediakit.fix.run import FixResult as FixResult
    from mediakit.fix.run import fix_file as fix_file
    from mediakit.kinds.canvas import CanvasOptions as CanvasOptions
    from mediakit.kinds.clip import ClipOptions as ClipOptions
    from mediakit.pipeline import Cache as Cache
    from mediakit.pipeline import Result as Result
    from mediakit.pipeline import render as render
    from mediakit.pipeline import render_canvas as render_canvas
    from mediakit.pipeline import render_clip as render_clip
    from mediakit.probe import probe as probe
    from mediakit.report import FileReport as FileReport
    from mediakit.report import Finding as Finding
    from mediakit.validate import validate_path as validate_path

_LAZY = {
    "render": "mediakit.pipeline",
    "render_canvas": "mediakit.pipeline",
    "render_clip": "mediakit.pipeline",
    "Result": "mediakit.pipeline",
    "Cache": "mediakit.pipeline",
    "CanvasOptions": "mediakit.kinds.canvas",
    "ClipOptions": "mediakit.kinds.clip",
    "probe": "mediakit.probe",
    "fix_file": "mediakit.fix.run",
    "FixResult": "mediakit.fix.run",
    "validate_path": "mediakit.validate",
    "FileReport": "mediakit.report",
    "Finding": "mediakit.report",
    "MediakitError": "mediakit.errors",
    "UsageError": "mediakit.errors",
    "InputError": "mediakit.errors",
    "RenderError": "mediakit.errors",
    "FFmpegFailed": "mediakit.errors",
}
__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    # Lazy so that `mediakit --version` and `import mediakit` do not pay for PyAV, OpenCV and numpy.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    if name == "kinds":
        import importlib

        return importlib.import_module("mediakit.kinds")
    raise AttributeError(f"module 'mediakit' has no attribute {name!r}")
