"""The render commands (`mediakit canvas`, `mediakit clip`) made from their kinds: the options come from the
kind's options dataclass, the run from the pipeline, the output from one printer."""

from __future__ import annotations

from typing import Any

import click

from mediakit.cli.options import given, render_options
from mediakit.cli.output import emit_json, escape, stderr, stdout
from mediakit.kinds import get


def render_command(kind_name: str, help_text: str) -> click.Command:
    """A click command that renders SOURCE as `kind_name` to a preset (the kind's own by default)."""
    kind = get(kind_name)

    @click.command(name=kind_name, help=help_text)
    @click.argument("source", type=click.Path(dir_okay=False, path_type=str))
    @click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=str),
        help=f"Output file (default: <stem>.{kind_name}.mp4 next to the input; <stem>.PRESET.mp4 for "
        "another preset).",
    )
    @click.option(
        "--preset",
        metavar="NAME|FILE.toml",
        help=f"The platform to render for (`mediakit presets list`)  [default: {kind.default_preset}]",
    )
    @render_options([(kind_name, kind.options)])
    @click.option(
        "--draft", is_flag=True, help="A quick look: 720 wide, x264 ultrafast; the same motion and captions."
    )
    @click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
    @click.option(
        "--dry-run", is_flag=True, help="Print every command the render runs, in order, and write nothing."
    )
    @click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON document.")
    @click.option("-q", "--quiet", is_flag=True, help="No progress and no summary.")
    @click.pass_obj
    def command(
        settings: object,
        source: str,
        output: str | None,
        preset: str | None,
        draft: bool,
        overwrite: bool,
        dry_run: bool,
        as_json: bool,
        quiet: bool,
        **values: Any,
    ) -> None:
        from mediakit.cli.progress import step_progress
        from mediakit.pipeline import render

        options = kind.options(**given(kind.options, values))
        with step_progress(kind_name, enabled=not (quiet or as_json or dry_run)) as on_event:
            result = render(
                kind_name,
                source,
                output,
                options,
                preset=preset,
                overwrite=overwrite,
                dry_run=dry_run,
                draft=draft,
                ffmpeg_bin=getattr(settings, "ffmpeg", None),
                on_event=on_event,
            )
        if as_json:
            emit_json(result.as_dict())
            return
        print_result(result, quiet)

    return command


def print_result(result: Any, quiet: bool) -> None:
    """Warnings and caption issues on stderr; on stdout the commands (--dry-run) or a one-line summary."""
    # On stderr, so a dry run's stdout stays the commands alone.
    if not quiet:
        for note in result.notes:
            stderr.print(f"[cyan]note:[/] {escape(note)}")
    for warning in result.warnings:
        stderr.print(f"[yellow]warning:[/] {escape(warning)}")
    for issue in result.caption_issues:
        stderr.print(f"[yellow]caption {issue.rule}:[/] {escape(issue.message)} → {escape(issue.hint)}")
    if not result.rendered:
        for command in result.commands:
            stdout.print(escape(command), highlight=False, soft_wrap=True)
        stdout.print(f"[dim]# {escape(result.plan.note)}[/]", soft_wrap=True)
        stdout.print(
            f"[dim]# written to {escape(str(result.plan.output.name))}, validated against "
            f"{escape(result.preset)}, then renamed to {escape(str(result.output))}[/]",
            soft_wrap=True,
        )
        return
    if quiet:
        return
    report = result.report
    verdict = report.verdict() if report else "pass"
    media = report.media if report else None
    size_mb = f", {media.size_bytes / 1e6:.1f} MB" if media else ""
    loud = result.loudness
    level = f", {loud.integrated:.1f} LUFS, peak {loud.true_peak:.1f} dBTP" if loud else ""
    length = f"{result.plan.frames} frames, {result.plan.seconds:g} s" if result.plan.seconds else "still"
    draft = ", draft" if result.draft else ""
    stdout.print(
        f"[green]✓[/] {escape(str(result.output))}  ({length}{size_mb}{level}, {result.preset}{draft}, "
        f"validation: {verdict}, {result.seconds:.1f} s)"
    )
    for f in report.findings if report else ():
        stdout.print(f"    [yellow]{f.severity}[/] {f.rule}: {escape(f.message)} → {escape(f.hint)}")
