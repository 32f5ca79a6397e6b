"""The clip job's moviepy 2 contestant: cut, crop, resize, SRT captions and audio, as a moviepy user would.

Usage (run as its own process, so its interpreter start-up is timed like mediakit's):
    python benchmarks/moviepy_clip.py FOOTAGE.mp4 LYRICS.srt FONT.ttf OUT.mp4 --seconds 15 -- X264_OPTIONS...

Captions: moviepy's own `SubtitlesClip` reads the SRT and draws each cue with `TextClip` (Pillow, no
ImageMagick in moviepy 2) in the given font, white with a black outline, wrapped to the frame width minus
margins and placed in the lower part of the frame. It is not mediakit's safe-zone layout, only a comparable
amount of work. Audio: moviepy has no loudness normalization; `AudioNormalize` (peak to 0 dBFS) is the
nearest it offers, and is what this contestant applies. AAC 192k at 48 kHz, like the others.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

FPS = 30
SIZE = (1080, 1920)
FONT_SIZE = 64  # a readable size on a 1080 px wide frame
TEXT_WIDTH = 860  # 1080 minus the side margins
TEXT_Y = 0.62  # the text block's top, as a fraction of the height (above the bottom UI band)


def _split_preset(options: list[str]) -> tuple[str, list[str]]:
    rest, preset = [], "medium"
    it = iter(options)
    for opt in it:
        if opt == "-preset":
            preset = next(it)
        else:
            rest.append(opt)
    return preset, rest


def build(source: str, srt: str, font: str, seconds: float) -> Any:
    from moviepy import CompositeVideoClip, TextClip, VideoFileClip, afx
    from moviepy.video.tools.subtitles import SubtitlesClip

    clip = VideoFileClip(source, target_resolution=None).subclipped(0, seconds)
    w, h = clip.size
    crop_w = round(h * SIZE[0] / SIZE[1] / 2) * 2
    video = clip.cropped(x_center=w / 2, y_center=h / 2, width=crop_w, height=h).resized(SIZE)

    def caption(text: str) -> Any:
        return TextClip(
            font=font,
            text=text,
            font_size=FONT_SIZE,
            color="white",
            stroke_color="black",
            stroke_width=4,
            method="caption",
            size=(TEXT_WIDTH, None),
            text_align="center",
            margin=(8, 24),  # room for descenders and the outline, which Pillow's box cuts off
        )

    subtitles = SubtitlesClip(srt, make_textclip=caption, encoding="utf-8")
    subtitles = subtitles.with_position(("center", TEXT_Y * SIZE[1])).with_duration(seconds)
    out = CompositeVideoClip([video, subtitles], size=SIZE).with_duration(seconds)
    return out.with_audio(video.audio.with_effects([afx.AudioNormalize()]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("source", "srt", "font", "output"):
        parser.add_argument(name)
    parser.add_argument("--seconds", type=float, default=15.0)
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:cut])
    preset, params = _split_preset(argv[cut + 1 :])
    build(args.source, args.srt, args.font, args.seconds).write_videofile(
        args.output,
        fps=FPS,
        codec="libx264",
        preset=preset,
        audio_codec="aac",
        audio_fps=48000,
        audio_bitrate="192k",
        ffmpeg_params=params,
        logger=None,
    )


if __name__ == "__main__":
    main()
