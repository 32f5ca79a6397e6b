"""The moviepy 2 contestant: the same two canvases, written the way a moviepy user would write them.

Usage (run as its own process, so its interpreter start-up is timed like mediakit's):
    python benchmarks/moviepy_canvas.py still COVER.png OUT.mp4 --frames 210 -- X264_OPTIONS...
    python benchmarks/moviepy_canvas.py pingpong FOOTAGE.mp4 OUT.mp4 --frames 210 -- X264_OPTIONS...

X264_OPTIONS are ffmpeg output options (e.g. -profile:v high -crf 20 ...) passed through `ffmpeg_params`;
`-preset` is taken out of them and given to moviepy's own `preset` argument.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

FPS = 30
SIZE = (1080, 1920)


def _split_preset(options: list[str]) -> tuple[str, list[str]]:
    rest, preset = [], "medium"
    it = iter(options)
    for opt in it:
        if opt == "-preset":
            preset = next(it)
        else:
            rest.append(opt)
    return preset, rest


def _crop_9_16(clip: Any) -> Any:
    w, h = clip.size
    crop_w = min(w, round(h * SIZE[0] / SIZE[1] / 2) * 2)
    crop_h = min(h, round(crop_w * SIZE[1] / SIZE[0] / 2) * 2)
    return clip.cropped(x_center=w / 2, y_center=h / 2, width=crop_w, height=crop_h)


def still(source: str, frames: int, zoom: float) -> Any:
    """Push-in: the 9:16 crop, scaled per frame by a raised cosine (1 -> zoom -> 1), centred on the frame."""
    from moviepy import CompositeVideoClip, ImageClip

    seconds = frames / FPS
    base = _crop_9_16(ImageClip(source)).resized(SIZE)

    def scale(t: float) -> float:
        return 1 + (zoom - 1) * (1 - math.cos(2 * math.pi * t / seconds)) / 2

    moving = base.resized(scale).with_position("center").with_duration(seconds)
    return CompositeVideoClip([moving], size=SIZE).with_duration(seconds)


def pingpong(source: str, frames: int) -> Any:
    """Forwards then backwards without repeating the turnaround frames (2F-2 frames from F source frames)."""
    from moviepy import VideoFileClip, concatenate_videoclips, vfx

    forward_frames = frames // 2 + 1
    clip = VideoFileClip(source, audio=False, target_resolution=None)
    fwd = _crop_9_16(clip.subclipped(0, forward_frames / FPS)).resized(SIZE)
    back = fwd.with_effects([vfx.TimeMirror()]).subclipped(1 / FPS, (forward_frames - 1) / FPS)
    return concatenate_videoclips([fwd, back])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("job", choices=["still", "pingpong"])
    parser.add_argument("source")
    parser.add_argument("output")
    parser.add_argument("--frames", type=int, default=210)
    parser.add_argument("--zoom", type=float, default=1.12)
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:cut])
    preset, params = _split_preset(argv[cut + 1 :])
    clip = (
        still(args.source, args.frames, args.zoom)
        if args.job == "still"
        else pingpong(args.source, args.frames)
    )
    clip.write_videofile(
        args.output, fps=FPS, codec="libx264", preset=preset, audio=False, ffmpeg_params=params, logger=None
    )


if __name__ == "__main__":
    main()
