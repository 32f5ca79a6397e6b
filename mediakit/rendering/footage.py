"""Footage for canvases: the ffmpeg filtergraph for fitting, tone mapping and loop building."""

from __future__ import annotations

import dataclasses
import itertools
import os
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import ffmpeg

from mediakit.errors import InputError
from mediakit.ffmpeg.runner import feeder, send_range
from mediakit.inputs import SAFE_INPUT_OPTIONS, file_url
from mediakit.probe import MediaInfo, VideoInfo
from mediakit.rendering.framing import LOOPS as LOOPS
from mediakit.rendering.framing import Framing, crop_box

BT709 = {"color_primaries": "bt709", "color_trc": "bt709", "colorspace": "bt709", "range": "tv"}

# Output rates a render keeps from its footage: the canvas rule's 24-30 fps and the NTSC rates cameras and
# phones record (24000/1001 and 30000/1001 are 0.1 % under 24 and 30).
KEPT_RATES = (Fraction(24000, 1001), Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(30))
# How close a source's rate must be to one of those (or to a whole multiple) to count as it: 0.05 %, under
# half the 0.1 % between 30 and 29.97, and far over the rounding of a container's average rate.
_RATE_MATCH = Fraction(1, 2000)
_MAX_STEP = 5  # 120, 100 and 119.88 fps keep every 4th frame; above 5x the source is blended down


@dataclass(frozen=True)
class Rate:
    """How footage becomes the output rate: `fps`, keeping every `step`-th frame, or blending (step 0)."""

    fps: Fraction
    step: int

    def describe(self) -> str:
        if self.step == 1:
            return f"{_show(self.fps)} fps, every frame kept"
        if self.step > 1:
            return (
                f"{_show(self.fps)} fps, every {self.step}th frame kept"
                if self.step > 2
                else (f"{_show(self.fps)} fps, every other frame kept")
            )
        return f"{_show(self.fps)} fps, frames blended"


def _show(fps: Fraction) -> str:
    return f"{float(fps):.3f}".rstrip("0").rstrip(".")


def cadence(video: VideoInfo) -> Fraction | None:
    """The rate the frames actually follow. For variable-rate footage the average says little (one frame
    lasting hours makes it 0.005 fps): ffmpeg's guess of the cadence most timestamps follow is used."""
    if video.constant_rate is False and video.real_rate:
        return video.real_rate
    return video.avg_rate or video.real_rate


def _near(a: Fraction, b: Fraction) -> bool:
    return abs(a - b) <= b * _RATE_MATCH


def choose_rate(video: VideoInfo | None, explicit: int | None, default: int) -> Rate:
    """The output rate and how it is reached (see Rate).

    Footage at a kept rate keeps it; at a whole multiple of one (50/60/59.94, 100/120) it keeps every n-th
    frame, so nothing is repeated or blended. An explicit --fps wins; any conversion that is not a whole
    step blends neighbouring frames (ffmpeg's framerate filter) rather than repeating one every few frames,
    which is what the fps filter does (25 -> 30 repeats every 5th source frame: a visible stall). Variable
    rate footage is always blended: its uneven steps would otherwise become repeats and drops.
    """
    c = cadence(video) if video is not None else None
    wanted = [Fraction(explicit)] if explicit else list(KEPT_RATES)
    if c is not None and c > 0:
        for n in range(1, _MAX_STEP + 1):
            for rate in wanted:
                if _near(c, rate * n):
                    if video is not None and video.constant_rate is False:
                        return Rate(rate, 0)
                    return Rate(rate, n)
    return Rate(Fraction(explicit or default), 0 if c else 1)


def present_seconds(info: MediaInfo, video: VideoInfo) -> float:
    """Seconds of footage that are really there. Constant-rate footage: the frames the probe counted at
    their rate, never more than the container says (a header can claim hours; the packets cannot).
    Variable-rate footage: the container's length, which `bound_duration` has already checked."""
    declared = float(info.duration or 0)
    c = cadence(video)
    if video.constant_rate is not False and c and video.frames:
        held = float(video.frames / c)
        return min(declared, held) if declared else held
    return declared


