"""Run a repair: check the file, plan the least destructive change, make it in a temp file, check again.

Nothing is written beside the output until the repaired file passes the same preset; then one rename puts
it in place. The input is only ever read.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ffmpeg

from mediakit.deep import deep_check
from mediakit.errors import FFmpegNotFound, InputError, MediakitError, UsageError
from mediakit.ffmpeg.binary import ffmpeg_path
from mediakit.ffmpeg.runner import full_argv, run
from mediakit.fix import plan as planning
from mediakit.fix.plan import RANK, Action, Repair
from mediakit.inputs import SAFE_INPUT_OPTIONS, display, file_url
from mediakit.preset import Preset, resolve
from mediakit.probe import MediaInfo, probe
from mediakit.rendering import audio, footage
from mediakit.rendering.output import atomic_output, check_output, make_folder
from mediakit.rendering.plan import compile_argv, size_cap_kbps
from mediakit.report import FileReport, Finding
from mediakit.validate import check, choose_profile

# Deep rules fix can act on, so checks before and after (loudness is measured from the audio alone).
FIXABLE_DEEP = frozenset({"loudness", "audio-level"})
# How a cut's method maps to the repair classes.
_CUT_CLASS = {"lossless": "trim", "smart": "smart-cut", "reencode": "re-encode"}
SUFFIX = ".fixed"

EventCallback = Callable[[str], None]


@dataclass(frozen=True)
class FixResult:
    """What fix did to one file: `status` is fixed, passes (nothing to do), unfixable, planned or failed."""

    path: str
    status: str
    preset: str | None
    before: FileReport | None
    output: Path | None = None
    repair: Repair | None = None
    after: FileReport | None = None
    message: str = ""
    hint: str = ""
    commands: tuple[str, ...] = ()
    seconds: float = 0.0
    bytes_in: int = 0
    bytes_out: int | None = None
    cut: Any = None
    exit_code: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def actions(self) -> tuple[Action, ...]:
        return self.repair.actions if self.repair else ()

    def _class(self) -> str | None:
        """The most destructive class used (or planned); None when nothing was or could be done."""
        if self.status == "passes":
            return "keep"
        if self.status in ("fixed", "planned") and self.repair is not None:
            return self.repair.strongest
        return None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "status": self.status,
            "preset": self.preset,
            "output": str(self.output) if self.output else None,
            "class": self._class(),
            "actions": [a.as_dict() for a in self.actions],
            "verdict_before": self.before.verdict() if self.before else None,
            "verdict_after": self.after.verdict() if self.after else None,
            "findings_after": [f.as_dict() for f in self.after.findings] if self.after else [],
            "message": self.message or None,
            "hint": self.hint or None,
            "notes": list(self.notes),
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "seconds": round(self.seconds, 3),
            "commands": list(self.commands),
        }
        if self.cut is not None:
            out["cut"] = {
                "method": self.cut.method,
                "start": self.cut.start,
                "end": self.cut.end,
                "frames": self.cut.frames,
                "reencoded_frames": self.cut.reencoded_frames,
                "reason": self.cut.reason,
            }
        return out


def checked(info: MediaInfo, preset: Preset, *, deep: bool, ffmpeg_bin: str | None) -> FileReport:
    """`info` against `preset`: the metadata rules, and the deep rules fix acts on (all of them with deep)."""
    findings = check(info, preset)
    if not info.damage and info.kind in preset.accepts:
        rules = tuple(r for r in preset.rules if r.deep and (deep or r.check in FIXABLE_DEEP))
        if rules:
            findings = (*findings, *deep_check(info, dataclasses.replace(preset, rules=rules), ffmpeg_bin))
    return FileReport(display(info.path), preset.name, "", findings, media=info)


def check_suffix(suffix: str) -> str:
    """A name part like `.fixed` (never a path): shared by `mediakit fix` and batch's fix jobs."""
    if not suffix.strip() or "/" in suffix or "\\" in suffix or suffix in (".", ".."):
        raise UsageError(f"the suffix {suffix!r} is not a name part", "use a name part like .fixed")
    return suffix


