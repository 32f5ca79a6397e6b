"""`mediakit kit`: a release's assets (Canvas, Clip, Apple motion, Reels, TikTok, Shorts) in one command."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

import click

from mediakit.cli.output import emit_json, escape, stderr

# Spelled out here so `mediakit kit --help` imports no renderer; tests/unit/test_kit.py keeps it equal to
# mediakit.kit.ASSET_NAMES.
ASSET_NAMES = ("canvas", "clip", "apple-tall", "apple-square", "reels", "tiktok", "shorts")

HELP = f"""Render every asset of a release that the inputs allow into folder OUT, each validated against
its platform's preset, with a contact sheet (NAME.preview.png) each and a kit.json manifest.

\b
Assets: {", ".join(ASSET_NAMES)}
  canvas        Spotify Canvas: the footage as a loop, else the cover as a push-in
  clip          Spotify Clip: the song from --hook, --lyrics as captions, over the footage or the cover
  apple-tall    Apple Music motion artwork 3:4 (2048x2732), silent, the art filling the frame
  apple-square  Apple Music motion artwork 1:1 (3840x3840); from a cover, the first frame is the cover
  reels, tiktok, shorts   as the clip, each in its own preset and caption safe zone
Clip-kind assets need --song; without it they are listed in kit.json as skipped, with the reason.

\b
Examples:
  mediakit kit cover.png -o release/
  mediakit kit cover.png --song track.wav --lyrics lyrics.srt --hook 0:42 -o release/
  mediakit kit cover.png --footage loop.mov --song track.wav --only canvas,clip -o release/
  mediakit kit cover.png --song track.wav --skip apple-square --draft -o drafts/

\b
Exit codes: 0 every asset ok or skipped; 1 an asset failed (after all ran) or an input is not usable;
2 usage error (e.g. an unknown asset name); 3 ffmpeg missing; 4 OUT not writable or an output already
exists (without --overwrite; nothing is rendered); 130 interrupted (Ctrl-C or SIGTERM).
"""

_STYLE = {"ok": "green", "skipped": "dim", "failed": "red"}
_MARK = {"ok": "✓", "skipped": "-", "failed": "✗"}


def _hook(ctx: click.Context, param: click.Parameter, value: str | None) -> float:
    if value is None:
        return 0.0
    from mediakit.errors import UsageError
    from mediakit.kit import parse_hook

    try:
        return parse_hook(value)
    except UsageError as exc:
        raise click.BadParameter(f"{exc.message} ({exc.hint})") from None


def _line(entry: Any) -> str:
    """One line per asset as it ends: what, where, verdict, length and time, or why not."""
    style = _STYLE[entry.status]
    head = f"[{style}]{_MARK[entry.status]} {entry.asset}[/] ({entry.preset})"
    if entry.status == "ok":
        size = ""
        if entry.path:
            with contextlib.suppress(OSError):
                size = f", {Path(entry.path).stat().st_size / 1e6:.1f} MB"
        warned = f", {len(entry.warnings)} warning(s)" if entry.warnings else ""
        return (
            f"{head} {escape(entry.path or '')}: {entry.duration:g} s{size}, validation {entry.verdict}"
            f"{warned}, {entry.seconds:.1f} s"
        )
    return f"{head} {entry.status}: {escape(entry.reason or '')}"


class _Bars:
    """One bar per asset being made (how far through its current step), only when stderr is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.bar: Any = None
        self.tasks: dict[str, Any] = {}
        if enabled and sys.stderr.isatty():
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                console=stderr,
                transient=True,
            )

    def __enter__(self) -> _Bars:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def plan(self, jobs: list[Any]) -> None:
        if self.bar is None:
            return
        for job in jobs:
            self.tasks[job.asset.name] = self.bar.add_task(f"  {job.asset.name}", total=1.0)

    def progress(self, asset: str, seconds: float) -> None:  # called from the asset's thread; 0-1
        if asset in self.tasks:
            self.bar.update(self.tasks[asset], completed=seconds)

    def done(self, asset: str) -> None:
        if asset in self.tasks:
            self.bar.remove_task(self.tasks.pop(asset))


