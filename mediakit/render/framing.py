"""Framing choices and the crop geometry shared by stills and footage (cheap to import: no numpy, no
ffmpeg bindings, so `mediakit batch --help` can offer the choices without loading the renderers)."""

from __future__ import annotations

MOTIONS: tuple[str, ...] = ("push-in", "pull-out", "drift", "static")
FITS: tuple[str, ...] = ("crop", "blur", "pad")
LOOPS: tuple[str, ...] = ("pingpong", "crossfade", "cut")  # footage


def crop_box(
    src: tuple[int, int], aspect: float, focus: tuple[float, float]
) -> tuple[float, float, float, float]:
    """The largest box of `aspect` (w/h) inside `src`, placed so `focus` (0-1 each) stays in frame."""
    sw, sh = src
    if sw / sh > aspect:
        w, h = sh * aspect, float(sh)
    else:
        w, h = float(sw), sw / aspect
    x = (sw - w) * min(max(focus[0], 0.0), 1.0)
    y = (sh - h) * min(max(focus[1], 0.0), 1.0)
    return x, y, w, h