def output_name(source: Path, container: str, suffix: str = SUFFIX) -> str:
    """`<stem><suffix>.mp4`, or `.jpg` for a still: how a repaired file is named."""
    return source.stem + suffix + (".jpg" if container == "jpeg" else f".{container}")


def output_for(
    source: Path, container: str, *, output: Path | None, out_dir: Path | None, suffix: str, root: Path | None
) -> Path:
    """Where the repaired file goes: `output` as named; else `output_name` in `out_dir` (at the same place
    under it as under `root`, the folder that was walked), else beside the input."""
    name = output_name(source, container, suffix)
    if output is not None:
        return output
    if out_dir is None:
        return source.with_name(name)
    relative = source.relative_to(root) if root is not None and source.is_relative_to(root) else Path(name)
    return out_dir / relative.parent / name


def fix_file(
    path: str | os.PathLike[str],
    profile: str | Preset | None = None,
    *,
    output: str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    root: str | os.PathLike[str] | None = None,
    suffix: str = SUFFIX,
    start: float | None = None,
    fit: str = "auto",
    focus: tuple[float, float] = (0.5, 0.5),
    deep: bool = False,
    dry_run: bool = False,
    overwrite: bool = False,
    ffmpeg_bin: str | None = None,
    threads: int | None = None,
    on_event: EventCallback | None = None,
) -> FixResult:
    """Repair one file for `profile` (a preset, name, alias or .toml; None = chosen as validate chooses).

    Never raises for the file's sake: a file that cannot be read or repaired is a result with a status,
    so a folder's other files are still fixed. Usage errors (a bad preset) and a missing ffmpeg raise.
    """
    started = time.monotonic()
    shown = display(os.path.abspath(os.fsdecode(path)))
    emit = on_event or (lambda step: None)
    preset = profile if isinstance(profile, Preset) else (resolve(profile) if profile else None)
    try:
        emit("checking")
        info = probe(path)
        if preset is None:
            preset = resolve(choose_profile(info)[0])
        before = checked(info, preset, deep=deep, ffmpeg_bin=ffmpeg_bin)
        return _fix(
            info,
            preset,
            before,
            output=Path(output) if output else None,
            out_dir=Path(out_dir) if out_dir else None,
            root=Path(root) if root else None,
            suffix=suffix,
            start=start,
            fit=fit,
            focus=focus,
            deep=deep,
            dry_run=dry_run,
            overwrite=overwrite,
            ffmpeg_bin=ffmpeg_bin,
            threads=threads,
            emit=emit,
            started=started,
        )
    except FFmpegNotFound:
        raise
    except MediakitError as exc:  # this file's problem (an impossible --start for it included)
        name = getattr(locals().get("preset"), "name", None)
        # The result names the file already; the message need not repeat it.
        message = exc.message.removeprefix(display(os.path.abspath(os.fsdecode(path))) + ": ")
        return FixResult(
            shown,
            "failed",
            name,
            None,
            message=message,
            hint=exc.hint or "",
            seconds=time.monotonic() - started,
            exit_code=int(exc.exit_code),
        )


