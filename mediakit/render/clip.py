"""`render_clip`: a captioned 9:16 Spotify Clip with normalized audio, validated before it is kept."""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import ffmpeg

from mediakit.errors import InputError, UsageError
from mediakit.ffmpeg.binary import ffmpeg_path
from mediakit.ffmpeg.runner import Progress, run
from mediakit.inputs import SAFE_INPUT_OPTIONS, display, file_url, local_file
from mediakit.preset import Preset, SafeZone, resolve
from mediakit.probe import MediaInfo, probe
from mediakit.render import audio, footage, framing
from mediakit.render.canvas import parse_color
from mediakit.render.output import atomic_output, check_output, default_output
from mediakit.render.plan import FPS_CHOICES, X264_PRESETS, Encoding, Plan, compile_argv, raw_frames_input
from mediakit.validate import FileReport, self_check

log = logging.getLogger(__name__)

CAPTION_STYLES = ("outline", "box", "karaoke")
DEFAULT_FOOTAGE_SECONDS = 29.0  # as much of the footage as fits under the 30 s limit
DEFAULT_STILL_SECONDS = 15.0


@dataclass(frozen=True)
class ClipOptions:
    """Everything that shapes a clip; render defaults come from the clip preset."""

    start: float = 0.0
    duration: float | None = None
    fit: str = "auto"
    focus: tuple[float, float] = (0.5, 0.5)
    color: str = "black"
    motion: str = "push-in"
    zoom: float = 1.08
    audio: str | None = None
    audio_start: float = 0.0
    mix: float = 0.0
    captions: str | None = None
    text: str | None = None
    at: tuple[float, float] | None = None
    caption_style: str = "outline"
    font: str | None = None
    fps: int | None = None
    crf: int | None = None
    x264_preset: str | None = None
    threads: int | None = None


@dataclass(frozen=True)
class ClipResult:
    output: Path
    source: str
    options: ClipOptions
    plan: Plan
    report: FileReport | None
    loudness: audio.OutputLoudness | None
    warnings: tuple[str, ...]
    caption_issues: tuple[Any, ...]
    seconds: float
    rendered: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "output": str(self.output),
            "source": self.source,
            "rendered": self.rendered,
            "options": dataclasses.asdict(self.options),
            "command": self.plan.command_line(),
            "frames": self.plan.frames,
            "duration": self.plan.seconds,
            "loudness": dataclasses.asdict(self.loudness) if self.loudness else None,
            "validation": self.report.as_dict() if self.report else None,
            "caption_issues": [dataclasses.asdict(i) for i in self.caption_issues],
            "warnings": list(self.warnings),
            "seconds": round(self.seconds, 3),
        }


def _frames(seconds: float, fps: Fraction, lo: float, hi: float) -> int:
    """Whole frames strictly inside (lo, hi) seconds, as the clip rule's open interval demands."""
    frames = round(seconds * fps)
    while frames / fps >= hi:
        frames -= 1
    while frames / fps <= lo:
        frames += 1
    return frames


