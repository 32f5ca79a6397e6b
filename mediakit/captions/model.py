"""Caption data: cues, words, issues and laid-out events, and the limits on what is read."""

from __future__ import annotations

from dataclasses import dataclass

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