def _fix(
    info: MediaInfo,
    preset: Preset,
    before: FileReport,
    *,
    output: Path | None,
    out_dir: Path | None,
    root: Path | None,
    suffix: str,
    start: float | None,
    fit: str,
    focus: tuple[float, float],
    deep: bool,
    dry_run: bool,
    overwrite: bool,
    ffmpeg_bin: str | None,
    threads: int | None,
    emit: EventCallback,
    started: float,
) -> FixResult:
    shown = before.path
    base = FixResult(shown, "passes", preset.name, before, bytes_in=info.size_bytes)
    fixable = [f for f in before.findings if f.fix is not None]
    unfixable_errors = [f for f in before.findings if f.fix is None and f.severity == "error"]
    if not fixable and not unfixable_errors:
        message = "already passes" if not before.findings else "passes with warnings fix cannot act on"
        return dataclasses.replace(base, message=message, seconds=time.monotonic() - started)
    short = _start_leaves_too_little(info, preset, start)
    if short is not None:
        return dataclasses.replace(
            base,
            status="unfixable",
            message=short,
            hint="choose an earlier --start",
            seconds=time.monotonic() - started,
            exit_code=1,
        )
    trim_end = _trim_end(info, preset, before.findings, start) if not unfixable_errors else None
    cut_plan = None
    if trim_end is not None and info.kind == "video":
        from mediakit.fix import cut as cutting

        cut_plan = cutting.assess(info.path, start or 0.0, trim_end[0])
    repair = planning.plan_repair(
        info, preset, before.findings, start=start, trim_end=trim_end, cut_plan=cut_plan, fit=fit
    )
    if start and repair.trim is None:
        note = f"--start {start:g} is not used: the file needs no trim"
        repair = dataclasses.replace(repair, notes=(*repair.notes, note))
    base = dataclasses.replace(base, repair=repair)
    if repair.blocking:
        first = repair.blocking[0]
        return dataclasses.replace(
            base,
            status="unfixable",
            message=f"cannot be made to pass {first.finding.rule}: {first.finding.message}",
            hint=first.why_not,
            seconds=time.monotonic() - started,
            exit_code=1,
        )
    if not repair.needed:  # only warnings, none of them repairable here (e.g. a source too small to enlarge)
        return dataclasses.replace(
            base, message="passes with warnings fix cannot act on", seconds=time.monotonic() - started
        )
    target = output_for(info.path, repair.container, output=output, out_dir=out_dir, suffix=suffix, root=root)
    fmt = {"jpeg": "jpg", "mp4": "mp4"}.get(repair.container)
    if out_dir is not None and not dry_run:
        make_folder(target.parent)
    if not (dry_run and out_dir is not None and not target.parent.exists()):  # a dry run creates nothing
        target = check_output(target, info.path, overwrite, fmt)
    target = Path(os.path.abspath(target))
    binary = ffmpeg_path(ffmpeg_bin)
    if dry_run:
        return dataclasses.replace(
            base,
            status="planned",
            output=target,
            commands=_planned_commands(repair, info, binary, target, fit, focus, ffmpeg_bin),
            notes=repair.notes,
            seconds=time.monotonic() - started,
        )
    commands: list[str] = []
    with tempfile.TemporaryDirectory(prefix=".mediakit-fix-", dir=target.parent) as work:
        workdir = Path(work)
        with atomic_output(target) as tmp:
            cut, repair = _execute(
                repair, info, binary, workdir, tmp, commands, emit, fit, focus, ffmpeg_bin, threads
            )
            emit("validating")
            after = checked(probe(tmp), preset, deep=deep, ffmpeg_bin=ffmpeg_bin)
            failing = [f for f in after.findings if f.severity == "error"]
            if failing:
                raise _StillFails(after, failing[0])
            size = tmp.stat().st_size
    after = dataclasses.replace(after, path=display(target))
    return dataclasses.replace(
        base,
        status="fixed",
        output=target,
        repair=repair,
        after=after,
        cut=cut,
        commands=tuple(commands),
        bytes_out=size,
        notes=repair.notes,
        seconds=time.monotonic() - started,
    )


class _StillFails(MediakitError):
    def __init__(self, report: FileReport, finding: Finding) -> None:
        super().__init__(
            f"the repaired file still fails {finding.rule}: {finding.message}; nothing was written",
            "please report this as a bug, with the file if you can share it",
        )
        self.report = report


def _start_leaves_too_little(info: MediaInfo, preset: Preset, start: float | None) -> str | None:
    """Why `--start` cannot work for this file (past its end, or leaving less than the preset's minimum)."""
    video = info.primary_video
    if not start or video is None or info.kind != "video":
        return None
    seconds = footage.present_seconds(info, video)
    left = seconds - start
    if left <= 0:
        return f"--start {start:g} is past the end of the video ({seconds:.2f} s)"
    rule = next((r for r in preset.rules if r.check == "duration"), None)
    low = rule.params.get("min") if rule else None
    if low is not None and (left < low or (left == low and not rule.params.get("min_inclusive", True))):  # type: ignore[union-attr]
        return f"--start {start:g} leaves {left:.2f} s, under the {low:g} s minimum of {preset.title}"
    return None


