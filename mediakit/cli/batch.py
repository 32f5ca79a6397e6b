"""`mediakit batch`: render a folder or a manifest of canvases and clips, in parallel and resumably."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from mediakit import kinds
from mediakit.batch.fixjob import FixOptions
from mediakit.cli.options import render_options
from mediakit.cli.output import emit_json, escape, stderr
from mediakit.errors import ExitCode, InputError, UsageError

HELP = """Render every image and video under SRC, or every job of a manifest (a .toml file), into OUT.

SRC/a/b.png becomes OUT/a/b.canvas.mp4 (the layout is kept; hidden files and OUT itself are skipped).
Render options are those of `mediakit canvas` / `mediakit clip` and apply to every file; a manifest
gives them per job instead (schema: samples/README-batch.md).

With --kind fix each file is repaired instead (as `mediakit fix` does: the least destructive change, then
checked again) into OUT/a/b.fixed.mp4 (.jpg for a still), for --preset or, without one, the preset chosen
per file as validate chooses; a file that already passes is done with nothing written, one that cannot
be made to pass is a failed job naming the rule and why.

A re-run skips every job whose output is up to date (same input content, options and mediakit version);
--force redoes them. Ctrl-C or SIGTERM stops cleanly (no partial files) and the next run carries on.
OUT/report.json lists every job: status (ok, skipped, failed, invalid, interrupted), reason, verdict.

\b
Examples:
  mediakit batch covers/ -o canvases/                # covers/a/b.png -> canvases/a/b.canvas.mp4
  mediakit batch covers/ -o canvases/ --include '*.png' --motion drift --jobs 2
  mediakit batch live/ -o clips/ --kind clip --audio song.wav --duration 15
  mediakit batch exports/ -o fixed/ --kind fix --preset canvas   # repair a folder of failing canvases
  mediakit batch jobs.toml                           # a manifest with [defaults] and [[job]] tables
  mediakit batch jobs.toml --cluster tcp://10.0.0.5:8786   # on a Dask cluster (shared paths)

