"""`mediakit captions check`: lint caption files against the Clip caption rules before rendering."""

from __future__ import annotations

import dataclasses
from typing import Any

import click

from mediakit.cli.output import emit_json, escape, stderr, stdout
from mediakit.errors import ExitCode

SCHEMA_VERSION = 1

HELP = """Caption files for `mediakit clip --captions` (SRT, WebVTT, ASS/SSA)."""

CHECK_HELP = """Check caption files: read each the way `mediakit clip --captions` does and list every warning.

Reads SRT, WebVTT, SBV and ASS/SSA (and the other formats pysubs2 reads: SAMI, TTML, MicroDVD, MPL2, TMP).
Rules (from the clip preset): at most 2 lines of 42 characters, at most 20 characters a second (spaces
and line breaks not counted), at least 0.8 s on screen, no overlapping cues, no cues outside the clip
(with --duration; --start is where the clip starts in the caption file's timeline), characters the
caption font cannot draw, and every part of the file that is not shown (a block without a timing line,
a cue without text, a cue that ends before it starts), each named by its line in the file.

\b
Examples:
  mediakit captions check lyrics.srt
  mediakit captions check lyrics.srt --start 42 --duration 15
  mediakit captions check subs/*.vtt
  mediakit captions check song.ass --json > report.json

Every file is reported, even when another cannot be read. Exit codes: 0 every file can be used (warnings
allowed); 1 a file cannot be read or parsed (its message names the line). With --json the report is one
document on stdout, even for a file that cannot be read: for one file {"path", "cues", "issues"[, "error"]},
for several {"files": [one such object per file]}.
"""


@click.group(help=HELP)
def captions() -> None:
    pass


@captions.command(help=CHECK_HELP)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--start", type=click.FloatRange(min=0), default=0.0, show_default=True, metavar="S",
              help="Where the clip starts in the captions' timeline (s).")  # fmt: skip
@click.option("--duration", type=click.FloatRange(min=0, min_open=True), default=None, metavar="S",
              help="Clip length (s): cues outside the clip are reported.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def check(files: tuple[str, ...], start: float, duration: float | None, as_json: bool) -> None:
    from mediakit.captions import CaptionError
    from mediakit.errors import MediakitError

    window = (start, start + duration) if duration is not None else (start, float("inf")) if start else None
    documents, failed = [], False
    for file in files:
        try:
            issues, count = _check_one(file, window)
        except MediakitError as exc:  # a CaptionError, or the file is missing or not a file
            if len(files) == 1 and not as_json:
                raise  # the CLI's one error handler prints it and exits 1
            failed = True
            error = {"message": exc.message, "hint": exc.hint}
            documents.append({"path": file, "cues": 0, "error": error, "issues": []})
            if not as_json:
                _print_error(exc)
            continue
        except Exception as exc:  # a bug in a reader must not hide the other files' reports
            if len(files) == 1 and not as_json:
                raise
            failed = True
            message = f"internal error reading {file}: {type(exc).__name__}: {str(exc)[:80]}"
            documents.append(
                {"path": file, "cues": 0, "error": {"message": message, "hint": None}, "issues": []}
            )
            if not as_json:
                _print_error(CaptionError(message, "please report this file to mediakit"))
            continue
        documents.append({"path": file, "cues": count, "issues": [dataclasses.asdict(i) for i in issues]})
        if not as_json:
            for i in issues:
                stdout.print(
                    f"[yellow]{i.severity:7}[/] {i.rule:15} {escape(i.message)} [dim]→[/] {escape(i.hint)}"
                )
            verdict = "[green]✓ ok[/]" if not issues else f"[yellow]! {len(issues)} warning(s)[/]"
            stdout.print(f"{verdict}  [bold]{escape(file)}[/]: {count} cue(s)")
    if as_json:
        body = documents[0] if len(files) == 1 else {"files": documents}
        emit_json({"schema_version": SCHEMA_VERSION, **body})
    if failed:
        raise click.exceptions.Exit(ExitCode.FAILED)


def _print_error(exc: Exception) -> None:
    from mediakit.errors import MediakitError

    assert isinstance(exc, MediakitError)
    # The same two lines as the CLI's error handler, for one file of several; the others go on.
    stderr.print(f"mediakit: error: {escape(exc.message)}")
    if exc.hint:
        stderr.print(f"  hint: {escape(exc.hint)}")


def _check_one(file: str, window: tuple[float, float] | None) -> tuple[list[Any], int]:
    """The issues of one file: what its reader could not show, then lint and the glyph check."""
    from mediakit.captions import CaptionIssue, lint, missing_glyphs, read_captions
    from mediakit.fonts import CAPTION_FONT
    from mediakit.preset import resolve

    rules = resolve("clip").captions
    source = read_captions(file)
    cues = source.cues
    issues = [*source.issues, *(lint(cues, rules, window) if rules else [])]
    missing = "".join(sorted(missing_glyphs(cues, CAPTION_FONT)))
    if missing:
        first = next(n for n, cue in enumerate(cues, 1) if set(cue.text) & set(missing))
        cue = cues[first - 1]
        message = (
            f"{cue.name(first)}: no bundled caption font has a glyph for {missing[:20]} (they show as boxes)"
        )
        hint = "pass a font that has them: mediakit clip ... --font FONT.ttf"
        issues.append(
            CaptionIssue("missing-glyphs", "warning", first, cue.start, message, hint, cue.line or None)
        )
    return issues, len(cues)
