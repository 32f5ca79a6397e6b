"""Which font draws each caption character: the caption font, else a fallback (CJK, emoji), else none (a box).

libass does not fall back to the fonts it loads from `fontsdir` by itself, so the layout names the fallback
font of every run of characters the caption font lacks with an explicit `\\fn` tag; this module decides the
runs, from the fonts' own character maps.
"""

from __future__ import annotations

import functools
import struct
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from mediakit.captions.model import Cue
from mediakit.fonts import FALLBACK_FONTS, FallbackFont

# Characters that are emoji by default (Unicode emoji-data.txt, Emoji_Presentation=Yes) below U+1F000;
# from U+1F000 on, whatever the emoji font has is drawn as an emoji.
_EMOJI_PRESENTATION_RANGES = (
    (0x231A, 0x231B), (0x23E9, 0x23EC), (0x23F0, 0x23F0), (0x23F3, 0x23F3), (0x25FD, 0x25FE),
    (0x2614, 0x2615), (0x2648, 0x2653), (0x267F, 0x267F), (0x2693, 0x2693), (0x26A1, 0x26A1),
    (0x26AA, 0x26AB), (0x26BD, 0x26BE), (0x26C4, 0x26C5), (0x26CE, 0x26CE), (0x26D4, 0x26D4),
    (0x26EA, 0x26EA), (0x26F2, 0x26F3), (0x26F5, 0x26F5), (0x26FA, 0x26FA), (0x26FD, 0x26FD),
    (0x2705, 0x2705), (0x270A, 0x270B), (0x2728, 0x2728), (0x274C, 0x274C), (0x274E, 0x274E),
    (0x2753, 0x2755), (0x2757, 0x2757), (0x2795, 0x2797), (0x27B0, 0x27B0), (0x27BF, 0x27BF),
    (0x2B1B, 0x2B1C), (0x2B50, 0x2B50), (0x2B55, 0x2B55),
)  # fmt: skip
EMOJI_PRESENTATION = frozenset(chr(cp) for a, b in _EMOJI_PRESENTATION_RANGES for cp in range(a, b + 1))
EMOJI_STYLE, TEXT_STYLE, KEYCAP = "\ufe0f", "\ufe0e", "\u20e3"


def attaches(ch: str) -> bool:
    """A character drawn as part of the one before it: a combining mark, a joiner or other format character,
    a variation selector, a skin-tone modifier. It takes that character's font, and no line breaks before
    it."""
    return unicodedata.category(ch) in ("Mn", "Mc", "Me", "Cf") or "\U0001f3fb" <= ch <= "\U0001f3ff"


def _emoji_style(text: str, i: int) -> bool:
    after = text[i + 1 : i + 2]
    if after == TEXT_STYLE:
        return False
    return (
        text[i] in EMOJI_PRESENTATION
        or "\U0001f000" <= text[i] <= "\U0001faff"
        or after in (EMOJI_STYLE, KEYCAP)
        or "\U0001f3fb" <= after <= "\U0001f3ff"
    )


def font_choices(text: str, primary: Path, fallbacks: Sequence[FallbackFont] = FALLBACK_FONTS) -> list[int]:
    """For each character of `text`, the font that draws it: 0 the primary font, k the fallback k-1.

    The primary font wins, except that emoji (by default, or asked for with U+FE0F) go to an emoji font
    that has them; a character no font has stays with the primary font (and shows as a box).
    """
    paths = [str(primary), *(str(f.path) for f in fallbacks)]
    emoji_first = [k for k, f in enumerate(fallbacks, 1) if f.emoji]
    normal = list(range(len(paths)))
    out: list[int] = []
    for i, ch in enumerate(text):
        if i and attaches(ch) and text[i - 1] not in "\n ":
            out.append(out[-1])
            continue
        order = [*emoji_first, *normal] if emoji_first and _emoji_style(text, i) else normal
        out.append(next((k for k in order if has_glyph(paths[k], ch)), 0))
    return out


