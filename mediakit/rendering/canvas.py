"""The canvas kind: a silent looping visual (Spotify Canvas, Apple Music motion artwork) from a still or
footage, planned as data for the pipeline (mediakit.pipeline runs, writes and validates it)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from mediakit.errors import InputError, UsageError
from mediakit.inputs import display
from mediakit.kinds.canvas import CanvasOptions as CanvasOptions
from mediakit.options import check_fields
from mediakit.preset import RENDER_RATES, Preset
from mediakit.probe import MediaInfo, VideoInfo
from mediakit.rendering import footage, framing
from mediakit.rendering.plan import (
    Encoding,
    Job,
    Pass,
    Plan,
    compile_argv,
    lookahead_for,
    raw_frames_input,
    size_cap_kbps,
)
from mediakit.report import FileReport


def frame_size(opts: CanvasOptions, preset: Preset) -> tuple[int, int]:
    """The output size: the preset's, or --size WxH of the same shape (even numbers, as H.264 needs)."""
    default = (preset.render.width, preset.render.height)
    if opts.size is None:
        return default
    w_text, _, h_text = opts.size.lower().partition("x")
    if not (w_text.isdigit() and h_text.isdigit()):
        raise UsageError(f"--size {opts.size} is not WxH", f"e.g. --size {default[0]}x{default[1]}")
    size = (int(w_text), int(h_text))
    example = f"e.g. --size {default[0]}x{default[1]}"
    if size[0] % 2 or size[1] % 2 or min(size) < 64 or max(size) > 8192:
        raise UsageError(f"--size {opts.size}: width and height must be even, 64 to 8192", example)
    low = _smallest(preset)
    if size[0] < low[0] or size[1] < low[1]:  # the preset's error rules would refuse the render after it
        raise UsageError(
            f"--size {opts.size} is smaller than {preset.title} takes ({low[0]}x{low[1]} at least)", example
        )
    if abs(size[0] * default[1] - size[1] * default[0]) > default[1]:  # within a pixel of the shape
        raise UsageError(
            f"--size {opts.size} is not the shape of {preset.title} ({default[0]}x{default[1]})",
            f"choose a size of the same shape, e.g. {default[0]}x{default[1]}",
        )
    return size


def _smallest(preset: Preset) -> tuple[int, int]:
    """The smallest frame the preset's error rules accept (size and height minimums)."""
    w = h = 0
    for rule in preset.rules:
        if rule.severity != "error":
            continue
        if rule.check == "size":
            w = max(w, rule.params.get("min_width", 0), rule.params.get("width", 0))
            h = max(h, rule.params.get("min_height", 0), rule.params.get("height", 0))
        elif rule.check == "height":
            h = max(h, rule.params.get("min", 0))
    return w, h


def allowed_fits(preset: Preset) -> tuple[str, ...]:
    """The fits a preset allows (Apple Music motion: only crop, the art must fill the frame)."""
    fits = tuple(preset.render.fits or ())
    unknown = [f for f in fits if f not in framing.FITS]
    if unknown:  # the preset loader cannot know the renderer's fits (it sits below it)
        raise UsageError(
            f"{preset.path}: render.fits: unknown fit {unknown[0]!r}",
            f"choose from {', '.join(framing.FITS)}",
        )
    return fits or framing.FITS


def check_common(opts: Any, preset: Preset) -> None:
    """The checks every kind makes: each option against its declaration, and the frame rate the preset
    would give."""
    check_fields(opts)
    if opts.fit == "smart" and tuple(opts.focus) != (0.5, 0.5):
        raise UsageError(
            "--focus places a fixed crop, and --fit smart moves the crop to follow the subject",
            "drop --focus, or use --fit crop --focus X,Y",
        )
    fps = opts.fps or preset.render.fps
    if opts.fps is None and fps not in RENDER_RATES:  # a user's preset (an option's choices are checked)
        raise UsageError(
            f"{preset.path}: render.fps {fps}: mediakit renders at 24, 25 or 30 fps",
            "set render.fps to one of them (footage at 23.976 or 29.97 keeps its own rate)",
        )


