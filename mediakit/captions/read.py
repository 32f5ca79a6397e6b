"""Reading captions: SRT, WebVTT and ASS with their encoding detected, plus --text and retiming."""

from __future__ import annotations

import codecs
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
    Cue,
    Word,
)

_TIMING_HINT = "timings look like 00:00:01,000 --> 00:00:02,500"


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
