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

from mediakit.captions.glyphs import EMOJI_PRESENTATION, attaches, font_choices, font_runs, sfnt_tables
from mediakit.captions.model import (
    MIN_FONT_FRACTION,
    STYLES,
    WORD_JOINER,
    CaptionError,
    CaptionEvent,
    Cue,
)
from mediakit.fonts import CAPTION_FONT, CAPTION_FONT_NAME, FALLBACK_FONTS, FallbackFont
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
        tables = sfnt_tables(data)
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


def _measure(font_path: Path, fallbacks: Sequence[FallbackFont], size: int) -> Callable[[str], float]:
    """The width libass gives a line: each run measured in the font that draws it."""
    paths = [str(font_path), *(str(f.path) for f in fallbacks)]

    @functools.lru_cache(maxsize=8192)
    def width(text: str) -> float:
        runs = font_runs(text, font_path, fallbacks)
        return sum(_pillow_font(paths[k], size).getlength(run) for k, run in runs)

    return width


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
            for a, b in _segments(chars, start + word.start(), start + word.end(), width, limit):
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


# CJK text has no spaces: a line may break between ideographs, kana and emoji, but (as in Japanese kinsoku
# and UAX #14) never before closing punctuation, small kana or a prolonged sound mark, nor after opening
# punctuation. Hangul is left out: Korean puts spaces between words and breaks there.
_IDEOGRAPHIC = (
    (0x2E80, 0x2FFF), (0x3000, 0x30FF), (0x3100, 0x312F), (0x3190, 0x31FF), (0x3200, 0x33FF),
    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFF9F),
    (0x1F000, 0x1FAFF), (0x20000, 0x3FFFF),
)  # fmt: skip
_NO_BREAK_BEFORE = frozenset(
    "、。，．・：；？！‼⁇⁈⁉ー…‥〜～」』）］｝〕〉》】〙〗〟’”｠»ゝゞヽヾ々〻゛゜,.!?:;)]}%"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ｡｣､･ｰｧｨｩｪｫｬｭｮｯ"
)
_NO_BREAK_AFTER = frozenset("「『（［｛〔〈《【〘〖〝‘“｟«([{｢")


def _ideographic(ch: str) -> bool:
    cp = ord(ch)
    return ch in EMOJI_PRESENTATION or any(a <= cp <= b for a, b in _IDEOGRAPHIC)


def _joined(chars: list[str], i: int) -> bool:
    """No break between chars[i - 1] and chars[i]: a mark, joiner or modifier, or the two halves of a flag."""
    regional = "\U0001f1e6" <= chars[i - 1] <= "\U0001f1ff" and "\U0001f1e6" <= chars[i] <= "\U0001f1ff"
    return attaches(chars[i]) or chars[i - 1] in "\u200d\u2060" or regional


def _cjk_break(chars: list[str], i: int) -> bool:
    before, ch = chars[i - 1], chars[i]
    if _joined(chars, i) or ch in _NO_BREAK_BEFORE or before in _NO_BREAK_AFTER:
        return False
    return _ideographic(before) or _ideographic(ch)


def _cjk_pieces(word: str) -> list[str]:
    """A word (spaces before it included) cut where CJK text may break."""
    chars = list(word)
    cuts = [i for i in range(1, len(chars)) if not chars[i - 1].isspace() and _cjk_break(chars, i)]
    return [word[a:b] for a, b in pairwise([0, *cuts, len(chars)])]


def _segments(
    chars: list[str], a: int, b: int, width: Callable[[str], float], limit: float
) -> list[tuple[int, int]]:
    """A word cut where CJK text may break, and each piece still wider than a line cut between characters."""
    cuts = [a, *(i for i in range(a + 1, b) if _cjk_break(chars, i)), b]
    return [piece for x, y in pairwise(cuts) for piece in _split_word(chars, x, y, width, limit)]