def check_options(opts: CanvasOptions, preset: Preset) -> None:
    """Refuse options the preset cannot take (usage errors, before any file is read)."""
    check_common(opts, preset)
    duration = preset.render.duration if opts.duration is None else opts.duration
    if not duration_ok(duration, preset):
        raise UsageError(
            f"--duration {duration:g} s is outside the {preset.title} range {range_text(preset)}",
            f"choose a duration of {range_text(preset)}",
        )
    fits = allowed_fits(preset)
    if opts.fit not in fits and opts.fit != "auto" and not (opts.fit == "smart" and "crop" in fits):
        raise UsageError(f"--fit {opts.fit} is not allowed for {preset.title}", f"choose {' or '.join(fits)}")
    frame_size(opts, preset)
    if opts.fit == "pad" or opts.color != "black":
        parse_color(opts.color)
    if opts.format == "jpg" and "image" not in _still_formats(preset):
        raise UsageError(f"{preset.title} takes no still", "use --format mp4")
    if opts.format == "jpg" and opts.start == "auto":
        raise UsageError(
            "--start auto looks for a loop, and a JPEG canvas does not loop", "give --start SECONDS"
        )


def _still_formats(preset: Preset) -> tuple[str, ...]:
    """Whether the preset's container rule allows a JPEG (a Spotify Canvas may be one)."""
    rule = next((r for r in preset.rules if r.check == "container" and r.severity == "error"), None)
    return ("image",) if rule is None or "jpeg" in rule.params["allowed"] else ()


def files(opts: CanvasOptions) -> dict[str, str]:
    return {}


def output_format(opts: CanvasOptions) -> str:
    return opts.format


def duration_ok(seconds: float, preset: Preset) -> bool:
    """Whether `seconds` is inside the preset's duration range, its open or closed ends as it says."""
    lo, hi, lo_in, hi_in = preset.duration_limits()
    return (seconds > lo or (lo_in and seconds == lo)) and (seconds < hi or (hi_in and seconds == hi))


def range_text(preset: Preset) -> str:
    """The range in words: "3-8 s", "longer than 3 s and shorter than 30 s", "at most 180 s"."""
    lo, hi, lo_in, hi_in = preset.duration_limits()
    if lo_in and hi_in and lo > 0 and hi != float("inf"):
        return f"{lo:g}-{hi:g} s"
    parts = []
    if lo > 0 or not lo_in:
        parts.append(f"{'at least' if lo_in else 'longer than'} {lo:g} s")
    if hi != float("inf"):
        parts.append(f"{'at most' if hi_in else 'shorter than'} {hi:g} s")
    return " and ".join(parts) or "any length"


def whole_frames(seconds: float, fps: Fraction, preset: Preset) -> int:
    """A whole number of frames inside the preset's duration range (never over it, even by 1 ms)."""
    lo, hi, _, _ = preset.duration_limits()
    frames = max(1, round(seconds * fps))
    while frames > 1 and float(frames / fps) >= hi and not duration_ok(float(frames / fps), preset):
        frames -= 1
    while float(frames / fps) <= lo and not duration_ok(float(frames / fps), preset):
        frames += 1
    return frames


def _encoding(
    opts: CanvasOptions, preset: Preset, fps: Fraction, seconds: float, out: tuple[int, int]
) -> Encoding:
    size_rule = next((r for r in preset.rules if r.check == "file-size"), None)
    cap = size_cap_kbps(size_rule.params["max_bytes"] if size_rule else None, seconds)
    return Encoding(
        crf=preset.render.crf if opts.crf is None else opts.crf,
        preset=opts.x264_preset or preset.render.x264_preset,
        fps=fps,
        max_kbps=cap,
        threads=opts.threads,
        lookahead=lookahead_for(out),
    )


