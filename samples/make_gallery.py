"""Render every canvas motion and loop mode from the samples and draw one contact sheet per mode.

Usage: python samples/make_gallery.py SAMPLES_DIR OUT_DIR   (`make gallery`)
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import av
from PIL import Image, ImageDraw, ImageFont

from mediakit import CanvasOptions, render_canvas

MODES = {
    "push-in": ("cover.png", CanvasOptions(motion="push-in")),
    "pull-out": ("cover.png", CanvasOptions(motion="pull-out")),
    "drift": ("cover.png", CanvasOptions(motion="drift", zoom=1.2)),
    "blur-fit": ("footage.mp4", CanvasOptions(fit="blur", loop="pingpong")),
    "pingpong": ("footage.mp4", CanvasOptions(loop="pingpong")),
    "crossfade": ("footage.mp4", CanvasOptions(loop="crossfade")),
}
THUMB = (144, 256)
COLUMNS = 8


def sheet(video: Path, title: str) -> Image.Image:
    """Eight frames across the loop, plus the wrap (last frame, then the first again)."""
    with av.open(str(video)) as c:
        frames = [f.to_image() for f in c.decode(video=0)]
    picks = [round(i * (len(frames) - 1) / (COLUMNS - 1)) for i in range(COLUMNS)]
    tiles = [(f"#{i}  {i / 30:.2f}s", frames[i]) for i in picks] + [("wrap -> #0", frames[0])]
    font = ImageFont.load_default(size=13)
    pad, label = 6, 18
    out = Image.new("RGB", (len(tiles) * (THUMB[0] + pad) + pad, THUMB[1] + label + 2 * pad + 20), "#111")
    draw = ImageDraw.Draw(out)
    draw.text((pad, 4), f"{title}  ({len(frames)} frames)", fill="#eee", font=font)
    for k, (text, im) in enumerate(tiles):
        x = pad + k * (THUMB[0] + pad)
        out.paste(im.resize(THUMB), (x, 20 + pad))
        draw.text(
            (x, 20 + pad + THUMB[1] + 3), text, fill="#9cf" if k == len(tiles) - 1 else "#ccc", font=font
        )
    return out


def main() -> None:
    samples, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    for name, (source, options) in MODES.items():
        video = samples / f"gallery-{name}.mp4"
        # 720x1280 is plenty for thumbnails and renders in half the time.
        render_canvas(samples / source, video, dataclasses.replace(options, size="720x1280"), overwrite=True)
        sheet(video, f"{name}  (from samples/{source})").save(out / f"{name}.png", optimize=True)
        print(out / f"{name}.png")


if __name__ == "__main__":
    main()
