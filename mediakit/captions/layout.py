"""Caption layout: wrap to the safe zone, escape for libass, and write the ASS document."""

from __future__ import annotations

import functools
import math
import re
import struct
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from PIL import ImageFont

from mediakit.captions.model import (
    MIN_FONT_FRACTION,
    STYLES,
    WORD_JOINER,
    CaptionError,
    CaptionEvent,
    Cue,
)
from mediakit.fonts import CAPTION_FONT, CAPTION_FONT_NAME
from mediakit.preset import SafeZone


@dataclass(frozen=True)
class _Look:
    border_style: int  # 1 outline + shadow; 4 (a libass extension) one box per event in BackColour
    primary: str  # &HAABBGGRR; karaoke: sung
    secondary: str  # karaoke: not yet sung
    outline_colour: str
    back: str  # shadow, or box
    outline: float  # of the font size; the box's padding for BorderStyle 4
    shadow: float


_LOOKS = {
    "outline": _Look(1, "&H00FFFFFF", "&H00FFFFFF", "&H00000000", "&H80000000", 0.09, 0.03),
    "box": _Look(4, "&H00FFFFFF", "&H00FFFFFF", "&HFF000000", "&H40000000", 0.18, 0.0),
    "karaoke": _Look(1, "&H0060D71E", "&H00FFFFFF", "&H00000000", "&H80000000", 0.09, 0.03),  # sung #1ED760
}


@dataclass(frozen=True)
class _Area:
    """Style margins that keep outline, box and shadow inside the safe zone, and the room left for text."""

    margin_l: int
    margin_r: int
    margin_v: int
    width: float
    height: float


def _area(size: tuple[int, int], zone: SafeZone, look: _Look, font_size: int) -> _Area:
    (width, height), pad = size, font_size * (look.outline + look.shadow) + 2
    left, right = math.ceil(zone.left * width + pad), math.ceil(zone.right * width + pad)
    bottom = math.ceil(zone.bottom * height + pad)
    # 2 px of slack for rounding differences between Pillow's and libass's glyph positions
    return _Area(left, right, bottom, width - left - right - 2, height - bottom - zone.top * height - pad)


@functools.lru_cache(maxsize=8)
def _font_metrics(font_path: str) -> tuple[float, bool]:
    """(libass size / em size, bold): libass sizes a font by its OS/2 winAscent + winDescent, Pillow by em."""
    try:
        with open(font_path, "rb") as fh:
            data = fh.read()
        # A font collection (.ttc) starts with a header pointing at its faces: measure the first.
        base = struct.unpack_from(">I", data, 12)[0] if data[:4] == b"ttcf" else 0
        count = struct.unpack_from(">H", data, base + 4)[0]
        records = (data[base + 12 + 16 * i : base + 28 + 16 * i] for i in range(count))
        tables = {r[:4]: struct.unpack_from(">I", r, 8)[0] for r in records}
        units = struct.unpack_from(">H", data, tables[b"head"] + 18)[0]
        weight = struct.unpack_from(">H", data, tables[b"OS/2"] + 4)[0]
        ascent, descent = struct.unpack_from(">HH", data, tables[b"OS/2"] + 74)
        if units and ascent + descent:
            return (ascent + descent) / units, weight >= 600
    except (OSError, KeyError, struct.error):
        pass
    ascent, descent = ImageFont.truetype(font_path, 1000).getmetrics()
    return (ascent + descent) / 1000, False


@functools.lru_cache(maxsize=32)
def _pillow_font(font_path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_path, size / _font_metrics(font_path)[0])


_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def _clean(ch: str) -> str:
    """A character as it may stand in a Dialogue line: breaks become "\\n"; controls would end the line."""
    if ch in _BREAKS:
        return "\n"
    return " " if ch == "\t" else "" if unicodedata.category(ch) in ("Cc", "Cs") else ch


def escape_text(text: str) -> str:
    """Text that libass shows as written: never an override block, a line break or a hard space.

    `{` and `}` become libass's own escapes `\\{` and `\\}`; every backslash gets a U+2060 WORD JOINER after
    it, which libass (HarfBuzz) drops without a trace, so "\\N", "\\h", a backslash before a brace and a
    backslash before our own tags all stay literal. Line breaks become `\\N`.
    """
    table = {"\\": "\\" + WORD_JOINER, "{": "\\{", "}": "\\}", "\n": "\\N"}
    return "".join(table.get(ch) or table.get(_clean(ch)) or _clean(ch) for ch in text)


_Token = tuple[int, int, bool]  # [start, end) into a cue's characters; True when a space precedes it


def _text(chars: list[str], tokens: Sequence[_Token]) -> str:
    return "".join(
        (chars[a - 1] if space and k else "") + "".join(chars[a:b]) for k, (a, b, space) in enumerate(tokens)
    )


def _indices(tokens: Sequence[_Token]) -> list[int]:
    out: list[int] = []
    for k, (a, b, space) in enumerate(tokens):
        out += [a - 1] if space and k else []  # the space before the token (a run of spaces collapses)
        out += range(a, b)
    return out


