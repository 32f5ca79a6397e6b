"""`mediakit clip`: render a captioned 9:16 Spotify Clip with loudness-normalized audio."""

from __future__ import annotations

import click

from mediakit.cli.canvas import _focus
from mediakit.cli.output import emit_json, escape, stderr, stdout
from mediakit.errors import EXIT_CODE_HELP
from mediakit.render.framing import FITS, MOTIONS

HELP = f"""Render a Spotify Clip: vertical 1080x1920 H.264 with AAC audio normalized to -14 LUFS
(true peak under -1 dBTP), 3-30 s, with readable burned-in captions inside the safe zone.

\b
Examples:
  mediakit clip live.mov --captions lyrics.srt
  mediakit clip live.mov --start 42 --duration 15 --text "If this hits you, tap Save" --at 2-6
  mediakit clip live.mov --audio master.wav --audio-start 45 --mix 0.2
  mediakit clip cover.png --audio song.wav --audio-start 60 --duration 12 --caption-style karaoke \\
      --captions hook.ass
  mediakit clip landscape.mp4 --fit blur --captions lyrics.vtt --caption-style box

Default length: all of the footage after --start (up to 29 s), or 15 s of the song for a still.
{EXIT_CODE_HELP}
"""


def _at(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[float, float] | None:
    if value is None:
        return None
    from mediakit.captions import CaptionError, parse_at

    try:
        return parse_at(value)
    except CaptionError as exc:
        raise click.BadParameter(exc.message) from None


@click.command(help=HELP)
@click.argument("source", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=str),
    help="Output file (default: <stem>.clip.mp4 next to the input).",
)
@click.option("--start", type=float, default=0.0, show_default=True, help="Where the footage starts (s).")
@click.option("--duration", type=float, default=None, help="Clip length, more than 3 and less than 30 s.")
@click.option(
    "--captions",
    type=click.Path(dir_okay=False, path_type=str),
    help="SRT, WebVTT or ASS file; cue times are in the footage's time and follow --start.",
)
@click.option("--text", help="One caption instead of a file.")
@click.option("--at", callback=_at, help="When --text shows, e.g. 2-6 (seconds of the clip; default: all).")
@click.option(
    "--caption-style", type=click.Choice(["outline", "box", "karaoke"]), default="outline", show_default=True
)
@click.option(
    "--font",
    type=click.Path(dir_okay=False, path_type=str),
    help="A .ttf/.otf for captions (default: the bundled DejaVu Sans Bold).",
)
@click.option(
    "--audio", type=click.Path(dir_okay=False, path_type=str), help="A track to lay under the clip."
)
@click.option("--audio-start", type=float, default=0.0, show_default=True, help="Where the track starts (s).")
@click.option(
    "--mix",
    type=float,
    default=0.0,
    show_default=True,
    help="Level (0-1) of the footage's own sound kept under --audio.",
)
@click.option(
    "--fit",
    type=click.Choice(FITS),
    default="auto",
    show_default=True,
    help="auto: a still a crop would cut by over 10 % is shown whole (blur), anything else is cropped.",
)
@click.option(
    "--focus",
    default="0.5,0.5",
    callback=_focus,
    show_default=True,
    help="X,Y (0-1) of the point kept in frame when cropping.",
)
@click.option(
    "--motion",
    type=click.Choice(MOTIONS),
    default="push-in",
    show_default=True,
    help="Camera move when the source is a still.",
)
@click.option("--crf", type=int, default=None, help="x264 quality (lower is better)  [default: 20]")
@click.option("--x264-preset", default=None, help="x264 speed/size trade-off  [default: slow]")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@click.option("--dry-run", is_flag=True, help="Print the ffmpeg command and render nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON document.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
@click.pass_obj
def clip(
    settings: object,
    source: str,
    output: str | None,
    start: float,
    duration: float | None,
    captions: str | None,
    text: str | None,
    at: tuple[float, float] | None,
    caption_style: str,
    font: str | None,
    audio: str | None,
    audio_start: float,
    mix: float,
    fit: str,
    focus: tuple[float, float],
    motion: str,
    crf: int | None,
    x264_preset: str | None,
    overwrite: bool,
    dry_run: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    from mediakit.cli.progress import progress_bar
    from mediakit.render.clip import ClipOptions, render_clip

    options = ClipOptions(
        start=start,
        duration=duration,
        fit=fit,
        focus=focus,
        motion=motion,
        audio=audio,
        audio_start=audio_start,
        mix=mix,
        captions=captions,
        text=text,
        at=at,
        caption_style=caption_style,
        font=font,
        crf=crf,
        x264_preset=x264_preset,
    )
    with progress_bar("rendering clip", duration, enabled=not (quiet or as_json or dry_run)) as update:
        result = render_clip(
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
        stdout.print(escape(result.plan.command_line()))
        stdout.print(f"[dim]# {escape(result.plan.note)}[/]")
        return
    for issue in result.caption_issues:
        stderr.print(f"[yellow]caption {issue.rule}:[/] {escape(issue.message)} → {escape(issue.hint)}")
    if not quiet:
        loud = result.loudness
        verdict = result.report.verdict() if result.report else "pass"
        level = f", {loud.integrated:.1f} LUFS, peak {loud.true_peak:.1f} dBTP" if loud else ""
        stdout.print(
            f"[green]✓[/] {escape(str(result.output))}  ({result.plan.frames} frames, "
            f"{result.plan.seconds:g} s{level}, validation: {verdict}, {result.seconds:.1f} s)"
        )