def _trim_end(
    info: MediaInfo, preset: Preset, findings: tuple[Finding, ...], start: float | None
) -> tuple[float, str] | None:
    """Where an over-long file ends, chosen by the content (a seam for a loop, a quiet moment for a clip)."""
    trim = next((f.fix for f in findings if f.fix and f.fix.get("action") == "trim"), None)
    if trim is None:
        return None
    from mediakit.fix import trim_point

    rule = next((r for r in preset.rules if r.check == "duration"), None)
    low = float(rule.params.get("min", 0.0)) if rule else 0.0
    if preset.kind == "canvas":
        return trim_point.canvas_end(info.path, info, float(trim["max_seconds"]), low, start or 0.0)
    return trim_point.clip_end(
        info.path, info, float(trim["max_seconds"]), bool(trim.get("max_inclusive", True)), start or 0.0
    )


def _shown(argv: tuple[str, ...]) -> str:
    return shlex.join(full_argv(argv, fed=False))


def _compiled(out: Any, binary: str) -> tuple[str, ...]:
    """typed-ffmpeg's argv, with the video picked as `0:V:0`: typed-ffmpeg writes `0:v:0`, which is an
    attached cover picture when the file stores one before its video."""
    argv = list(compile_argv(out, binary))
    return tuple("0:V:0" if a == "0:v:0" and i and argv[i - 1] == "-map" else a for i, a in enumerate(argv))


def _input(path: Path, **kwargs: Any) -> Any:
    return ffmpeg.input(file_url(path), extra_options=dict(SAFE_INPUT_OPTIONS), **kwargs)


def _container_options(container: str) -> dict[str, Any]:
    # The index at the front (faststart) lets a player start before the whole file has arrived.
    return {"f": container, "movflags": "+faststart"} if container in ("mp4", "mov") else {"f": container}


def _h264_tags(color: dict[str, str]) -> str:
    """h264_metadata's VUI values for the tags asked for (H.273 code points; BT.709 is 1 for all three)."""
    codes = {"bt709": 1}
    parts = []
    for key, option in (
        ("primaries", "colour_primaries"),
        ("transfer", "transfer_characteristics"),
        ("space", "matrix_coefficients"),
    ):
        if key in color and color[key] in codes:
            parts.append(f"{option}={codes[color[key]]}")
    return "h264_metadata=" + ":".join(parts) if parts else ""


def mux_argv(
    src: Path,
    target: Path,
    repair: Repair,
    binary: str,
    gain: audio.Gain | None,
    *,
    audio_codec: str | None,
) -> tuple[str, ...]:
    """The last step: the video's packets copied (colour tags written into them if asked), the audio
    copied, dropped, levelled or re-encoded, in the preset's container with the index at the front."""
    src_in = _input(src)
    streams = [src_in.video_stream(0)]
    # A timecode tag on the video makes the MP4 muxer write a timecode (data) track: it goes with the rest.
    options: dict[str, Any] = {
        "c:v": "copy",
        "map_metadata": 0,
        "metadata:s:v:0": "timecode=",
        "sn": True,
        "dn": True,
    }
    if repair.color and not repair.convert_color and repair.video == "remux":
        tags = _h264_tags(repair.color)
        if tags:
            options["bsf:v"] = tags
    if repair.audio != "drop" and audio_codec is not None:
        a = src_in.audio_stream(0)
        if gain is not None:
            streams.append(audio.normalized(a, gain))
            options.update(audio.AAC)
        elif repair.audio == "re-encode" or audio_codec not in planning.MP4_AUDIO:
            streams.append(a)
            options.update(audio.AAC)
        else:
            streams.append(a)
            options["c:a"] = "copy"
    options.update(_container_options(repair.container))
    return _compiled(ffmpeg.output(*streams, filename=str(target), extra_options=options), binary)


