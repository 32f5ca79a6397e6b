"""`render_canvas`: plan, render and self-validate a Spotify Canvas from a still or footage."""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import os
import shlex
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from mediakit.errors import InputError, UsageError
from mediakit.ffmpeg.binary import ffmpeg_path
from mediakit.ffmpeg.runner import Progress, run
from mediakit.inputs import display
from mediakit.preset import Preset, resolve
from mediakit.probe import MediaInfo, VideoInfo, probe
from mediakit.render import footage, framing
from mediakit.render.output import atomic_output, check_output, default_output
from mediakit.render.plan import (
    FPS_CHOICES,
    SIZES,
    X264_PRESETS,
    Encoding,
    Plan,
    compile_argv,
    raw_frames_input,
    size_cap_kbps,
)
from mediakit.validate import FileReport, self_check

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CanvasOptions:
    """Everything that shapes a canvas; the defaults come from the canvas preset."""

    motion: str = "push-in"
    zoom: float = 1.12
    fit: str = "auto"
    focus: tuple[float, float] = (0.5, 0.5)
    color: str = "black"
    loop: str = "pingpong"
    crossfade: float = 1.0
    start: float = 0.0
    duration: float | None = None
    fps: int | None = None
    size: str = "1080x1920"
    crf: int | None = None
    x264_preset: str | None = None
    format: str = "mp4"
    threads: int | None = None


@dataclass(frozen=True)
class CanvasResult:
    output: Path
    source: str
    kind: str
    options: CanvasOptions
    plan: Plan
    report: FileReport | None
    warnings: tuple[str, ...]
    seconds: float
    rendered: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "output": str(self.output),
            "source": self.source,
            "kind": self.kind,
            "rendered": self.rendered,
            "options": dataclasses.asdict(self.options),
            "command": self.plan.command_line(),
            "feeder": shlex.join(self.plan.feeder_argv) if self.plan.feeder_argv else None,
            "frames": self.plan.frames,
            "duration": self.plan.seconds,
            "validation": self.report.as_dict() if self.report else None,
            "warnings": list(self.warnings),
            "seconds": round(self.seconds, 3),
        }


@dataclass
class _Context:
    warnings: list[str] = field(default_factory=list)


def check_options(opts: CanvasOptions, preset: Preset) -> tuple[int, int]:
    """Validate options against the preset; returns (the rate for stills and odd footage, crf)."""
    lo, hi, _, _ = preset.duration_limits()
    fps = opts.fps or preset.render.fps
    if fps not in FPS_CHOICES:
        raise UsageError(f"--fps {fps} is not supported", "choose 24, 25 or 30")
    duration = preset.render.duration if opts.duration is None else opts.duration
    if not lo <= duration <= hi:
        raise UsageError(
            f"--duration {duration:g} s is outside the canvas range {lo:g}-{hi:g} s",
            f"choose a duration from {lo:g} to {hi:g} seconds",
        )
    if opts.motion not in framing.MOTIONS:
        raise UsageError(f"unknown motion {opts.motion!r}", f"choose one of {', '.join(framing.MOTIONS)}")
    if opts.fit not in framing.FITS:
        raise UsageError(f"unknown fit {opts.fit!r}", f"choose one of {', '.join(framing.FITS)}")
    if opts.loop not in footage.LOOPS:
        raise UsageError(f"unknown loop {opts.loop!r}", f"choose one of {', '.join(footage.LOOPS)}")
    if not 1.0 <= opts.zoom <= 1.5:
        raise UsageError(
            f"--zoom {opts.zoom:g} is outside 1.0-1.5", "1.05 is subtle, 1.12 the default, 1.3 strong"
        )
    if not all(0.0 <= f <= 1.0 for f in opts.focus):
        raise UsageError(
            "--focus takes X,Y between 0 and 1", "0.5,0.5 is the centre; 0.5,0.3 keeps the upper part"
        )
    if opts.size not in SIZES:
        raise UsageError(f"--size {opts.size} is not supported", f"choose {' or '.join(SIZES)}")
    crf = preset.render.crf if opts.crf is None else opts.crf
    if not 0 <= crf <= 51:
        raise UsageError("--crf must be between 0 and 51", "lower is better quality; 18-23 is typical")
    if (opts.x264_preset or preset.render.x264_preset) not in X264_PRESETS:
        raise UsageError(
            f"unknown --x264-preset {opts.x264_preset}", f"choose one of {', '.join(X264_PRESETS)}"
        )
    if opts.format not in ("mp4", "jpg"):
        raise UsageError(f"unknown --format {opts.format}", "choose mp4 or jpg")
    if opts.start < 0:
        raise UsageError(
            f"--start {opts.start:g} is negative", "--start is the seconds to skip: 0 (the default) or more"
        )
    if opts.crossfade <= 0:
        raise UsageError(
            f"--crossfade {opts.crossfade:g} must be more than 0 s", "1 (the default) is a soft dissolve"
        )
    return fps, crf


