"""mediakit: spec-checked Spotify Canvas loops and Clips from stills and footage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from mediakit.probe import probe as probe
    from mediakit.render.canvas import render_canvas as render_canvas
    from mediakit.validate import validate_path as validate_path

__all__ = ["__version__", "probe", "render_canvas", "validate_path"]

_LAZY = {
    "probe": ("mediakit.probe", "probe"),
    "render_canvas": ("mediakit.render.canvas", "render_canvas"),
    "validate_path": ("mediakit.validate", "validate_path"),
}


def __getattr__(name: str) -> Any:
    # Lazy so that `mediakit --version` and `import mediakit` do not pay for PyAV, OpenCV and numpy.
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'mediakit' has no attribute {name!r}")