def _wrap(chars: list[str], width: Callable[[str], float], limit: float) -> list[list[_Token]]:
    """Lines no wider than `limit`: explicit breaks kept, paragraphs of two lines balanced."""
    lines: list[list[_Token]] = []
    start = 0
    for end in [*(i for i, ch in enumerate(chars) if ch == "\n"), len(chars)]:
        tokens: list[_Token] = []
        for word in re.finditer(r"[^ \n]+", "".join(chars[start:end])):
            for a, b in _split_word(chars, start + word.start(), start + word.end(), width, limit):
                while a < b and chars[a].isspace():  # a no-break space at a line's edge would only shift it
                    a += 1
                while b > a and chars[b - 1].isspace():
                    b -= 1
                tokens += [(a, b, a > 0 and chars[a - 1].isspace())] if a < b else []
        start = end + 1
        para: list[list[_Token]] = []
        for token in tokens:
            if para and width(_text(chars, [*para[-1], token])) <= limit:
                para[-1].append(token)
            else:
                para.append([token])
        if len(para) == 2:  # the break that makes the longer line shortest reads best
            flat = para[0] + para[1]
            best, k = min((max(width(_text(chars, flat[:k])), width(_text(chars, flat[k:]))), k)
                          for k in range(1, len(flat)))  # fmt: skip
            para = [flat[:k], flat[k:]] if best <= limit else para
        lines += para
    return lines


def _split_word(
    chars: list[str], a: int, b: int, width: Callable[[str], float], limit: float
) -> list[tuple[int, int]]:
    """A word wider than a line (a URL, CJK without spaces) cut between characters, if possible not before
    a combining mark or after a joiner."""
    if width("".join(chars[a:b])) <= limit:
        return [(a, b)]
    pieces: list[tuple[int, int]] = []
    first = a
    for i in range(a + 1, b):
        joins = unicodedata.category(chars[i]) in ("Mn", "Mc", "Me") or chars[i - 1] in "\u200d\u2060"
        if width("".join(chars[first : i + 1])) > limit and (
            not joins or width("".join(chars[first:i])) > limit
        ):
            pieces.append((first, i))
            first = i
    return [*pieces, (first, b)]


