"""`mediakit preview`: a PNG contact sheet with the loop wrap and the safe zone, to look at before upload."""

from __future__ import annotations

from pathlib import Path

import click

from mediakit.cli.output import emit_json, escape, stdout
from mediakit.errors import EXIT_CODE_HELP

HELP = f"""Draw a preview PNG of a video or still: 8 frames across its duration with their times, the
loop wrap (the last frame next to the first) and a frame with the preset's safe zone and player UI drawn
over it (--as reels, --as shorts, ...). Panels take the picture's shape (9:16, 3:4, 1:1). For a still:
the picture and its safe zone.

The PNG goes next to the input as <stem>.preview.png. An older PNG there is replaced; the input, or any
file that is not a PNG, never is.

\b
Examples:
  mediakit preview cover.canvas.mp4
  mediakit preview clip.mp4 -o review/clip.png
  mediakit preview cover.jpg --as canvas --json
  mediakit preview hook.mp4 --as reels

{EXIT_CODE_HELP}
"""


@click.command(help=HELP)
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=str),
    help="PNG to write (default: <stem>.preview.png next to the input).",
)
@click.option(
    "--as",
    "profile",
    metavar="PRESET|FILE.toml",
    help="Preset whose safe zone is drawn: a name, an alias (canvas, clip, reels, tiktok, shorts, ...) or a "
    ".toml file (default: chosen from the file, as validate does).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON document.")
def preview(file: str, output: str | None, profile: str | None, as_json: bool) -> None:
    from mediakit.preset import resolve
    from mediakit.preview import render_preview

    if profile is not None:
        resolve(profile)  # a bad --as is a usage error before the file is read
    written = render_preview(file, Path(output) if output is not None else None, profile)
    if as_json:
        emit_json({"input": file, "output": str(written)})
        return
    stdout.print(f"[green]✓[/] {escape(str(written))}")
