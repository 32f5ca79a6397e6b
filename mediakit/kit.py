"""`make_kit`: the release assets a cover (plus footage, song, lyrics) allows, rendered and checked."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import queue
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediakit import __version__, kinds
from mediakit.errors import InputError, MediakitError, OutputError, UsageError
from mediakit.inputs import display, local_file

log = logging.getLogger(__name__)

KIT_JSON = "kit.json"
SCHEMA_VERSION = 1
STATUSES = ("ok", "failed", "skipped")
# After an interrupt, how long running assets get to see their ffmpeg end (a terminal's Ctrl-C reaches it
# too) and remove their temp files before the kit removes what is left and stops.
STOP_GRACE = 10.0


@dataclass(frozen=True)
class Asset:
    """One deliverable of a release: which preset it is checked against, what kind of render makes it,
    which inputs beyond the cover it needs, and options that differ from its kind's defaults."""

    name: str
    preset: str
    kind: str  # "canvas" (a silent loop) or "clip" (the song from the hook, lyrics as captions)
    title: str
    needs: tuple[str, ...] = ()
    defaults: Mapping[str, Any] = field(default_factory=dict)
    # True when the platform asks that the first frame be the static cover (Apple: a distributor
    # requires it); a kit from footage says in a warning that it is not.
    cover_first: bool = False

    @property
    def filename(self) -> str:
        return f"{self.name}.mp4"

    @property
    def sheet_name(self) -> str:
        return f"{self.name}.preview.png"


# The release's assets, in kit.json's order. A new platform is a new preset plus a row here.
ASSETS: tuple[Asset, ...] = (
    Asset("canvas", "spotify-canvas", "canvas", "Spotify Canvas"),
    Asset("clip", "spotify-clip", "clip", "Spotify Clip", needs=("song",)),
    # The art must fill Apple's frame (a cover inside bars is rejected): crop, never blur or pad.
    Asset(
        "apple-tall",
        "apple-motion-tall",
        "canvas",
        "Apple Music motion artwork 3:4",
        defaults={"fit": "auto"},  # the preset takes only a crop: auto places it by the faces and text
        cover_first=True,
    ),
    Asset(
        "apple-square",
        "apple-motion-square",
        "canvas",
        "Apple Music motion artwork 1:1",
        defaults={"fit": "auto"},
        cover_first=True,
    ),
    Asset("reels", "instagram-reels", "clip", "Instagram Reels", needs=("song",)),
    Asset("tiktok", "tiktok", "clip", "TikTok", needs=("song",)),
    Asset("shorts", "youtube-shorts", "clip", "YouTube Shorts", needs=("song",)),
)
ASSET_NAMES: tuple[str, ...] = tuple(a.name for a in ASSETS)
_BY_NAME = {a.name: a for a in ASSETS}


@dataclass(frozen=True)
class KitInputs:
    """What a release gives: a still cover, and optionally footage, a song, its lyrics and the hook."""

    cover: Path
    footage: Path | None = None
    song: Path | None = None
    lyrics: Path | None = None
    hook: float = 0.0


