"""Reading captions: SRT, WebVTT, SBV and ASS (others through pysubs2) with their encoding detected."""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import html
import os
import re
import stat
from collections.abc import Sequence

from mediakit.captions.model import (
    MAX_CUE_CHARS,
    MAX_CUES,
    MAX_FILE_BYTES,
    CaptionError,
    CaptionFile,
    CaptionIssue,
    Cue,
    Word,
)

_TIMING_HINT = "timings look like 00:00:01,000 --> 00:00:02,500"


def load_captions(path: str | os.PathLike[str]) -> tuple[Cue, ...]:
    """Cues of a caption file (see `read_captions`), without the report of what could not be shown."""
    return read_captions(path).cues


def read_captions(path: str | os.PathLike[str]) -> CaptionFile:
    """Cues of an SRT, WebVTT, SBV or ASS/SSA file (told apart by content; other formats via pysubs2), in
    file order, and an issue for every block of the file that is not shown."""
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
    _refuse_binary_formats(data, name)
    return parse_caption_file(_decode(data, name), name)


def _refuse_binary_formats(data: bytes, name: str) -> None:
    # EBU STL's GSI block starts with a code page number and then "STL25.01"/"STL30.01" (EBU Tech 3264).
    if data[3:6] == b"STL" and data[8:11] == b".01":
        raise CaptionError(
            f"{name} is EBU STL (binary broadcast subtitles), which mediakit does not read",
            "convert it to SRT (e.g. with Subtitle Edit) and pass the .srt",
        )


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose mark it starts with
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _decode(data: bytes, name: str) -> str:
    """Text from a BOM, else UTF-16/32 told by its zero bytes, else UTF-8, else Windows-1252 when the text
    reads as Western European in it (the legacy encoding most subtitle files and players assume), else
    charset-normalizer's guess."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                raise CaptionError(f"{name} is not valid {encoding} text", "re-save it as UTF-8") from None
    wide = _wide_encoding(data)
    if wide is not None:
        with contextlib.suppress(UnicodeDecodeError):
            return data.decode(wide)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    with contextlib.suppress(UnicodeDecodeError):
        western = data.decode("cp1252")
        if _reads_as_western(western):
            return western
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise CaptionError(f"{name} is not text (or its encoding cannot be told)", "re-save it as UTF-8 text")
    return str(best)


def _wide_encoding(data: bytes) -> str | None:
    """UTF-16 or UTF-32 without a BOM, from where the zero bytes fall: caption files are mostly digits,
    colons and spaces, each a code unit with zero high bytes. (Plain UTF-8 would take "\x001\x00\n" as text
    with NULs in it.)"""
    if len(data) < 8 or b"\x00" not in data[:4096]:
        return None
    head = data[:4096]
    head = head[: len(head) // 4 * 4]

    def zeros(offset: int, step: int) -> float:
        column = head[offset::step]
        return column.count(0) / max(len(column), 1)

    if zeros(1, 4) > 0.9 and zeros(2, 4) > 0.9 and zeros(3, 4) > 0.9:
        return "utf-32-le"
    if zeros(0, 4) > 0.9 and zeros(1, 4) > 0.9 and zeros(2, 4) > 0.9:
        return "utf-32-be"
    if zeros(1, 2) > 0.5 and zeros(0, 2) < 0.1:
        return "utf-16-le"
    if zeros(0, 2) > 0.5 and zeros(1, 2) < 0.1:
        return "utf-16-be"
    return None


# What Western European text decoded as Windows-1252 shows beyond ASCII: accented letters, quotes, dashes.
_WESTERN = frozenset(
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝßàáâãäåæçèéêëìíîïñòóôõöøùúûüýÿŒœŠšŸŽž€–—‘’‚“”„…•«»¡¿°©®™·\u00a0"
)


def _reads_as_western(text: str) -> bool:
    """Whether Windows-1252 text is plausibly Western European: every non-ASCII character is a usual one,
    and they are a minority of the letters. Cyrillic, Greek, Central European or CJK bytes read as
    Windows-1252 give runs of accented letters ("Ïðèâåò") or signs like ¹ ³ ¦ that Western text lacks."""
    letters = sum(ch.isalpha() for ch in text)
    foreign = [ch for ch in text if ord(ch) > 0x7F]
    if not foreign or not letters:
        return not foreign
    accented = sum(ch.isalpha() for ch in foreign)  # quotes, dashes and € are no sign of another script
    return all(ch in _WESTERN for ch in foreign) and accented <= 0.3 * letters


def parse_captions(text: str, name: str = "<captions>") -> tuple[Cue, ...]:
    """Cues of caption text in any supported format; errors name `name` and, when known, the line."""
    return parse_caption_file(text, name).cues


def parse_caption_file(text: str, name: str = "<captions>") -> CaptionFile:
    """Cues of caption text and the issues of what it holds but cannot show (see `read_captions`)."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise CaptionError(f"{name} is not a text file", "pass an .srt, .vtt or .ass file")
    if not text.strip():
        raise CaptionError(f"{name} is empty", "pass a caption file with at least one cue")
    reader = _Reader(name)
    lines = text.split("\n")
    if re.match(r"WEBVTT(?:[ \t\n]|$)", text.lstrip()):  # (blank lines before it are tolerated)
        fmt, cues = "vtt", reader.vtt(lines)
    elif re.search(r"^\s*\[(script info|v4\+? styles|events)\]\s*$", text, re.M | re.I):
        fmt, cues = "ass", reader.ass(lines)
    elif _LOOSE_TIMING.search(text):
        fmt, cues = "srt", reader.srt(lines)
    elif _SBV_TIMING.search(text):
        fmt, cues = "sbv", reader.sbv(lines)
    else:
        fmt, cues = _other_format(text, name)
    if not cues and reader.issues:  # say why, rather than only that nothing is left
        first = reader.issues[0]
        more = f" (and {reader.skipped - 1} more like it)" if reader.skipped > 1 else ""
        raise CaptionError(f"{first.message}{more}; no cue is left to show", first.hint)
    if not cues:
        raise CaptionError(f"{name} has no captions", "add at least one cue with text")
    if len(cues) > MAX_CUES:
        raise CaptionError(f"{name} has {len(cues)} cues", f"at most {MAX_CUES} are accepted")
    for number, cue in enumerate(cues, 1):
        if len(cue.text) > MAX_CUE_CHARS:
            raise CaptionError(
                f"{name}: {cue.name(number)} has {len(cue.text)} characters", f"at most {MAX_CUE_CHARS}"
            )
    return CaptionFile(tuple(cues), tuple(reader.issues), fmt)


