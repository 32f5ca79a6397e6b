"""Which caption characters the font cannot draw (they would show as boxes)."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from mediakit.captions.model import Cue


def missing_glyphs(cues: Sequence[Cue], font_path: Path) -> set[str]:
    """Characters the font has no glyph for (libass draws them as boxes); spaces and joiners aside."""
    wanted = {ch for cue in cues for ch in cue.text}
    return {ch for ch in wanted if not _invisible(ch) and _is_notdef(str(font_path), ch)}


def _invisible(ch: str) -> bool:
    drawn = unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zs", "Zl", "Zp")
    return not drawn or "\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef"


@functools.lru_cache(maxsize=4096)
def _is_notdef(font_path: str, ch: str) -> bool:
    # Pillow has no "has glyph" call: a character the font lacks renders exactly like an unassigned one.
    return _draw(font_path, ch) == _draw(font_path, "\u0378")


@functools.lru_cache(maxsize=4096)
def _draw(font_path: str, ch: str) -> tuple[float, bytes]:
    font = ImageFont.truetype(font_path, 32, layout_engine=ImageFont.Layout.BASIC)
    image = Image.new("L", (96, 64))
    ImageDraw.Draw(image).text((16, 8), ch, font=font, fill=255)
    return font.getlength(ch), image.tobytes()