@dataclass(frozen=True)
class Entry:
    """One asset's line in kit.json."""

    asset: str
    preset: str
    kind: str
    status: str
    path: str | None = None
    sheet: str | None = None
    reason: str | None = None
    verdict: str | None = None
    findings: tuple[dict[str, Any], ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what the render chose by looking at the source (framing, loop point)
    frames: int | None = None
    duration: float | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "preset": self.preset,
            "kind": self.kind,
            "path": self.path,
            "sheet": self.sheet,
            "status": self.status,
            "reason": self.reason,
            "verdict": self.verdict,
            "findings": list(self.findings),
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "frames": self.frames,
            "duration": self.duration,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class Job:
    """An asset to render: where, from what, with which options (a CanvasOptions or ClipOptions)."""

    asset: Asset
    source: Path
    output: Path
    sheet: Path
    options: Any
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class KitResult:
    out: Path
    entries: tuple[Entry, ...]
    interrupted: bool
    document: dict[str, Any]

    def count(self, status: str) -> int:
        return sum(1 for e in self.entries if e.status == status)


def parse_hook(text: str) -> float:
    """Seconds from `42`, `42.5`, `0:42` or `1:02.5` (M:SS); a UsageError otherwise."""
    match = re.fullmatch(r"\s*(?:(\d+):)?(\d+(?:\.\d*)?|\.\d+)\s*", text)
    if match is None or (match.group(1) is not None and float(match.group(2)) >= 60):
        raise UsageError(
            f"--hook {text!r} is not a time", "give seconds (42, 42.5) or minutes:seconds (0:42, 1:02.5)"
        )
    minutes = int(match.group(1) or 0)
    return minutes * 60 + float(match.group(2))


def choose(only: Iterable[str] = (), skip: Iterable[str] = ()) -> tuple[Asset, ...]:
    """The assets named by --only (all when empty) minus --skip; names may be comma-separated."""

    def names(values: Iterable[str], flag: str) -> list[str]:
        out = [n.strip() for v in values for n in v.split(",") if n.strip()]
        unknown = [n for n in out if n not in _BY_NAME]
        if unknown:
            raise UsageError(
                f"{flag}: unknown asset {', '.join(repr(n) for n in unknown)}",
                f"the assets are: {', '.join(ASSET_NAMES)}",
            )
        return out

    wanted = set(names(only, "--only")) or set(ASSET_NAMES)
    dropped = set(names(skip, "--skip"))
    chosen = tuple(a for a in ASSETS if a.name in wanted and a.name not in dropped)
    if not chosen:
        raise UsageError(
            "--only and --skip leave no asset to make", f"the assets are: {', '.join(ASSET_NAMES)}"
        )
    return chosen


def _installed(preset_name: str) -> str | None:
    """None when the preset is installed, else why the asset cannot be made."""
    from mediakit.preset import resolve

    try:
        resolve(preset_name)
    except UsageError:
        return f"the preset {preset_name!r} is not installed in this mediakit"
    return None


def check_inputs(inputs: KitInputs) -> None:
    """Refuse unusable inputs with one line each, before anything is written."""
    from mediakit.probe import probe

    if inputs.lyrics is not None and inputs.song is None:
        raise UsageError("--lyrics goes with --song", "add --song track.wav, or drop --lyrics")
    if inputs.hook and inputs.song is None:
        raise UsageError("--hook goes with --song", "add --song track.wav, or drop --hook")
    if inputs.hook < 0:
        raise UsageError(f"--hook {inputs.hook:g} is negative", "the hook is where the song's part starts")
    for path in (inputs.cover, inputs.footage, inputs.song, inputs.lyrics):
        if path is not None:
            local_file(path)
    cover = probe(inputs.cover, decode=True)
    if cover.kind != "image":
        raise InputError(
            f"{display(cover.path)}: the cover must be a still image (this is {cover.kind})",
            "pass the video as --footage and the cover art as COVER",
        )
    if cover.damage:
        raise InputError(f"{display(cover.path)}: {cover.damage[0]}", "export the cover again")
    if inputs.footage is not None:
        footage = probe(inputs.footage, decode=False)
        if footage.kind != "video" or footage.primary_video is None:
            raise InputError(
                f"{display(footage.path)}: --footage takes a video (this is {footage.kind})",
                "the still goes in as COVER",
            )
        if footage.damage:
            raise InputError(f"{display(footage.path)}: {footage.damage[0]}", "export or download it again")
    if inputs.song is not None:
        song = probe(inputs.song, expect="audio")
        if not song.audio:
            raise InputError(f"{display(song.path)}: has no audio stream", "--song takes the track as audio")
        if song.duration and inputs.hook >= float(song.duration):
            raise UsageError(
                f"--hook {inputs.hook:g} is past the end of {display(song.path)} "
                f"({float(song.duration):.2f} s)",
                f"choose a hook before {float(song.duration):.2f} s",
            )
    if inputs.lyrics is not None:
        from mediakit.captions import read_captions

        read_captions(inputs.lyrics)  # an unreadable file: one line now, not one failure per clip


def _options(
    asset: Asset,
    inputs: KitInputs,
    lyrics: Path | None,
    overrides: Mapping[str, Mapping[str, Any]],
) -> Any:
    """The render options of one asset: its kind's defaults, the asset's own, the inputs, then overrides."""
    cls = kinds.get(asset.kind).options
    values: dict[str, Any] = dict(asset.defaults)
    if asset.kind == "clip":
        assert inputs.song is not None
        values.update(audio=str(inputs.song), audio_start=inputs.hook)
        if lyrics is not None:
            values["captions"] = str(lyrics)
        if inputs.footage is None:
            # A still has no time of its own: --start only moves the captions, so the lyrics (in the
            # song's time) line up with the song from the hook.
            values["start"] = inputs.hook
    for scope in ("*", asset.name):
        values.update(overrides.get(scope, {}))
    known = {f.name for f in dataclasses.fields(cls)}
    wrong = sorted(set(values) - known)
    if wrong:
        raise UsageError(
            f"{asset.name}: unknown option(s) {', '.join(wrong)}", f"options: {', '.join(sorted(known))}"
        )
    return cls(**values)


def shifted_lyrics(path: Path, hook: float, workdir: Path) -> Path:
    """The lyrics with the hook at 0 s, for clips cut from footage (whose own time starts at 0).

    Written as ASS so karaoke syllable timings survive; cues before the hook are dropped, one that spans
    it is cut there.
    """
    from mediakit.captions import read_captions, retime

    cues = retime(read_captions(path).cues, hook, float("inf"))
    lines = [
        "[Script Info]",
        "ScriptType: v4.00+",
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    for cue in cues:
        if cue.words:
            text = "".join(
                f"{{\\k{max(0, round((w.end - w.start) * 100))}}}{_ass_text(w.text)}" for w in cue.words
            )
        else:
            text = _ass_text(cue.text)
        lines.append(f"Dialogue: 0,{_ass_clock(cue.start)},{_ass_clock(cue.end)},Default,,0,0,0,,{text}")
    out = workdir / "lyrics-from-hook.ass"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def _ass_text(text: str) -> str:
    # Braces would open an override block and a backslash a tag: neither is text in ASS.
    return text.replace("\\", "\u29f5").replace("{", "(").replace("}", ")").replace("\n", "\\N")


def _ass_clock(seconds: float) -> str:
    cs = round(seconds * 100)
    return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


def plan_kit(
    inputs: KitInputs,
    out: Path,
    assets: Sequence[Asset],
    workdir: Path,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[list[Job], list[Entry]]:
    """The jobs to run, and the entries of the assets that cannot be made (with the reason why)."""
    jobs: list[Job] = []
    skipped: list[Entry] = []
    lyrics = inputs.lyrics
    if lyrics is not None and inputs.footage is not None and inputs.hook > 0:
        lyrics = shifted_lyrics(lyrics, inputs.hook, workdir)
    for asset in assets:
        missing = [n for n in asset.needs if getattr(inputs, n) is None]
        reason = f"needs --{', --'.join(missing)}" if missing else _installed(asset.preset)
        if reason is not None:
            skipped.append(Entry(asset.name, asset.preset, asset.kind, "skipped", reason=reason))
            continue
        source = inputs.footage or inputs.cover
        notes: tuple[str, ...] = ()
        if asset.cover_first and inputs.footage is not None:
            notes = (
                f"made from --footage: its first frame is the footage's, not the cover {asset.title} "
                "expects (a distributor requires the first frame to equal the static cover)",
            )
        options = _options(asset, inputs, lyrics, overrides or {})
        jobs.append(Job(asset, source, out / asset.filename, out / asset.sheet_name, options, notes))
    return jobs, skipped


def _work(job: Job) -> float:
    """Roughly how much encoding an asset is: pixels per frame times seconds (a still's clip: 15 s)."""
    from mediakit.preset import resolve

    spec = resolve(job.asset.preset).render
    seconds = job.options.duration or (spec.duration if job.asset.kind == "canvas" else 15.0)
    return spec.width * spec.height * seconds


def _with_threads(job: Job, threads: int) -> Job:
    if job.options.threads is not None:  # chosen by the caller's overrides
        return job
    return dataclasses.replace(job, options=dataclasses.replace(job.options, threads=threads))


def _render(
    job: Job,
    *,
    draft: bool,
    ffmpeg_bin: str | None,
    cache: Any = None,
    on_event: Callable[[Any], None] | None = None,
) -> Any:
    """The one call into the renderers: the pipeline, sharing `cache` (one probe of each input, one decode
    of the cover, one loudness step for every clip of the same song part) with the kit's other assets."""
    from mediakit.pipeline import render

    return render(
        job.asset.kind,
        job.source,
        job.output,
        job.options,
        preset=job.asset.preset,
        overwrite=True,
        draft=draft,
        ffmpeg_bin=ffmpeg_bin,
        cache=cache,
        on_event=on_event,
    )


def make_asset(
    job: Job,
    *,
    draft: bool = False,
    ffmpeg_bin: str | None = None,
    on_progress: Callable[[str, float], None] | None = None,
    cache: Any = None,
) -> Entry:
    """Render, validate and preview one asset; every error becomes a `failed` entry (never raises).
    `on_progress` gets (asset name, how far through its current step, 0-1)."""
    from mediakit.preview import render_preview

    started = time.monotonic()
    asset = job.asset

    def failed(reason: str) -> Entry:
        return Entry(
            asset.name, asset.preset, asset.kind, "failed", reason=reason, seconds=time.monotonic() - started
        )

    try:
        progress = None
        if on_progress is not None:
            report_progress = on_progress

            def progress(event: Any) -> None:
                if event.fraction is not None:
                    report_progress(asset.name, event.fraction)

        result = _render(job, draft=draft, ffmpeg_bin=ffmpeg_bin, cache=cache, on_event=progress)
        warnings = [*job.notes, *result.warnings]
        # The lyrics are the whole song's: most of their lines are outside the clip by design, and what
        # the lint finds in those lines (too fast, too short) is not about this clip.
        first = getattr(job.options, "start", 0.0)
        last = first + result.plan.seconds

        def in_clip(issue: Any) -> bool:
            shown = issue.start is None or first - 1e-6 <= issue.start < last
            return shown and issue.rule != "outside-window"

        issues = [i for i in getattr(result, "caption_issues", ()) if in_clip(i)]
        warnings += [f"caption {i.rule}: {i.message}" for i in issues]
        # The pipeline validated the file against the preset before renaming it into place (a draft against
        # every rule but the size ones: it is small on purpose).
        report = result.report
        sheet = render_preview(job.output, job.sheet, preset=asset.preset)
    except MediakitError as exc:
        return failed(str(exc))
    except OSError as exc:
        return failed(f"{exc.filename or job.output}: {exc.strerror or exc}")
    except Exception as exc:  # a bug in one asset must not hide the others' results
        log.debug("asset %s raised", asset.name, exc_info=True)
        return failed(f"internal error: {type(exc).__name__}: {exc}")
    verdict = report.verdict()
    return Entry(
        asset.name,
        asset.preset,
        asset.kind,
        "failed" if verdict == "fail" else "ok",
        path=str(job.output),
        sheet=str(sheet),
        reason=f"fails {asset.preset}" if verdict == "fail" else None,
        verdict=verdict,
        findings=tuple(f.as_dict() for f in report.findings),
        warnings=tuple(warnings),
        notes=tuple(result.notes),
        frames=result.plan.frames,
        duration=round(result.plan.seconds, 3),
        seconds=time.monotonic() - started,
    )


def _existing(jobs: Iterable[Job], out: Path) -> list[Path]:
    paths = [p for job in jobs for p in (job.output, job.sheet)] + [out / KIT_JSON]
    return [p for p in paths if os.path.lexists(p)]


def make_kit(
    inputs: KitInputs,
    out: str | os.PathLike[str],
    *,
    only: Iterable[str] = (),
    skip: Iterable[str] = (),
    workers: int | None = None,
    draft: bool = False,
    overwrite: bool = False,
    ffmpeg_bin: str | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    on_plan: Callable[[list[Job], list[Entry], int, int], None] | None = None,
    on_done: Callable[[Entry], None] | None = None,
    on_progress: Callable[[str, float], None] | None = None,
) -> KitResult:
    """Make every asset `inputs` allow into folder `out`, with a contact sheet each and kit.json.

    Usage and input problems, an existing output (without `overwrite`) and a missing ffmpeg raise before
    anything is written. After that nothing raises for one asset's sake: each ends `ok`, `failed` (with the
    reason) or `skipped` (an input it needs is missing, or its preset is not installed), all are reported,
    and kit.json is written. `overrides` maps an asset name (or "*" for all) to option values, e.g.
    {"*": {"x264_preset": "ultrafast"}}. A KeyboardInterrupt stops the running renders (no partial files).
    `on_plan` and `on_done` are called in the calling thread; `on_progress` (asset name, seconds of output
    encoded) in the thread rendering that asset.
    """
    from mediakit.batch.engine import cores
    from mediakit.ffmpeg.binary import ffmpeg_path

    started = time.monotonic()
    out = Path(os.path.abspath(os.fsdecode(out)))
    assets = choose(only, skip)
    check_inputs(inputs)
    binary = ffmpeg_path(ffmpeg_bin)
    emit = on_done or (lambda entry: None)
    with tempfile.TemporaryDirectory(prefix="mediakit-kit-") as work:
        jobs, skipped = plan_kit(inputs, out, assets, Path(work), overrides)
        n = max(1, min(workers or cores(), len(jobs) or 1))
        threads = max(1, cores() // n)  # the cores shared out: n encoders at once, not n x all cores
        # The biggest first: with fewer workers than assets, the 3840x3840 one does not start last, alone.
        jobs = sorted((_with_threads(job, threads) for job in jobs), key=_work, reverse=True)
        existing = _existing(jobs, out)
        if existing and not overwrite:
            more = f" and {len(existing) - 1} more" if len(existing) > 1 else ""
            raise OutputError(
                f"{display(existing[0])}{more} already exist",
                "pass --overwrite to replace them, or choose another -o",
            )
        from mediakit.rendering.output import make_folder

        make_folder(out)
        if on_plan is not None:
            on_plan(jobs, skipped, n, threads)
        for entry in skipped:
            emit(entry)
        done, interrupted = _run(jobs, n, draft, binary, emit, on_progress)
    entries = tuple(skipped) + tuple(done)
    order = {name: i for i, name in enumerate(ASSET_NAMES)}
    entries = tuple(sorted(entries, key=lambda e: order[e.asset]))
    document = {
        "mediakit": __version__,
        "schema": SCHEMA_VERSION,
        "inputs": {
            "cover": str(inputs.cover),
            "footage": str(inputs.footage) if inputs.footage else None,
            "song": str(inputs.song) if inputs.song else None,
            "lyrics": str(inputs.lyrics) if inputs.lyrics else None,
            "hook": inputs.hook,
        },
        "draft": draft,
        "interrupted": interrupted,
        "assets": [e.as_dict() for e in entries],
        "totals": {s: sum(1 for e in entries if e.status == s) for s in STATUSES},
        "seconds": round(time.monotonic() - started, 3),
    }
    _write_json(out / KIT_JSON, document)
    return KitResult(out, entries, interrupted, document)


def _write_json(path: Path, document: Any) -> None:
    """Atomically, with the mode any new file gets (readers never see half a manifest)."""
    import json

    from mediakit.rendering.output import atomic_output

    with atomic_output(path) as tmp:
        tmp.write_text(
            json.dumps(document, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
        )


def _run(
    jobs: list[Job],
    workers: int,
    draft: bool,
    ffmpeg_bin: str,
    emit: Callable[[Entry], None],
    on_progress: Callable[[str, float], None] | None = None,
) -> tuple[list[Entry], bool]:
    """Run `jobs` on `workers` threads, calling `emit` in this thread as each ends.

    Threads, so the assets of one kit can share what they have in common in this process. On an interrupt
    their ffmpeg children are stopped and they are given STOP_GRACE seconds to clean up; they are daemon
    threads, so one that does not end by then is abandoned, and its temp file is removed here.
    """
    from mediakit.pipeline import Cache

    cache = Cache()
    todo: queue.Queue[Job | None] = queue.Queue()
    results: queue.Queue[Entry] = queue.Queue()
    for job in jobs:
        todo.put(job)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                job = todo.get_nowait()
            except queue.Empty:
                return
            if job is None:
                return
            results.put(
                make_asset(job, draft=draft, ffmpeg_bin=ffmpeg_bin, on_progress=on_progress, cache=cache)
            )

    began = time.time()
    threads = [threading.Thread(target=serve, daemon=True, name=f"mediakit-kit-{i}") for i in range(workers)]
    for t in threads:
        t.start()
    done: list[Entry] = []
    try:
        while len(done) < len(jobs):
            with contextlib.suppress(queue.Empty):
                entry = results.get(timeout=0.5)
                done.append(entry)
                emit(entry)
    except KeyboardInterrupt:
        stop.set()
        deadline = time.monotonic() + STOP_GRACE
        with contextlib.suppress(KeyboardInterrupt):
            # Again and again: a render between two ffmpeg runs (a clip measures its loudness first)
            # starts the next one after the first kill.
            while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
                _stop_children(ffmpeg_bin)
                for t in threads:
                    t.join(timeout=0.05)
            while not results.empty():
                done.append(results.get_nowait())
        _remove_leftovers(jobs, {e.asset for e in done}, began)
        finished = {e.asset for e in done}
        done += [
            Entry(
                j.asset.name, j.asset.preset, j.asset.kind, "failed", reason="interrupted before it finished"
            )
            for j in jobs
            if j.asset.name not in finished
        ]
        return done, True
    return done, False


def _stop_children(ffmpeg_bin: str) -> None:
    """Kill this process's ffmpeg children, as the runner does on Ctrl-C in the thread that runs it (a
    SIGTERM sent to mediakit alone reaches neither them nor the worker threads; a graceful SIGTERM to an
    ffmpeg fed frames on stdin left it waiting on that pipe). Each render then fails and removes its temp
    file."""
    import signal

    for task in Path("/proc/self/task").glob("*/children"):  # Linux; elsewhere the grace period remains
        with contextlib.suppress(OSError, ValueError):
            for pid in task.read_text().split():
                # Only the kit's ffmpeg: a program calling make_kit may have children of its own.
                if os.path.realpath(f"/proc/{pid}/exe") != os.path.realpath(ffmpeg_bin):
                    continue
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(int(pid), signal.SIGKILL)


def _remove_leftovers(jobs: Iterable[Job], finished: set[str], since: float) -> None:
    from mediakit.batch.local import remove_temp_files

    for job in jobs:
        if job.asset.name not in finished:
            remove_temp_files(job.output, since)
            remove_temp_files(job.sheet, since)
