"""The clip kind: vertical video with sound normalized to the preset's loudness and burned-in captions
(Spotify Clips, Reels, TikTok, Shorts), planned as data for the pipeline."""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import ffmpeg

from mediakit.analysis.loudness import file_measure_argv
from mediakit.errors import InputError, UsageError
from mediakit.inputs import SAFE_INPUT_OPTIONS, display, file_url
from mediakit.kinds.clip import CAPTION_STYLES as CAPTION_STYLES
from mediakit.kinds.clip import ClipOptions as ClipOptions
from mediakit.preset import Preset, SafeZone
from mediakit.probe import MediaInfo
from mediakit.rendering import audio, footage, framing
from mediakit.rendering.canvas import (
    STILL_SMART,
    allowed_fits,
    as_given_fit,
    check_common,
    duration_ok,
    parse_color,
    range_text,
    still_framing,
    whole_frames,
)
from mediakit.rendering.plan import (
    Encoding,
    Job,
    Level,
    Pass,
    Plan,
    compile_argv,
    lookahead_for,
    raw_frames_input,
)
from mediakit.report import FileReport

log = logging.getLogger(__name__)


def check_options(opts: ClipOptions, preset: Preset) -> None:
    """Refuse options the preset cannot take (usage errors, before any file is read)."""
    check_common(opts, preset)
    lo, hi, _, _ = preset.duration_limits()
    if opts.duration is not None and not duration_ok(opts.duration, preset):
        middle = min(lo + 12, hi - 1) if hi != float("inf") else lo + 12
        raise UsageError(
            f"--duration {opts.duration:g} s is outside the {preset.title} range: {range_text(preset)}",
            f"choose a duration such as {middle:g}",
        )
    if opts.captions and opts.text:
        raise UsageError(
            "--captions and --text cannot be used together", "keep --captions FILE for timed lines, or --text"
        )
    if opts.at is not None and not opts.text:
        raise UsageError("--at goes with --text", 'add --text "..." or drop --at')
    if opts.fit == "pad" or opts.color != "black":
        parse_color(opts.color)


def files(opts: ClipOptions) -> dict[str, str]:
    """The other files a clip is made from, by role."""
    return {role: value for role in ("audio", "captions", "font") if (value := getattr(opts, role))}


MEDIA_INPUTS = {"audio": "audio"}  # roles the pipeline probes, and what each must be


def output_format(opts: ClipOptions) -> str:
    return "mp4"


def _defaults(preset: Preset) -> tuple[float, float]:
    """(footage, still) default lengths: as much footage as fits a second under the preset's limit (29 s for
    a Spotify Clip), and the preset's own length for a still."""
    _, hi, _, _ = preset.duration_limits()
    return (min(hi - 1.0, 600.0), preset.render.duration)


def _duration(info: MediaInfo, track: MediaInfo | None, opts: ClipOptions, preset: Preset) -> float:
    footage_default, still_default = _defaults(preset)
    if opts.duration is not None:
        wanted = opts.duration
    elif info.kind == "image":
        remaining = float(track.duration or 0) - opts.audio_start if track else still_default
        wanted = min(still_default, remaining)
    else:
        wanted = min(footage_default, _footage_seconds(info) - opts.start)
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


def _track_notes(
    info: MediaInfo, track: MediaInfo | None, opts: ClipOptions, seconds: float, preset: Preset
) -> list[str]:
    """Say when the clip's length comes from the track, and when the track ends before the clip does."""
    remaining = _track_seconds(track, opts)
    if remaining is None:
        return []
    slack = 0.05  # the clip is whole frames: up to a frame past the track's end is not a silent tail
    notes = []
    footage_default, still_default = _defaults(preset)
    if info.kind == "image":
        would_be = still_default
    else:
        would_be = min(footage_default, _footage_seconds(info) - opts.start)
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


@dataclass(frozen=True)
class Prepared:
    """What a clip's passes are built from, worked out once before the loudness step."""

    options: ClipOptions
    rate: footage.Rate
    frames: int
    seconds: float
    size: tuple[int, int]
    crf: int
    x264_preset: str
    caps: _Captions
    warnings: tuple[str, ...]
    framing: framing.Framing | None = None  # a still's --fit auto, footage's --fit smart (None: the options')
    notes: tuple[str, ...] = ()  # what was chosen by looking at the source, and why