# In variable-rate footage one frame may not stand for more than this many typical frame steps: a phone
# drops to a third of its rate in the dark; a frame "lasting" 10 hours is a lie of the file's timestamps.
_MAX_HOLD_STEPS = 8


def bound_duration(info: MediaInfo) -> MediaInfo:
    """`info` with the length of variable-rate footage cut to what its frames hold: the sum of its frame
    steps, each at most _MAX_HOLD_STEPS typical steps (read from the packets, nothing decoded)."""
    video = info.primary_video
    if info.kind == "image" or video is None or video.constant_rate is not False:
        return info
    from mediakit.probe import open_container

    with open_container(info.path) as c:
        stream = next(s for s in c.streams.video if s.index == video.index)
        pts = sorted(p.pts for p in c.demux(stream) if p.pts is not None and p.size)
        time_base = stream.time_base
    steps = [b - a for a, b in itertools.pairwise(pts) if b > a]
    if not steps or time_base is None:
        return info
    typical = sorted(steps)[len(steps) // 2]
    cap = typical * _MAX_HOLD_STEPS
    if steps[-1] > cap:  # a last frame "hours" after the others: nothing after it to hold it for
        steps.pop()
    held = sum(min(step, cap) for step in steps) + typical  # + the last frame's own step
    seconds = Fraction(held) * time_base
    if info.duration is not None and seconds >= info.duration:
        return info
    return dataclasses.replace(info, duration=seconds)


@dataclass(frozen=True)
class LoopShape:
    """How many source frames a loop needs and how many it outputs."""

    loop: str
    out_frames: int
    source_frames: int
    crossfade_frames: int = 0


def loop_shape(loop: str, out_frames: int, fps: Fraction | int, crossfade: float) -> LoopShape:
    if loop == "pingpong":
        # Forwards 0..F-1, then backwards F-2..1: neither turnaround frame repeats, so 2F-2 frames.
        forward = out_frames // 2 + 1
        return LoopShape(loop, 2 * forward - 2, forward)
    if loop == "crossfade":
        fade = max(2, min(round(crossfade * fps), out_frames // 2))
        return LoopShape(loop, out_frames, out_frames + fade, fade)
    return LoopShape(loop, out_frames, out_frames)


def _even(x: float) -> int:
    return max(2, round(x / 2) * 2)


# Demuxers whose input-side seek is not frame-accurate (no index): `-ss 3` on an MPEG-TS with 8 s GOPs began
# 0.33 s late (the next keyframe), and a seek further back decoded from a non-keyframe (missing references).
# These are read from their start and cut after decoding, as the loop search (which decodes them all) sees.
SEEKS_BADLY = frozenset({"mpegts", "mpeg", "h264", "hevc", "mpegvideo"})


@dataclass(frozen=True)
class Source:
    """The input's streams from `start`: seeked by the demuxer, or (`cut` > 0) trimmed after decoding."""

    node: Any
    cut: float = 0.0

    @property
    def video(self) -> Any:
        v = self.node.video
        return v.trim(start=self.cut).setpts(expr="PTS-STARTPTS") if self.cut else v

    @property
    def audio(self) -> Any:
        a = self.node.audio
        return a.atrim(start=self.cut).asetpts(expr="PTS-STARTPTS") if self.cut else a


def source_stream(info: MediaInfo, start: float, seconds: float) -> Source:
    """The input, seeked and limited, restricted to local media demuxers."""
    options: dict[str, Any] = dict(SAFE_INPUT_OPTIONS)
    if start > 0 and info.container in SEEKS_BADLY:
        node = ffmpeg.input(file_url(info.path), extra_options=options, t=round(start + seconds, 4))
        return Source(node, round(start, 4))
    kwargs: dict[str, Any] = {"t": round(seconds, 4)}
    if start > 0:
        kwargs["ss"] = round(start, 4)
    return Source(ffmpeg.input(file_url(info.path), extra_options=options, **kwargs))


def fit_video(
    v: Any,
    video: VideoInfo,
    out: tuple[int, int],
    framing: Framing,
    color: str,
    rate: Rate,
    frames: int,
    workdir: Path | None = None,
) -> Any:
    """`frames` frames at the output rate, then framed to `out` as `framing` says (a crop, static or
    following its `path`; blur; pad), at the output size with square pixels.

    The trim right after the rate conversion is what bounds the cost: ffmpeg's rate filters extend the last
    frame they get through its declared duration (a frame "lasting" 10 hours became 1M copies, 23 GB of
    queued frames before -frames:v stopped anything); once the trim has its frames it closes, and the filter
    before it stops.

    ffmpeg applies the rotation matrix itself (autorotate), so the display size is what arrives here.
    `scale` keeps the display aspect by changing the SAR when the aspect changes even slightly (a 404x720
    crop scaled to 90x160 became SAR 0.9975, shown 718 px wide), so the result is forced square.
    A moving crop's positions go to ffmpeg as `sendcmd` commands, in a file in `workdir` when there is one.
    """
    return _fit(retime(v, rate, frames), video, out, framing, color, rate.fps, workdir).setsar(sar="1")


def retime(v: Any, rate: Rate, frames: int) -> Any:
    """The source at `rate` (see choose_rate), cut to `frames` frames."""
    if rate.step > 1:
        v = v.select(expr=f"not(mod(n,{rate.step}))").video(0)
    if not rate.step:
        # framerate's frames carry a finer time base (1/60 for 30 fps), which made the encoder's constant
        # rate mode show the first frame twice; the fps filter after it only restates the timestamps.
        v = v.framerate(fps=str(rate.fps))
    v = v.fps(fps=str(rate.fps))
    return v.trim(end_frame=frames).setpts(expr="PTS-STARTPTS")


def _fit(
    v: Any,
    video: VideoInfo,
    out: tuple[int, int],
    framing: Framing,
    color: str,
    fps: Fraction,
    workdir: Path | None,
) -> Any:
    w, h = out
    dw, dh = video.display_width, video.display_height
    if video.sar != 1:
        v = v.scale(w=dw, h=dh).setsar(sar="1")
    matrix = _matrix(video)
    if framing.fit == "crop":
        x, y, cw, ch = crop_box((dw, dh), w / h, framing.focus)
        cw_i, ch_i = min(_even(cw), dw - dw % 2), min(_even(ch), dh - dh % 2)
        x_i = min(max(0, round(x)), dw - cw_i)
        y_i = min(max(0, round(y)), dh - ch_i)
        if framing.path:
            return _moving_crop(v, (dw, dh), out, (cw_i, ch_i), framing.path, fps, workdir, matrix)
        v = v.crop(out_w=cw_i, out_h=ch_i, x=x_i, y=y_i)
        return v.scale(w=w, h=h, flags="lanczos", **matrix)
    scale = min(w / dw, h / dh)
    fw, fh = min(w, _even(dw * scale)), min(h, _even(dh * scale))
    if framing.fit == "pad":
        fg = v.scale(w=fw, h=fh, flags="lanczos", **matrix)
        return fg.pad(width=w, height=h, x=(w - fw) // 2, y=(h - fh) // 2, color=color)
    parts = v.split(outputs=2)
    x, y, cw, ch = crop_box((dw, dh), w / h, (0.5, 0.5))
    bg = (
        parts.video(0)
        .crop(out_w=_even(cw), out_h=_even(ch), x=int(x), y=int(y))
        .scale(w=_even(w / 8), h=_even(h / 8), flags="bilinear", **matrix)
        .gblur(sigma=max(2.0, w / 8 / 40))
        .scale(w=w, h=h, flags="bicubic")
        .eq(brightness=-0.12, saturation=0.85)
    )
    fg = parts.video(1).scale(w=fw, h=fh, flags="lanczos", **matrix)
    return bg.overlay(fg, x=(w - fw) // 2, y=(h - fh) // 2)


def _moving_crop(
    v: Any,
    src: tuple[int, int],
    out: tuple[int, int],
    box: tuple[int, int],
    path: Sequence[tuple[float, float]],
    fps: Fraction,
    workdir: Path | None,
    matrix: dict[str, str],
) -> Any:
    """A crop of `box` whose top-left corner follows `path` (source px), at `out`.

    ffmpeg's crop moves in whole pixels. Cropping the source and then enlarging it makes each whole source
    pixel several output pixels (3.6 at 960x540 -> 1080x1920): the steps of a slow pan came out 0.68 output
    px off on average, 2.5 px at the 95th percentile. So footage that is enlarged is scaled first and
    cropped on the output's own pixel grid (steps off by at most half an output pixel); footage that is
    reduced is cropped first, on its finer grid.
    """
    (dw, dh), (w, h), (cw, ch) = src, out, box
    s = h / ch
    if s > 1:
        sw, sh = max(w, round(dw * s)), max(h, round(dh * s))
        v = v.scale(w=sw, h=sh, flags="lanczos", **matrix)
        spots = [(min(max(0, round(px * s)), sw - w), min(max(0, round(py * s)), sh - h)) for px, py in path]
        size = (w, h)
    else:
        spots = [(min(max(0, round(px)), dw - cw), min(max(0, round(py)), dh - ch)) for px, py in path]
        size = (cw, ch)
    commands = crop_commands(spots, fps)
    if commands:
        v = _send(v, commands, workdir)
    # exact: a 4:2:0 crop otherwise moves in 2-pixel steps (x and y rounded down to the chroma grid)
    v = v.crop(out_w=size[0], out_h=size[1], x=spots[0][0], y=spots[0][1], exact=True)
    return v if s > 1 else v.scale(w=w, h=h, flags="lanczos", **matrix)


def crop_commands(spots: Sequence[tuple[int, int]], fps: Fraction) -> str:
    """sendcmd lines moving the crop to each frame's position, only where it changes: each is sent half a
    frame before the frame it is for (the output timestamps start at 0), so rounding cannot make it late."""
    lines = []
    for i in range(1, len(spots)):
        if spots[i] != spots[i - 1]:
            t = float((i - Fraction(1, 2)) / fps)
            lines.append(f"{t:.6f} crop x {spots[i][0]}, crop y {spots[i][1]};")
    return "\n".join(lines)


def _send(v: Any, commands: str, workdir: Path | None) -> Any:
    if workdir is None:  # a plan made without a render's folder (tools, tests): the commands inline
        return v.sendcmd(commands=commands.replace("\n", " "))
    path = workdir / "reframe.cmd"
    path.write_text(commands + "\n", encoding="ascii")  # the same file each time the plan is made
    return v.sendcmd(filename=str(path))


_MATRICES = {"bt709": "bt709", "smpte170m": "bt601", "bt470bg": "bt601", "bt2020nc": "bt2020"}


def _matrix(video: VideoInfo) -> dict[str, str]:
    """Scale options that convert the source's YUV matrix to BT.709 (HDR is converted by zimg later).

    Untagged video is read as players read it: BT.709 when HD, BT.601 when SD. ffmpeg's scaler would
    assume BT.601 for all untagged input and shift the colours of untagged HD footage (and cost x264
    about 14 % more CPU re-encoding the shifted pixels, measured on the ping-pong benchmark).
    """
    if video.hdr:
        return {}
    source = _MATRICES.get(video.color_space or "", "bt709" if video.coded_height >= 720 else "bt601")
    return {"in_color_matrix": source, "out_color_matrix": "bt709", "out_range": "tv"}


def conversion_notes(video: VideoInfo) -> list[str]:
    """What the fitting chain changes about the source that the user should hear about."""
    notes = []
    if video.hdr:
        notes.append(f"{video.hdr} HDR footage tone-mapped to SDR BT.709")
    if video.constant_rate is False:
        notes.append("variable frame rate footage converted to a constant frame rate")
    return notes


def tonemap_sdr(v: Any) -> Any:
    """PQ/HLG to SDR BT.709 (zimg linearise, Möbius curve, back to BT.709), at output size to stay cheap.

    Möbius is linear up to a knee and compresses only what lies above it, so midtones keep their look;
    Hable darkens everything. Measured on SDR-range content stored as PQ (against the SDR original):
    mean difference 25 levels with Möbius, 52 with Hable; contrast (std) 101 and 74, original 125.
    """
    return (
        v.zscale(transfer="linear", npl=100)
        .format(pix_fmts="gbrpf32le")
        .zscale(primaries="bt709")
        .tonemap(tonemap="mobius", desat=0)
        .zscale(transfer="bt709", matrix="bt709", out_range="tv")
    )


def build_loop(v: Any, shape: LoopShape, fps: Fraction | int) -> Any:
    """Turn `shape.source_frames` fitted frames into one seamless crossfade or cut loop."""
    n = shape.source_frames
    v = v.trim(end_frame=n).setpts(expr="PTS-STARTPTS")
    if shape.loop == "pingpong":
        raise ValueError("a ping-pong is fed by pingpong_frames, not built in the graph")
    if shape.loop == "crossfade":
        # Body = source[fade:], and its last `fade` frames dissolve into source[:fade], which is what
        # precedes the body's first frame: the wrap from last to first is one ordinary frame step.
        fade = shape.crossfade_frames
        parts = v.split(outputs=2)
        body = parts.video(0).trim(start_frame=fade).setpts(expr="PTS-STARTPTS")
        head = parts.video(1).trim(end_frame=fade).setpts(expr="PTS-STARTPTS")
        offset = Fraction(shape.out_frames - fade, fps)
        return ffmpeg.filters.xfade(
            body, head, transition="fade", duration=float(Fraction(fade, fps)), offset=float(offset)
        )
    return v


# Sources up to this size are fitted while the encoder already encodes (x264 gets the frames from the
# spool as they land). Larger ones are fitted first, so a 4K decoder (~220 MB) and x264 (~470 MB) never
# hold memory at the same time.
FOLLOW_MAX_PIXELS = 1920 * 1088


def pingpong_feed(
    feeder_argv: Sequence[str], frame_bytes: int, forward: int, spool_dir: Path, follow: bool, stdin: Any
) -> None:
    """Ping-pong without ffmpeg's `reverse` buffer: frames 0..F-1 as the feeder makes them, then F-2..1.

    The feeder writes the fitted frames raw to its fd 0, an unnamed temp file beside the output (page
    cache, not process memory; gone with the process whatever happens). The kernel copies them from
    there into the encoder's stdin (sendfile): forwards, with `follow` as soon as each one lands, then
    backwards. No frame passes through Python, and the feeder never waits for the encoder.
    """
    with tempfile.TemporaryFile(dir=spool_dir, prefix=".mediakit-") as spool:
        sent = 0
        with feeder(feeder_argv, stdin=spool, stdout=subprocess.DEVNULL) as proc:
            while follow and sent < forward:
                if os.fstat(spool.fileno()).st_size >= (sent + 1) * frame_bytes:
                    send_range(stdin.fileno(), spool.fileno(), sent * frame_bytes, frame_bytes)
                    sent += 1
                elif proc.poll() is not None:
                    break
                else:
                    time.sleep(0.004)
        count = os.fstat(spool.fileno()).st_size // frame_bytes
        if count < forward:
            raise InputError(f"the footage gave {count} frames where the loop needs {forward}",
                             "use an earlier --start or a shorter --duration")  # fmt: skip
        for i in [*range(sent, forward), *range(forward - 2, 0, -1)]:
            send_range(stdin.fileno(), spool.fileno(), i * frame_bytes, frame_bytes)


@dataclass(frozen=True)
class PingPong:
    """The frames of a ping-pong loop for the encoder's stdin: `feeder_argv` fits the forward frames into a
    spool file; they are sent forwards, then backwards (see pingpong_feed)."""

    feeder_argv: tuple[str, ...]
    frame_bytes: int
    forward: int
    spool_dir: Path
    follow: bool

    def feed(self, stdin: Any) -> None:
        pingpong_feed(self.feeder_argv, self.frame_bytes, self.forward, self.spool_dir, self.follow, stdin)

    def describe(self) -> str:
        return (
            f"frames 0..{self.forward - 1} of the feeder's output "
            f"{'as they land' if self.follow else 'once all are there'}, then {self.forward - 2}..1"
        )


def to_sdr_420(v: Any, hdr: bool) -> Any:
    """8-bit 4:2:0 SDR, before any loop buffers frames (half the memory of 10-bit)."""
    if hdr:
        v = tonemap_sdr(v)
    return v.format(pix_fmts="yuv420p")