def layout(
    cues: Sequence[Cue],
    *,
    size: tuple[int, int],
    safe_zone: SafeZone,
    style: str = "outline",
    font_path: Path = CAPTION_FONT,
    font_fraction: float = 0.055,
    max_lines: int = 2,
) -> list[CaptionEvent]:
    """Cues wrapped to the safe width; shrunk, then split into consecutive events, when they do not fit."""
    if style not in _LOOKS:
        raise CaptionError(f"unknown caption style {style!r}", f"choose one of: {', '.join(STYLES)}")
    look, height = _LOOKS[style], size[1]
    base = max(1, round(font_fraction * height))
    smallest = min(base, max(1, round(MIN_FONT_FRACTION * height)))
    sizes = [*range(base, smallest, -max(1, round(0.0025 * height))), smallest]
    area = _area(size, safe_zone, look, base)  # margins from the largest size, so every size stays inside
    events: list[CaptionEvent] = []
    for cue in cues:
        chars, owner, spans = _characters(cue, style == "karaoke")
        if not "".join(chars).strip():
            continue
        for font_size in sizes:
            lines = _wrap(chars, _pillow_font(str(font_path), font_size).getlength, area.width)
            fit = max(1, min(max_lines, int(area.height // font_size)))  # libass lines are font-size tall
            if len(lines) <= fit:
                break
        chunks = [lines[i : i + fit] for i in range(0, len(lines), fit)]
        for chunk, (start, end) in zip(chunks, _chunk_times(cue, chars, owner, spans, chunks), strict=True):
            if round(end * 100) <= round(start * 100):
                continue
            rows = [_indices(line) for line in chunk]
            text = _event_text(chars, rows, owner, spans if style == "karaoke" else None, start)
            if font_size != base:
                scaled = (
                    f"\\fs{font_size}\\bord{font_size * look.outline:.1f}\\shad{font_size * look.shadow:.1f}"
                )
                text = f"{{{scaled}}}{text}"
            lines_text = tuple("".join(chars[i] for i in row) for row in rows)
            events.append(CaptionEvent(start, end, lines_text, font_size, text))
    return events


def _characters(cue: Cue, karaoke: bool) -> tuple[list[str], list[int], list[tuple[float, float]]]:
    """Cleaned characters, the syllable each belongs to, and each syllable's (start, end)."""
    if cue.words and re.sub(r"\s", "", "".join(w.text for w in cue.words)) == re.sub(r"\s", "", cue.text):
        pieces = [(w.text, w.start, w.end) for w in cue.words]
    elif karaoke:  # no timings: each word lights up for a share of the cue by its characters
        words = re.findall(r"\s*\S+", cue.text) or [cue.text]
        weights = [max(1, len(w.strip())) for w in words]
        edges = [
            cue.start + (cue.end - cue.start) * sum(weights[:i]) / sum(weights) for i in range(len(words) + 1)
        ]
        pieces = [(w, a, b) for w, (a, b) in zip(words, pairwise(edges), strict=True)]
    else:
        pieces = [(cue.text, cue.start, cue.end)]
    chars: list[str] = []
    owner: list[int] = []
    for k, (text, _, _) in enumerate(pieces):
        cleaned = [c for c in map(_clean, text) if c]
        chars += cleaned
        owner += [k] * len(cleaned)
    return chars, owner, [(s, e) for _, s, e in pieces]


def _chunk_times(
    cue: Cue,
    chars: list[str],
    owner: list[int],
    spans: list[tuple[float, float]],
    chunks: list[list[list[_Token]]],
) -> list[tuple[float, float]]:
    """Consecutive times for the parts of a split cue: by sung time when known, else by character count."""
    if len(chunks) == 1:
        return [(cue.start, cue.end)]
    firsts = [_indices(chunk[0])[0] for chunk in chunks[1:]]
    bounds = [cue.start, *(spans[owner[i]][0] for i in firsts), cue.end]
    if not (cue.words and all(a < b for a, b in pairwise(bounds))):
        counts = [sum(not chars[i].isspace() for line in c for i in _indices(line)) or 1 for c in chunks]
        span = cue.end - cue.start
        bounds = [cue.start + span * sum(counts[:i]) / sum(counts) for i in range(len(counts) + 1)]
    # Whole centiseconds, each part at least one long (when the cue allows), so no part rounds away in ASS.
    cs = [round(b * 100) for b in bounds]
    for i in range(1, len(cs) - 1):
        cs[i] = min(max(cs[i], cs[i - 1] + 1), cs[-1] - (len(cs) - 1 - i))
    return list(pairwise([c / 100 for c in cs]))


def _event_text(
    chars: list[str],
    rows: list[list[int]],
    owner: list[int],
    spans: list[tuple[float, float]] | None,
    start: float,
) -> str:
    """Escaped Dialogue text; with `spans`, a `\\k` (centiseconds) before each syllable, pauses included."""
    if spans is None:
        return "\\N".join(escape_text("".join(chars[i] for i in row)) for row in rows)
    out: list[str] = []
    now, current = round(start * 100), -1
    for n, row in enumerate(rows):
        out += ["\\N"] if n else []
        for i in row:
            if owner[i] != current:
                current = owner[i]
                begin = max(round(spans[current][0] * 100), now)
                finish = max(round(spans[current][1] * 100), begin)
                out += [f"{{\\k{begin - now}}}"] if begin > now else []  # a pause: nothing lights up
                out.append(f"{{\\k{finish - begin}}}")
                now = finish
            out.append(escape_text(chars[i]))
    return "".join(out)


def _ass_clock(seconds: float) -> str:
    cs = max(0, round(seconds * 100))
    return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


_STYLE_FORMAT = (
    "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
    "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
    "Alignment, MarginL, MarginR, MarginV, Encoding"
)


def to_ass(
    cues: Sequence[Cue],
    *,
    size: tuple[int, int],
    safe_zone: SafeZone,
    style: str = "outline",
    font_name: str = CAPTION_FONT_NAME,
    font_path: Path = CAPTION_FONT,
    font_fraction: float = 0.055,
    max_lines: int = 2,
) -> str:
    """A complete ASS document: bottom-centred captions whose every pixel stays inside the safe zone."""
    events = layout(cues, size=size, safe_zone=safe_zone, style=style, font_path=font_path,
                    font_fraction=font_fraction, max_lines=max_lines)  # fmt: skip
    look, base = _LOOKS[style], max(1, round(font_fraction * size[1]))
    area = _area(size, safe_zone, look, base)
    # Asking libass for bold from a regular face makes it embolden the outlines: wider than we measured.
    bold = -1 if _font_metrics(str(font_path))[1] else 0
    family = re.sub(r"[,\x00-\x1f]", "", font_name)  # a comma would shift every later Style field
    style_line = (
        f"Style: Caption,{family},{base},{look.primary},{look.secondary},{look.outline_colour},{look.back},"
        f"{bold},0,0,0,100,100,0,0,{look.border_style},{base * look.outline:.1f},{base * look.shadow:.1f},2,"
        f"{area.margin_l},{area.margin_r},{area.margin_v},1"
    )
    head = [
        "[Script Info]", "; captions by mediakit", "ScriptType: v4.00+", f"PlayResX: {size[0]}",
        f"PlayResY: {size[1]}", "WrapStyle: 2", "ScaledBorderAndShadow: yes", "YCbCr Matrix: None", "",
        "[V4+ Styles]", _STYLE_FORMAT, style_line, "", "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]  # fmt: skip
    body = [f"Dialogue: 0,{_ass_clock(e.start)},{_ass_clock(e.end)},Caption,,0,0,0,,{e.text}" for e in events]
    return "\n".join([*head, *body]) + "\n"