def whole_frames(seconds: float, fps: Fraction, hi: float) -> int:
    """A whole number of frames, never over the limit (even by 1 ms)."""
    frames = round(seconds * fps)
    while frames / fps > hi:
        frames -= 1
    return frames


def _encoding(opts: CanvasOptions, preset: Preset, fps: Fraction, crf: int, seconds: float) -> Encoding:
    size_rule = next((r for r in preset.rules if r.check == "file-size"), None)
    cap = size_cap_kbps(size_rule.params["max_bytes"] if size_rule else None, seconds)
    return Encoding(
        crf=crf,
        preset=opts.x264_preset or preset.render.x264_preset,
        fps=fps,
        max_kbps=cap,
        threads=opts.threads,
    )


def _raw_encoder_argv(
    out: tuple[int, int], enc: Encoding, frames: int, target: Path, ffmpeg_bin: str
) -> tuple[str, ...]:
    """The encoder of frames mediakit supplies on stdin (raw yuv420p at the output size), tagged BT.709."""
    stream = raw_frames_input(out, enc.fps).video.setparams(**footage.BT709)
    options = {**enc.output_options(), "frames:v": frames, "an": True, "f": "mp4"}
    return compile_argv(stream.output(filename=str(target), extra_options=options), ffmpeg_bin)


def _still_plan(
    info: MediaInfo,
    opts: CanvasOptions,
    out: tuple[int, int],
    frames: int,
    enc: Encoding,
    target: Path,
    ffmpeg_bin: str,
    ctx: _Context,
) -> Plan:
    from mediakit.render import still  # numpy and OpenCV: only for stills

    assert info.still is not None
    motion = opts.motion
    stage = still.stage_size(out, motion, opts.zoom)
    _warn_upscale(info.still.width, info.still.height, stage, opts.fit, ctx)
    argv = _raw_encoder_argv(out, enc, frames, target, ffmpeg_bin)
    color = parse_color(opts.color)
    return Plan(
        argv=argv,
        output=target,
        frames=frames,
        seconds=float(frames / enc.fps),
        note=f"frames: {frames} {motion} frames drawn by mediakit (subpixel warp) piped to ffmpeg",
        feed=functools.partial(
            still.feed_motion,
            info.path,
            out,
            motion,
            opts.zoom,
            opts.fit,
            opts.focus,
            color,
            frames,
            target.parent,
        ),
    )


def _loop_for(
    info: MediaInfo,
    video: VideoInfo,
    opts: CanvasOptions,
    frames: int,
    fps: Fraction,
    lo: float,
    ctx: _Context,
) -> footage.LoopShape:
    """The loop the footage after --start can give: the one asked for, or with the default duration, the
    longest down to the preset's minimum (said in a warning). Refused when even that is too long."""
    least = math.ceil(lo * fps)
    shape = footage.loop_shape(opts.loop, frames, fps, opts.crossfade)
    if shape.out_frames < least:  # a ping-pong has an even length: 3 s at 25 fps is 76 frames, not 74
        shape = footage.loop_shape(opts.loop, frames + 1, fps, opts.crossfade)
    present = footage.present_seconds(info, video)
    available = present - opts.start
    if opts.start > 0 and available <= 0:
        raise UsageError(
            f"--start {opts.start:g} is past the end of the footage ({present:.2f} s)",
            f"choose a --start below {present:.2f}",
        )
    # Frames at the output rate that the footage really holds (a 1 us margin for float rounding).
    have = int(available * fps + Fraction(1, 10**6))
    if shape.source_frames <= have:
        return shape
    if opts.duration is None:
        for n in range(frames - 1, least - 1, -1):
            fitted = footage.loop_shape(opts.loop, n, fps, opts.crossfade)
            if fitted.source_frames <= have and fitted.out_frames >= least:
                ctx.warnings.append(
                    f"the footage after --start {opts.start:g} holds {available:.2f} s: the {opts.loop} "
                    f"loop is {float(fitted.out_frames / fps):.2f} s instead of the default "
                    f"{round(float(frames / fps), 1):g} s"  # 210 frames at 29.97 fps: "7 s"
                )
                return fitted
        shape = footage.loop_shape(opts.loop, least, fps, opts.crossfade)
        hint = "use an earlier --start, longer footage, or another --loop"
    else:
        hint = "use an earlier --start or a shorter --duration"
    needed = float(shape.source_frames / fps)
    raise InputError(
        f"{display(info.path)}: {max(available, 0):.2f} s of footage after --start {opts.start:g}; "
        f"a {float(shape.out_frames / fps):g} s {opts.loop} loop needs {needed:.2f} s",
        hint,
    )


