"""Caption data: cues, words, issues and laid-out events, and the limits on what is read."""

from __future__ import annotations

from dataclasses import dataclass, field

from mediakit.errors import InputError

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_CUES = 5000
MAX_CUE_CHARS = 2000
STYLES = ("outline", "box", "karaoke")
MIN_FONT_FRACTION = 0.04  # long cues shrink down to this share of the frame height before they are split
WORD_JOINER = "\u2060"


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
    """Plain text (no markup), "\\n" for an explicit line break; `words` from ASS `\\k` timings.

    `label` and `line` say where the cue is in its file (its SRT number or WebVTT identifier, and the line of
    its timing), so that messages point at the source; they take no part in comparing cues.
    """

    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    label: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)

    def name(self, position: int) -> str:
        """How messages call the cue: "cue 12 (line 40)", by its own number/identifier when it has one."""
        where = f" (line {self.line})" if self.line else ""
        return f"cue {self.label or position}{where}"


@dataclass(frozen=True)
class CaptionIssue:
    rule: str
    severity: str
    cue: int | None  # 1-based, in file order
    start: float | None
    message: str
    hint: str
    line: int | None = None  # in the caption file, when the issue comes from a file


@dataclass(frozen=True)
class CaptionFile:
    """What a caption file gives: its cues, and what was read but cannot be shown (each naming its line)."""

    cues: tuple[Cue, ...]
    issues: tuple[CaptionIssue, ...]
    format: str  # "srt", "vtt", "ass", "sbv", or the name of a format pysubs2 read


@dataclass(frozen=True)
class CaptionEvent:
    """One laid-out ASS event: at most `max_lines` lines, each no wider than the safe area at `font_size`."""

    start: float
    end: float
    lines: tuple[str, ...]
    font_size: int
    text: str  # the escaped ASS Dialogue text
