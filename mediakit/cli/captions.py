"""`mediakit captions check`: lint a caption file against the Clip caption rules before rendering."""

from __future__ import annotations

import dataclasses

import click

from mediakit.cli.output import emit_json, escape, stdout
from mediakit.errors import ExitCode

SCHEMA_VERSION = 1

HELP = """Caption files for `mediakit clip --captions` (SRT, WebVTT, ASS/SSA)."""

CHECK_HELP = """Check a caption file: read it the way `mediakit clip --captions` does and list every warning.

Rules (from the clip preset): at most 2 lines of 42 characters, at most 20 characters a second (spaces
and line breaks not counted), at least 0.8 s on screen, no overlapping cues, no cues outside the clip
(with --duration; --start is where the clip starts in the caption file's timeline), and characters the
caption font cannot draw.

\b
Examples:
  mediakit captions check lyrics.srt
  mediakit captions check lyrics.srt --start 42 --duration 15
  mediakit captions check song.ass --json > report.json

Exit codes: 0 the file can be used (warnings allowed); 1 it cannot be read or parsed (the message names
the line). With --json the report is one document on stdout, even for a file that cannot be read.
"""


@click.group(help=HELP)
def captions() -> None:
    pass


@captions.command(help=CHECK_HELP)
@click.argument("file", type=click.Path(path_type=str))
@click.option("--start", type=click.FloatRange(min=0), default=0.0, show_default=True, metavar="S",
              help="Where the clip starts in the captions' timeline (s).")  # fmt: skip
@click.option("--duration", type=click.FloatRange(min=0, min_open=True), default=None, metavar="S",
              help="Clip length (s): cues outside the clip are reported.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def check(file: str, start: float, duration: float | None, as_json: bool) -> None:
    from mediakit.captions import CaptionError, CaptionIssue, lint, load_captions, missing_glyphs
    from mediakit.fonts import CAPTION_FONT
    from mediakit.preset import resolve

    rules = resolve("clip").captions
    try:
        cues = load_captions(file)
    except CaptionError as exc:
        if not as_json:
            raise  # the CLI's one error handler prints it and exits 1
        error = {"message": exc.message, "hint": exc.hint}
        emit_json({"schema_version": SCHEMA_VERSION, "path": file, "cues": 0, "error": error, "issues": []})
        raise click.exceptions.Exit(ExitCode.FAILED) from None
    window = (start, start + duration) if duration is not None else (start, float("inf")) if start else None
    issues = lint(cues, rules, window) if rules else []
    missing = "".join(sorted(missing_glyphs(cues, CAPTION_FONT)))
    if missing:
        first = next(n for n, cue in enumerate(cues, 1) if set(cue.text) & set(missing))
        message = f"no bundled caption font has a glyph for {missing[:20]} (they show as boxes)"
        hint = "pass a font that has them: mediakit clip ... --font FONT.ttf"
        issues.append(CaptionIssue("missing-glyphs", "warning", first, cues[first - 1].start, message, hint))
    if as_json:
        found = [dataclasses.asdict(i) for i in issues]
        emit_json({"schema_version": SCHEMA_VERSION, "path": file, "cues": len(cues), "issues": found})
        return
    for i in issues:
        stdout.print(f"[yellow]{i.severity:7}[/] {i.rule:15} {escape(i.message)} [dim]→[/] {escape(i.hint)}")
    verdict = "[green]✓ ok[/]" if not issues else f"[yellow]! {len(issues)} warning(s)[/]"
    stdout.print(f"{verdict}  [bold]{escape(file)}[/]: {len(cues)} cue(s)")