def _footage_plan(
    info: MediaInfo,
    opts: CanvasOptions,
    out: tuple[int, int],
    frames: int,
    enc: Encoding,
    rate: footage.Rate,
    lo: float,
    target: Path,
    ffmpeg_bin: str,
    ctx: _Context,
) -> Plan:
    video = info.primary_video
    if video is None:
        raise InputError(f"{display(info.path)}: has no video stream", "use a video or a still image")
    shape = _loop_for(info, video, opts, frames, rate.fps, lo, ctx)
    needed = shape.source_frames / enc.fps
    _warn_upscale(video.display_width, video.display_height, out, opts.fit, ctx)
    ctx.warnings += footage.conversion_notes(video)
    src = footage.source_stream(info, opts.start, float(needed + 2 / enc.fps))
    v = footage.fit_video(src.video, video, out, opts.fit, opts.focus, opts.color, rate, shape.source_frames)
    v = footage.to_sdr_420(v, video.hdr is not None)
    if shape.loop == "pingpong":
        return _pingpong_plan(v, video, shape, out, enc, target, ffmpeg_bin)
    v = footage.build_loop(v, shape, enc.fps).setparams(**footage.BT709)
    argv = compile_argv(
        v.output(
            filename=str(target),
            extra_options={
                **enc.output_options(),
                "frames:v": shape.out_frames,
                "an": True,
                "sn": True,
                "dn": True,
                "f": "mp4",
            },
        ),
        ffmpeg_bin,
    )
    return Plan(
        argv=argv,
        output=target,
        frames=shape.out_frames,
        seconds=float(shape.out_frames / enc.fps),
        note=f"{opts.loop} loop of {shape.source_frames} source frames ({rate.describe()})",
    )


def _pingpong_plan(
    fitted: Any,
    video: VideoInfo,
    shape: footage.LoopShape,
    out: tuple[int, int],
    enc: Encoding,
    target: Path,
    ffmpeg_bin: str,
) -> Plan:
    """Two ffmpeg runs: one fits the forward frames into a temp file, from which the encoder is fed them
    forwards and then backwards (ffmpeg's `reverse` would hold every frame in memory: 330 MB at 1080x1920).

    Up to HD, the encoder gets each fitted frame as it lands in the file; larger footage is fitted to the
    end first, so a 4K decoder (~220 MB) and x264 (~470 MB) never hold memory at the same time.
    """
    follow = video.display_width * video.display_height <= footage.FOLLOW_MAX_PIXELS
    n = shape.source_frames
    raw = {"f": "rawvideo", "pix_fmt": "yuv420p", "frames:v": n, "an": True, "sn": True, "dn": True}
    feeder = compile_argv(fitted.output(filename="pipe:0", extra_options=raw), ffmpeg_bin)
    return Plan(
        argv=_raw_encoder_argv(out, enc, shape.out_frames, target, ffmpeg_bin),
        output=target,
        frames=shape.out_frames,
        seconds=float(shape.out_frames / enc.fps),
        note=(
            f"pingpong loop: the first command fits {n} frames and writes them raw to a temp file (its "
            f"fd 0); mediakit sends the second frames 0..{n - 1} "
            f"{'as they land' if follow else 'once all are there'}, then {n - 2}..1, from that file"
        ),
        feed=functools.partial(
            footage.pingpong_feed, feeder, out[0] * out[1] * 3 // 2, n, target.parent, follow
        ),
        feeder_argv=feeder,
    )


