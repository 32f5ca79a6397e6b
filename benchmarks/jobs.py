"""The benchmark jobs: each contestant's exact argv, how its result is checked, and the job's targets.

The x264 settings of the ffmpeg and moviepy contestants are not retyped: they are the output options of
mediakit's own `--dry-run` command line for the same job, so every contestant encodes with identical
settings (and a change in mediakit's settings moves every contestant with it).
"""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from media import FFMPEG, VALIDATE_COUNT, Inputs, ffmpeg

FPS = 30
SECONDS = 7
FRAMES = SECONDS * FPS  # 210: what every canvas contestant must produce
SIZE = (1080, 1920)
DRAFT_SIZE = (720, 1280)  # --draft: 720 wide, the preset's 9:16 shape
# The bar for --draft: at least 5x faster than the default render of the same job.
DRAFT_LIMIT = 0.2
ZOOM = 1.12
BT709_TAGS = "setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709"
QUIET = ("-hide_banner", "-loglevel", "error", "-nostdin")

# Given the run's stdout file: what is wrong with the result, or None when it is good.
Check = Callable[[Path], "str | None"]


@dataclass(frozen=True)
class Contestant:
    name: str
    argv: tuple[str, ...]
    check: Check
    output: Path | None = None  # deleted before every run, so a failed run cannot pass on an old file
    setup: Callable[[], None] | None = None  # untimed work before each run (e.g. preparing raw frames)
    # Informational contestants with no target (moviepy, zoompan) are slow and only need an order of
    # magnitude: they run in the first repetition only, unless run.py gets --all-reps.
    once: bool = False
    exit_codes: tuple[int, ...] = (0,)  # `mediakit fix` exits 1 when a file cannot be fixed, by design


@dataclass(frozen=True)
class Target:
    contestant: str
    metric: str  # "ratio" (median time / reference), "seconds" (median wall time), "rss_mb" (peak RSS)
    limit: float
    label: str
    # For a "ratio": the contestant it is paired against, when that is not the job's reference (a draft
    # against the default render of the same job); the pair is then reported among the comparisons too.
    against: str | None = None


@dataclass(frozen=True)
class Job:
    name: str
    summary: str
    reference: str | None
    contestants: tuple[Contestant, ...]
    targets: tuple[Target, ...] = ()
    compare: tuple[tuple[str, str], ...] = ()  # extra (a, b) pairs reported as a / b
    # pairs (a, b) also reported as (a - reference) / (b - reference): when the reference is a cost both
    # contestants pay (the encoder's), this compares only the work each adds on top of it
    compare_beyond_reference: tuple[tuple[str, str], ...] = ()
    per_item: int | None = None  # items processed per run (per-file figures for validate)
    notes: tuple[str, ...] = field(default=())
    # (contestant, describe): figures read from that contestant's last valid stdout, printed under the
    # table and kept in latest.json (fix-folder: actions per class, statuses, bytes)
    details: tuple[str, Callable[[Path], dict[str, object]]] | None = None


@dataclass(frozen=True)
class Env:
    python: str
    mediakit: tuple[str, ...]
    work: Path
    inputs: Inputs


# --- checks -----------------------------------------------------------------------------------------------


def check_video(path: Path, frames: int = FRAMES, size: tuple[int, int] = SIZE) -> str | None:
    """The output exists and is H.264 yuv420p at `size` with exactly `frames` frames (counted by demuxing)."""
    import av

    if not path.is_file() or path.stat().st_size == 0:
        return f"no output at {path.name}"
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return "no video stream"
            stream = container.streams.video[0]
            cc = stream.codec_context
            got = (cc.name, cc.width, cc.height, cc.pix_fmt)
            count = sum(1 for packet in container.demux(stream) if packet.size)
    except av.error.FFmpegError as exc:
        return f"unreadable output: {exc}"
    if got != ("h264", *size, "yuv420p"):
        return f"got {got}, expected h264 {size[0]}x{size[1]} yuv420p"
    if count != frames:
        return f"{count} frames, expected {frames}"
    return None