def _line_error(name: str, number: int, what: str, hint: str = _TIMING_HINT) -> CaptionError:
    return CaptionError(f"{name}, line {number}: {what}", hint)


_TS = r"(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?"
_TIMING = re.compile(rf"^\s*{_TS}\s*-->\s*{_TS}(?:\s.*)?$")
# What a cue timing line looks like even when broken, so that a typo is an error, not silent cue text.
_LOOSE_TIMING = re.compile(r"^\s*\d+\s*[:.,;]\s*\d[^\n]*->|-->\s*\d+\s*[:.,;]\s*\d", re.M)
_SBV_TIMING = re.compile(
    r"^\s*(\d+):(\d{1,2}):(\d{1,2})\.(\d{1,3}),(\d+):(\d{1,2}):(\d{1,2})\.(\d{1,3})\s*$", re.M
)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<\d[\d:.]*>")  # <i>, <font ...>, <v Bob>, <c.red>, <00:01.500>
_OVERRIDE = re.compile(r"\{\\[^{}]*\}")  # "{\an8}" in an SRT would move the caption: dropped


_MAX_REPORTED = 100  # not-shown issues listed one by one


def _quote(line: str) -> str:
    return repr(line.strip()[:40] + ("…" if len(line.strip()) > 40 else ""))