@click.command(help=HELP)
@click.argument("cover", type=click.Path(dir_okay=False, path_type=str))
@click.option("-o", "--output", "out", required=True, type=click.Path(path_type=str), help="Output folder.")
@click.option(
    "--footage", type=click.Path(dir_okay=False, path_type=str), help="Video for the loops and clips."
)
@click.option(
    "--song", type=click.Path(dir_okay=False, path_type=str), help="The track (for clip-kind assets)."
)
@click.option(
    "--lyrics",
    type=click.Path(dir_okay=False, path_type=str),
    help="SRT, WebVTT or ASS captions, timed in the song's time.",
)
@click.option(
    "--hook",
    callback=_hook,
    metavar="TIME",
    help="Where the clips start in the song: seconds or M:SS (0:42).",
)
@click.option(
    "--only", multiple=True, metavar="NAMES", help="Make only these assets (comma-separated or repeated)."
)
@click.option("--skip", multiple=True, metavar="NAMES", help="Do not make these assets.")
@click.option(
    "--jobs", "workers", type=click.IntRange(min=1), default=None, help="Assets at once  [default: cores]"
)
@click.option("--draft", is_flag=True, help="Fast, lower-quality encodes for trying looks.")
@click.option("--overwrite", is_flag=True, help="Replace existing outputs in OUT.")
@click.option("--json", "as_json", is_flag=True, help="Print kit.json on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="Only failures on stderr.")
@click.pass_obj
def kit(
    settings: object,
    cover: str,
    out: str,
    footage: str | None,
    song: str | None,
    lyrics: str | None,
    hook: float,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    workers: int | None,
    draft: bool,
    overwrite: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    from mediakit.errors import ExitCode
    from mediakit.kit import KIT_JSON, KitInputs, make_kit

    def optional(value: str | None) -> Path | None:
        return Path(value) if value else None

    inputs = KitInputs(Path(cover), optional(footage), optional(song), optional(lyrics), hook)

    bars = _Bars(enabled=not quiet)

    def on_plan(jobs: list[Any], skipped: list[Any], workers: int, threads: int) -> None:
        bars.plan(jobs)
        if not quiet and jobs:
            stderr.print(
                f"kit: {len(jobs)} asset(s) to make ({workers} at once x {threads} ffmpeg thread(s))"
                + (f", {len(skipped)} skipped" if skipped else "")
            )

    def on_done(entry: Any) -> None:
        bars.done(entry.asset)
        if quiet and entry.status != "failed":
            return
        stderr.print(_line(entry))
        if not quiet:
            for warning in entry.warnings:
                stderr.print(f"    [yellow]warning:[/] {escape(warning)}")

    with bars:
        result = make_kit(
            inputs,
            out,
            only=only,
            skip=skip,
            workers=workers,
            draft=draft,
            overwrite=overwrite,
            ffmpeg_bin=getattr(settings, "ffmpeg", None),
            on_plan=on_plan,
            on_done=on_done,
            on_progress=bars.progress if bars.bar is not None else None,
        )
    if as_json:
        emit_json(result.document)
    if not quiet:
        totals = result.document["totals"]
        parts = [f"{totals[s]} {s}" for s in ("ok", "failed", "skipped") if totals[s]]
        stderr.print(
            f"kit: {', '.join(parts)} in {result.document['seconds']:.1f} s; "
            f"manifest: {escape(str(result.out / KIT_JSON))}"
        )
    if result.interrupted:
        stderr.print("mediakit: interrupted")
        raise click.exceptions.Exit(ExitCode.INTERRUPTED)
    raise click.exceptions.Exit(ExitCode.FAILED if result.count("failed") else ExitCode.OK)
