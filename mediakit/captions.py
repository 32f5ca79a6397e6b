"""Captions: read SRT/WebVTT/ASS files, lint them, and lay them out as an ASS document for libass."""

from __future__ import annotations

import codecs
import functools
import html
import math
import os
import re
import stat
import struct
import textwrap
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from mediakit.errors import InputError
from mediakit.fonts import CAPTION_FONT, CAPTION_FONT_NAME
from mediakit.preset import CaptionRules, SafeZone

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_CUES = 5000
MAX_CUE_CHARS = 2000
STYLES = ("outline", "box", "karaoke")
MIN_FONT_FRACTION = 0.04  # long cues shrink down to this share of the frame height before they are split
WORD_JOINER = "\u2060"
_TIMING_HINT = "timings look like 00:00:01,000 --> 00:00:02,500"


class CaptionError(InputError):
    """A caption file or caption text cannot be used; the message names the file and line when it can."""


@dataclass(frozen=True)
class Word:
    """One karaoke syllable (an ASS `\\k` span): its text as written, spaces included."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Cue:
    """Plain text (no markup), "\\n" for an explicit line break; `words` from ASS `\\k` timings."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class CaptionIssue:
    rule: str
    severity: str
    cue: int | None  # 1-based, in file order
    start: float | None
    message: str
    hint: str


@dataclass(frozen=True)
class CaptionEvent:
    """One laid-out ASS event: at most `max_lines` lines, each no wider than the safe area at `font_size`."""

    start: float
    end: float
    lines: tuple[str, ...]
    font_size: int
    text: str  # the escaped ASS Dialogue text


# --------------------------------------------------------------------------------------------- reading