class _Reader:
    """The cue readers of one file; each thing read but not shown becomes an issue naming its line."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.issues: list[CaptionIssue] = []
        self.skipped = 0
        self.hint = _TIMING_HINT

    def skip(self, line: int, what: str, hint: str) -> None:
        self.skipped += 1
        if self.skipped > _MAX_REPORTED:  # a broken file would flood the report: the count says the rest
            what, hint = f"{self.skipped - _MAX_REPORTED} more part(s) not shown, the last here: {what}", hint
            self.issues[_MAX_REPORTED:] = []
        self.issues.append(
            CaptionIssue("not-shown", "warning", None, None, f"{self.name}, line {line}: {what}", hint, line)
        )

    def cue(
        self, cues: list[Cue], start: float, end: float, body: list[str], label: str, line: int, vtt: bool
    ) -> None:
        plain = "\n".join(text for text in (_strip_markup(b, vtt) for b in body) if text)
        if end < start:  # players never show it; one slip should not refuse the whole file
            self.skip(
                line,
                f"cue {label or len(cues) + 1} ends before it starts and is not shown",
                "swap its two times",
            )
        elif plain:
            cues.append(Cue(start, end, plain, label=label, line=line))
        else:
            self.skip(line, f"cue {label or len(cues) + 1} has no text", "give it text or delete it")

    def timing(self, line: str, number: int) -> tuple[float, float]:
        match = _TIMING.match(line)
        if match is None:
            raise _line_error(self.name, number, f"malformed cue timing {_quote(line)}", self.hint)
        return _seconds(match, 1, self.name, number), _seconds(match, 5, self.name, number)

    def vtt(self, lines: list[str]) -> list[Cue]:
        """WebVTT as the W3C parser reads it: blocks up to a blank line (or up to a line with "-->" that
        cannot be theirs), a cue block being an optional identifier line, the timing line, the text."""
        cues: list[Cue] = []
        i, n = next(k for k, line in enumerate(lines) if line.strip()) + 1, len(lines)
        self.hint = "WebVTT timings look like 00:01.000 --> 00:02.500 or 00:00:01.000 --> 00:00:02.500"
        while i < n and lines[i].strip() and "-->" not in lines[i]:
            i += 1  # the header: "WEBVTT" and its metadata lines
        while i < n:
            if not lines[i].strip():
                i += 1
                continue
            first, timing_at = i, -1
            block: list[str] = []
            while i < n and lines[i].strip():
                if "-->" in lines[i]:
                    if timing_at >= 0 or len(block) > 1:
                        break  # the spec starts a new block here (a timing line on line 1 or 2 only)
                    timing_at = len(block)
                block.append(lines[i])
                i += 1
            if timing_at < 0:
                word = block[0].strip().split(maxsplit=1)[0] if block[0].strip() else ""
                if word not in ("NOTE", "STYLE", "REGION"):
                    self.skip(
                        first + 1,
                        f"{_quote(block[0])} has no cue timing and is not shown",
                        "add a timing line above it (00:01.000 --> 00:02.500) or delete it",
                    )
                continue
            at = first + timing_at + 1
            if not _TIMING.match(block[timing_at]) and not _LOOSE_TIMING.search(block[timing_at]):
                self.skip(
                    at,
                    f"{_quote(block[timing_at])} is not a cue timing: WebVTT players skip the "
                    "lines from there to the next blank line",
                    'remove the "-->" from the text',
                )
                continue
            start, end = self.timing(block[timing_at], at)
            label = block[0].strip() if timing_at == 1 else ""
            self.cue(cues, start, end, block[timing_at + 1 :], label, at, vtt=True)
        return cues

    def srt(self, lines: list[str]) -> list[Cue]:
        """SRT as players read it: a timing line starts a cue, the number line above it is optional and
        may be anything, the text runs to the next cue. A blank line inside the text is shown by some
        players and ends the cue in others, so it is kept and reported; a block that starts with a number
        but has no timing line is a cue without its timing, reported and not shown."""
        timings = [k for k, line in enumerate(lines) if _TIMING.match(line)]
        timing_set = set(timings)
        for k, line in enumerate(lines):
            if (
                k not in timing_set
                and _LOOSE_TIMING.search(line)
                and not self._arrow_in_text(lines, k, timings)
            ):
                raise _line_error(self.name, k + 1, f"malformed cue timing {_quote(line)}")
        cues: list[Cue] = []
        heads = [k - 1 if k and lines[k - 1].strip().isdigit() else k for k in timings]
        before = [line for line in lines[: heads[0] if heads else len(lines)] if line.strip()]
        if before:
            first = next(k for k, line in enumerate(lines) if line.strip())
            self.skip(
                first + 1,
                f"{_quote(before[0])} comes before the first cue timing and is not shown",
                "add a timing line above it or delete it",
            )
        for j, k in enumerate(timings):
            stop = heads[j + 1] if j + 1 < len(timings) else len(lines)
            body = lines[k + 1 : stop]
            while body and not body[-1].strip():
                body.pop()
            start, end = self.timing(lines[k], k + 1)
            label = lines[heads[j]].strip() if heads[j] < k else ""
            kept: list[str] = []
            for at, paragraph in _paragraphs(body, k + 2):
                if not kept and not paragraph[0].strip():
                    continue
                if at > k + 2 and paragraph[0].strip().isdigit():
                    self.skip(
                        at,
                        f"cue {paragraph[0].strip()} has no timing line and is not shown",
                        "add its timing line below its number",
                    )
                    continue
                if kept:
                    self.skip(
                        at,
                        f"{_quote(paragraph[0])} follows a blank line inside cue {label or len(cues) + 1}"
                        ": shown as part of it, as most players do",
                        "remove the blank line, or give the text a number and timing of its own",
                    )
                    kept.append("")
                kept.extend(paragraph)
            self.cue(cues, start, end, kept, label, k + 1, vtt=False)
        return cues

    @staticmethod
    def _arrow_in_text(lines: list[str], k: int, timings: list[int]) -> bool:
        # "love --> hate" in a cue's text is a lyric; a line shaped like a timing that is not one is a typo.
        return not re.match(r"^\s*[\d:.,; ]+-*>\s*[\d:.,;]", lines[k]) and bool(timings) and timings[0] < k

    def sbv(self, lines: list[str]) -> list[Cue]:
        """YouTube's SBV: "0:00:01.000,0:00:02.500", the text up to a blank line."""
        cues: list[Cue] = []
        for at, block in _paragraphs(lines, 1):
            match = _SBV_TIMING.match(block[0])
            if not block[0].strip():
                continue
            if match is None:
                self.skip(
                    at,
                    f"{_quote(block[0])} has no cue timing and is not shown",
                    "add a timing line above it (0:00:01.000,0:00:02.500) or delete it",
                )
                continue
            h1, m1, s1, f1, h2, m2, s2, f2 = (int(g) for g in match.groups())
            frac1, frac2 = (f"0.{g}" for g in match.group(4, 8))
            if max(m1, s1, m2, s2) > 59:
                raise _line_error(self.name, at, "minutes and seconds must be below 60")
            start, end = h1 * 3600 + m1 * 60 + s1 + float(frac1), h2 * 3600 + m2 * 60 + s2 + float(frac2)
            del f1, f2
            self.cue(cues, start, end, block[1:], "", at, vtt=False)
        return cues

    def ass(self, lines: list[str]) -> list[Cue]:
        """ASS/SSA as libass reads it: the Dialogue lines of [Events], in the order of their Format line."""
        cues: list[Cue] = []
        section, fields = "", _ASS_FIELDS
        for number, line in enumerate(lines, 1):
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
                    raise _line_error(
                        self.name, number, "the Format line needs Start, End and Text (last)", "fix it"
                    )
                continue
            parts = value.lstrip().split(",", len(fields) - 1)
            if len(parts) < len(fields):
                raise _line_error(
                    self.name, number, f"{len(parts)} fields, expected {len(fields)}", "check its commas"
                )
            row = dict(zip(fields, parts, strict=True))
            start, end = (_ass_seconds(row[k], self.name, number) for k in ("start", "end"))
            cue = _ass_cue(start, end, row["text"])
            if end < start:
                self.skip(number, "the cue ends before it starts and is not shown", "swap its two times")
            elif cue is None:
                self.skip(
                    number,
                    "a Dialogue line with no text (only tags or a drawing) is not shown",
                    "captions are drawn as text: give it text or delete it",
                )
            else:
                cues.append(dataclasses.replace(cue, line=number))
        return cues