def _split_word(
    chars: list[str], a: int, b: int, width: Callable[[str], float], limit: float
) -> list[tuple[int, int]]:
    """A word wider than a line (a URL, a long Korean word) cut between characters, if possible not before
    a combining mark or after a joiner."""
    if width("".join(chars[a:b])) <= limit:
        return [(a, b)]
    pieces: list[tuple[int, int]] = []
    first = a
    for i in range(a + 1, b):
        if width("".join(chars[first : i + 1])) > limit and (
            not _joined(chars, i) or width("".join(chars[first:i])) > limit
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
    fallbacks: Sequence[FallbackFont] = FALLBACK_FONTS,
    font_fraction: float = 0.055,
    max_lines: int = 2,
) -> list[CaptionEvent]:
    """Cues wrapped to the safe width; shrunk, then split into consecutive events, when they do not fit.

    Characters `font_path` lacks are drawn with the first of `fallbacks` that has them, named by `\\fn`.
    """
    if style not in _LOOKS:
        raise CaptionError(f"unknown caption style {style!r}", f"choose one of: {', '.join(STYLES)}")
    look, height = _LOOKS[style], size[1]
    base = max(1, round(font_fraction * height))
    smallest = min(base, max(1, round(MIN_FONT_FRACTION * height)))
    sizes = [*range(base, smallest, -max(1, round(0.0025 * height))), smallest]
    area = _area(size, safe_zone, look, base)  # margins from the largest size, so every size stays inside
    widths = {font_size: _measure(font_path, fallbacks, font_size) for font_size in sizes}
    events: list[CaptionEvent] = []
    for cue in cues:
        chars, owner, spans = _characters(cue, style == "karaoke")
        if not "".join(chars).strip():
            continue
        for font_size in sizes:
            lines = _wrap(chars, widths[font_size], area.width)
            fit = max(1, min(max_lines, int(area.height // font_size)))  # libass lines are font-size tall
            if len(lines) <= fit:
                break
        chunks = [lines[i : i + fit] for i in range(0, len(lines), fit)]
        for chunk, (start, end) in zip(chunks, _chunk_times(cue, chars, owner, spans, chunks), strict=True):
            if round(end * 100) <= round(start * 100):
                continue
            rows = [_indices(line) for line in chunk]
            karaoke = spans if style == "karaoke" else None
            text = _event_text(chars, rows, owner, karaoke, start, font_path, fallbacks)
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
    elif karaoke:  # no timings: each word (each CJK character) lights up for a share of the cue by its length
        words = [
            piece for word in re.findall(r"\s*\S+", cue.text) or [cue.text] for piece in _cjk_pieces(word)
        ]
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
    font_path: Path,
    fallbacks: Sequence[FallbackFont],
) -> str:
    """Escaped Dialogue text, each run the caption font lacks in `{\\fnFALLBACK}` ... `{\\fn}` (back to the
    style's font); with `spans`, `\\k` (centiseconds) karaoke timings, pauses included."""
    tags = ["{\\fn}", *("{\\fn" + re.sub(r"[\\{}\x00-\x1f]", "", f.family) + "}" for f in fallbacks)]
    fonts = [k for row in rows for k in font_choices("".join(chars[i] for i in row), font_path, fallbacks)]
    order = [i for row in rows for i in row]
    timings = _karaoke(chars, order, fonts, owner, spans, start) if spans is not None else {}
    out: list[str] = []
    font, p = 0, 0
    for n, row in enumerate(rows):
        out += ["\\N"] if n else []
        for i in row:
            out += [f"{{\\k{cs}}}" for cs in timings.get(p, ())]
            if fonts[p] != font:
                out.append(tags[fonts[p]])
                font = fonts[p]
            out.append(escape_text(chars[i]))
            p += 1
    return "".join(out)


def _karaoke(
    chars: list[str],
    order: list[int],
    fonts: list[int],
    owner: list[int],
    spans: list[tuple[float, float]],
    start: float,
) -> dict[int, list[int]]:
    """The `\\k` durations to write before each position of `order`: one per syllable, after a pause.

    libass starts a new karaoke word wherever the font changes, timed from the end of the word before, so a
    syllable drawn in two fonts gets one `\\k` per font run, its time shared out by their letters.
    """
    out: dict[int, list[int]] = {}
    now, p = round(start * 100), 0
    while p < len(order):
        q = p
        while q < len(order) and owner[order[q]] == owner[order[p]]:
            q += 1
        begin = max(round(spans[owner[order[p]]][0] * 100), now)
        finish = max(round(spans[owner[order[p]]][1] * 100), begin)
        out[p] = [begin - now] if begin > now else []  # a pause: nothing lights up
        runs = [p, *(r for r in range(p + 1, q) if fonts[r] != fonts[r - 1]), q]
        weights = [sum(not chars[order[r]].isspace() for r in range(a, b)) for a, b in pairwise(runs)]
        weights[-1] += not any(weights)
        edges = [begin + round((finish - begin) * sum(weights[:j]) / sum(weights)) for j in range(len(runs))]
        for a, (t0, t1) in zip(runs, pairwise(edges), strict=False):
            out.setdefault(a, []).append(t1 - t0)
        now, p = finish, q
    return out


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
    fallbacks: Sequence[FallbackFont] = FALLBACK_FONTS,
    font_fraction: float = 0.055,
    max_lines: int = 2,
) -> str:
    """A complete ASS document: bottom-centred captions whose every pixel stays inside the safe zone.

    The fonts must all be in the `fontsdir` libass is given: `font_name` is the family of `font_path`.
    """
    events = layout(cues, size=size, safe_zone=safe_zone, style=style, font_path=font_path,
                    fallbacks=fallbacks, font_fraction=font_fraction, max_lines=max_lines)  # fmt: skip
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