def _jpeg_plan(
    info: MediaInfo, opts: CanvasOptions, out: tuple[int, int], target: Path, ffmpeg_bin: str, ctx: _Context
) -> Plan:
    if info.still is not None:
        _warn_upscale(info.still.width, info.still.height, out, opts.fit, ctx)
        color = parse_color(opts.color)

        def write() -> Iterator[bytes]:
            from PIL import Image

            from mediakit.render import still

            staged, _ = still.fit_stage(still.load_rgb(info.path, out), out, opts.fit, opts.focus, color)
            Image.fromarray(staged).save(target, "JPEG", quality=92, optimize=True)
            return iter(())

        return Plan(
            argv=(),
            output=target,
            frames=1,
            seconds=0.0,
            note="JPEG written by mediakit (Pillow)",
            frame_source=write,
        )
    video = info.primary_video
    if video is None:
        raise InputError(f"{display(info.path)}: has no video stream", "use a still image or video footage")
    src = footage.source_stream(info, opts.start, 1.0)
    v = footage.fit_video(
        src.video, video, out, opts.fit, opts.focus, opts.color, footage.Rate(Fraction(30), 1), 1
    )
    v = footage.to_sdr_420(v, video.hdr is not None).scale(out_range="pc").format(pix_fmts="yuvj420p")
    argv = compile_argv(
        v.output(
            filename=str(target),
            extra_options={"frames:v": 1, "c:v": "mjpeg", "q:v": 2, "f": "image2", "update": 1},
        ),
        ffmpeg_bin,
    )
    return Plan(argv=argv, output=target, frames=1, seconds=0.0, note="one frame as JPEG")


def _warn_upscale(width: int, height: int, out: tuple[int, int], fit: str, ctx: _Context) -> None:
    aspect = out[0] / out[1]
    kept_h = height if width / height >= aspect else width / aspect
    factor = out[1] / kept_h if fit == "crop" else min(out[0] / width, out[1] / height)
    if factor > 1.05:
        ctx.warnings.append(
            f"the source ({width}x{height}) is upscaled {factor:.1f}x: use a larger image or "
            f"footage for a sharper canvas"
        )


def parse_color(color: str) -> tuple[int, int, int]:
    from PIL import ImageColor

    try:
        r, g, b = ImageColor.getrgb(color)[:3]
    except ValueError:
        raise UsageError(f"unknown colour {color!r}", "use a name (black) or #RRGGBB") from None
    return (r, g, b)


def plan_canvas(
    info: MediaInfo, target: Path, options: CanvasOptions, preset: Preset, ffmpeg_bin: str
) -> tuple[Plan, list[str]]:
    """The plan for one canvas (pure: reads nothing but `info`); also returns warnings for the user."""
    ctx = _Context()
    default_fps, crf = check_options(options, preset)
    if options.fit == "pad" or options.color != "black":
        parse_color(options.color)
    out = SIZES[options.size]
    options = resolve_fit(options, info, out)
    warning = framing.crop_warning(options.fit, _source_size(info), out[0] / out[1])
    if warning:
        ctx.warnings.append(warning)
    if options.format == "jpg":
        return _jpeg_plan(info, options, out, target, ffmpeg_bin, ctx), ctx.warnings
    lo, hi, _, _ = preset.duration_limits()
    video = info.primary_video if info.kind != "image" else None
    rate = footage.choose_rate(video, options.fps, default_fps)
    duration = preset.render.duration if options.duration is None else options.duration
    frames = whole_frames(duration, rate.fps, hi)
    enc = _encoding(options, preset, rate.fps, crf, float(frames / rate.fps))
    if info.kind == "image":
        # Slow subpixel motion needs an encoder that does not "breathe": without fast P-skip x264 stops
        # freezing near-still blocks for a frame and then jumping, and without the macroblock tree the
        # quality of each block stops drifting with how often it is referenced. Measured on a grainy
        # 720x1280 push-in (x264 slow, CRF 20): jitter 0.034 -> 0.026 px/frame^2, wrap seam 0.53 -> 0.25,
        # for about 35 % more bytes (the 8 MB cap still applies).
        enc = dataclasses.replace(enc, x264_params="fast-pskip=0:mbtree=0")
        plan = _still_plan(info, options, out, frames, enc, target, ffmpeg_bin, ctx)
    else:
        plan = _footage_plan(info, options, out, frames, enc, rate, lo, target, ffmpeg_bin, ctx)
    return plan, ctx.warnings