def check_options(opts: ClipOptions, preset: Preset) -> int:
    lo, hi, _, _ = preset.duration_limits()
    fps = opts.fps or preset.render.fps
    if fps not in FPS_CHOICES:
        raise UsageError(f"--fps {fps} is not supported", "choose 24, 25 or 30")
    if opts.duration is not None and not lo < opts.duration < hi:
        raise UsageError(
            f"--duration {opts.duration:g} s is outside the clip range: longer than {lo:g} s and "
            f"shorter than {hi:g} s",
            f"choose a duration such as {lo + 2:g} or {hi - 1:g}",
        )
    if opts.caption_style not in CAPTION_STYLES:
        raise UsageError(
            f"unknown caption style {opts.caption_style!r}", f"choose {', '.join(CAPTION_STYLES)}"
        )
    if opts.captions and opts.text:
        raise UsageError(
            "--captions and --text cannot be used together", "keep --captions FILE for timed lines, or --text"
        )
    if opts.at is not None and not opts.text:
        raise UsageError("--at goes with --text", 'add --text "..." or drop --at')
    if not 0.0 <= opts.mix <= 1.0:
        raise UsageError(
            "--mix takes a level from 0 to 1", "0.2 keeps the footage's sound quietly under the track"
        )
    if opts.fit not in framing.FITS:
        raise UsageError(f"unknown fit {opts.fit!r}", f"choose one of {', '.join(framing.FITS)}")
    if opts.motion not in framing.MOTIONS:
        raise UsageError(f"unknown motion {opts.motion!r}", f"choose one of {', '.join(framing.MOTIONS)}")
    if (opts.x264_preset or preset.render.x264_preset) not in X264_PRESETS:
        raise UsageError(
            f"unknown --x264-preset {opts.x264_preset}", f"choose one of {', '.join(X264_PRESETS)}"
        )
    if opts.start < 0 or opts.audio_start < 0:
        raise UsageError(
            "--start and --audio-start must not be negative",
            "they are seconds to skip: 0 (the default) or more",
        )
    return fps


def _duration(info: MediaInfo, track: MediaInfo | None, opts: ClipOptions) -> float:
    if opts.duration is not None:
        wanted = opts.duration
    elif info.kind == "image":
        remaining = float(track.duration or 0) - opts.audio_start if track else DEFAULT_STILL_SECONDS
        wanted = min(DEFAULT_STILL_SECONDS, remaining)
    else:
        wanted = min(DEFAULT_FOOTAGE_SECONDS, _footage_seconds(info) - opts.start)
        held = _track_seconds(track, opts)
        if held is not None and 3.0 < held < wanted:  # no silent tail under the last footage
            wanted = held
    if info.kind != "image":
        present = _footage_seconds(info)
        available = present - opts.start
        if opts.start > 0 and available <= 0:  # the same words as canvas: "0.00 s after --start" says less
            raise UsageError(
                f"--start {opts.start:g} is past the end of the footage ({present:.2f} s)",
                f"choose a --start below {present:.2f}",
            )
        if available + 0.02 < wanted or available <= 3.0:
            needed = (
                f"a {wanted:g} s clip needs {wanted:g} s" if opts.duration else "a clip needs more than 3 s"
            )
            if opts.duration and available > 3.0:
                hint = "use an earlier --start or a shorter --duration"
            elif opts.start > 0:
                hint = "use an earlier --start"
            else:
                hint = "use footage longer than 3 s, or a still with --audio"
            raise InputError(
                f"{display(info.path)}: {max(available, 0):.2f} s of footage after --start "
                f"{opts.start:g}; {needed}",
                hint,
            )
    return wanted


def _track_seconds(track: MediaInfo | None, opts: ClipOptions) -> float | None:
    """What the --audio track holds from --audio-start on, or None without a track (or a known length)."""
    if track is None or not track.duration:
        return None
    return float(track.duration) - opts.audio_start


def _track_notes(info: MediaInfo, track: MediaInfo | None, opts: ClipOptions, seconds: float) -> list[str]:
    """Say when the clip's length comes from the track, and when the track ends before the clip does."""
    remaining = _track_seconds(track, opts)
    if remaining is None:
        return []
    slack = 0.05  # the clip is whole frames: up to a frame past the track's end is not a silent tail
    notes = []
    if info.kind == "image":
        would_be = DEFAULT_STILL_SECONDS
    else:
        would_be = min(DEFAULT_FOOTAGE_SECONDS, _footage_seconds(info) - opts.start)
    if opts.duration is None and seconds + slack < would_be and abs(seconds - remaining) <= slack:
        notes.append(
            f"the clip is {seconds:.2f} s, the length of the --audio track from --audio-start "
            f"{opts.audio_start:g} (pass --duration to choose another length)"
        )
    if remaining + slack < seconds:
        rest = "has only the footage's own sound (--mix)" if opts.mix > 0 and info.audio else "is silent"
        notes.append(
            f"the --audio track ends at {max(remaining, 0):.2f} s of the {seconds:.2f} s clip: "
            f"the rest {rest}"
        )
    return notes


