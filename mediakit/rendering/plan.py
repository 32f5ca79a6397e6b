"""Render plans (pure: argv + expected output) and the H.264 settings every render shares."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mediakit.preset import RENDER_RATES

if TYPE_CHECKING:
    from mediakit.preset import Preset
    from mediakit.probe import MediaInfo

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
class Job:
    """What a kind plans from: the probed source, options and preset, where the passes write (`output`, a
    temp name beside `final` when rendering), the ffmpeg binary, and what the pipeline prepared for it."""

    info: MediaInfo
    options: Any
    preset: Preset
    output: Path
    final: Path
    ffmpeg: str
    workdir: Path | None = None  # private to this render, gone after it
    inputs: Mapping[str, MediaInfo] = field(default_factory=dict)  # other media by role ("audio")
    prepared: Any = None  # what the kind's `prepare` made (a clip's captions)
    gain: Any = None  # the loudness step's result (audio.Gain), once measured
    draft: bool = False


class FrameSource(Protocol):
    """What feeds an ffmpeg pass on stdin: data (a still and its camera path, a ping-pong of footage) with
    the method that writes it, so a plan stays comparable, printable and free of closures."""

    def feed(self, stdin: Any) -> None: ...

    def describe(self) -> str: ...


class Writer(Protocol):
    """A pass mediakit makes itself, without ffmpeg (a JPEG still drawn with Pillow)."""

    def write(self) -> None: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class Pass:
    """One step of a render: an ffmpeg run (fed by `source` on stdin if it has one), or a `writer`."""

    name: str
    argv: tuple[str, ...] = ()
    source: FrameSource | None = None
    writer: Writer | None = None

    def command_line(self) -> str:
        """The command as the runner starts it (its progress and stdin options included)."""
        if not self.argv:
            return f"({self.writer.describe() if self.writer else 'no command'})"
        from mediakit.ffmpeg.runner import full_argv

        return shlex.join(full_argv(self.argv, fed=self.source is not None))


@dataclass(frozen=True)
class Level:
    """The loudness step of a render with sound: `measure` (an ebur128 pass over the mix as it will be
    written) is run first; then candidate gains are encoded and measured until one lands on `target`."""

    measure: tuple[str, ...]
    target: float
    true_peak: float


@dataclass(frozen=True)
class Plan:
    """Every pass of one render, as data: what runs, in order, what it writes, and what it should make.

    `output` is the file the passes write (a temp name beside the destination when rendering; it is
    renamed only after validation). A plan with `level` set has no encode pass yet: the pipeline measures
    the audio and plans again with the gain found.
    """

    output: Path
    frames: int
    seconds: float
    note: str
    passes: tuple[Pass, ...] = ()
    level: Level | None = None
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what mediakit chose by looking at the source (framing, loop), and why
    issues: tuple[Any, ...] = ()  # caption issues (captions.Issue), for the user to read
    options: Any = None  # the options as used (e.g. --fit auto replaced by the fit chosen)

    @property
    def argv(self) -> tuple[str, ...]:
        """The last ffmpeg pass (the one that writes the output)."""
        return next((p.argv for p in reversed(self.passes) if p.argv), ())

    @property
    def source(self) -> FrameSource | None:
        return next((p.source for p in reversed(self.passes) if p.argv), None)

    @property
    def feeder_argv(self) -> tuple[str, ...]:
        """The ffmpeg run that feeds the encoder (a ping-pong's fitting pass), if any."""
        return tuple(getattr(self.source, "feeder_argv", ()))

    def command_line(self) -> str:
        return shlex.join(self.argv)

    def commands(self) -> list[str]:
        """Every command, in the order they start (an encoder, then the feeder that fills its stdin)."""
        lines = []
        for p in self.passes:
            lines.append(p.command_line())
            feeder = getattr(p.source, "feeder_argv", ())
            if feeder:
                from mediakit.ffmpeg.runner import full_argv

                lines.append(shlex.join(full_argv(feeder, fed=False, progress=False)))
        return lines


def lookahead_for(size: tuple[int, int]) -> int:
    """x264's lookahead for frames of `size`: 30 up to 1080x1920, fewer frames for larger ones so that its
    memory stays near the 1080x1920 figure (about 500 MB), never under 10 (3840x3840 Apple motion art)."""
    pixels = size[0] * size[1]
    return max(10, min(30, int(30 * 1080 * 1920 / pixels)))


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