def _video(path: Path, frames: int = FRAMES, size: tuple[int, int] = SIZE) -> Check:
    return lambda _stdout: check_video(path, frames, size)


def _validate_report(count: int) -> Check:
    def check(stdout: Path) -> str | None:
        try:
            doc = json.loads(stdout.read_text())
        except (OSError, ValueError) as exc:
            return f"no JSON report on stdout ({exc})"
        files, summary = doc.get("files", []), doc.get("summary", {})
        if len(files) != count:
            return f"{len(files)} files reported, expected {count}"
        passed = summary.get("pass", 0) + summary.get("warn", 0)
        if passed != count:
            return f"only {passed} of {count} valid files pass: {summary}"
        return None

    return check


def _version(stdout: Path) -> str | None:
    return None if "mediakit" in stdout.read_text() else "no version on stdout"


# --- mediakit's own plan ----------------------------------------------------------------------------------


def plan(env: Env, kind: str, args: list[str], frames: int) -> dict[str, object]:
    """mediakit's plan for `mediakit KIND ARGS`, from `--dry-run --json` (it must make `frames` frames)."""
    done = subprocess.run(
        [*env.mediakit, kind, *args, "--dry-run", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"mediakit {kind} {shlex.join(args)} --dry-run failed: {done.stderr.strip()}")
    planned: dict[str, object] = json.loads(done.stdout)
    if planned["frames"] != frames:
        raise RuntimeError(f"mediakit plans {planned['frames']} frames, the benchmark expects {frames}")
    return planned


def dry_run(env: Env, args: list[str]) -> list[str]:
    """The argv of the encode of `mediakit canvas ARGS` (without the runner's progress options)."""
    return shlex.split(str(plan(env, "canvas", args, FRAMES)["command"]))


def part_path(output: Path) -> Path:
    """Where mediakit's encode writes before validating and renaming: `.STEM.part.mp4` beside `output`."""
    return output.with_name(f".{output.stem}.part{output.suffix}")


def encoder_options(argv: list[str]) -> list[str]:
    """The output options of a single-output ffmpeg argv: everything after `-map X`, before the file name."""
    last_map = len(argv) - 1 - argv[::-1].index("-map")
    options = argv[last_map + 2 : -1]
    if options[options.index("-c:v") + 1] != "libx264":
        raise RuntimeError(f"unexpected encoder options in mediakit's plan: {shlex.join(options)}")
    return options


def _without(options: list[str], name: str) -> list[str]:
    i = options.index(name)
    return options[:i] + options[i + 2 :]


def _even(x: float) -> int:
    return round(x / 2) * 2


def _probe_size(path: Path) -> tuple[int, int]:
    import av

    with av.open(str(path)) as container:
        cc = container.streams.video[0].codec_context
        return cc.width, cc.height


# --- the jobs ---------------------------------------------------------------------------------------------


def validate_job(env: Env) -> Job:
    folder = env.inputs.validate_dir
    return Job(
        name="validate-100",
        summary=f"mediakit validate on {VALIDATE_COUNT} small MP4s in one command, start-up included",
        reference=None,
        contestants=(
            Contestant(
                "mediakit validate",
                (*env.mediakit, "validate", str(folder), "--json"),
                _validate_report(VALIDATE_COUNT),
            ),
            Contestant("mediakit --version", (*env.mediakit, "--version"), _version),
        ),
        targets=(Target("mediakit validate", "seconds", 3.0, f"{VALIDATE_COUNT} files ≤ 3 s"),),
        per_item=VALIDATE_COUNT,
    )


def _moviepy(
    env: Env, kind: str, source: Path, out: Path, options: list[str], *extra: str
) -> tuple[str, ...]:
    script = Path(__file__).with_name("moviepy_canvas.py")
    head = (env.python, str(script), kind, str(source), str(out), "--frames", str(FRAMES), *extra)
    return (*head, "--", *_without(options, "-c:v"))  # moviepy names the codec itself


def _contestant(
    name: str, argv: tuple[str, ...], out: Path, setup: Callable[[], None] | None = None, once: bool = False
) -> Contestant:
    return Contestant(name, argv, _video(out), out, setup, once)


DRAFT_NOTE = (
    "mediakit --draft = the same command with --draft (720x1280, x264 ultrafast, CRF 23; a clip's loudness "
    "step takes its first estimate instead of encoding candidates); its ratio is against mediakit's "
    "default render in the same repetition"
)


def _draft_target() -> Target:
    label = f"mediakit --draft / mediakit (same job) ≤ {DRAFT_LIMIT:.2f}× (≥ {1 / DRAFT_LIMIT:g}× faster)"
    return Target("mediakit --draft", "ratio", DRAFT_LIMIT, label, against="mediakit")


def still_job(env: Env) -> Job:
    work = env.work / "canvas-still"
    work.mkdir(parents=True, exist_ok=True)
    cover = env.inputs.cover
    outs = {k: work / f"{k}.mp4" for k in ("mediakit", "draft", "own-frames", "moviepy", "zoompan")}
    raw = work / "mediakit-frames.yuv"
    args = [str(cover), "-o", str(outs["mediakit"]), "--overwrite"]
    draft = [str(cover), "-o", str(outs["draft"]), "--overwrite", "--draft"]
    planned = dry_run(env, args)
    # The encode writes a temp name beside the output (renamed after validation): the reference swaps
    # that last argument for its own output, so check it is the one expected.
    if planned[-1] != str(part_path(outs["mediakit"])) or "pipe:0" not in planned:
        raise RuntimeError(f"unexpected still plan: {shlex.join(planned)}")
    # The reference: mediakit's exact ffmpeg command, fed mediakit's frames from a file instead of a pipe.
    own = [planned[0], *QUIET, *planned[1:-1], str(outs["own-frames"])]
    own[own.index("pipe:0")] = str(raw)
    options = encoder_options(planned)

    def decode_frames() -> None:
        # Once per benchmark run, from the first mediakit render of this run (mediakit runs first).
        if not raw.exists():
            ffmpeg("-i", str(outs["mediakit"]), "-f", "rawvideo", "-pix_fmt", "yuv420p", str(raw))

    crop_w = _even(min(_probe_size(cover)) * SIZE[0] / SIZE[1])
    zoom = (
        f"zoompan=z='1+{(ZOOM - 1) / 2:g}*(1-cos(2*PI*on/{FRAMES}))'"
        f":x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2':d={FRAMES}:s={SIZE[0]}x{SIZE[1]}:fps={FPS}"
    )
    zoompan = (FFMPEG, *QUIET, "-y", "-i", str(cover), "-vf", f"crop={crop_w}:ih,{zoom},{BT709_TAGS}")
    return Job(
        name="canvas-still",
        summary="7 s push-in canvas from a 3000x3000 PNG (1080x1920, 30 fps, CRF 20, x264 slow)",
        reference="own-frames (ffmpeg)",
        contestants=(
            _contestant("mediakit", (*env.mediakit, "canvas", *args), outs["mediakit"]),
            Contestant(
                "mediakit --draft",
                (*env.mediakit, "canvas", *draft),
                _video(outs["draft"], FRAMES, DRAFT_SIZE),
                outs["draft"],
            ),
            _contestant("own-frames (ffmpeg)", tuple(own), outs["own-frames"], setup=decode_frames),
            _contestant(
                "moviepy 2",
                _moviepy(env, "still", cover, outs["moviepy"], options, "--zoom", str(ZOOM)),
                outs["moviepy"],
                once=True,
            ),
            _contestant(
                "zoompan one-liner", (*zoompan, *options, str(outs["zoompan"])), outs["zoompan"], once=True
            ),
        ),
        targets=(
            Target("mediakit", "ratio", 1.10, "mediakit / encode of its own frames ≤ 1.10×"),
            _draft_target(),
        ),
        compare=(
            ("mediakit --draft", "mediakit"),
            ("moviepy 2", "mediakit"),
            ("zoompan one-liner", "mediakit"),
        ),
        compare_beyond_reference=(("moviepy 2", "mediakit"),),
        notes=(
            DRAFT_NOTE,
            "own-frames = mediakit's --dry-run command reading mediakit's output, decoded to raw yuv420p, "
            "from a file instead of the pipe: the x264 cost of the same frames, nothing else",
            "beyond own-frames = each contestant's time minus own-frames' in the same repetition: the work "
            "it adds to encoding (moviepy encodes its own frames, of the same picture)",
        ),
    )


def _pingpong_one_liner(source: Path, options: list[str], out: Path) -> tuple[str, ...]:
    """The hand-written ffmpeg ping-pong: trim, crop to 9:16, scale, split, reverse, concat."""
    _, h = _probe_size(source)
    crop_w = _even(h * SIZE[0] / SIZE[1])
    forward = FRAMES // 2 + 1  # 106 frames forwards, then 104 backwards: no turnaround frame twice
    graph = (
        f"[0:v]trim=end_frame={forward},setpts=PTS-STARTPTS,crop={crop_w}:{h},"
        f"scale={SIZE[0]}:{SIZE[1]}:flags=lanczos,format=yuv420p,split[fwd][rev];"
        f"[rev]reverse,trim=start_frame=1:end_frame={forward - 1},setpts=PTS-STARTPTS[back];"
        f"[fwd][back]concat=n=2:v=1:a=0,{BT709_TAGS}[v]"
    )
    seconds = f"{(forward + 2) / FPS:g}"  # as much input as mediakit reads (two spare frames)
    head = (FFMPEG, *QUIET, "-y", "-t", seconds, "-i", str(source), "-filter_complex", graph, "-map", "[v]")
    return (*head, *options, str(out))


def _footage_job(
    env: Env,
    name: str,
    source: Path,
    summary: str,
    with_moviepy: bool,
    targets: tuple[Target, ...],
    with_draft: bool = False,
) -> Job:
    work = env.work / name
    work.mkdir(parents=True, exist_ok=True)
    outs = {k: work / f"{k}.mp4" for k in ("mediakit", "draft", "one-liner", "moviepy")}
    args = [str(source), "--loop", "pingpong", "--duration", str(SECONDS), "-o", str(outs["mediakit"])]
    args.append("--overwrite")
    options = encoder_options(dry_run(env, args))
    contestants = [_contestant("mediakit", (*env.mediakit, "canvas", *args), outs["mediakit"])]
    if with_draft:
        draft = [*args[: args.index("-o")], "-o", str(outs["draft"]), "--overwrite", "--draft"]
        check = _video(outs["draft"], FRAMES, DRAFT_SIZE)
        contestants.append(
            Contestant("mediakit --draft", (*env.mediakit, "canvas", *draft), check, outs["draft"])
        )
        targets = (*targets, _draft_target())
    contestants.append(
        _contestant(
            "one-liner (ffmpeg)", _pingpong_one_liner(source, options, outs["one-liner"]), outs["one-liner"]
        )
    )
    if with_moviepy:
        argv = _moviepy(env, "pingpong", source, outs["moviepy"], options)
        contestants.append(_contestant("moviepy 2", argv, outs["moviepy"], once=True))
    return Job(
        name=name,
        summary=summary,
        reference="one-liner (ffmpeg)",
        contestants=tuple(contestants),
        targets=targets,
        compare=(("moviepy 2", "mediakit"),) if with_moviepy else (),
        notes=(DRAFT_NOTE,) if with_draft else (),
    )


def pingpong_job(env: Env) -> Job:
    return _footage_job(
        env,
        "canvas-pingpong",
        env.inputs.footage,
        "7 s ping-pong canvas from 1920x1080 footage (crop 9:16, scale to 1080x1920, x264 slow)",
        with_moviepy=True,
        targets=(Target("mediakit", "ratio", 1.05, "mediakit / hand-written one-liner ≤ 1.05×"),),
        with_draft=True,
    )


def uhd_job(env: Env) -> Job:
    return _footage_job(
        env,
        "canvas-4k",
        env.inputs.uhd,
        "the same ping-pong from 3840x2160 footage: peak RSS of the whole process tree, and time",
        with_moviepy=False,
        targets=(
            Target("mediakit", "rss_mb", 600, "mediakit peak RSS (python + ffmpeg) ≤ 600 MB"),
            # The bar for every footage canvas, 4K included (its feeder finishes before x264 starts).
            Target("mediakit", "ratio", 1.05, "mediakit / hand-written one-liner ≤ 1.05×"),
        ),
    )


# --- clip -------------------------------------------------------------------------------------------------

CLIP_SECONDS = 15
CLIP_FRAMES = CLIP_SECONDS * FPS  # 450


def check_clip(path: Path, size: tuple[int, int] = SIZE) -> str | None:
    """check_video at 450 frames, plus an AAC stereo 48 kHz track at least 14.9 s long."""
    problem = check_video(path, frames=CLIP_FRAMES, size=size)
    if problem:
        return problem
    import av

    with av.open(str(path)) as container:
        if not container.streams.audio:
            return "no audio stream"
        stream = container.streams.audio[0]
        cc = stream.codec_context
        got = (cc.name, cc.sample_rate, cc.channels)
        seconds = float(stream.duration * stream.time_base) if stream.duration else 0.0
    if got != ("aac", 48000, 2):
        return f"audio is {got}, expected aac 48000 Hz stereo"
    if seconds < CLIP_SECONDS - 0.1:
        return f"audio lasts {seconds:.2f} s, expected {CLIP_SECONDS} s"
    return None


def clip_dry_run(env: Env, args: list[str]) -> list[str]:
    """The argv of the final encode of `mediakit clip ARGS` (the loudness passes come before it)."""
    return shlex.split(str(plan(env, "clip", args, CLIP_FRAMES)["command"]))


def clip_video_options(argv: list[str]) -> list[str]:
    """The video part of mediakit's clip output options: from `-c:v` up to `-c:a`, without `-frames:v`."""
    options = encoder_options(argv)
    options = options[options.index("-c:v") : options.index("-c:a")]
    return _without(options, "-frames:v") if "-frames:v" in options else options


def _mediakit_ass(env: Env, path: Path) -> Path:
    """The ASS file mediakit burns in, made with its own library (the dry run's copy is deleted with it)."""
    from mediakit.captions import load_captions, retime, to_ass
    from mediakit.fonts import CAPTION_FONT, CAPTION_FONT_NAME
    from mediakit.preset import resolve

    zone = resolve("clip").safe_zone
    if zone is None:
        raise RuntimeError("the clip preset has no safe zone")
    cues = retime(load_captions(env.inputs.lyrics), 0.0, CLIP_SECONDS)
    text = to_ass(
        cues, size=SIZE, safe_zone=zone, style="outline", font_name=CAPTION_FONT_NAME, font_path=CAPTION_FONT
    )
    path.write_text(text, encoding="utf-8")
    return path


def clip_job(env: Env) -> Job:
    from mediakit.fonts import CAPTION_FONT, FONT_DIR

    work = env.work / "clip"
    work.mkdir(parents=True, exist_ok=True)
    source, lyrics = env.inputs.clip_footage, env.inputs.lyrics
    outs = {k: work / f"{k}.mp4" for k in ("mediakit", "draft", "ffmpeg", "moviepy")}
    common = [str(source), "--captions", str(lyrics), "--duration", str(CLIP_SECONDS), "--overwrite"]
    args = [*common, "-o", str(outs["mediakit"])]
    draft = [*common, "-o", str(outs["draft"]), "--draft"]
    video_options = clip_video_options(clip_dry_run(env, args))
    ass = _mediakit_ass(env, work / "captions.ass")
    here = Path(__file__).parent
    seconds = ("--seconds", str(CLIP_SECONDS))
    reference = (
        env.python,
        str(here / "ffmpeg_clip.py"),
        FFMPEG,
        str(source),
        str(ass),
        str(FONT_DIR),
        str(outs["ffmpeg"]),
        *seconds,
        "--",
        *video_options,
    )
    moviepy = (
        env.python,
        str(here / "moviepy_clip.py"),
        str(source),
        str(lyrics),
        str(CAPTION_FONT),
        str(outs["moviepy"]),
        *seconds,
        "--",
        *_without(video_options, "-c:v"),  # moviepy names the codec itself
    )

    return Job(
        name="clip",
        summary="15 s Clip from 1080p footage + audio and 4 SRT captions (1080x1920, x264 slow, -14 LUFS)",
        reference="two-pass (ffmpeg)",
        contestants=(
            _clip_contestant("mediakit", (*env.mediakit, "clip", *args), outs["mediakit"]),
            _clip_contestant("mediakit --draft", (*env.mediakit, "clip", *draft), outs["draft"], DRAFT_SIZE),
            _clip_contestant("two-pass (ffmpeg)", reference, outs["ffmpeg"]),
            _clip_contestant("moviepy 2", moviepy, outs["moviepy"], once=True),
        ),
        targets=(
            Target("mediakit", "ratio", 1.05, "mediakit / hand-written two-pass ffmpeg ≤ 1.05×"),
            _draft_target(),
        ),
        compare=(("mediakit --draft", "mediakit"), ("moviepy 2", "mediakit")),
        notes=(
            DRAFT_NOTE,
            "two-pass (ffmpeg) = a stdlib-only Python driver (benchmarks/ffmpeg_clip.py) running the "
            "loudnorm measuring pass, then one render (crop, scale, ass= with mediakit's own ASS file, "
            "loudnorm linear second pass); both passes timed together. mediakit's loudness step is its own: "
            "an ebur128 pass over the mix, then the audio alone encoded to AAC and re-measured for each "
            "candidate gain until one reads on target; after the render it validates the output and "
            "re-measures its loudness. The reference does none of that",
            "moviepy 2: captions via SubtitlesClip + TextClip (Pillow, DejaVu Sans Bold, not mediakit's "
            "safe-zone layout); audio peak-normalized with AudioNormalize (moviepy has no loudness "
            "normalization), so its output is not -14 LUFS",
        ),
    )


def _clip_contestant(
    name: str, argv: tuple[str, ...], out: Path, size: tuple[int, int] = SIZE, once: bool = False
) -> Contestant:
    return Contestant(name, argv, lambda _stdout: check_clip(out, size), out, once=once)


def clip_still_job(env: Env) -> Job:
    """A Clip from a still, a song and captions: the default render against --draft (no hand-written
    equivalent: ffmpeg has no subpixel push-in, see zoompan in canvas-still)."""
    work = env.work / "clip-still"
    work.mkdir(parents=True, exist_ok=True)
    outs = {k: work / f"{k}.mp4" for k in ("mediakit", "draft")}
    inputs = env.inputs
    common = [str(inputs.cover), "--audio", str(inputs.song), "--captions", str(inputs.lyrics)]
    common += ["--duration", str(CLIP_SECONDS), "--overwrite"]
    args = [*common, "-o", str(outs["mediakit"])]
    draft = [*common, "-o", str(outs["draft"]), "--draft"]
    for a in (args, draft):  # set-up fails here, with mediakit's words, if either cannot be planned
        plan(env, "clip", a, CLIP_FRAMES)
    return Job(
        name="clip-still",
        summary="15 s Clip from the 3000x3000 still + a WAV song + 4 SRT captions: --draft vs the default",
        reference="mediakit",
        contestants=(
            _clip_contestant("mediakit", (*env.mediakit, "clip", *args), outs["mediakit"]),
            _clip_contestant("mediakit --draft", (*env.mediakit, "clip", *draft), outs["draft"], DRAFT_SIZE),
        ),
        targets=(
            Target(
                "mediakit --draft",
                "ratio",
                DRAFT_LIMIT,
                f"mediakit --draft / mediakit ≤ {DRAFT_LIMIT:.2f}× (≥ {1 / DRAFT_LIMIT:g}× faster)",
            ),
        ),
        notes=(DRAFT_NOTE,),
    )


# --- fix ---------------------------------------------------------------------------------------------------

REMUX_FRAMES = 600  # the 20 s, 30 fps MOV of fix-remux
# The bar: fixing a container-only failure is at least 20x faster than re-encoding the file.
REMUX_LIMIT = 0.05


def _video_packets(path: Path) -> list[str]:
    """sha1 of every video packet, in order (a rewrap must keep them all bit for bit)."""
    import hashlib

    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [hashlib.sha1(bytes(p)).hexdigest() for p in container.demux(stream) if p.size]


def _fixed_clip(source: Path, out: Path) -> Check:
    def check(_stdout: Path) -> str | None:
        problem = check_video(out, REMUX_FRAMES, SIZE)
        if problem:
            return problem
        from mediakit.validate import validate_path

        verdict = validate_path(out, "spotify-clip").verdict()
        if verdict != "pass":
            return f"the fixed file does not pass spotify-clip: {verdict}"
        if _video_packets(out) != _video_packets(source):
            return "the video packets changed: not a rewrap"
        return None

    return check


def fix_remux_job(env: Env) -> Job:
    from mediakit.preset import resolve

    work = env.work / "fix-remux"
    work.mkdir(parents=True, exist_ok=True)
    source = env.inputs.clip_mov
    fixed, reencoded = work / "fixed.mp4", work / "reencoded.mp4"
    # The preset's own x264 settings (what mediakit would re-encode with), not retyped here.
    render = resolve("spotify-clip").render
    reencode = (
        FFMPEG, *QUIET, "-y", "-i", str(source), "-map", "0:v:0", "-map", "0:a:0",
        "-c:v", "libx264", "-profile:v", "high", "-preset", render.x264_preset, "-crf", str(render.crf),
        "-pix_fmt", "yuv420p", "-c:a", "copy", "-movflags", "+faststart", str(reencoded),
    )  # fmt: skip
    return Job(
        name="fix-remux",
        summary="mediakit fix on a 20 s 1080x1920 H.264 MOV whose only fault is the container (spotify-clip "
        "recommends MP4), against re-encoding it by hand",
        reference="re-encode (ffmpeg)",
        contestants=(
            Contestant(
                "mediakit fix",
                (*env.mediakit, "fix", str(source), "--as", "spotify-clip", "-o", str(fixed), "--overwrite"),
                _fixed_clip(source, fixed),
                fixed,
            ),
            Contestant("re-encode (ffmpeg)", reencode, _video(reencoded, REMUX_FRAMES), reencoded),
        ),
        targets=(
            Target(
                "mediakit fix",
                "ratio",
                REMUX_LIMIT,
                f"fix (a rewrap) / full re-encode ≤ {REMUX_LIMIT:.2f}× (≥ {1 / REMUX_LIMIT:g}× faster)",
            ),
        ),
        notes=(
            "fix's time includes start-up, the check before (probe and loudness), the rewrap and the check "
            "after; its output must pass spotify-clip with every video packet bit-identical to the input's",
            f"re-encode = libx264 -preset {render.x264_preset} -crf {render.crf} (the preset's settings), "
            "audio copied",
        ),
    )


def _fix_report(out: Path, expected: dict[str, int]) -> Check:
    """The JSON of `mediakit fix DIR -o OUT --json`: every file reported, the statuses expected, every
    repaired file written into OUT and passing its preset when validated again."""

    def check(stdout: Path) -> str | None:
        from mediakit.validate import validate_path

        try:
            doc = json.loads(stdout.read_text())
        except (OSError, ValueError) as exc:
            return f"no JSON report on stdout ({exc})"
        summary = {k: v for k, v in doc.get("summary", {}).items() if v}
        if summary != expected:
            return f"statuses {summary}, expected {expected}"
        for f in doc["files"]:
            if f["status"] != "fixed":
                continue
            output = Path(f["output"])
            if output.parent != out or not output.is_file():
                return f"{f['path']}: no output in {out}"
            verdict = validate_path(output, f["preset"]).verdict()
            if verdict == "fail":
                return f"{output.name} fails {f['preset']} after the fix"
        return None

    return check


def describe_fix(stdout: Path) -> dict[str, object]:
    """Actions per class, statuses, time and bytes from `mediakit fix --json`."""
    import collections

    doc = json.loads(stdout.read_text())
    files = doc["files"]
    classes = collections.Counter(f["class"] for f in files if f["status"] == "fixed")
    # the stream says what a re-encode touched: a loudness fix re-encodes the audio alone
    actions = collections.Counter(
        (a["rule"], f"{a['repair']} ({a['stream']})")
        for f in files
        for a in f["actions"]
        if f["status"] == "fixed"
    )
    seconds = collections.defaultdict(float)
    for f in files:
        seconds[f["class"] if f["status"] == "fixed" else f["status"]] += f["seconds"]
    fixed = [f for f in files if f["status"] == "fixed"]
    bytes_in = sum(f["bytes_in"] for f in fixed)
    bytes_out = sum(f["bytes_out"] or 0 for f in fixed)
    total_in = sum(f["bytes_in"] for f in files)
    lines = [
        "statuses: " + ", ".join(f"{n} {s}" for s, n in doc["summary"].items() if n),
        "fixed files by class: " + ", ".join(f"{n} {c}" for c, n in sorted(classes.items())),
        "actions: " + ", ".join(f"{rule} → {repair} ×{n}" for (rule, repair), n in sorted(actions.items())),
        "seconds inside fix, by class: "
        + ", ".join(f"{c} {t:.1f} s" for c, t in sorted(seconds.items(), key=lambda kv: -kv[1])),
        f"bytes: {total_in / 1e6:.1f} MB in the folder; the {len(fixed)} fixed files "
        f"{bytes_in / 1e6:.1f} MB → {bytes_out / 1e6:.1f} MB ({(bytes_out - bytes_in) / 1e6:+.1f} MB)",
    ]
    return {
        "lines": lines,
        "statuses": {s: n for s, n in doc["summary"].items() if n},
        "classes": dict(classes),
        "actions": {f"{rule} -> {repair}": n for (rule, repair), n in sorted(actions.items())},
        "seconds_by_class": {c: round(t, 2) for c, t in seconds.items()},
        "bytes_in_folder": total_in,
        "bytes_in_fixed": bytes_in,
        "bytes_out_fixed": bytes_out,
    }


def fix_folder_job(env: Env) -> Job:
    import shutil

    from media import FIX_COUNT, FIX_SOURCES

    out = env.work / "fix-folder"
    count = {
        "unfixable": sum(n for name, (n, _) in FIX_SOURCES.items() if name.startswith("short")),
        "passes": sum(n for name, (n, _) in FIX_SOURCES.items() if name.startswith(("ok-", "clip-ok"))),
    }
    expected = {"fixed": FIX_COUNT - count["unfixable"] - count["passes"], **count}
    return Job(
        name="fix-folder",
        summary=f"mediakit fix on a folder of {FIX_COUNT} small failing files (and some passing ones), "
        "one command, the preset chosen per file",
        reference=None,
        contestants=(
            Contestant(
                "mediakit fix DIR",
                (*env.mediakit, "fix", str(env.inputs.fix_dir), "-o", str(out), "--json"),
                _fix_report(out, expected),
                setup=lambda: shutil.rmtree(out, ignore_errors=True),
                once=True,  # a figure, not a ratio: one run is enough
                exit_codes=(0, 1),  # 1: some files cannot be fixed (the too-short ones), as planned
            ),
        ),
        per_item=None,
        details=("mediakit fix DIR", describe_fix),
        notes=("silent files are checked as spotify-canvas, files with sound as spotify-clip (no --as)",),
    )


JOBS: dict[str, Callable[[Env], Job]] = {
    "validate-100": validate_job,
    "canvas-still": still_job,
    "canvas-pingpong": pingpong_job,
    "canvas-4k": uhd_job,
    "clip": clip_job,
    "clip-still": clip_still_job,
    "fix-remux": fix_remux_job,
    "fix-folder": fix_folder_job,
}