def font_runs(
    text: str, primary: Path, fallbacks: Sequence[FallbackFont] = FALLBACK_FONTS
) -> list[tuple[int, str]]:
    """`text` cut into runs of one font each: (font index as in `font_choices`, text)."""
    runs: list[tuple[int, str]] = []
    for ch, k in zip(text, font_choices(text, primary, fallbacks), strict=True):
        if runs and runs[-1][0] == k:
            runs[-1] = (k, runs[-1][1] + ch)
        else:
            runs.append((k, ch))
    return runs


def missing_glyphs(
    cues: Sequence[Cue], font_path: Path, fallbacks: Sequence[FallbackFont] = FALLBACK_FONTS
) -> set[str]:
    """Characters that no font draws (libass shows boxes); spaces, joiners and selectors aside."""
    paths = [str(font_path), *(str(f.path) for f in fallbacks)]
    missing = set()
    for cue in cues:
        for ch, k in zip(cue.text, font_choices(cue.text, font_path, fallbacks), strict=True):
            if not _invisible(ch) and not has_glyph(paths[k], ch):
                missing.add(ch)
    return missing


def _invisible(ch: str) -> bool:
    drawn = unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zs", "Zl", "Zp")
    return not drawn or "\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef"


def has_glyph(font_path: str, ch: str) -> bool:
    """Whether the font maps the character to a glyph (its cmap; for a font we cannot parse, by drawing)."""
    cmap = coverage(font_path)
    return ord(ch) in cmap if cmap is not None else not _is_notdef(font_path, ch)


@functools.lru_cache(maxsize=16)
def coverage(font_path: str) -> frozenset[int] | None:
    """The code points of the font's Unicode cmap (of the first face of a collection); None if unreadable."""
    try:
        with open(font_path, "rb") as fh:
            data = fh.read()
        cmap = sfnt_tables(data)[b"cmap"]
        records = [struct.unpack_from(">HHI", data, cmap + 4 + 8 * i) for i in range(_u16(data, cmap + 2))]
        subtables = {(p, e): cmap + offset for p, e, offset in records}
        # Full Unicode (format 12) first, then the BMP (format 4).
        for key in ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3), (0, 2), (0, 1), (0, 0)):
            if key in subtables:
                at = subtables[key]
                fmt = _u16(data, at)
                if fmt == 12:
                    return _format12(data, at)
                if fmt == 4:
                    return _format4(data, at)
    except (OSError, KeyError, struct.error, IndexError):
        pass
    return None


def sfnt_tables(data: bytes) -> dict[bytes, int]:
    """Table tag -> offset; a font collection (.ttc) starts with a header pointing at its faces: the first."""
    base = struct.unpack_from(">I", data, 12)[0] if data[:4] == b"ttcf" else 0
    count = _u16(data, base + 4)
    records = (data[base + 12 + 16 * i : base + 28 + 16 * i] for i in range(count))
    return {r[:4]: struct.unpack_from(">I", r, 8)[0] for r in records}


def _u16(data: bytes, at: int) -> int:
    return int(struct.unpack_from(">H", data, at)[0])


def _format12(data: bytes, at: int) -> frozenset[int]:
    groups = struct.unpack_from(">I", data, at + 12)[0]
    out: set[int] = set()
    for g in range(groups):
        first, last, glyph = struct.unpack_from(">III", data, at + 16 + 12 * g)
        out.update(range(first + (glyph == 0), min(last, 0x10FFFF) + 1))
    return frozenset(out)


def _format4(data: bytes, at: int) -> frozenset[int]:
    segments = _u16(data, at + 6) // 2
    ends, starts = at + 14, at + 16 + 2 * segments
    deltas, range_offsets = starts + 2 * segments, starts + 4 * segments
    out: set[int] = set()
    for s in range(segments):
        first, last = _u16(data, starts + 2 * s), _u16(data, ends + 2 * s)
        delta, offset = _u16(data, deltas + 2 * s), _u16(data, range_offsets + 2 * s)
        for cp in range(first, min(last, 0xFFFE) + 1):
            if offset:
                glyph = _u16(data, range_offsets + 2 * s + offset + 2 * (cp - first))
                glyph = (glyph + delta) & 0xFFFF if glyph else 0
            else:
                glyph = (cp + delta) & 0xFFFF
            if glyph:
                out.add(cp)
    return frozenset(out)


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