def _raw_encoder_argv(
    out: tuple[int, int], enc: Encoding, frames: int, target: Path, ffmpeg_bin: str
) -> tuple[str, ...]:
    """The encoder of frames mediakit supplies on stdin (raw yuv420p at the output size), tagged BT.709."""
    stream = raw_frames_input(out, enc.fps).video.setparams(**footage.BT709)
    options = {**enc.output_options(), "frames:v": frames, "an": True, "f": "mp4"}
    return compile_argv(stream.output(filename=str(target), extra_options=options), ffmpeg_bin)


def _still_pass(job: Job, opts: CanvasOptions, out: tuple[int, int], frames: int, enc: Encoding,
                chosen: framing.Framing, warnings: list[str]) -> Pass:  # fmt: skip
    from mediakit.rendering import still  # numpy and OpenCV: only for stills

    info = job.info
    assert info.still is not None
    stage = still.stage_size(out, opts.motion, opts.zoom)
    _warn_upscale(info.still.width, info.still.height, stage, opts.fit, warnings)
    source = still.StillMotion(
        info.path,
        out,
        opts.motion,
        opts.zoom,
        chosen,
        parse_color(opts.color),
        frames,
        job.output.parent,
    )
    return Pass(
        "drawing and encoding frames", _raw_encoder_argv(out, enc, frames, job.output, job.ffmpeg), source
    )


def _jpeg_pass(job: Job, opts: CanvasOptions, out: tuple[int, int], chosen: framing.Framing,
               warnings: list[str]) -> Pass:  # fmt: skip
    info = job.info
    if info.still is not None:
        from mediakit.rendering import still

        _warn_upscale(info.still.width, info.still.height, out, opts.fit, warnings)
        picture = still.StillPicture(info.path, out, chosen, parse_color(opts.color), job.output)
        return Pass("writing JPEG", writer=picture)
    video = info.primary_video
    if video is None:
        raise InputError(f"{display(info.path)}: has no video stream", "use a still image or video footage")
    src = footage.source_stream(info, _start_of(opts), 1.0)
    shot = chosen
    if shot.path:  # one frame: the moving crop's first position, held
        shot = dataclasses.replace(shot, path=shot.path[:1])
    v = footage.fit_video(src.video, video, out, shot, opts.color, footage.Rate(Fraction(30), 1), 1)
    v = footage.to_sdr_420(v, video.hdr is not None).scale(out_range="pc").format(pix_fmts="yuvj420p")
    argv = compile_argv(
        v.output(
            filename=str(job.output),
            extra_options={"frames:v": 1, "c:v": "mjpeg", "q:v": 2, "f": "image2", "update": 1},
        ),
        job.ffmpeg,
    )
    return Pass("encoding JPEG", argv)


