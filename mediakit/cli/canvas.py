"""`mediakit canvas`: render an upload-ready Spotify Canvas from a still or footage."""

from __future__ import annotations

import shlex

import click

from mediakit.cli.output import emit_json, escape, stderr, stdout
from mediakit.errors import EXIT_CODE_HELP
from mediakit.render.framing import FITS, LOOPS, MOTIONS

HELP = f"""Render an upload-ready Spotify Canvas from a still (PNG, JPEG, WebP, TIFF) or footage.

The result is 1080x1920 H.264, 7 s by default (shorter when the footage is), written next to the input
as <stem>.canvas.mp4 and validated against the canvas profile before the command reports success.
Footage keeps its frame rate (24, 25, 30, 23.976, 29.97; 50/60 fps keep every other frame); stills are 30 fps.
A still far from 9:16 is shown whole over a blurred fill; a crop that cuts off over 10 % is warned about.

\b
Examples:
  mediakit canvas cover.png                          # push-in (zoom in, ease back out)
  mediakit canvas cover.png --motion drift --zoom 1.2
  mediakit canvas cover.png --fit crop --focus 0.5,0.4  # fill the frame with part of the cover
  mediakit canvas live.mov --start 12 --loop pingpong
  mediakit canvas live.mov --loop crossfade --duration 6 --focus 0.3,0.5
  mediakit canvas cover.jpg --format jpg             # static JPEG canvas
  mediakit canvas cover.png --dry-run                # print the ffmpeg command only

{EXIT_CODE_HELP}
"""


def _focus(ctx: click.Context, param: click.Parameter, value: str) -> tuple[float, float]:
    try:
        x_text, y_text = value.split(",")
        x, y = float(x_text), float(y_text)
    except ValueError:
        raise click.BadParameter("expected X,Y such as 0.5,0.4") from None
    if not (0 <= x <= 1 and 0 <= y <= 1):
        raise click.BadParameter("X and Y must be between 0 and 1")
    return (x, y)


@click.command(help=HELP)
@click.argument("source", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=str),
    help="Output file (default: <stem>.canvas.mp4 next to the input).",
)
@click.option(
    "--motion",
    type=click.Choice(MOTIONS),
    default="push-in",
    show_default=True,
    help="Camera move for stills.",
)
@click.option("--zoom", type=float, default=1.12, show_default=True, help="Strength of the move (1.0-1.5).")
@click.option(
    "--fit",
    type=click.Choice(FITS),
    default="auto",
    show_default=True,
    help="How a source that is not 9:16 fills the frame (auto: blur for a still a crop would cut by over "
    "10 %, else crop).",
)
@click.option(
    "--focus",
    default="0.5,0.5",
    callback=_focus,
    show_default=True,
    help="X,Y (0-1) of the point kept in frame when cropping.",
)
@click.option("--color", default="black", show_default=True, help="Bar colour for --fit pad.")
@click.option(
    "--loop",
    type=click.Choice(LOOPS),
    default="pingpong",
    show_default=True,
    help="Loop for footage: forwards-backwards, dissolve, or hard cut.",
)
@click.option(
    "--crossfade",
    type=float,
    default=1.0,
    show_default=True,
    help="Dissolve length for --loop crossfade (s).",
)
@click.option("--start", type=float, default=0.0, show_default=True, help="Where the footage starts (s).")
@click.option("--duration", type=float, default=None, help="Canvas length, 3-8 s  [default: 7]")
@click.option(
    "--fps",
    type=click.Choice(["24", "25", "30"]),
    default=None,
    help="Frame rate  [default: the footage's own (24/25/30 or NTSC, half of 50/60), else 30]",
)
@click.option("--size", type=click.Choice(["1080x1920", "720x1280"]), default="1080x1920", show_default=True)
@click.option("--crf", type=int, default=None, help="x264 quality (lower is better)  [default: 20]")
@click.option("--x264-preset", default=None, help="x264 speed/size trade-off  [default: slow]")
@click.option("--format", "fmt", type=click.Choice(["mp4", "jpg"]), default="mp4", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@click.option("--dry-run", is_flag=True, help="Print the ffmpeg command and render nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON document.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
@click.pass_obj
def canvas(
    settings: object,
    source: str,
    output: str | None,
    motion: str,
    zoom: float,
    fit: str,
    focus: tuple[float, float],
    color: str,
    loop: str,
    crossfade: float,
    start: float,
    duration: float | None,
    fps: str | None,
    size: str,
    crf: int | None,
    x264_preset: str | None,
    fmt: str,
    overwrite: bool,
    dry_run: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    from mediakit.cli.progress import progress_bar
    from mediakit.render.canvas import CanvasOptions, render_canvas

    options = CanvasOptions(
        motion=motion,
        zoom=zoom,
        fit=fit,
        focus=focus,
        color=color,
        loop=loop,
        crossfade=crossfade,
        start=start,
        duration=duration,
        fps=int(fps) if fps else None,
        size=size,
        crf=crf,
        x264_preset=x264_preset,
        format=fmt,
    )
    seconds = duration if duration is not None else 7.0
    with progress_bar("rendering canvas", seconds, enabled=not (quiet or as_json or dry_run)) as update:
        result = render_canvas(
            source,
            output,
            options,
            overwrite=overwrite,
            dry_run=dry_run,
            ffmpeg_bin=getattr(settings, "ffmpeg", None),
            on_progress=update,
        )
    if as_json:
        emit_json(result.as_dict())
        return
    # On stderr, so a dry run's stdout stays the command line alone.
    for warning in result.warnings:
        stderr.print(f"[yellow]warning:[/] {escape(warning)}")
    if dry_run:
        if result.plan.feeder_argv:
            stdout.print(escape(shlex.join(result.plan.feeder_argv)))
        stdout.print(escape(result.plan.command_line()) if result.plan.argv else "(no ffmpeg run)")
        stdout.print(f"[dim]# {escape(result.plan.note)}[/]")
        return
    if not quiet:
        report = result.report
        verdict = report.verdict() if report else "pass"
        media = report.media if report else None
        size_mb = f", {media.size_bytes / 1e6:.1f} MB" if media else ""
        stdout.print(
            f"[green]✓[/] {escape(str(result.output))}  ({result.plan.frames} frames, "
            f"{result.plan.seconds:g} s{size_mb}, validation: {verdict}, {result.seconds:.1f} s)"
        )
        for f in report.findings if report else ():
            stdout.print(f"    [yellow]{f.severity}[/] {f.rule}: {escape(f.message)} → {escape(f.hint)}")