def _footage_seconds(info: MediaInfo) -> float:
    """What the frames hold, not what the header claims (see footage.present_seconds)."""
    video = info.primary_video
    return footage.present_seconds(info, video) if video else float(info.duration or 0)


@dataclass
class _Captions:
    ass_path: Path | None
    fonts_dir: Path | None
    issues: tuple[Any, ...]
    warnings: list[str]


def _prepare_captions(
    opts: ClipOptions,
    preset: Preset,
    size: tuple[int, int],
    seconds: float,
    workdir: Path,
    ffmpeg_bin: str | None = None,
) -> _Captions:
    """Cues -> lint -> ASS in `workdir` under a fixed safe name (no user path inside a filter argument)."""
    if not opts.captions and not opts.text:
        return _Captions(None, None, (), [])
    from mediakit import captions
    from mediakit.fonts import CAPTION_FONT, CAPTION_FONT_NAME, FONT_DIR

    if opts.captions:
        # Linted in the file's own times (so cues outside the clip window are reported), then retimed.
        source = captions.read_captions(opts.captions)  # and what in it cannot be shown, by line
        source_cues = source.cues
        window = (opts.start, opts.start + seconds)
        linted = captions.lint(source_cues, preset.captions, window) if preset.captions else []
        issues = (*source.issues, *linted)
        cues = captions.retime(source_cues, opts.start, seconds)
    else:
        cues = captions.single_caption(opts.text or "", opts.at, seconds)
        issues = tuple(captions.lint(cues, preset.captions, (0.0, seconds))) if preset.captions else ()
    font_path, font_name, fonts_dir = CAPTION_FONT, CAPTION_FONT_NAME, FONT_DIR
    if opts.font:
        font_path, font_name, fonts_dir = _user_font(Path(opts.font), workdir, ffmpeg_bin)
    warnings = []
    missing = captions.missing_glyphs(cues, font_path)  # after the CJK and emoji fallback fonts too
    if missing:
        sample = "".join(sorted(missing))[:12]
        warnings.append(
            f"the caption fonts have no glyphs for {len(missing)} character(s) ({sample}): "
            "they will show as boxes; pass --font with a font that has them"
        )
    ass_text = captions.to_ass(
        cues,
        size=size,
        # A user's preset without a safe zone still keeps captions off the frame edges.
        safe_zone=preset.safe_zone or SafeZone(0.05, 0.05, 0.05, 0.05, True, "mediakit default margins"),
        style=opts.caption_style,
        font_name=font_name,
        font_path=font_path,
    )
    ass_path = workdir / "captions.ass"
    ass_path.write_text(ass_text, encoding="utf-8")
    return _Captions(ass_path, fonts_dir, issues, warnings)