def _loop_for(
    info: MediaInfo,
    video: VideoInfo,
    opts: CanvasOptions,
    frames: int,
    fps: Fraction,
    lo: float,
    warnings: list[str],
) -> footage.LoopShape:
    """The loop the footage after --start can give: the one asked for, or with the default duration, the
    longest down to the preset's minimum (said in a warning). Refused when even that is too long."""
    least = math.ceil(lo * fps)
    start = _start_of(opts)
    shape = footage.loop_shape(opts.loop, frames, fps, opts.crossfade)
    if shape.out_frames < least:  # a ping-pong has an even length: 3 s at 25 fps is 76 frames, not 74
        shape = footage.loop_shape(opts.loop, frames + 1, fps, opts.crossfade)
    present = footage.present_seconds(info, video)
    available = present - start
    if start > 0 and available <= 0:
        raise UsageError(
            f"--start {start:g} is past the end of the footage ({present:.2f} s)",
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
                warnings.append(
                    f"the footage after --start {start:g} holds {available:.2f} s: the {opts.loop} "
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
        f"{display(info.path)}: {max(available, 0):.2f} s of footage after --start {start:g}; "
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
    warnings: list[str],
    chosen: framing.Framing,
    workdir: Path | None = None,
) -> tuple[Pass, int, str]:
    video = info.primary_video
    if video is None:
        raise InputError(f"{display(info.path)}: has no video stream", "use a video or a still image")
    shape = _loop_for(info, video, opts, frames, rate.fps, lo, warnings)
    needed = shape.source_frames / enc.fps
    _warn_upscale(video.display_width, video.display_height, out, opts.fit, warnings)
    warnings += footage.conversion_notes(video)
    src = footage.source_stream(info, _start_of(opts), float(needed + 2 / enc.fps))
    v = footage.fit_video(src.video, video, out, chosen, opts.color, rate, shape.source_frames, workdir)
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
    note = f"{opts.loop} loop of {shape.source_frames} source frames ({rate.describe()})"
    return Pass("encoding", argv), shape.out_frames, note


def _pingpong_plan(
    fitted: Any,
    video: VideoInfo,
    shape: footage.LoopShape,
    out: tuple[int, int],
    enc: Encoding,
    target: Path,
    ffmpeg_bin: str,
) -> tuple[Pass, int, str]:
    """Two ffmpeg runs: one fits the forward frames into a temp file, from which the encoder is fed them
    forwards and then backwards (ffmpeg's `reverse` would hold every frame in memory: 330 MB at 1080x1920).

    Up to HD, the encoder gets each fitted frame as it lands in the file; larger footage is fitted to the
    end first, so a 4K decoder (~220 MB) and x264 (~470 MB) never hold memory at the same time.
    """
    follow = video.display_width * video.display_height <= footage.FOLLOW_MAX_PIXELS
    n = shape.source_frames
    raw = {"f": "rawvideo", "pix_fmt": "yuv420p", "frames:v": n, "an": True, "sn": True, "dn": True}
    feeder = compile_argv(fitted.output(filename="pipe:0", extra_options=raw), ffmpeg_bin)
    note = (
        f"pingpong loop: the second command fits {n} frames and writes them raw to a temp file (its "
        f"fd 0); mediakit sends the first (the encoder) frames 0..{n - 1} "
        f"{'as they land' if follow else 'once all are there'}, then {n - 2}..1, from that file"
    )
    source = footage.PingPong(feeder, out[0] * out[1] * 3 // 2, n, target.parent, follow)
    return (
        Pass("encoding", _raw_encoder_argv(out, enc, shape.out_frames, target, ffmpeg_bin), source),
        shape.out_frames,
        note,
    )


def _warn_upscale(width: int, height: int, out: tuple[int, int], fit: str, warnings: list[str]) -> None:
    aspect = out[0] / out[1]
    kept_h = height if width / height >= aspect else width / aspect
    factor = out[1] / kept_h if fit == "crop" else min(out[0] / width, out[1] / height)
    if factor > 1.05:
        warnings.append(
            f"the source ({width}x{height}) is upscaled {factor:.1f}x: use a larger image or "
            f"footage for a sharper picture"
        )


def parse_color(color: str) -> tuple[int, int, int]:
    from PIL import ImageColor

    try:
        r, g, b = ImageColor.getrgb(color)[:3]
    except ValueError:
        raise UsageError(f"unknown colour {color!r}", "use a name (black) or #RRGGBB") from None
    return (r, g, b)


def resolve_fit(
    options: CanvasOptions, info: MediaInfo, out: tuple[int, int], preset: Preset | None = None
) -> CanvasOptions:
    """The options with --fit auto replaced by the fit used (see framing.resolve_fit; a preset that allows
    only crop gets crop)."""
    fits = allowed_fits(preset) if preset is not None else framing.FITS
    if options.fit == "smart":  # footage: a crop that follows the subject (prepare's path); a still: auto
        if info.kind != "image":
            return dataclasses.replace(options, fit="crop")
        options = dataclasses.replace(options, fit="auto")
    if options.fit == "auto" and "auto" not in fits and "blur" not in fits:
        fit = fits[0]
    else:
        fit = framing.resolve_fit(options.fit, _source_size(info), out[0] / out[1], info.kind == "image")
    return options if fit == options.fit else dataclasses.replace(options, fit=fit)


@dataclass(frozen=True)
class Prepared:
    """What `prepare` chose by looking at the pictures, once per render (plans are re-run, and must stay
    pure): how the picture is framed and, for `--start auto`, where the footage loops."""

    framing: framing.Framing | None = None  # None: the options' --fit and --focus as they are
    start: float | None = None  # --start auto: the loop search's choice
    loop: str | None = None  # the loop mode that goes with it, when --loop was not given
    duration: float | None = None  # the loop's length in seconds, when --duration was not given
    notes: tuple[str, ...] = ()  # what was chosen and why (the result's notes)
    warnings: tuple[str, ...] = ()  # what the choice could not do (a text line that a crop would cut)


def prepare(job: Job) -> Prepared:
    """Analyse the source for the choices the options leave to mediakit (runs before `plan`)."""
    prepared = _prepare_loop(job)  # --start auto: where the footage loops
    still = _prepare_still(job)  # a still under --fit auto (or smart): what its crop must keep
    if still is not None:
        prepared = dataclasses.replace(
            prepared,
            framing=still.framing,
            notes=(*prepared.notes, *still.notes),
            warnings=(*prepared.warnings, *still.warnings),
        )
    return _smart_footage(job, prepared)  # footage with --fit smart: the crop path


def _prepare_loop(job: Job) -> Prepared:
    """--start auto: the loop search's choice of start, loop and length (and its notes)."""
    opts: CanvasOptions = job.options
    if opts.start != "auto":
        return Prepared()
    if job.info.kind == "image":
        return Prepared(start=0.0, warnings=("--start auto: a still has no loop point to find",))
    from mediakit.analysis import loopsearch

    best, _, searched = search(job.info, opts, job.preset, top=5, verify=3)
    seam = f"seam {best.seam:.2f} measured" if best.seam is not None else f"predicted score {best.score:.2f}"
    note = f"--start auto: start {best.start:.2f} s, {best.seconds:.2f} s {best.mode} loop ({seam})" + (
        "" if opts.loop == "auto" else f"; --loop {opts.loop} as given"
    )
    rule = job.preset.rule("loop-seam")
    warnings = loopsearch.shortfalls(best, rule.params.get("max_seam") if rule is not None else None)
    return Prepared(
        start=best.start,
        loop=best.mode if opts.loop == "auto" else None,
        duration=None if opts.duration is not None else best.seconds,
        notes=(note, *searched),
        warnings=tuple(warnings),
    )


def _prepare_still(job: Job) -> Prepared | None:
    """--fit auto on a still: the framing chosen by looking at it (None: footage, or an explicit fit)."""
    opts: CanvasOptions = job.options
    out = frame_size(opts, job.preset)
    motion = "static" if opts.format == "jpg" else opts.motion
    decoded = out if opts.format == "jpg" else None  # the size the renderer decodes at (one decode for both)
    chosen = still_framing(job.info, opts.fit, opts.focus, out, job.preset, motion, opts.zoom, decoded)
    if chosen is None:
        return None
    said = (f"fit auto: {chosen.why}",)
    if chosen.warns:  # something is cut off, or the picture is shown smaller than the frame
        return Prepared(framing=chosen, warnings=said)
    return Prepared(framing=chosen, notes=said)


def still_framing(
    info: MediaInfo,
    fit: str,
    focus: tuple[float, float],
    out: tuple[int, int],
    preset: Preset,
    motion: str,
    zoom: float,
    decoded: tuple[int, int] | None = None,
) -> framing.Framing | None:
    """How --fit auto frames a still (canvas and clip alike): an explicit --focus is a crop there; else the
    still's faces and text decide (still.auto_framing). None for footage, an explicit fit, or a still that
    cannot be read here (a plan from probed facts alone then frames by size, see resolve_fit)."""
    if info.kind != "image" or info.still is None or fit not in ("auto", "smart"):
        return None
    fits = allowed_fits(preset)
    if focus != (0.5, 0.5) and "crop" in fits:
        why = f"crop at --focus {focus[0]:g},{focus[1]:g}"
        cut = framing.crop_warning("crop", _source_size(info), out[0] / out[1], may_blur="blur" in fits)
        if cut:  # a crop the user placed, not one that keeps what was found: how much it cuts off
            return framing.Framing(fit="crop", focus=focus, why=f"{why}: {cut}", lost=True)
        return framing.Framing(fit="crop", focus=focus, why=why)
    if not info.path.is_file():
        return None
    from mediakit.rendering import still  # numpy, OpenCV and the detectors: only for stills

    zone = preset.safe_zone
    safe = (zone.top, zone.bottom, zone.left, zone.right) if zone else (0.0, 0.0, 0.0, 0.0)
    stage = decoded or still.stage_size(out, motion, zoom)
    chosen = still.auto_framing(info.path, stage, out, safe, motion, zoom, fits)
    return chosen  # (--fit smart on a still: the same, and _smart_footage says so)


def search(
    info: MediaInfo,
    opts: CanvasOptions,
    preset: Preset,
    *,
    top: int = 5,
    verify: int = 3,
    on_progress: Any = None,
    limit: float | None = None,
) -> tuple[Any, list[Any], list[str]]:
    """The loop search for a canvas of `opts` from footage: (the pick, the ranked candidates, the best
    `verify` of them measured until one is safe; notes). The pick is the best-ranked one that measures
    seamless with room to spare, else the best-ranked seamless one, else the best ranked. The footage is
    searched up to `limit` s (loopsearch.SEARCH_SECONDS), and a note says so when it goes on. Refuses
    footage with no window to search (InputError)."""
    from mediakit.analysis import loopsearch  # numpy and OpenCV: only when searching

    video = info.primary_video
    if video is None:
        raise InputError(f"{display(info.path)}: has no video stream", "use video footage")
    rate = footage.choose_rate(video, opts.fps, opts.fps or preset.render.fps)
    lo, hi, _, _ = preset.duration_limits()
    if opts.duration is not None:
        lengths = [whole_frames(opts.duration, rate.fps, preset)]
    else:
        # A preset with no upper bound (or a long one) is searched up to a minute: a loop, not a film.
        longest = int(min(hi, 60.0) * rate.fps) + 1
        lengths = [n for n in range(1, longest + 1) if duration_ok(float(n / rate.fps), preset)]
    modes = loopsearch.MODES if opts.loop == "auto" else (opts.loop,)
    region = _shown_region(info, opts, preset)
    searched = loopsearch.SEARCH_SECONDS if limit is None else limit
    scanned = loopsearch.scan(info, rate.fps, rate.step, on_progress, region, searched)
    notes = []
    if scanned.clipped:
        notes.append(
            f"--start auto searched the first {searched:g} s of the footage"
            + (f" (of {float(info.duration):.0f} s)" if info.duration else "")
            + ": a loop of seconds is found there without reading all of it; to loop a later part, "
            "trim the footage first or give --start SECONDS"
        )
    found = loopsearch.search_loops(scanned, lengths, modes, crossfade=opts.crossfade, top=top)
    if not found:
        # The fewest source frames any of the modes needs (a ping-pong plays half of its length twice).
        spans = [
            (footage.loop_shape(m, n, rate.fps, opts.crossfade).source_frames, m)
            for m in modes
            for n in lengths
        ]
        fewest, fewest_mode = min(spans) if spans else (round(lo * rate.fps), modes[0])
        needed = float(fewest / rate.fps)
        # An explicit --duration is the only length searched: say what that one needs.
        explicit = f"a loop of {float(lengths[0] / rate.fps):.2f} s" if opts.duration is not None else None
        if scanned.seconds < needed:
            how = f" (as a {fewest_mode} loop)" if len(modes) > 1 else ""
            raise InputError(
                f"{display(info.path)}: {scanned.seconds:.2f} s of footage; "
                f"{explicit or f'the shortest {range_text(preset)} loop'} needs {needed:.2f} s of it{how}",
                "use longer footage" + ("" if explicit is None else " or a shorter --duration"),
            )
        raise InputError(
            f"{display(info.path)}: no stretch of its {scanned.seconds:.2f} s makes "
            f"{explicit or f'a {range_text(preset)} loop'} without a cut, a freeze or black, or it barely "
            "moves",
            "give --start SECONDS (and --loop) to choose the loop yourself",
        )
    # Best first, measured one by one until one is safe (each is an exact decode of up to 9 s).
    checked: list[Any] = []
    for candidate in found[:verify]:
        checked.append(loopsearch.verify(info, candidate, rate.step, opts.crossfade, region))
        if checked[-1].safe():
            break
    found = checked + found[len(checked) :]
    best = next((c for c in checked if c.safe()), next((c for c in checked if c.ok()), found[0]))
    return best, found, notes


STILL_SMART = "--fit smart reframes footage: a still is framed as with --fit auto"


def _smart_footage(job: Job, prepared: Prepared) -> Prepared:
    """--fit smart on footage: the crop path that follows each shot's subject (analysis.reframe), for the
    frames the loop will read from where it starts."""
    opts: CanvasOptions = job.options
    info = job.info
    video = info.primary_video
    if opts.fit != "smart":
        return prepared
    if info.kind == "image" or video is None:  # framed as with auto (_prepare_still)
        return dataclasses.replace(prepared, notes=(*prepared.notes, STILL_SMART))
    from mediakit.analysis import reframe  # numpy, OpenCV and scipy: only for --fit smart

    opts = _with_prepared(opts, prepared)
    start = _start_of(opts)
    out = frame_size(opts, job.preset)
    rate = footage.choose_rate(video, opts.fps, opts.fps or job.preset.render.fps)
    duration = job.preset.render.duration if opts.duration is None else opts.duration
    frames = whole_frames(duration, rate.fps, job.preset)
    lo, _, _, _ = job.preset.duration_limits()
    shape = _loop_for(info, video, opts, frames, rate.fps, lo, [])
    found = reframe.analyse(info, start, shape.source_frames, float(rate.fps), out[0] / out[1])
    chosen = framing.Framing(fit="crop", path=found.path, why=found.describe())
    return dataclasses.replace(
        prepared,
        framing=chosen,
        notes=(*prepared.notes, found.describe()),
        warnings=(*prepared.warnings, *found.notes),
    )


def plan(job: Job) -> Plan:
    """Every pass of one canvas (pure: reads nothing but the job's probed facts and what `prepare` chose)."""
    opts: CanvasOptions = job.options
    preset = job.preset
    warnings: list[str] = []
    opts = _with_prepared(opts, job.prepared)
    if isinstance(job.prepared, Prepared):
        warnings += job.prepared.warnings
    out = frame_size(opts, preset)
    info = job.info
    prepared = job.prepared if isinstance(job.prepared, Prepared) else Prepared()
    chosen = prepared.framing
    if chosen is None:  # an explicit fit, footage, or a plan with nothing looked at: by size alone
        opts = resolve_fit(opts, info, out, preset)
        chosen = framing.Framing.fixed(opts.fit, opts.focus)
        warning = framing.crop_warning(
            opts.fit, _source_size(info), out[0] / out[1], may_blur="blur" in allowed_fits(preset)
        )
        if warning:
            warnings.append(warning)
    else:  # chosen by looking at the picture: its notes say what the crop keeps or why it is not a crop
        opts = dataclasses.replace(opts, fit=chosen.fit)
    if opts.format == "jpg":
        step = _jpeg_pass(job, opts, out, chosen, warnings)
        return Plan(
            job.output,
            1,
            0.0,
            "one frame as JPEG",
            (step,),
            warnings=tuple(warnings),
            notes=prepared.notes,
            options=as_given_fit(opts, job.options),
        )
    lo, _, _, _ = preset.duration_limits()
    video = info.primary_video if info.kind != "image" else None
    rate = footage.choose_rate(video, opts.fps, opts.fps or preset.render.fps)
    duration = preset.render.duration if opts.duration is None else opts.duration
    frames = whole_frames(duration, rate.fps, preset)
    enc = _encoding(opts, preset, rate.fps, float(frames / rate.fps), out)
    if info.kind == "image":
        # Slow subpixel motion needs an encoder that does not "breathe": without fast P-skip x264 stops
        # freezing near-still blocks for a frame and then jumping, and without the macroblock tree the
        # quality of each block stops drifting with how often it is referenced. Measured on a grainy
        # 720x1280 push-in (x264 slow, CRF 20): jitter 0.034 -> 0.026 px/frame^2, wrap seam 0.53 -> 0.25,
        # for about 35 % more bytes (the 8 MB cap still applies).
        enc = dataclasses.replace(enc, x264_params="fast-pskip=0:mbtree=0")
        step = _still_pass(job, opts, out, frames, enc, chosen, warnings)
        note = f"frames: {frames} {opts.motion} frames drawn by mediakit (subpixel warp) piped to ffmpeg"
    else:
        step, frames, note = _footage_plan(
            info, opts, out, frames, enc, rate, lo, job.output, job.ffmpeg, warnings, chosen, job.workdir
        )  # fmt: skip
    return Plan(
        job.output,
        frames,
        float(frames / enc.fps),
        note,
        (step,),
        warnings=tuple(warnings),
        notes=prepared.notes,
        options=as_given_fit(opts, job.options),
    )


def as_given_fit(used: Any, given: Any) -> Any:
    """The options as the result reports them: --fit auto as the fit it chose, but --fit smart as smart (its
    crop path is chosen again from the footage: "crop" would render a fixed centre crop)."""
    return dataclasses.replace(used, fit="smart") if given.fit == "smart" and used.fit == "crop" else used


def _shown_region(
    info: MediaInfo, opts: CanvasOptions, preset: Preset
) -> tuple[float, float, float, float] | None:
    """The part of the footage a cropped canvas shows (fractions of the picture), or None: all of it."""
    out = frame_size(opts, preset)
    fit = resolve_fit(opts, info, out, preset).fit
    sw, sh = _source_size(info)
    if fit != "crop" or not sw or not sh:
        return None
    x, y, w, h = framing.crop_box((sw, sh), out[0] / out[1], opts.focus)
    return (x / sw, y / sh, w / sw, h / sh)


def _start_of(opts: CanvasOptions) -> float:
    """--start in seconds (plan has put `prepare`'s choice in place of auto)."""
    return opts.start if isinstance(opts.start, int | float) else 0.0


def _with_prepared(opts: CanvasOptions, prepared: Prepared | None) -> CanvasOptions:
    """The options with what `prepare` chose in place of --start auto and --loop auto."""
    changes: dict[str, Any] = {}
    if prepared is not None and prepared.start is not None:
        changes["start"] = prepared.start
    elif opts.start == "auto":  # planned without prepare (a tool's own plan): the footage's beginning
        changes["start"] = 0.0
    if prepared is not None and prepared.loop is not None and opts.loop == "auto":
        changes["loop"] = prepared.loop
    elif opts.loop == "auto":
        changes["loop"] = "pingpong"
    if prepared is not None and prepared.duration is not None and opts.duration is None:
        changes["duration"] = prepared.duration
    return dataclasses.replace(opts, **changes) if changes else opts


def plan_canvas(
    info: MediaInfo, target: Path, options: CanvasOptions, preset: Preset, ffmpeg_bin: str
) -> tuple[Plan, list[str]]:
    """The plan for one canvas written straight to `target` (for tests and tools); also its warnings."""
    check_options(options, preset)
    job = Job(info=info, options=options, preset=preset, output=target, final=target, ffmpeg=ffmpeg_bin)
    made = plan(dataclasses.replace(job, prepared=prepare(job)))
    return made, list(made.warnings)


def _source_size(info: MediaInfo) -> tuple[int, int]:
    if info.still is not None:
        return info.still.width, info.still.height
    video = info.primary_video
    return (video.display_width, video.display_height) if video else (0, 0)


def verify(job: Job, plan: Plan, report: FileReport) -> dict[str, Any]:
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
    return {}