def load_captions(path: str | os.PathLike[str]) -> tuple[Cue, ...]:
    """Cues of an SRT, WebVTT or ASS/SSA file (told apart by content), in file order."""
    name = os.fspath(path)
    try:
        info = os.stat(name)
        if not stat.S_ISREG(info.st_mode):  # a named pipe would block open() forever
            raise CaptionError(f"{name} is not a regular file", "pass an .srt, .vtt or .ass file")
        if info.st_size > MAX_FILE_BYTES:
            size = f"{info.st_size / 2**20:.1f} MB"
            raise CaptionError(
                f"{name} is {size}, too big for captions", f"the limit is {MAX_FILE_BYTES >> 20} MB"
            )
        with open(name, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise CaptionError(f"cannot read {name}: {exc.strerror or exc}", "check the path") from None
    return parse_captions(_decode(data, name), name)


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose mark it starts with
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _decode(data: bytes, name: str) -> str:
    """Text from a BOM, else UTF-8, else charset-normalizer's guess (cp1252 when it is as plausible)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                raise CaptionError(f"{name} is not valid {encoding} text", "re-save it as UTF-8") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise CaptionError(f"{name} is not text (or its encoding cannot be told)", "re-save it as UTF-8 text")
    # charset-normalizer ranks cp1250 first for much Western text ("Naïve" comes out "Naďve"); cp1252 is the
    # usual legacy encoding of subtitles, so it wins whenever it is among the equally plausible candidates.
    low = min(m.chaos for m in matches)
    if any("cp1252" in m.could_be_from_charset for m in matches if m.chaos <= low + 0.01):
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            pass
    return str(best)


def parse_captions(text: str, name: str = "<captions>") -> tuple[Cue, ...]:
    """Cues of caption text in any supported format; errors name `name` and, when known, the line."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise CaptionError(f"{name} is not a text file", "pass an .srt, .vtt or .ass file")
    if not text.strip():
        raise CaptionError(f"{name} is empty", "pass a caption file with at least one cue")
    if text.lstrip().startswith("WEBVTT"):
        cues = _parse_timed(text, name, vtt=True)
    elif re.search(r"^\s*\[(script info|v4\+? styles|events)\]\s*$", text, re.M | re.I):
        cues = _parse_ass(text, name)
    elif _LOOSE_TIMING.search(text):
        cues = _parse_timed(text, name, vtt=False)
    else:
        raise CaptionError(f"{name} is not SRT, WebVTT or ASS captions (no cue timings)", _TIMING_HINT)
    if not cues:
        raise CaptionError(f"{name} has no captions", "add at least one cue with text")
    if len(cues) > MAX_CUES:
        raise CaptionError(f"{name} has {len(cues)} cues", f"at most {MAX_CUES} are accepted")
    for number, cue in enumerate(cues, 1):
        if len(cue.text) > MAX_CUE_CHARS:
            raise CaptionError(
                f"{name}: cue {number} has {len(cue.text)} characters", f"at most {MAX_CUE_CHARS}"
            )
    return tuple(cues)


def _line_error(name: str, number: int, what: str, hint: str = _TIMING_HINT) -> CaptionError:
    return CaptionError(f"{name}, line {number}: {what}", hint)


_TS = r"(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?"
_TIMING = re.compile(rf"^\s*{_TS}\s*-->\s*{_TS}(?:\s.*)?$")
# What a cue timing line looks like even when broken, so that a typo is an error, not silent cue text.
_LOOSE_TIMING = re.compile(r"^\s*\d+\s*[:.,;]\s*\d[^\n]*->|-->\s*\d+\s*[:.,;]\s*\d", re.M)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<\d[\d:.]*>")  # <i>, <font ...>, <v Bob>, <c.red>, <00:01.500>
_OVERRIDE = re.compile(r"\{\\[^{}]*\}")  # "{\an8}" in an SRT would move the caption: dropped


def _parse_timed(text: str, name: str, vtt: bool) -> list[Cue]:
    """SRT and WebVTT: a timing line, then text up to a blank line (SRT: up to the next cue's number)."""
    cues: list[Cue] = []
    timing: tuple[float, float] | None = None
    body: list[str] = []
    collecting = previous_blank = False

    def flush() -> None:
        plain = "\n".join(line for line in (_strip_markup(b, vtt) for b in body) if line)
        if timing is not None and plain:
            cues.append(Cue(timing[0], timing[1], plain))

    for number, line in enumerate(text.split("\n"), 1):
        match = _TIMING.match(line)
        blank = not line.strip()
        if match:
            # The line right before a timing line is the cue's number (SRT) or identifier (WebVTT), not text.
            if body and not previous_blank and (vtt or body[-1].strip().isdigit()):
                body.pop()
            flush()
            timing = (_seconds(match, 1, name, number), _seconds(match, 5, name, number))
            if timing[1] < timing[0]:
                raise _line_error(name, number, "the cue ends before it starts", "swap the two times")
            body, collecting = [], True
        elif _LOOSE_TIMING.search(line):
            raise _line_error(name, number, f"malformed cue timing {line.strip()[:60]!r}")
        elif blank:
            collecting = collecting and not vtt  # WebVTT cue text ends at a blank line; SRT text may go on
        elif collecting and not (previous_blank and not vtt and line.strip().isdigit()):
            body.append(line)  # (a lone number after a blank line in an SRT is a cue number, not text)
        previous_blank = blank
    flush()
    return cues


def _seconds(match: re.Match[str], group: int, name: str, number: int) -> float:
    hours, minutes, seconds, fraction = match.group(group, group + 1, group + 2, group + 3)
    if int(minutes) > 59 or int(seconds) > 59:
        raise _line_error(name, number, "minutes and seconds must be below 60")
    frac = int(fraction) / 10 ** len(fraction) if fraction else 0.0
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + frac


def _strip_markup(line: str, vtt: bool) -> str:
    line = _OVERRIDE.sub("", _HTML_TAG.sub("", line))
    return (html.unescape(line) if vtt else line).strip()  # entities are WebVTT syntax, not SRT


_ASS_FIELDS = ["layer", "start", "end", "style", "name", "marginl", "marginr", "marginv", "effect", "text"]
_ASS_TIME = re.compile(r"^\s*(\d+):(\d{1,2}):(\d{1,2})(?:[.:](\d{1,3}))?\s*$")
_ASS_PLAIN = re.compile(r"[^{\\]+")
_ASS_TAIL = re.compile(r"[^\\]+")  # after the last "}" no "{" can open a block
_ASS_TAG = re.compile(r"\\(?:(kf|ko|k|K)(\d+(?:\.\d+)?)|p(\d+))")


def _parse_ass(text: str, name: str) -> list[Cue]:
    cues: list[Cue] = []
    section, fields = "", _ASS_FIELDS
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip().startswith("[") and line.strip().endswith("]"):
            section = line.strip().lower()
            continue
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if section != "[events]" or not sep or key not in ("format", "dialogue"):
            continue  # styles are replaced by ours; Comment: lines are never shown
        if key == "format":
            fields = [f.strip().lower() for f in value.split(",")]
            if not {"start", "end"} <= set(fields) or fields[-1] != "text":
                raise _line_error(name, number, "the Format line needs Start, End and Text (last)", "fix it")
            continue
        parts = value.lstrip().split(",", len(fields) - 1)
        if len(parts) < len(fields):
            raise _line_error(
                name, number, f"{len(parts)} fields, expected {len(fields)}", "check its commas"
            )
        row = dict(zip(fields, parts, strict=True))
        start, end = (_ass_seconds(row[k], name, number) for k in ("start", "end"))
        if end < start:
            raise _line_error(name, number, "the cue ends before it starts", "swap the two times")
        cue = _ass_cue(start, end, row["text"])
        if cue is not None:
            cues.append(cue)
    return cues


def _ass_seconds(value: str, name: str, number: int) -> float:
    match = _ASS_TIME.match(value)
    if match is None or int(match[2]) > 59 or int(match[3]) > 59:
        raise _line_error(
            name, number, f"malformed time {value.strip()[:20]!r}", "ASS times look like 0:00:01.50"
        )
    frac = int(match[4]) / 10 ** len(match[4]) if match[4] else 0.0
    return int(match[1]) * 3600 + int(match[2]) * 60 + int(match[3]) + frac


def _ass_cue(start: float, end: float, raw: str) -> Cue | None:
    """Plain text and `\\k` syllables of one Dialogue text, read the way libass reads it."""
    parts: list[str] = []
    words: list[tuple[list[str], float, float]] = []  # (pieces of text, start, end)
    clock, drawing, i, last_close = start, False, 0, raw.rfind("}")
    while i < len(raw):
        if raw[i] == "{" and i < last_close:  # an override block; an unclosed "{" is shown as it is
            close = raw.index("}", i)
            for kind, value, p_value in _ASS_TAG.findall(raw[i + 1 : close]):
                if kind:  # every \k starts a syllable; its duration is in centiseconds
                    words.append(([], clock, min(clock + float(value) / 100, end)))
                    clock += float(value) / 100
                else:
                    drawing = int(p_value) > 0  # \p1 text is vector drawing commands, not words
            i = close + 1
            continue
        if raw[i] == "\\" and raw[i + 1 : i + 2] in ("N", "n", "h", "{", "}"):
            piece = {"N": "\n", "n": " ", "h": "\u00a0"}.get(raw[i + 1], raw[i + 1])
            i += 2
        else:
            plain = (_ASS_TAIL if i > last_close else _ASS_PLAIN).match(raw, i)
            piece = plain.group() if plain else raw[i]
            i = plain.end() if plain else i + 1
        if not drawing:
            parts.append(piece)
            if words:
                words[-1][0].append(piece)
    text = "\n".join(line.strip() for line in "".join(parts).split("\n") if line.strip())
    words_ = tuple(Word("".join(t), min(s, end), e) for t, s, e in words if t)
    return Cue(start, end, text, words_) if text else None


def single_caption(text: str, at: tuple[float, float] | None, duration: float) -> tuple[Cue, ...]:
    """One cue from `--text`, shown `at` (start, end) or for the whole clip. A typed "\\n" breaks the line."""
    text = text.replace("\\n", "\n").strip()  # the shell passes `--text "one\ntwo"` as a backslash and an n
    if not text:
        raise CaptionError("the caption text is empty", 'pass some text: --text "Hello"')
    if len(text) > MAX_CUE_CHARS:
        raise CaptionError(f"the caption text has {len(text)} characters", f"at most {MAX_CUE_CHARS}")
    start, end = at if at is not None else (0.0, duration)
    if end <= start:
        raise CaptionError(f"--at {start:g}-{end:g} ends before it starts", "for example --at 2-6")
    if end <= 0 or start >= duration:
        raise CaptionError(
            f"--at {start:g}-{end:g} is outside the {duration:g} s clip", "for example --at 1-4"
        )
    return (Cue(max(start, 0.0), min(end, duration), text),)


def parse_at(value: str) -> tuple[float, float]:
    """`--at` times: "2-6", "2.5-6", "0:02-0:06" (an en dash works too) -> (start, end) in seconds."""
    parts = re.split(r"\s*[-–]\s*", value.strip())
    if len(parts) != 2:
        raise CaptionError(f"--at {value!r} is not START-END", "for example --at 2-6 or --at 0:02-0:06.5")
    start, end = (_parse_clock(p, value) for p in parts)
    if end <= start:
        raise CaptionError(f"--at {value!r} ends before it starts", "for example --at 2-6")
    return start, end


def _parse_clock(text: str, value: str) -> float:
    match = re.fullmatch(r"(?:(?:(\d+):)?(\d{1,2}):)?(\d+(?:\.\d*)?|\.\d+)", text)
    if match is None or (match[2] is not None and float(match[3]) >= 60) or int(match[2] or 0) > 59:
        raise CaptionError(f"--at {value!r}: {text!r} is not a time", "use seconds (2.5) or m:ss (0:02.5)")
    return int(match[1] or 0) * 3600 + int(match[2] or 0) * 60 + float(match[3])


def retime(cues: Sequence[Cue], start: float, duration: float) -> tuple[Cue, ...]:
    """Cue times relative to a clip cut at `start`: clipped to [0, duration], cues outside it dropped."""

    def clip(t: float) -> float:
        return min(max(t - start, 0.0), duration)

    kept = []
    for cue in cues:
        if cue.end - start > 0 and cue.start - start < duration:
            words = tuple(
                Word(w.text, clip(w.start), clip(w.end)) for w in cue.words
            )  # all kept: text matches
            kept.append(Cue(clip(cue.start), clip(cue.end), cue.text, words))
    return tuple(c for c in kept if c.end > c.start)


# --------------------------------------------------------------------------------------------- linting

_RULE_ORDER = ("line-length", "line-count", "reading-speed", "min-duration", "overlap", "outside-window")
_EPS = 1e-6


def clock(seconds: float) -> str:
    """0:02.50 or 1:02:03.00: how times appear in messages."""
    minutes, secs = divmod(max(seconds, 0.0), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{secs:05.2f}" if hours else f"{minutes}:{secs:05.2f}"


def lint(
    cues: Sequence[Cue], rules: CaptionRules, window: tuple[float, float] | None = None
) -> list[CaptionIssue]:
    """Warnings against broadcast practice; reading speed counts characters other than spaces and breaks.

    `window` is the part of the cues' own timeline the clip shows: (start, start + duration) for the times
    of a file, (0, duration) for cues already `retime`d.
    """
    issues: list[CaptionIssue] = []

    def warn(rule: str, number: int, message: str, hint: str) -> None:
        cue = cues[number - 1]
        text = f"cue {number} at {clock(cue.start)}: {message}"
        issues.append(CaptionIssue(rule, "warning", number, cue.start, text, hint))

    for n, cue in enumerate(cues, 1):
        lines = [line.strip() for line in cue.text.split("\n") if line.strip()]
        longest, most = max(map(len, lines), default=0), rules.max_chars_per_line
        if longest > most:
            warn(
                "line-length", n, f"a line has {longest} characters (max {most})", "break or shorten the line"
            )
        wrapped = sum(len(textwrap.wrap(line, most)) for line in lines)
        if wrapped > rules.max_lines:
            warn("line-count", n, f"needs {wrapped} lines (max {rules.max_lines})", "split it into two cues")
        duration, chars = cue.end - cue.start, sum(1 for ch in cue.text if not ch.isspace())
        speed = f"{chars / max(duration, _EPS):.1f} characters a second (max {rules.max_chars_per_second:g})"
        if duration > _EPS and chars / duration > rules.max_chars_per_second + _EPS:
            warn("reading-speed", n, speed, "shorten the text or keep it on screen longer")
        if duration < rules.min_duration - _EPS:
            shown = f"on screen for {duration:.2f} s (min {rules.min_duration:g} s)"
            warn("min-duration", n, shown, "keep it on screen longer or merge it with a neighbour")
    latest: int | None = None  # among the cues started so far, the one that ends last
    for i in sorted(range(len(cues)), key=lambda i: (cues[i].start, cues[i].end)):
        if latest is not None and cues[i].start < cues[latest].end - _EPS:
            until = f"overlaps cue {latest + 1} (on screen until {clock(cues[latest].end)})"
            warn("overlap", i + 1, until, f"end cue {latest + 1} earlier: overlapping captions stack up")
        if latest is None or cues[i].end > cues[latest].end:
            latest = i
    if window is not None:
        lo, hi = window
        span = f"{clock(lo)}-{clock(hi)}" if math.isfinite(hi) else f"from {clock(lo)}"
        for n, cue in enumerate(cues, 1):
            if cue.end <= lo + _EPS or cue.start >= hi - _EPS:
                warn(
                    "outside-window",
                    n,
                    f"is outside the clip ({span}), never shown",
                    "check --start/--duration",
                )
            elif cue.start < lo - _EPS or cue.end > hi + _EPS:
                warn("outside-window", n, f"is cut by the clip's edge ({span})", "check --start/--duration")
    issues.sort(key=lambda x: (x.cue or 0, _RULE_ORDER.index(x.rule)))
    return issues


# --------------------------------------------------------------------------------------------- layout


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


# --------------------------------------------------------------------------------------------- glyphs


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