def reencode_argv(
    info: MediaInfo,
    src: Path,
    target: Path,
    repair: Repair,
    binary: str,
    span: tuple[float, float] | None,
    threads: int | None = None,
) -> tuple[str, ...]:
    """The video alone re-encoded (codec, pixel format, rate, colours, size cap); the audio is copied."""
    video = info.primary_video
    assert video is not None
    kwargs: dict[str, Any] = {}
    seconds = float(info.duration or 0)
    if span is not None:
        # The span counts from the first video frame; -ss counts from the container's start (an edit list,
        # or audio that starts first, puts the video later).
        from mediakit.fix.cut import video_offset

        begin = span[0] + video_offset(src)
        if begin > 0:
            kwargs["ss"] = round(begin, 6)
        kwargs["t"] = round(span[1] - span[0], 6)
        seconds = span[1] - span[0]
    src_in = _input(src, **kwargs)
    v = src_in.video_stream(0)
    if repair.convert_color or video.hdr:
        # HDR is tone-mapped whatever asked for the re-encode: an 8-bit file tagged PQ shows wrong colours.
        v = footage.to_sdr_420(v, video.hdr is not None)
    if repair.fps:
        v = v.fps(fps=repair.fps)
    # 4:2:0 needs even sizes: an odd last row or column (a 719x1279 export) is cropped, never scaled.
    v = v.crop(out_w="trunc(iw/2)*2", out_h="trunc(ih/2)*2").format(pix_fmts="yuv420p")
    if repair.color or video.hdr:
        v = v.setparams(**footage.BT709)
    options: dict[str, Any] = {
        "c:v": "libx264",
        "profile:v": "high",
        "preset": repair.preset.render.x264_preset,
        "crf": repair.preset.render.crf,
        "map_metadata": 0,
        "sn": True,
        "dn": True,
    }
    if repair.fps:
        options.update({"r": repair.fps, "fps_mode": "cfr"})
    if threads:
        options["threads"] = threads
    if repair.max_bytes:
        audio_kbps = 192 if info.audio and repair.audio != "drop" else 0
        cap = size_cap_kbps(repair.max_bytes, max(seconds, 0.1))
        if cap:
            kbps = max(100, cap - audio_kbps)
            options.update({"maxrate": f"{kbps}k", "bufsize": f"{kbps}k"})
    streams = [v]
    if info.audio and repair.audio != "drop":
        streams.append(src_in.audio_stream(0))
        options["c:a"] = "copy"
    options.update({"f": "mp4"})
    return _compiled(ffmpeg.output(*streams, filename=str(target), extra_options=options), binary)


def _execute(
    repair: Repair,
    info: MediaInfo,
    binary: str,
    workdir: Path,
    target: Path,
    commands: list[str],
    emit: EventCallback,
    fit: str,
    focus: tuple[float, float],
    ffmpeg_bin: str | None,
    threads: int | None = None,
) -> tuple[Any, Repair]:
    """Make the repaired file at `target` (a temp name); returns the cut made (if any) and the repair with
    each action's class as it was done (a trim that needed a smart cut says so)."""
    if info.kind == "image":
        _fix_still(repair, info, target, commands, fit, focus, ffmpeg_bin, workdir)
        return None, repair
    if repair.render:
        if repair.trim is not None:
            repair = _with_cut_class(repair, "re-encode", "cut in the re-render")
        _rerender(repair, info, target, commands, fit, focus, ffmpeg_bin, workdir, emit, threads=threads)
        return None, repair
    src = info.path
    cut = None
    if repair.video == "re-encode":
        if repair.trim is not None:
            repair = _with_cut_class(repair, "re-encode", "cut while the video is re-encoded")
        emit("re-encoding the video")
        step = workdir / "video.mp4"
        argv = reencode_argv(info, src, step, repair, binary, repair.trim, threads)
        commands.append(_shown(argv))
        run(argv)
        src = step
    elif repair.trim is not None:
        from mediakit.fix import cut as cutting

        emit("cutting")
        step = workdir / "cut.mp4"
        keep = bool(info.audio) and repair.audio != "drop"
        cut = cutting.cut(src, step, repair.trim[0], repair.trim[1], keep_audio=keep, ffmpeg_bin=binary)
        commands.extend(cut.commands)
        src = step
        repair = _with_cut_class(repair, _CUT_CLASS.get(cut.method, "re-encode"), cut.reason)
    gain = None
    # The cut and the video re-encode copy the first audio stream (or leave it out when it is dropped), so
    # its codec is the source's: no need to probe the intermediate file.
    audio_codec = info.audio[0].codec if info.audio and repair.audio != "drop" else None
    if repair.normalize is not None and audio_codec is not None and repair.audio != "drop":
        emit("measuring loudness")
        gain = _level(src, repair.normalize, binary, workdir, commands)
    emit("writing")
    argv = mux_argv(src, target, repair, binary, gain, audio_codec=audio_codec)
    commands.append(_shown(argv))
    run(argv)
    return cut, repair


