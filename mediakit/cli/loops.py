"""`mediakit loops`: where footage loops most seamlessly, ranked, with the canvas command that renders it."""

from __future__ import annotations

import shlex
from typing import Any

import click

from mediakit.cli.output import emit_json, escape, stdout
from mediakit.errors import EXIT_CODE_HELP

HELP = f"""Find where footage loops most seamlessly: every start and length the preset allows (3-8 s for a
Spotify Canvas), scored as a hard cut, a crossfade and a ping-pong by how far the frame after the wrap is
from the one the footage would show next (in ordinary frame steps: 0 is invisible). Windows holding a cut,
a freeze or black, or barely moving, are never offered. The best are measured, best first, as the deep
check measures a loop (seam in frame steps; mediakit's own bar is 1.25, the deep check warns over the
preset's max_seam) until one is under 1.0.

Prints the candidates, best first, and the `mediakit canvas` command that renders the best one
(`mediakit canvas FILE --start auto` renders it directly).

\b
Examples:
  mediakit loops live.mov
  mediakit loops live.mov --top 10
  mediakit loops live.mov --as apple-motion-tall --json

{EXIT_CODE_HELP}
"""


@click.command(help=HELP)
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--as",
    "profile",
    metavar="PRESET|FILE.toml",
    help="Canvas preset whose durations and frame rate the loops follow (default: spotify-canvas).",
)
@click.option(
    "--top", type=click.IntRange(1, 50), default=5, show_default=True, help="How many candidates to list."
)
@click.option("--json", "as_json", is_flag=True, help="Print the candidates as one JSON document.")
def loops(file: str, profile: str | None, top: int, as_json: bool) -> None:
    from mediakit.errors import InputError, UsageError
    from mediakit.inputs import display
    from mediakit.kinds.canvas import CanvasOptions
    from mediakit.preset import resolve
    from mediakit.probe import probe
    from mediakit.rendering import canvas, footage

    preset = resolve(profile or "spotify-canvas")
    if preset.kind != "canvas":
        raise UsageError(
            f"--as {profile}: {preset.title} is not a looping preset",
            "use a canvas preset (mediakit presets list)",
        )
    info = probe(file)
    if info.damage:
        raise InputError(f"{display(info.path)}: {info.damage[0]}", "export or download it again")
    if info.kind == "image":
        raise InputError(
            f"{display(info.path)}: is a still; there is no loop point to find",
            f"render it directly: mediakit canvas {_path_arg(file)}",
        )
    if info.primary_video is None:
        raise InputError(f"{display(info.path)}: has no video stream", "use video footage")
    info = footage.bound_duration(info)
    opts = CanvasOptions(start="auto")
    best, found, notes = canvas.search(info, opts, preset, top=top, verify=min(top, 3))
    command = _command(file, best, preset)
    if as_json:
        emit_json(
            {
                "input": file,
                "preset": preset.name,
                "best": _row(best),
                "candidates": [_row(c) for c in found],
                "command": command,
                "notes": notes,
            }
        )
        return
    stdout.print(f"[bold]{escape(file)}[/]  [dim]({escape(preset.title)}, {_rate(best.fps)} fps)[/]")
    stdout.print("  rank  start (s)  length (s)  loop       score  seam (measured)")
    for i, c in enumerate(found, start=1):
        seam = "-" if c.seam is None else f"{c.seam:.2f}" + (" stalls" if c.stalls else "")
        mark = "  [green]<- best[/]" if c is best else ""
        stdout.print(
            f"  {i:>4}  {c.start:>9.2f}  {c.seconds:>10.2f}  {c.mode:<9}  {c.score:>5.2f}  {seam:<15}{mark}"
        )
    stdout.print(f"render it: {escape(command)}")
    for note in notes:
        stdout.print(f"[dim]note: {escape(note)}[/]")


def _command(file: str, best: Any, preset: Any) -> str:
    args = ["--start", f"{best.start:.2f}", "--duration", f"{round(best.seconds, 2):g}", "--loop", best.mode]
    if preset.name != "spotify-canvas":
        args += ["--preset", preset.ref]
    return " ".join(("mediakit", "canvas", _path_arg(file), *args))


def _path_arg(file: str) -> str:
    """The file as a shell argument click reads as a path: a name starting with "-" would be read as an
    option (`No such option: -d`), so it is given as ./-name (the same file)."""
    return shlex.quote(f"./{file}" if file.startswith("-") else file)


def _rate(fps: Any) -> str:
    return f"{float(fps):g}" if fps.denominator == 1 else f"{float(fps):.3f}"


def _row(c: Any) -> dict[str, Any]:
    return {
        "start": c.start,
        "seconds": round(c.seconds, 4),
        "frames": c.frames,
        "fps": str(c.fps),
        "loop": c.mode,
        "score": round(c.score, 3),
        "motion": round(c.motion, 3),
        "seam": None if c.seam is None else round(c.seam, 3),
        "stalls": list(c.stalls),
        "ok": c.ok() if c.verified else None,
    }