\b
Exit codes: 0 every job ok or skipped; 1 a job failed or was invalid; 2 usage or manifest error
(nothing is rendered); 3 ffmpeg missing; 4 OUT cannot be written; 130 interrupted (Ctrl-C or SIGTERM).
"""

_STYLE = {"ok": "green", "skipped": "dim", "failed": "red", "invalid": "red", "interrupted": "yellow"}
_MAX_ROWS = 50  # past this many jobs the table shows only the jobs that need attention


@click.command(help=HELP)
@click.argument("src", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (a manifest may set it with out = ...). report.json and the state go here.",
)
@click.option(
    "--kind",
    type=click.Choice((*kinds.names(), "fix")),
    help="What to make from a folder (fix: repair each file)  [default: canvas, or the --preset's kind]",
)
@click.option("--preset", metavar="NAME|FILE.toml", help="The platform to render every file for.")
@click.option("--include", multiple=True, metavar="GLOB", help="Only files matching (relative path or name).")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip files matching (relative path or name).")
@click.option(
    "-j",
    "--jobs",
    "workers",
    type=click.IntRange(min=1),
    help="Jobs at once; ffmpeg threads are shared between them  [default: the core count]",
)
@click.option(
    "--cluster", metavar="tcp://HOST:PORT", help="Run the jobs on a Dask scheduler (mediakit[cluster])."
)
@click.option("--force", is_flag=True, help="Redo jobs whose output is up to date.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the report document on stdout (no progress, no table)."
)
@click.option("-q", "--quiet", is_flag=True, help="No progress and no table; failures are still listed.")
@render_options(
    [*((name, kinds.get(name).options) for name in kinds.names()), ("fix", FixOptions)], tagged=True
)
@click.pass_obj
def batch(
    settings: object,
    src: Path,
    out: Path | None,
    kind: str | None,
    preset: str | None,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    workers: int | None,
    cluster: str | None,
    force: bool,
    as_json: bool,
    quiet: bool,
    **render: Any,
) -> None:
    from mediakit.batch import run_batch
    from mediakit.ffmpeg.binary import ffmpeg_path

    given = {k: (int(v) if k == "fps" else v) for k, v in render.items() if v is not None}
    jobs, out = _jobs(src, out, kind, preset, include, exclude, given)
    ffmpeg_bin = getattr(settings, "ffmpeg", None)
    if not cluster:
        ffmpeg_path(ffmpeg_bin)  # no ffmpeg: exit 3 now, not one failure per job
    with _display(len(jobs), enabled=not (quiet or as_json)) as on_event:
        result = run_batch(
            jobs,
            out,
            workers=workers,
            cluster=cluster,
            force=force,
            ffmpeg_bin=ffmpeg_bin,
            source=str(src),
            on_event=on_event,
        )
    if as_json:
        emit_json(result.document)
    else:
        _print_summary(result, quiet)
    if result.interrupted:
        stderr.print("mediakit: interrupted; run the same command again to carry on")
        code = ExitCode.INTERRUPTED
    else:
        code = ExitCode.FAILED if result.count("failed", "invalid") else ExitCode.OK
    raise click.exceptions.Exit(code)


def _jobs(
    src: Path,
    out: Path | None,
    kind: str | None,
    preset: str | None,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    given: dict[str, Any],
) -> tuple[list[Any], Path]:
    from mediakit.batch import ManifestError, build_options, folder_jobs, load_manifest, scan
    from mediakit.batch.jobs import refuse_same_folder
    from mediakit.inputs import display

    if not src.exists():  # exit 1 and the words of every other missing input, not click's exit 2
        raise InputError(f"{display(src.absolute())}: no such file", "check the path")
    if src.is_file():
        if src.suffix.lower() != ".toml":
            raise UsageError(
                f"{src}: SRC is a folder or a .toml manifest", f"for one file: mediakit canvas {src}"
            )
        extra = (
            [f"--{k.replace('_', '-')}" for k in given]
            + (["--kind"] if kind else [])
            + (["--preset"] if preset else [])
            + (["--include/--exclude"] if include or exclude else [])
        )
        if extra:
            raise UsageError(
                f"{', '.join(extra)} cannot be used with a manifest",
                "put render options in the manifest's [defaults] table",
            )
        try:
            manifest = load_manifest(src, out)
        except ManifestError as exc:
            for line in exc.problems:
                stderr.print(f"  {escape(line)}")
            raise
        return manifest.jobs, manifest.out
    if out is None:
        raise UsageError("a folder batch needs -o OUT", "e.g. mediakit batch covers/ -o canvases/")
    refuse_same_folder(src, out)
    if preset is not None and kind != "fix":  # a fix repairs for a preset of any kind
        from mediakit.preset import resolve

        preset_kind = resolve(preset).kind
        if kind is not None and kind != preset_kind:
            raise UsageError(
                f"--preset {preset} is a {preset_kind} preset, not a {kind} one",
                f"drop --kind or use --kind {preset_kind}",
            )
        kind = preset_kind
    kind = kind or "canvas"
    options, problems = build_options(kind, given, Path.cwd(), preset)
    if options is None:
        for problem in problems[1:]:
            stderr.print(f"  --{(problem.key or 'options').replace('_', '-')}: {escape(problem.message)}")
        first = problems[0]
        raise UsageError(
            f"--{(first.key or 'options').replace('_', '-')}: {first.message}",
            "mediakit batch --help lists the options",
        )
    jobs = folder_jobs(src, out, kind, options, scan(src, out, include, exclude), preset)
    if not jobs:
        raise UsageError(f"no images or videos found under {src}", "check the folder and the --include globs")
    return jobs, out.absolute()


def job_line(job: Any, outcome: Any) -> list[str]:
    """A finished job as it is reported the moment it ends: status, name, reason, then its warnings."""
    style = _STYLE[outcome.status]
    lines = [f"[{style}]{outcome.status}[/] {escape(job.name)}: {escape(outcome.reason)}"]
    lines += [f"    [yellow]warning:[/] {escape(w)}" for w in outcome.warnings]
    return lines


@contextlib.contextmanager
def _display(total: int, enabled: bool) -> Iterator[Callable[[Any], None] | None]:
    """Each job reported on stderr as it finishes, with its warnings; on a terminal also an overall bar
    and one bar per running job."""
    if not enabled:
        yield None
        return
    if not sys.stderr.isatty():

        def on_done(event: Any) -> None:
            if event.kind == "done" and event.outcome is not None:
                for line in job_line(event.job, event.outcome):
                    stderr.print(line, highlight=False, soft_wrap=True)

        yield on_done
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        console=stderr,
        transient=True,
    ) as bar:
        overall = bar.add_task("batch", total=total)
        running: dict[int, Any] = {}

        def on_event(event: Any) -> None:
            job = event.job
            if event.kind == "started":
                running[job.index] = bar.add_task(f"  {escape(job.name)}", total=1.0)
            elif event.kind == "progress" and job.index in running:
                bar.update(running[job.index], completed=event.fraction)
            elif event.kind == "done":
                bar.advance(overall)
                if job.index in running:
                    bar.remove_task(running.pop(job.index))
                if event.outcome is not None:
                    for line in job_line(job, event.outcome):
                        bar.console.print(line, highlight=False, soft_wrap=True)

        yield on_event


def _print_summary(result: Any, quiet: bool) -> None:
    from rich.table import Table

    rows = [(job, result.outcomes[job.index]) for job in result.jobs]
    if quiet:
        for job, o in rows:
            if o.status in ("failed", "invalid"):
                stderr.print(f"[red]{o.status}[/] {escape(job.name)}: {escape(o.reason)}")
        return
    shown = rows if len(rows) <= _MAX_ROWS else [r for r in rows if r[1].status not in ("ok", "skipped")]
    table = Table(box=None, pad_edge=False, show_edge=False)
    for column in ("#", "job", "status", "verdict", "time", "reason"):
        table.add_column(column, justify="right" if column in ("#", "time") else "left", overflow="fold")
    for job, o in shown:
        style = _STYLE[o.status]
        table.add_row(
            str(job.index),
            escape(job.name),
            f"[{style}]{o.status}[/]",
            o.verdict or "",
            f"{o.seconds:.1f} s" if o.seconds else "",
            escape(o.reason),
        )
    if shown:
        stderr.print(table)
    if len(shown) < len(rows):
        stderr.print(f"[dim]({len(rows) - len(shown)} ok or skipped jobs not shown; see report.json)[/]")
    totals = result.document["totals"]
    parts = [f"{totals[s]} {s}" for s in ("ok", "skipped", "failed", "invalid", "interrupted") if totals[s]]
    stderr.print(
        f"{totals['jobs']} job(s): {', '.join(parts)} in {result.document['seconds']:.1f} s; "
        f"report: {escape(str(result.out / 'report.json'))}"
    )