def _with_cut_class(repair: Repair, klass: str, reason: str) -> Repair:
    """The trim action's class as the cut was made (lossless trim, smart cut or re-encode)."""
    actions = tuple(
        dataclasses.replace(a, repair=klass, does=f"{a.does}; {reason}") if a.repair == "trim" else a
        for a in repair.actions
    )
    video = klass if RANK[klass] > RANK[repair.video] else repair.video
    return dataclasses.replace(repair, actions=actions, video=video)


def _level(
    src: Path, target: tuple[float, float], binary: str, workdir: Path, commands: list[str]
) -> audio.Gain:
    """The gain (and limiter) that brings the file's audio to `target` as AAC reads it (see fit_gain)."""
    measure = audio.measure_argv(_input(src).audio_stream(0), binary)
    commands.append(_shown(measure))
    measured = audio.measure(measure)
    if audio.too_quiet(measured):
        raise InputError(
            f"{display(src)}: the audio is too quiet to normalize ({measured.integrated:.1f} LUFS)",
            "replace the sound track",
        )
    count = [0]

    def encoded(candidate: audio.Gain) -> audio.Loudness:
        count[0] += 1
        path = workdir / f"level-{count[0]}.m4a"
        a = audio.normalized(_input(src).audio_stream(0), candidate)
        argv = compile_argv(a.output(filename=str(path), extra_options={**audio.AAC, "vn": True}), binary)
        commands.append(_shown(argv))
        run(argv)
        got = audio.output_loudness(path, binary)
        return audio.Loudness(got.integrated, got.true_peak)

    return audio.fit_gain(measured, target[0], target[1], encoded)


def _span_seconds(repair: Repair, info: MediaInfo) -> tuple[float, float | None]:
    """The start and length a re-render takes: the trim's span, else the footage as it is."""
    if repair.trim is not None:
        return repair.trim[0], repair.trim[1] - repair.trim[0]
    video = info.primary_video
    if video is None:
        return 0.0, None
    return 0.0, footage.present_seconds(info, video)


def _rerender(
    repair: Repair,
    info: MediaInfo,
    target: Path,
    commands: list[str],
    fit: str,
    focus: tuple[float, float],
    ffmpeg_bin: str | None,
    workdir: Path,
    emit: EventCallback,
    fmt: str = "mp4",
    threads: int | None = None,
    dry_run: bool = False,
) -> None:
    """Geometry (or a still of the wrong shape): the kind's own renderer, with the framing options. A dry
    run only collects the commands the render would run."""
    from mediakit import kinds, pipeline

    kind = kinds.get(repair.preset.kind)
    start, seconds = _span_seconds(repair, info) if info.kind == "video" else (0.0, None)
    values: dict[str, Any] = {"fit": fit, "focus": focus}
    fields = {f.name for f in dataclasses.fields(kind.options)}
    if info.kind == "video":
        values["start"] = start
        if seconds is not None:
            values["duration"] = _within(repair.preset, seconds)
        if "loop" in fields:
            values["loop"] = "cut"  # the footage as it is: no ping-pong or dissolve added to it
    if repair.fps and "fps" in fields:
        values["fps"] = repair.fps
    if (
        repair.size
        and "size" in fields
        and repair.size != (repair.preset.render.width, repair.preset.render.height)
    ):
        values["size"] = f"{repair.size[0]}x{repair.size[1]}"
    if "format" in fields:
        values["format"] = fmt
    if threads and "threads" in fields:
        values["threads"] = threads
    out = workdir / ("render.jpg" if fmt == "jpg" else "render.mp4")
    result = pipeline.render(
        kind.name,
        info.path,
        out,
        kind.options(**values),
        preset=repair.preset,
        ffmpeg_bin=ffmpeg_bin,
        on_event=lambda event: emit(event.step),
        dry_run=dry_run,
        overwrite=dry_run,
    )
    commands.extend(result.commands)
    if not dry_run:
        os.replace(out, target)