def _paragraphs(lines: list[str], first: int) -> list[tuple[int, list[str]]]:
    """`lines` cut at blank lines: (line number of the paragraph's first line, its lines)."""
    out: list[tuple[int, list[str]]] = []
    for k, line in enumerate(lines):
        if not line.strip():
            continue
        if not out or (k and not lines[k - 1].strip()):
            out.append((first + k, []))
        out[-1][1].append(line)
    return out


_OTHER_FORMATS = {  # pysubs2 format -> how messages call it
    "microdvd": "MicroDVD", "mpl2": "MPL2", "tmp": "TMP", "sami": "SAMI", "ttml": "TTML",
    "json": "pysubs2 JSON", "whisper_jax": "Whisper JAX",
}  # fmt: skip
_LRC = re.compile(r"^\s*\[\d+:\d\d(?:[.:]\d+)?\]", re.M)


def _other_format(text: str, name: str) -> tuple[str, list[Cue]]:
    """A format pysubs2 reads (no line numbers there), or a refusal that names the format."""
    if text.lstrip().startswith("Scenarist_SCC"):
        raise CaptionError(
            f"{name} is Scenarist SCC (CEA-608 broadcast captions), which mediakit does not read",
            "convert it to SRT (e.g. with ffmpeg -i FILE.scc FILE.srt)",
        )
    if len(_LRC.findall(text)) >= 2:
        raise CaptionError(
            f"{name} is LRC lyrics (start times only, no cue end times), which mediakit does not read",
            "convert it to SRT, giving each line an end time",
        )
    import pysubs2

    try:
        fmt = pysubs2.formats.autodetect_format(text)
    except pysubs2.exceptions.FormatAutodetectionError:
        raise CaptionError(
            f"{name} is not SRT, WebVTT, SBV or ASS captions (no cue timings)", _TIMING_HINT
        ) from None
    what = _OTHER_FORMATS.get(fmt, fmt)
    try:
        subs = pysubs2.SSAFile.from_string(text, format_=fmt)
        events = [(e.start / 1000, e.end / 1000, e.plaintext) for e in subs if not e.is_comment]
    except Exception as exc:  # pysubs2 raises many kinds on a malformed file; any of them means "unreadable"
        reason = " ".join(str(exc).split())[:80]
        raise CaptionError(
            f"{name} looks like {what} captions, but pysubs2 cannot read it: {reason}",
            "convert it to SRT or WebVTT",
        ) from None
    cues = []
    for start, end, raw in events:
        # An empty event is how SAMI and MicroDVD clear the screen, not a cue with its text lost.
        plain = "\n".join(line.strip() for line in raw.split("\n") if line.strip())
        if plain and end >= start >= 0:
            cues.append(Cue(start, end, plain))
        elif plain:
            raise CaptionError(
                f"{name}: its {what} cue {plain[:30]!r} ends before it starts",
                "convert it to SRT and fix that cue",
            )
    return fmt, cues


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
            kept.append(dataclasses.replace(cue, start=clip(cue.start), end=clip(cue.end), words=words))
    return tuple(c for c in kept if c.end > c.start)
