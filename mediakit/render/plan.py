"""Render plans (pure: argv + expected output) and the H.264 settings every render shares."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from mediakit.preset import RENDER_RATES

X264_PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
)
FPS_CHOICES = RENDER_RATES
SIZES = {"1080x1920": (1080, 1920), "720x1280": (720, 1280)}


@dataclass(frozen=True)
class Encoding:
    """H.264 settings. CRF keeps quality constant; the optional cap keeps files under a size limit."""

    crf: int
    preset: str
    fps: Fraction | int  # 30000/1001 for NTSC footage kept at its rate
    max_kbps: int | None = None
    threads: int | None = None
    # x264's lookahead holds ~7 MB per frame at 1080x1920: 50 frames (preset slow) made x264 alone
    # 645 MB, 30 frames 493 MB (benchmarks/lookahead.py). On noisy 1080x1920 footage at CRF 20, 30 frames
    # gave 6.5 % fewer bytes for 0.65 dB less PSNR, close to where the usual slope (~6 dB per doubling
    # of bytes) puts it: the same rate-distortion curve, not a worse encode.
    lookahead: int = 30
    x264_params: str = ""

    def output_options(self) -> dict[str, Any]:
        opts: dict[str, Any] = {
            "c:v": "libx264",
            "profile:v": "high",
            "preset": self.preset,
            "crf": self.crf,
            "pix_fmt": "yuv420p",
            "movflags": "+faststart",
            "r": str(self.fps),
            "fps_mode": "cfr",
            "map_metadata": -1,
            "map_chapters": -1,
        }
        if self.max_kbps:
            opts.update({"maxrate": f"{self.max_kbps}k", "bufsize": f"{self.max_kbps * 2}k"})
        if self.threads:
            opts["threads"] = self.threads
        opts["x264-params"] = ":".join(p for p in (f"rc-lookahead={self.lookahead}", self.x264_params) if p)
        return opts


@dataclass(frozen=True)
class Plan:
    """One ffmpeg run: the argv (argv[0] is the binary), what it should produce, and stdin frames if any."""

    argv: tuple[str, ...]
    output: Path
    frames: int
    seconds: float
    note: str
    frame_source: Callable[[], Iterator[bytes]] | None = field(default=None, compare=False)
    # Or: called with ffmpeg's stdin, which it fills itself (here, by running `feeder_argv` into it).
    feed: Callable[[Any], None] | None = field(default=None, compare=False)
    feeder_argv: tuple[str, ...] = ()

    def command_line(self) -> str:
        return shlex.join(self.argv)


def size_cap_kbps(max_bytes: int | None, seconds: float) -> int | None:
    """A video bitrate cap that keeps a file of `seconds` under `max_bytes` (10 % kept for the container)."""
    if not max_bytes or seconds <= 0:
        return None
    return int(max_bytes * 8 * 0.9 / seconds / 1000)


def compile_argv(out: Any, ffmpeg_bin: str) -> tuple[str, ...]:
    """typed-ffmpeg's argv with our binary and `-y` (the runner always writes to a fresh temp name)."""
    argv = list(out.overwrite_output().compile())
    argv[0] = ffmpeg_bin
    return tuple(argv)


def raw_frames_input(size: tuple[int, int], fps: Fraction | int) -> Any:
    """stdin as raw yuv420p frames (what mediakit draws for stills), for typed-ffmpeg graphs."""
    import ffmpeg

    return ffmpeg.input(
        "pipe:0",
        extra_options={
            "f": "rawvideo",
            "pix_fmt": "yuv420p",
            "video_size": f"{size[0]}x{size[1]}",
            "framerate": str(fps),
        },
    )
