"""Caption lint: line length, line count, reading speed, duration, overlaps, cues outside the clip."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

from mediakit.captions.model import (
    CaptionIssue,
    Cue,
)
from mediakit.preset import CaptionRules

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
        text = f"{cue.name(number)} at {clock(cue.start)}: {message}"
        issues.append(CaptionIssue(rule, "warning", number, cue.start, text, hint, cue.line or None))

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
            other = cues[latest].name(latest + 1)
            until = f"overlaps {other} (on screen until {clock(cues[latest].end)})"
            warn("overlap", i + 1, until, f"end {other} earlier: overlapping captions stack up")
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