def _within(preset: Preset, seconds: float) -> float:
    """A length the preset's duration rule takes, as close to `seconds` as whole frames allow."""
    rule = next((r for r in preset.rules if r.check == "duration"), None)
    if rule is None:
        return seconds
    hi = rule.params.get("max")
    frame = 1.0 / preset.render.fps
    if hi is not None and seconds >= hi:
        seconds = hi - (frame if not rule.params.get("max_inclusive", True) else 0.0)
    return round(seconds, 3)


def _fix_still(
    repair: Repair,
    info: MediaInfo,
    target: Path,
    commands: list[str],
    fit: str,
    focus: tuple[float, float],
    ffmpeg_bin: str | None,
    workdir: Path,
) -> None:
    """A still: re-framed by the canvas renderer as a JPEG, or (only the format wrong) re-saved as JPEG."""
    if repair.render:
        _rerender(repair, info, target, commands, fit, focus, ffmpeg_bin, workdir, lambda s: None, "jpg")
        return
    from PIL import Image, ImageOps

    with Image.open(info.path) as im:
        picture = ImageOps.exif_transpose(im).convert("RGB")
    picture.save(target, "JPEG", quality=95, subsampling=0)
    commands.append(f"(Pillow) {display(info.path)} -> JPEG quality 95")


def _planned_commands(
    repair: Repair,
    info: MediaInfo,
    binary: str,
    target: Path,
    fit: str,
    focus: tuple[float, float],
    ffmpeg_bin: str | None,
) -> tuple[str, ...]:
    """What a dry run shows: the steps that will run, as far as they are known before running them (a
    re-render's commands exactly, from the renderer's own dry run)."""
    steps: list[str] = []
    if repair.render:
        with tempfile.TemporaryDirectory(prefix="mediakit-fix-plan-") as work:
            fmt = "jpg" if info.kind == "image" else "mp4"
            _rerender(
                repair,
                info,
                target,
                steps,
                fit,
                focus,
                ffmpeg_bin,
                Path(work),
                lambda s: None,
                fmt,
                dry_run=True,
            )
        return tuple(steps)
    if info.kind == "image":
        return ("re-save as JPEG with Pillow (quality 95, 4:4:4)",)
    src = info.path
    if repair.video == "re-encode":
        steps.append(_shown(reencode_argv(info, src, Path("video.mp4"), repair, binary, repair.trim)))
        src = Path("video.mp4")
    elif repair.trim is not None:
        from mediakit.fix import cut as cutting

        method, reason = cutting.plan_cut(info.path, repair.trim[0], repair.trim[1])
        steps.append(f"cut {repair.trim[0]:.3f}-{repair.trim[1]:.3f} s: {method} ({reason})")
        src = Path("cut.mp4")
    if repair.normalize is not None and info.audio and repair.audio != "drop":
        steps.append(f"measure the loudness, then level the audio to {repair.normalize[0]:g} LUFS")
    audio_codec = info.audio[0].codec if info.audio else None
    steps.append(_shown(mux_argv(src, target, repair, binary, None, audio_codec=audio_codec)))
    return tuple(steps)