def _user_font(path: Path, workdir: Path, ffmpeg_bin: str | None = None) -> tuple[Path, str, Path]:
    """The user's font in a fonts folder of its own for libass, with mediakit's fallback fonts beside it."""
    from PIL import ImageFont

    from mediakit.fonts import FALLBACK_FONTS, font_names

    try:
        ImageFont.truetype(str(path), 20)  # lays the captions out, so it must read the font too
    except OSError:
        raise InputError(
            f"{display(path)}: not a font file Pillow and libass can read", "use a .ttf or .otf"
        ) from None
    # Not Pillow's family name: that is the typographic family (name ID 16), which libass does not match,
    # so a weight or optical-size cut ("Roboto Light") silently became the system's sans-serif.
    names = font_names(path)
    if names is None:
        raise InputError(
            f"{display(path)}: a font without a name table libass can match it by",
            "use a TrueType or OpenType font (.ttf, .otf, .ttc)",
        )
    family = names.for_libass
    fonts = workdir / "fonts"
    fonts.mkdir()
    copy = fonts / ("font" + path.suffix.lower())
    shutil.copyfile(path, copy)
    for fallback in FALLBACK_FONTS:  # named by `\fn` for the characters the user's font lacks
        try:
            os.link(fallback.path, fonts / fallback.path.name)
        except OSError:  # another file system, or no hard links there
            shutil.copyfile(fallback.path, fonts / fallback.path.name)
    if ffmpeg_bin is not None and names.postscript:  # ask the libass that will draw it which face it picks
        from mediakit.fonts import libass_choice

        picked = libass_choice(ffmpeg_bin, fonts, family)
        if picked is not None and picked != names.postscript:
            raise InputError(
                f"{display(path)}: libass draws another font ({picked}) for its name {family!r}",
                "a font of the same name is installed on this system: use another font file",
            )
    return copy, str(family), fonts


