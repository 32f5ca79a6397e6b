"""`mediakit batch`: render a folder or a manifest of canvases and clips, in parallel and resumably."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from mediakit.cli.canvas import _focus
from mediakit.cli.clip import _at
from mediakit.cli.output import emit_json, escape, stderr
from mediakit.errors import ExitCode, InputError, UsageError
from mediakit.render.framing import FITS, LOOPS, MOTIONS
from mediakit.render.plan import SIZES as _SIZES
from mediakit.render.plan import X264_PRESETS

HELP = """Render every image and video under SRC, or every job of a manifest (a .toml file), into OUT.

SRC/a/b.png becomes OUT/a/b.canvas.mp4 (the layout is kept; hidden files and OUT itself are skipped).
Render options are those of `mediakit canvas` / `mediakit clip` and apply to every file; a manifest
gives them per job instead (schema: samples/README-batch.md).

A re-run skips every job whose output is up to date (same input content, options and mediakit version);
--force redoes them. Ctrl-C or SIGTERM stops cleanly (no partial files) and the next run carries on.
OUT/report.json lists every job: status (ok, skipped, failed, invalid, interrupted), reason, verdict.

\b
Examples:
  mediakit batch covers/ -o canvases/                # covers/a/b.png -> canvases/a/b.canvas.mp4
  mediakit batch covers/ -o canvases/ --include '*.png' --motion drift --jobs 2
  mediakit batch live/ -o clips/ --kind clip --audio song.wav --duration 15
  mediakit batch jobs.toml                           # a manifest with [defaults] and [[job]] tables
  mediakit batch jobs.toml --cluster tcp://10.0.0.5:8786   # on a Dask cluster (shared paths)

\b
Exit codes: 0 every job ok or skipped; 1 a job failed or was invalid; 2 usage or manifest error
(nothing is rendered); 3 ffmpeg missing; 4 OUT cannot be written; 130 interrupted (Ctrl-C or SIGTERM).
"""

_STYLE = {"ok": "green", "skipped": "dim", "failed": "red", "invalid": "red", "interrupted": "yellow"}
_MAX_ROWS = 50  # past this many jobs the table shows only the jobs that need attention


def _optional_focus(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    return None if value is None else _focus(ctx, param, value)


# The choices of `mediakit canvas` / `mediakit clip`, from modules that import no renderer (numpy, OpenCV,
# PyAV), so `mediakit batch --help` stays quick. The caption styles live beside the caption layout, whose
# package imports Pillow: they are spelled out, and tests/unit/test_batch_manifest.py keeps them equal.
SIZES = tuple(_SIZES)
CAPTION_STYLES = ("outline", "box", "karaoke")


def _render_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The options of `mediakit canvas` and `mediakit clip`; unset ones keep each kind's own default."""
    both, canvas, clip = "[canvas, clip]", "[canvas]", "[clip]"
    options = [
        click.option("--motion", type=click.Choice(MOTIONS), help=f"Camera move for stills. {both}"),
        click.option("--zoom", type=float, help=f"Strength of the move (1.0-1.5). {both}"),
        click.option("--fit", type=click.Choice(FITS), help=f"How a non-9:16 source fills the frame. {both}"),
        click.option(
            "--focus", callback=_optional_focus, help=f"X,Y (0-1) kept in frame when cropping. {both}"
        ),
        click.option("--color", help=f"Bar colour for --fit pad. {both}"),
        click.option("--start", type=float, help=f"Where the footage starts (s). {both}"),
        click.option("--duration", type=float, help=f"Length: canvas 3-8 s, clip 3-30 s. {both}"),
        click.option("--fps", type=click.Choice(["24", "25", "30"]), help=f"Frame rate. {both}"),
        click.option("--crf", type=int, help=f"x264 quality (lower is better). {both}"),
        click.option(
            "--x264-preset", type=click.Choice(X264_PRESETS), help=f"x264 speed/size trade-off. {both}"
        ),
        click.option("--loop", type=click.Choice(LOOPS), help=f"Loop for footage. {canvas}"),
        click.option("--crossfade", type=float, help=f"Dissolve length for --loop crossfade (s). {canvas}"),
        click.option("--size", type=click.Choice(SIZES), help=f"Frame size. {canvas}"),
        click.option(
            "--format", "format", type=click.Choice(["mp4", "jpg"]), help=f"mp4 or a JPEG still. {canvas}"
        ),
        click.option("--audio", type=click.Path(dir_okay=False), help=f"A track under every clip. {clip}"),
        click.option("--audio-start", type=float, help=f"Where the track starts (s). {clip}"),
        click.option(
            "--mix", type=float, help=f"Level (0-1) of the footage's own sound under --audio. {clip}"
        ),
        click.option(
            "--captions", type=click.Path(dir_okay=False), help=f"SRT, WebVTT or ASS captions. {clip}"
        ),
        click.option("--text", help=f"One caption instead of a file. {clip}"),
        click.option("--at", callback=_at, help=f"When --text shows, e.g. 2-6 (s). {clip}"),
        click.option("--caption-style", type=click.Choice(CAPTION_STYLES), help=f"Caption look. {clip}"),
        click.option("--font", type=click.Path(dir_okay=False), help=f"A .ttf/.otf for captions. {clip}"),
    ]
    for option in reversed(options):
        f = option(f)
    return f


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
    "--kind", type=click.Choice(["canvas", "clip"]), help="What to make from a folder  [default: canvas]"
)
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
@_render_options
@click.pass_obj
def batch(
    settings: object,
    src: Path,
    out: Path | None,
    kind: str | None,
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
    jobs, out = _jobs(src, out, kind, include, exclude, given)
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
    kind = kind or "canvas"
    options, problems = build_options(kind, given, Path.cwd())
    if options is None:
        for problem in problems[1:]:
            stderr.print(f"  --{(problem.key or 'options').replace('_', '-')}: {escape(problem.message)}")
        first = problems[0]
        raise UsageError(
            f"--{(first.key or 'options').replace('_', '-')}: {first.message}",
            "mediakit batch --help lists the options",
        )
    jobs = folder_jobs(src, out, kind, options, scan(src, out, include, exclude))
    if not jobs:
        raise UsageError(f"no images or videos found under {src}", "check the folder and the --include globs")
    return jobs, out.absolute()


@contextlib.contextmanager
def _display(total: int, enabled: bool) -> Iterator[Callable[[Any], None] | None]:
    """An overall bar plus one line per running job, on stderr, only when stderr is a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield None
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
                seconds = getattr(job.options, "duration", None)
                if seconds is None and job.kind == "canvas" and job.options.format == "mp4":
                    seconds = 7.0
                running[job.index] = bar.add_task(f"  {escape(job.name)}", total=seconds)
            elif event.kind == "progress" and job.index in running:
                bar.update(running[job.index], completed=event.seconds)
            elif event.kind == "done":
                bar.advance(overall)
                if job.index in running:
                    bar.remove_task(running.pop(job.index))

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
