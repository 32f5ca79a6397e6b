"""One pipeline for every render kind: probe -> check -> plan -> run atomically -> verify.

The CLI, batch (local and Dask), kit and the Python API all call `render`. A kind (mediakit.kinds) checks
its options and plans its passes as data; this module runs them into a temp file beside the output,
validates the result against the preset, and only then renames it into place.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shlex
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediakit import kinds
from mediakit.analysis.loudness import Loudness, OutputLoudness, file_measure_argv, output_loudness
from mediakit.errors import InputError, UsageError
from mediakit.ffmpeg.binary import ffmpeg_path
from mediakit.ffmpeg.runner import Progress, full_argv, run
from mediakit.inputs import display, local_file
from mediakit.kinds.canvas import CanvasOptions as CanvasOptions
from mediakit.kinds.clip import ClipOptions as ClipOptions
from mediakit.preset import Preset, resolve
from mediakit.probe import MediaInfo, probe
from mediakit.rendering import audio, footage
from mediakit.rendering.output import atomic_output, check_output, default_output, part_path
from mediakit.rendering.plan import Job, Level, Pass, Plan
from mediakit.report import FileReport
from mediakit.validate import self_check

log = logging.getLogger(__name__)

# The steps a render reports, in order (a kind without sound skips the loudness one).
STEPS = ("probing", "measuring loudness", "encoding", "validating")
DRAFT_WIDTH = 720
DRAFT_X264 = "ultrafast"  # veryfast left a footage clip's draft at 0.24x the default (benchmarks: clip)
DRAFT_CRF = 23


@dataclass(frozen=True)
class Event:
    """Progress of one render: the step it is on, and how far through it (0-1) when that is known."""

    step: str
    fraction: float | None = None


EventCallback = Callable[[Event], None]


class Cache:
    """What renders in one process share: one probe per unchanged file and one loudness step per identical
    mix, target and encoder (kit: every clip of a release measures its song once). Thread-safe."""

    def __init__(self) -> None:
        self._probes: dict[tuple[Any, ...], MediaInfo] = {}
        self._levels: dict[tuple[Any, ...], tuple[audio.Gain, tuple[str, ...]]] = {}
        self._lock = threading.Lock()

    def probe(self, path: str | os.PathLike[str], **kwargs: Any) -> MediaInfo:
        try:
            st = os.stat(path)
            key: tuple[Any, ...] | None = (
                os.path.abspath(path),
                st.st_mtime_ns,
                st.st_size,
                tuple(sorted(kwargs.items())),
            )
        except OSError:
            key = None  # the probe says why, in its words
        with self._lock:
            hit = self._probes.get(key) if key else None
        if hit is not None:
            return hit
        info = probe(path, **kwargs)
        if key:
            with self._lock:
                self._probes[key] = info
        return info

    def level(self, key: tuple[Any, ...]) -> tuple[audio.Gain, tuple[str, ...]] | None:
        with self._lock:
            return self._levels.get(key)

    def keep_level(self, key: tuple[Any, ...], gain: audio.Gain, commands: tuple[str, ...]) -> None:
        with self._lock:
            self._levels[key] = (gain, commands)


@dataclass(frozen=True)
class Result:
    """One render: where it went, how (the plan and every command run), and what validation said."""

    kind: str
    preset: str
    output: Path
    source: str
    source_kind: str  # "image" or "video"
    options: Any
    plan: Plan
    report: FileReport | None
    warnings: tuple[str, ...]
    seconds: float
    rendered: bool
    draft: bool = False
    commands: tuple[str, ...] = ()  # every command, in order, as run (or, with --dry-run, as it would run)
    loudness: OutputLoudness | None = None
    caption_issues: tuple[Any, ...] = field(default=())
    notes: tuple[str, ...] = ()  # what mediakit chose by looking at the source (framing, loop), and why

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "preset": self.preset,
            "output": str(self.output),
            "source": self.source,
            "source_kind": self.source_kind,
            "rendered": self.rendered,
            "draft": self.draft,
            "options": _plain(dataclasses.asdict(self.options)),
            "command": self.plan.command_line(),
            "commands": list(self.commands),
            "frames": self.plan.frames,
            "duration": self.plan.seconds,
            "loudness": dataclasses.asdict(self.loudness) if self.loudness else None,
            "validation": self.report.as_dict() if self.report else None,
            "caption_issues": [dataclasses.asdict(i) for i in self.caption_issues],
            "notes": list(self.notes),
            "warnings": list(self.warnings),
            "seconds": round(self.seconds, 3),
        }


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def draft_preset(preset: Preset) -> Preset:
    """The preset a --draft renders to: DRAFT_WIDTH wide (its shape kept, even sizes), x264 ultrafast."""
    r = preset.render
    width = min(r.width, DRAFT_WIDTH)
    height = int(round(r.height * width / r.width / 2) * 2)
    render = dataclasses.replace(r, width=width, height=height, x264_preset=DRAFT_X264, crf=DRAFT_CRF)
    return dataclasses.replace(preset, render=render)


def _draft_rules(preset: Preset) -> Preset:
    """A draft is checked against every rule but the size ones: it is small on purpose."""
    kept = tuple(r for r in preset.rules if r.check not in ("height", "size", "file-size"))
    return dataclasses.replace(preset, rules=kept)


def render(
    kind: str,
    source: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    options: Any = None,
    *,
    preset: str | Preset | None = None,
    overwrite: bool = False,
    dry_run: bool = False,
    draft: bool = False,
    ffmpeg_bin: str | None = None,
    on_event: EventCallback | None = None,
    cache: Cache | None = None,
) -> Result:
    """Render `source` as `kind` to `preset`'s spec and validate it before it replaces `output`.

    A render that fails its own validation raises RenderError and leaves nothing at the output path.
    With `dry_run` nothing is written; the loudness of a render with sound is still measured (it only reads
    the inputs) so that every command reported is exactly one a render runs.
    """
    started = time.monotonic()
    k = kinds.get(kind)
    impl = k.impl()
    opts = options if options is not None else k.options()
    if not isinstance(opts, k.options):
        raise TypeError(f"{kind} takes {k.options.__name__}, not {type(opts).__name__}")
    profile = preset if isinstance(preset, Preset) else resolve(preset or k.default_preset)
    if profile.kind != k.name:
        if profile.kind not in kinds.names():
            raise UsageError(
                f"the preset {profile.ref} is a {profile.kind!r}, which mediakit does not render",
                f"mediakit renders {', '.join(kinds.names())}: set kind to one of them",
            )
        raise UsageError(
            f"the preset {profile.name} is for a {profile.kind}, not a {k.name}",
            f"use mediakit {profile.kind} --preset {shlex.quote(profile.ref)}",
        )
    full_profile = profile
    if draft:
        profile = draft_preset(profile)
    cache = cache or Cache()
    emit = on_event or (lambda event: None)
    impl.check_options(opts, profile)  # usage errors first, before any file is touched

    emit(Event("probing"))
    info = cache.probe(source, decode=dry_run)  # a render decodes a still once, itself (load_rgb)
    for path in impl.files(opts).values():  # a missing one in the words (and exit 1) of a missing input
        local_file(path)
    if info.damage:
        raise InputError(f"{display(info.path)}: {info.damage[0]}", "export or download it again")
    if info.kind == "audio" or info.kind not in k.accepts:
        raise InputError(f"{display(info.path)}: has no video stream", "use a still image or video footage")
    info = footage.bound_duration(info)
    inputs = {}
    for role, expect in getattr(impl, "MEDIA_INPUTS", {}).items():
        path = getattr(opts, role, None)
        if path:
            inputs[role] = cache.probe(path, expect=expect)
            if expect == "audio" and not inputs[role].audio:
                raise InputError(
                    f"{display(inputs[role].path)}: has no audio stream", "--audio takes a song or sound file"
                )
    default = default_output(info.path, k.suffix(opts, full_profile.name, draft))
    target = check_output(Path(output) if output else default, info.path, overwrite, impl.output_format(opts))
    binary = ffmpeg_path(ffmpeg_bin)

    with tempfile.TemporaryDirectory(prefix=f"mediakit-{k.name}-") as work:
        job = Job(
            info=info,
            options=opts,
            preset=profile,
            output=part_path(target),
            final=target,
            ffmpeg=binary,
            workdir=Path(work),
            inputs=inputs,
            draft=draft,
        )
        prepare = getattr(impl, "prepare", None)
        if prepare is not None:
            job = dataclasses.replace(job, prepared=prepare(job))
        plan = impl.plan(job)
        commands: list[str] = []
        if plan.level is not None:
            emit(Event("measuring loudness"))
            gain = _level(impl, job, plan.level, cache, commands)
            job = dataclasses.replace(job, gain=gain)
            plan = impl.plan(job)
        checks = getattr(impl, "verify_argv", lambda job, plan: ())
        if dry_run:
            verifying = [_shown(argv) for argv in checks(job, plan)]
            return _result(
                k.name,
                full_profile,
                target,
                info,
                opts,
                plan,
                None,
                started,
                draft,
                (*commands, *plan.commands(), *verifying),
            )
        extra: dict[str, Any] = {}
        with atomic_output(target) as tmp:
            if tmp != job.output:  # the usual temp name was taken: plan for the one reserved
                job = dataclasses.replace(job, output=tmp)
                plan = impl.plan(job)
            commands += plan.commands()
            _run(plan, emit)
            emit(Event("validating"))
            checked = _draft_rules(profile) if draft else profile
            report = self_check(tmp, target, checked, k.name)
            commands += [_shown(argv) for argv in checks(job, plan)]
            extra = impl.verify(job, plan, report)
    return _result(
        k.name, full_profile, target, info, opts, plan, report, started, draft, tuple(commands), extra
    )


def _result(
    kind: str,
    preset: Preset,
    target: Path,
    info: MediaInfo,
    options: Any,
    plan: Plan,
    report: FileReport | None,
    started: float,
    draft: bool,
    commands: tuple[str, ...],
    extra: dict[str, Any] | None = None,
) -> Result:
    """A render's result (`report` None: a dry run); `extra` is what the kind's verify added."""
    extra = extra or {}
    return Result(
        kind,
        preset.name,
        target,
        str(info.path),
        info.kind,
        plan.options if plan.options is not None else options,
        plan,
        report,
        (*plan.warnings, *extra.get("warnings", ())),
        time.monotonic() - started,
        rendered=report is not None,
        draft=draft,
        commands=commands,
        loudness=extra.get("loudness"),
        caption_issues=plan.issues,
        notes=plan.notes,
    )


def _shown(argv: tuple[str, ...]) -> str:
    """A command as the runner starts it (its progress and stdin options included)."""
    return shlex.join(full_argv(argv, fed=False))


def _run(plan: Plan, emit: EventCallback) -> None:
    """Run the plan's passes in order; the encode reports how far it is through the output's length."""
    for step in plan.passes:
        _run_pass(step, plan.seconds, emit)


def _run_pass(step: Pass, seconds: float, emit: EventCallback) -> None:
    emit(Event(step.name, 0.0))
    if step.writer is not None:
        step.writer.write()
    else:
        reached = [0.0]  # ffmpeg may report no time yet (N/A) after a real one: never go backwards

        def progress(p: Progress) -> None:
            if p.done:
                emit(Event(step.name, 1.0))
            elif seconds > 0:
                reached[0] = max(reached[0], min(p.out_seconds / seconds, 1.0))
                emit(Event(step.name, reached[0]))

        run(step.argv, feed=step.source.feed if step.source is not None else None, on_progress=progress)


def _level(impl: Any, job: Job, level: Level, cache: Cache, commands: list[str]) -> audio.Gain:
    """The loudness step: measure the mix, then encode candidate gains until one reads on target (a draft
    takes the first estimate). Shared through `cache` by renders of the same mix."""
    key = (level.measure, level.target, level.true_peak, job.draft)
    hit = cache.level(key)
    if hit is not None:
        commands.extend(hit[1])
        return hit[0]
    ran = [_shown(level.measure)]
    measured = audio.measure(level.measure)
    if audio.too_quiet(measured):
        raise impl.too_quiet(job, measured)
    if job.draft:
        gain = audio.first_gain(measured, level.target, level.true_peak)
    else:
        assert job.workdir is not None
        count = [0]

        def encoded(candidate: audio.Gain) -> Loudness:
            count[0] += 1
            path = job.workdir / f"level-{count[0]}.m4a"  # type: ignore[operator]
            argv = impl.level_argv(job, candidate, path)
            ran.append(_shown(argv))
            run(argv)
            got = output_loudness(path, job.ffmpeg)
            ran.append(_shown(file_measure_argv(path, job.ffmpeg)))
            return Loudness(got.integrated, got.true_peak)

        gain = audio.fit_gain(measured, level.target, level.true_peak, encoded)
    cache.keep_level(key, gain, tuple(ran))
    commands.extend(ran)
    return gain


def render_canvas(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    options: CanvasOptions | None = None,
    **kwargs: Any,
) -> Result:
    """`render("canvas", ...)`: a silent looping visual (Spotify Canvas by default)."""
    return render("canvas", source, output, options, **kwargs)


def render_clip(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    options: ClipOptions | None = None,
    **kwargs: Any,
) -> Result:
    """`render("clip", ...)`: a vertical video with sound and captions (Spotify Clip by default)."""
    return render("clip", source, output, options, **kwargs)