def render_clip(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    options: ClipOptions | None = None,
    *,
    overwrite: bool = False,
    dry_run: bool = False,
    preset: str = "spotify-clip",
    ffmpeg_bin: str | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> ClipResult:
    """Render `source` (footage, or a still with `audio`) to a Spotify Clip, normalize it and validate it."""
    started = time.monotonic()
    opts = options or ClipOptions()
    profile = resolve(preset)
    fps = check_options(opts, profile)
    info = probe(source, decode=dry_run)
    for named in (opts.font, opts.captions):  # a missing one in the words (and exit 1) of a missing --audio
        if named:
            local_file(named)  # a render decodes a still once, itself (load_rgb)
    if info.damage:
        raise InputError(f"{display(info.path)}: {info.damage[0]}", "export or download it again")
    if info.kind == "audio":
        raise InputError(f"{display(info.path)}: has no video stream", "use footage, or a still with --audio")
    info = footage.bound_duration(info)
    track = probe(opts.audio, expect="audio") if opts.audio else None
    if track is not None and not track.audio:
        raise InputError(f"{display(track.path)}: has no audio stream", "--audio takes a song or sound file")
    if track is not None and track.duration and opts.audio_start >= float(track.duration):
        raise InputError(
            f"{display(track.path)}: --audio-start {opts.audio_start:g} is past the track's end "
            f"({float(track.duration):.2f} s)",
            f"choose an --audio-start before {float(track.duration):.2f} s",
        )
    if not info.audio and track is None:
        raise InputError(
            f"{display(info.path)}: has no audio, and Clips need sound",
            f"add a track: mediakit clip {display(info.path.name)} --audio song.wav",
        )
    target = check_output(
        Path(output) if output else default_output(info.path, ".clip.mp4"), info.path, overwrite, "mp4"
    )
    lo, hi, _, _ = profile.duration_limits()
    rate = footage.choose_rate(info.primary_video if info.kind != "image" else None, opts.fps, fps)
    frames = _frames(_duration(info, track, opts), rate.fps, lo, hi)
    seconds = float(frames / rate.fps)
    binary = ffmpeg_path(ffmpeg_bin)
    size = (profile.render.width, profile.render.height)
    warnings: list[str] = _track_notes(info, track, opts, seconds)
    src = (info.still.width, info.still.height) if info.still else _display_size(info)
    opts = dataclasses.replace(
        opts, fit=framing.resolve_fit(opts.fit, src, size[0] / size[1], info.kind == "image")
    )
    crop_note = framing.crop_warning(opts.fit, src, size[0] / size[1])
    if crop_note:
        warnings.append(crop_note)
    with tempfile.TemporaryDirectory(prefix="mediakit-clip-") as work:
        caps = _prepare_captions(opts, profile, size, seconds, Path(work), binary)
        warnings += caps.warnings
        enc = Encoding(
            crf=profile.render.crf if opts.crf is None else opts.crf,
            preset=opts.x264_preset or profile.render.x264_preset,
            fps=rate.fps,
            threads=opts.threads,
        )
        graph = _Graph(info, track, opts, size, frames, seconds, enc, caps, warnings)
        graph.rate = rate
        graph.target_lufs = profile.render.loudness if profile.render.loudness is not None else -14.0
        graph.true_peak = profile.render.true_peak if profile.render.true_peak is not None else -1.0
        final_argv = graph.argv(target, binary, loudness=None)
        plan = Plan(
            argv=final_argv,
            output=target,
            frames=frames,
            seconds=seconds,
            note="the audio level is measured first (the mix, then AAC-encoded candidates), then rendered",
        )
        if dry_run:
            return ClipResult(
                target,
                str(info.path),
                opts,
                plan,
                None,
                None,
                tuple(warnings),
                caps.issues,
                time.monotonic() - started,
                rendered=False,
            )
        # The mix is measured as written (stereo, trimmed, faded); each candidate gain after AAC.
        measured = audio.measure(graph.measure_argv(binary))
        if audio.too_quiet(measured):
            raise graph.too_quiet(measured)
        gain = audio.fit_gain(
            measured, graph.target_lufs, graph.true_peak, functools.partial(graph.encoded, binary, Path(work))
        )
        with atomic_output(target) as tmp:
            run(
                graph.argv(tmp, binary, loudness=gain),
                feed=functools.partial(graph.still_feed, tmp.parent) if graph.still_feed else None,
                on_progress=on_progress,
            )
            report = self_check(tmp, target, profile, "clip")
            loud = audio.output_loudness(tmp, binary)
    # fit_gain aims within 0.1 LU; audio whose limiting cannot get there (a lone click) lands further off.
    if abs(loud.integrated - graph.target_lufs) > 0.5:
        warnings.append(f"loudness came out at {loud.integrated:.1f} LUFS (target {graph.target_lufs:g})")
    if loud.true_peak > graph.true_peak:
        warnings.append(f"true peak came out at {loud.true_peak:.1f} dBTP (ceiling {graph.true_peak:g})")
    return ClipResult(
        target,
        str(info.path),
        opts,
        plan,
        report,
        loud,
        tuple(warnings),
        caps.issues,
        time.monotonic() - started,
        rendered=True,
    )


def _display_size(info: MediaInfo) -> tuple[int, int]:
    video = info.primary_video
    return (video.display_width, video.display_height) if video else (0, 0)


class _Graph:
    """Builds the measuring argv (audio only) and the rendering argv from the same inputs and chains."""

    def __init__(
        self,
        info: MediaInfo,
        track: MediaInfo | None,
        opts: ClipOptions,
        size: tuple[int, int],
        frames: int,
        seconds: float,
        enc: Encoding,
        caps: _Captions,
        warnings: list[str],
    ) -> None:
        self.info, self.track, self.opts, self.size = info, track, opts, size
        self.frames, self.seconds, self.enc, self.caps = frames, seconds, enc, caps
        self.still_feed: Callable[..., None] | None = None  # called with (spool_dir, stdin)
        self.target_lufs, self.true_peak = -14.0, -1.0
        self.rate = footage.Rate(Fraction(enc.fps), 1)  # how footage reaches the output rate
        if info.kind == "image":
            from mediakit.render import still  # numpy and OpenCV: only for stills

            assert info.still is not None
            self.still_feed = functools.partial(
                still.feed_motion,
                info.path,
                size,
                opts.motion,
                opts.zoom,
                opts.fit,
                opts.focus,
                parse_color(opts.color),
                frames,
            )
        if info.primary_video is not None:
            warnings += footage.conversion_notes(info.primary_video)

    def _inputs(self, with_video: bool) -> tuple[Any | None, list[tuple[Any, float]]]:
        slack = self.seconds + 0.5
        main = None
        sources: list[tuple[Any, float]] = []
        if self.info.kind == "image":
            if with_video:
                main = raw_frames_input(self.size, self.enc.fps)
        else:
            main = footage.source_stream(self.info, self.opts.start, slack)
        if self.track is not None:
            kwargs: dict[str, Any] = {"t": round(slack, 4)}
            if self.opts.audio_start > 0:
                kwargs["ss"] = round(self.opts.audio_start, 4)
            song = ffmpeg.input(file_url(self.track.path), extra_options=dict(SAFE_INPUT_OPTIONS), **kwargs)
            sources.append((song.audio, 1.0))
        if self.info.audio and main is not None and (self.track is None or self.opts.mix > 0):
            sources.append((main.audio, 1.0 if self.track is None else self.opts.mix))
        return main, sources

    def measure_argv(self, binary: str) -> tuple[str, ...]:
        """The audio alone, mixed as the render mixes it, for ebur128."""
        _, sources = self._inputs(with_video=False)
        return audio.measure_argv(audio.mixed(sources, self.seconds), binary)

    def encoded(self, binary: str, workdir: Path, gain: audio.Gain) -> audio.Loudness:
        """The audio alone with `gain`, encoded as the render encodes it, then measured from the file."""
        _, sources = self._inputs(with_video=False)
        path = workdir / "level.m4a"
        out = audio.normalized(audio.mixed(sources, self.seconds), gain).output(
            filename=str(path),
            extra_options={**audio.AAC, "t": round(self.seconds, 4), "f": "mp4"},
        )
        run(compile_argv(out, binary))
        got = audio.output_loudness(path, binary)
        return audio.Loudness(got.integrated, got.true_peak)

    def too_quiet(self, measured: audio.Loudness) -> InputError:
        """The refusal for a mix too quiet to normalize, naming what was given: the track or the footage."""
        level = (
            f"{measured.integrated:.1f} LUFS, under the {audio.SILENCE_LUFS:g} LUFS floor"
            if measured.integrated > -70.0
            else "under -70 LUFS: silent, or nearly"
        )
        seconds = f"{self.seconds:g} s"
        if self.track is not None:
            mixed = " mixed with the footage's sound" if self.opts.mix > 0 and self.info.audio else ""
            return InputError(
                f"{display(self.track.path)}: the --audio track{mixed} is too quiet to normalize ({level}) "
                f"from --audio-start {self.opts.audio_start:g} for {seconds}",
                "pick a part with sound (--audio-start) or a louder file: a Clip needs audible sound",
            )
        return InputError(
            f"{display(self.info.path)}: the footage's sound is too quiet to normalize ({level}) from "
            f"--start {self.opts.start:g} for {seconds}",
            f"add a track: mediakit clip {display(self.info.path.name)} --audio song.wav",
        )

    def argv(self, target: Path, binary: str, loudness: audio.Gain | None) -> tuple[str, ...]:
        main, sources = self._inputs(with_video=True)
        assert main is not None
        a = audio.mixed(sources, self.seconds)
        if loudness is not None:
            a = audio.normalized(a, loudness)
        v = main.video
        if self.info.kind != "image":
            video = self.info.primary_video
            assert video is not None
            v = footage.fit_video(
                v, video, self.size, self.opts.fit, self.opts.focus, self.opts.color, self.rate, self.frames
            )
            v = footage.to_sdr_420(v, video.hdr is not None)
        if self.caps.ass_path is not None:
            v = v.ass(filename=str(self.caps.ass_path), fontsdir=str(self.caps.fonts_dir))
        v = v.format(pix_fmts="yuv420p").setparams(**footage.BT709)
        out = ffmpeg.output(
            v,
            a,
            filename=str(target),
            extra_options={
                **self.enc.output_options(),
                "frames:v": self.frames,
                **audio.AAC,  # as `encoded` measured it
                "t": round(self.seconds, 4),
                "sn": True,
                "dn": True,
                "f": "mp4",
            },
        )
        return compile_argv(out, binary)
