"""`mediakit canvas`: render an upload-ready Spotify Canvas (or another canvas-kind preset) from a still or
footage."""

from __future__ import annotations

from mediakit.cli.render import render_command
from mediakit.errors import EXIT_CODE_HELP

HELP = f"""Render an upload-ready Spotify Canvas (or, with --preset, Apple Music motion artwork) from a still
(PNG, JPEG, WebP, TIFF) or footage.

The result is 1080x1920 H.264, 7 s by default (shorter when the footage is), written next to the input
as <stem>.canvas.mp4 and validated against the canvas profile before the command reports success.
Footage keeps its frame rate (24, 25, 30, 23.976, 29.97; 50/60 fps keep every other frame); stills are 30 fps.
A still is cropped where its faces and text stay inside the safe zone, else shown whole over a blurred
fill (a note says which and why; a warning names what a crop would have cut off); footage is cropped,
or with --fit smart cropped on a smooth path that follows its subject.

\b
Examples:
  mediakit canvas cover.png                          # push-in (zoom in, ease back out)
  mediakit canvas cover.png --motion drift --zoom 1.2
  mediakit canvas cover.png --fit crop --focus 0.5,0.4  # fill the frame with part of the cover
  mediakit canvas live.mov --start 12 --loop pingpong
  mediakit canvas live.mov --start auto              # the most seamless loop (mediakit loops lists them)
  mediakit canvas live.mov --loop crossfade --duration 6 --focus 0.3,0.5
  mediakit canvas concert.mp4 --fit smart            # 16:9 footage reframed to follow the singer
  mediakit canvas cover.jpg --format jpg             # static JPEG canvas
  mediakit canvas cover.png --preset apple-motion-tall  # Apple Music motion, 3:4
  mediakit canvas cover.png --draft                  # a quick look (720 wide, fast encode)
  mediakit canvas cover.png --dry-run                # print every command, run nothing

{EXIT_CODE_HELP}
"""


canvas = render_command("canvas", HELP)