def prepare(job: Job) -> Prepared:
    """Check the inputs against each other, choose the length and fit, and write the captions (ASS) into the
    render's private folder."""
    info, opts, profile = job.info, job.options, job.preset
    track = job.inputs.get("audio")
    if track is not None and track.duration and opts.audio_start >= float(track.duration):
        raise InputError(
            f"{display(track.path)}: --audio-start {opts.audio_start:g} is past the track's end "
            f"({float(track.duration):.2f} s)",
            f"choose an --audio-start before {float(track.duration):.2f} s",
        )
    if not info.audio and track is None:
        raise InputError(
            f"{display(info.path)}: has no audio, and a {profile.title} needs sound",
            f"add a track: {profile.command(display(info.path.name), '--audio', 'song.wav')}",
        )
    rate = footage.choose_rate(
        info.primary_video if info.kind != "image" else None, opts.fps, opts.fps or profile.render.fps
    )
    frames = whole_frames(_duration(info, track, opts, profile), rate.fps, profile)
    seconds = float(frames / rate.fps)
    size = (profile.render.width, profile.render.height)
    warnings: list[str] = _track_notes(info, track, opts, seconds, profile)
    notes: list[str] = []
    src = (info.still.width, info.still.height) if info.still else _display_size(info)
    fits = allowed_fits(profile)
    smart = opts.fit == "smart" and info.kind != "image" and info.primary_video is not None
    if opts.fit == "smart":  # footage: a crop that follows the subject (below); a still: as auto
        opts = dataclasses.replace(opts, fit="crop" if smart else "auto")
        if not smart:
            notes.append(STILL_SMART)
    if opts.fit not in fits and opts.fit != "auto":
        raise UsageError(
            f"--fit {opts.fit} is not allowed for {profile.title}", f"choose {' or '.join(fits)}"
        )
    # A still with --fit auto is framed by looking at it, as a canvas is (the same rule, the same words)
    chosen = (
        None if smart else still_framing(info, opts.fit, opts.focus, size, profile, opts.motion, opts.zoom)
    )
    if chosen is not None:
        opts = dataclasses.replace(opts, fit=chosen.fit)
        (warnings if chosen.warns else notes).append(f"fit auto: {chosen.why}")
    else:
        fit = fits[0] if opts.fit == "auto" and "blur" not in fits else opts.fit
        opts = dataclasses.replace(
            opts, fit=framing.resolve_fit(fit, src, size[0] / size[1], info.kind == "image")
        )
        crop_note = framing.crop_warning(opts.fit, src, size[0] / size[1], may_blur="blur" in fits)
        chosen = _smart_footage(info, opts, rate, frames, size, notes, warnings) if smart else None
        if crop_note and not smart:
            warnings.append(crop_note)
    assert job.workdir is not None
    caps = _prepare_captions(opts, profile, size, seconds, job.workdir, job.ffmpeg)
    warnings += caps.warnings
    if info.primary_video is not None:
        warnings += footage.conversion_notes(info.primary_video)
    return Prepared(
        opts,
        rate,
        frames,
        seconds,
        size,
        profile.render.crf if opts.crf is None else opts.crf,
        opts.x264_preset or profile.render.x264_preset,
        caps,
        tuple(warnings),
        chosen,
        tuple(notes),
    )


def _smart_footage(
    info: MediaInfo, opts: ClipOptions, rate: footage.Rate, frames: int, size: tuple[int, int],
    notes: list[str], warnings: list[str],
) -> framing.Framing:  # fmt: skip
    """--fit smart on footage: the crop path that follows each shot's subject (analysis.reframe)."""
    from mediakit.analysis import reframe  # numpy, OpenCV and scipy: only for --fit smart

    found = reframe.analyse(info, opts.start, frames, float(rate.fps), size[0] / size[1])
    notes.append(found.describe())
    warnings += found.notes
    return framing.Framing(fit="crop", path=found.path, why=found.describe())


def _graph(job: Job) -> _Graph:
    p: Prepared = job.prepared
    enc = Encoding(
        crf=p.crf,
        preset=p.x264_preset,
        fps=p.rate.fps,
        threads=p.options.threads,
        lookahead=lookahead_for(p.size),
    )
    graph = _Graph(job.info, job.inputs.get("audio"), p.options, p.size, p.frames, p.seconds, enc, p.caps)
    graph.rate = p.rate
    graph.framing = p.framing or framing.Framing.fixed(p.options.fit, p.options.focus)
    graph.workdir = job.workdir
    return graph