def _source_size(info: MediaInfo) -> tuple[int, int]:
    if info.still is not None:
        return info.still.width, info.still.height
    video = info.primary_video
    return (video.display_width, video.display_height) if video else (0, 0)


def resolve_fit(options: CanvasOptions, info: MediaInfo, out: tuple[int, int]) -> CanvasOptions:
    """The options with --fit auto replaced by the fit used (see framing.resolve_fit)."""
    fit = framing.resolve_fit(options.fit, _source_size(info), out[0] / out[1], info.kind == "image")
    return options if fit == options.fit else dataclasses.replace(options, fit=fit)


def execute(plan: Plan, on_progress: Callable[[Progress], None] | None = None) -> None:
    """Run a plan: ffmpeg (fed generated frames when the plan has them), or a Pillow-only write."""
    if not plan.argv:
        assert plan.frame_source is not None
        for _ in plan.frame_source():
            pass
        return
    frames = plan.frame_source() if plan.frame_source else None
    run(plan.argv, frames=frames, feed=plan.feed, on_progress=on_progress)


def _check_frames(report: FileReport, plan: Plan) -> None:
    """Refuse a render with fewer frames than planned (footage shorter than its header said): its loop
    would not be the one planned. The ping-pong feeder refuses that itself, before encoding."""
    media = report.media
    video = media.primary_video if media else None
    if plan.frames > 1 and video is not None and video.frames < plan.frames:
        raise InputError(
            f"the footage gave {video.frames} frames where the canvas needs {plan.frames}; "
            "it holds less than its header says",
            "use an earlier --start or a shorter --duration",
        )


def render_canvas(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    options: CanvasOptions | None = None,
    *,
    overwrite: bool = False,
    dry_run: bool = False,
    preset: str = "spotify-canvas",
    ffmpeg_bin: str | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> CanvasResult:
    """Render `source` (a still or footage) to an upload-ready Canvas and validate it.

    The output is written atomically and only after it passes the canvas profile; a render that fails its
    own validation raises RenderError and leaves nothing at the output path.
    """
    started = time.monotonic()
    opts = options or CanvasOptions()
    profile = resolve(preset)
    check_options(opts, profile)  # usage errors first, before any file is touched
    info = probe(source, decode=dry_run)  # a render decodes a still once, itself (load_rgb)
    if info.damage:
        raise InputError(f"{display(info.path)}: {info.damage[0]}", "export or download it again")
    if info.kind == "audio":
        raise InputError(f"{display(info.path)}: has no video stream", "use a still image or video footage")
    info = footage.bound_duration(info)
    suffix = ".canvas.jpg" if opts.format == "jpg" else ".canvas.mp4"
    target = check_output(
        Path(output) if output else default_output(info.path, suffix), info.path, overwrite, opts.format
    )
    binary = ffmpeg_path(ffmpeg_bin)
    opts = resolve_fit(opts, info, SIZES[opts.size])
    plan, warnings = plan_canvas(info, target, opts, profile, binary)
    if dry_run:
        return CanvasResult(
            target,
            str(info.path),
            info.kind,
            opts,
            plan,
            None,
            tuple(warnings),
            time.monotonic() - started,
            rendered=False,
        )
    with atomic_output(target) as tmp:
        tmp_plan = dataclasses.replace(
            plan, argv=tuple(str(tmp) if a == str(target) else a for a in plan.argv), output=tmp
        )
        if not plan.argv:
            tmp_plan = _jpeg_plan(info, opts, SIZES[opts.size], tmp, binary, _Context())
        execute(tmp_plan, on_progress)
        report = self_check(tmp, target, profile, "canvas")
        _check_frames(report, plan)
    return CanvasResult(
        target,
        str(info.path),
        info.kind,
        opts,
        plan,
        report,
        tuple(warnings),
        time.monotonic() - started,
        rendered=True,
    )