def loudness_targets(preset: Preset) -> tuple[float, float]:
    """(integrated LUFS, true-peak dBTP) the preset renders to (Spotify's -14 / -1 when it names none)."""
    target = preset.render.loudness if preset.render.loudness is not None else -14.0
    peak = preset.render.true_peak if preset.render.true_peak is not None else -1.0
    return target, peak


def plan(job: Job) -> Plan:
    """The clip's passes: before the gain is known, the loudness step; then the one encode."""
    p: Prepared = job.prepared
    graph = _graph(job)
    note = "the audio level is measured first (the mix, then AAC-encoded candidates), then rendered"
    level: Level | None = None
    passes: tuple[Pass, ...] = ()
    if job.gain is None:
        target, peak = loudness_targets(job.preset)
        level = Level(graph.measure_argv(job.ffmpeg), target, peak)
    else:
        source = graph.still_source(job.output.parent)
        name = "drawing and encoding frames" if source is not None else "encoding"
        passes = (Pass(name, graph.argv(job.output, job.ffmpeg, loudness=job.gain), source),)
    return Plan(
        job.output,
        p.frames,
        p.seconds,
        note,
        passes,
        level=level,
        warnings=p.warnings,
        notes=p.notes,
        issues=p.caps.issues,
        options=as_given_fit(p.options, job.options),
    )


def level_argv(job: Job, gain: audio.Gain, path: Path) -> tuple[str, ...]:
    """A candidate gain's pass: the audio alone, encoded as the render encodes it, into `path`."""
    return _graph(job).encoded_argv(job.ffmpeg, path, gain)


def too_quiet(job: Job, measured: audio.Loudness) -> InputError:
    return _graph(job).too_quiet(measured)


def verify_argv(job: Job, plan: Plan) -> tuple[tuple[str, ...], ...]:
    """The commands `verify` runs on the written file (the ebur128 pass), for --dry-run to show."""
    return (file_measure_argv(plan.output, job.ffmpeg),)


def verify(job: Job, plan: Plan, report: FileReport) -> dict[str, Any]:
    """The loudness the file reads at, as written (after AAC), with a warning when it missed."""
    target, peak = loudness_targets(job.preset)
    loud = audio.output_loudness(plan.output, job.ffmpeg)
    warnings = []
    # fit_gain aims within 0.1 LU; audio whose limiting cannot get there (a lone click) lands further off.
    if abs(loud.integrated - target) > (1.0 if job.draft else 0.5):
        warnings.append(f"loudness came out at {loud.integrated:.1f} LUFS (target {target:g})")
    if loud.true_peak > peak:
        warnings.append(f"true peak came out at {loud.true_peak:.1f} dBTP (ceiling {peak:g})")
    return {"loudness": loud, "warnings": tuple(warnings)}


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
    ) -> None:
        self.info, self.track, self.opts, self.size = info, track, opts, size
        self.frames, self.seconds, self.enc, self.caps = frames, seconds, enc, caps
        self.rate = footage.Rate(Fraction(enc.fps), 1)  # how footage reaches the output rate
        self.framing = framing.Framing.fixed(opts.fit, opts.focus)  # prepare's choice replaces it
        self.workdir: Path | None = None  # where a moving crop's commands are written

    def still_source(self, spool_dir: Path) -> Any:
        """A still's frames, drawn by mediakit onto the encoder's stdin (None for footage)."""
        if self.info.kind != "image":
            return None
        from mediakit.rendering import still  # numpy and OpenCV: only for stills

        opts = self.opts
        return still.StillMotion(
            self.info.path,
            self.size,
            opts.motion,
            opts.zoom,
            self.framing,
            parse_color(opts.color),
            self.frames,
            spool_dir,
        )

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

    def encoded_argv(self, binary: str, path: Path, gain: audio.Gain) -> tuple[str, ...]:
        """The audio alone with `gain`, encoded as the render encodes it, into `path` (to be measured)."""
        _, sources = self._inputs(with_video=False)
        out = audio.normalized(audio.mixed(sources, self.seconds), gain).output(
            filename=str(path),
            extra_options={**audio.AAC, "t": round(self.seconds, 4), "f": "mp4"},
        )
        return compile_argv(out, binary)

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
                "pick a part with sound (--audio-start) or a louder file: the clip needs audible sound",
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
                v, video, self.size, self.framing, self.opts.color, self.rate, self.frames, self.workdir
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
