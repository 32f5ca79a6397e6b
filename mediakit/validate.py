"""Checks media against a preset's rules and reports every violation with a one-line fix."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

from mediakit.errors import FFmpegNotFound, MediakitError, UsageError
from mediakit.inputs import display
from mediakit.preset import Preset, Rule, chosen_for, resolve
from mediakit.probe import MediaInfo, probe
from mediakit.report import SCHEMA_VERSION as SCHEMA_VERSION
from mediakit.report import FileReport as FileReport
from mediakit.report import Finding as Finding
from mediakit.report import Verdict as Verdict
from mediakit.report import media_summary as media_summary

log = logging.getLogger(__name__)

MEDIA_SUFFIXES = {
    ".mp4",
    ".m4v",
    ".mov",
    ".mkv",
    ".webm",
    ".avi",
    ".ts",
    ".mts",
    ".jpg",
    ".jpeg",
    ".png",
    ".webp",
    ".gif",
    ".tif",
    ".tiff",
    ".bmp",
    ".wav",
    ".mp3",
    ".m4a",
    ".aac",
    ".flac",
    ".ogg",
}


# --- choosing a profile ----------------------------------------------------------------------------------


_SITUATION_WORDS = {
    "image": "a still image",
    "silent-video": "a video without an audio stream",
    "video-with-audio": "a video with an audio stream",
}


def situation(info: MediaInfo) -> str:
    """What the file is, in the terms of a preset's `chosen_for` (preset.SITUATIONS)."""
    if info.kind == "image":
        return "image"
    return "video-with-audio" if info.audio else "silent-video"


def choose_profile(info: MediaInfo) -> tuple[str, str]:
    """The bundled preset chosen for files like this one (its `chosen_for`); returns (preset name, reason)."""
    what = situation(info)
    preset = chosen_for(what)
    return preset.name, f"chosen for {_SITUATION_WORDS[what]} (--as names another preset)"


# --- the checks -------------------------------------------------------------------------------------------

Check = Callable[[Rule, MediaInfo, Preset], "Finding | None"]
_CHECKS: dict[str, Check] = {}


def _check(name: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        _CHECKS[name] = fn
        return fn

    return register


def _finding(
    rule: Rule, observed: str, expected: str, message: str, hint: str, fix: dict[str, Any] | None = None
) -> Finding:
    return Finding(rule.id, rule.severity, observed, expected, message, hint, rule.source, fix)


def _seconds(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") + " s"


def _size(preset: Preset) -> str:
    return f"{preset.render.width}x{preset.render.height}"


def _reframe(preset: Preset, **extra: Any) -> dict[str, Any]:
    return {"action": "reframe", "width": preset.render.width, "height": preset.render.height, **extra}


def _fits(preset: Preset, info: MediaInfo) -> str:
    """The --fit choices a reframing hint offers: the preset's own (`fits`), else the usual three; footage
    that may be cropped may also follow its subject (smart)."""
    fits = list(preset.render.fits) if preset.render.fits else ["crop", "blur", "pad"]
    if info.kind != "image" and "crop" in fits and "smart" not in fits:
        fits.insert(0, "smart")
    return "|".join(fits)


@_check("duration")
def _duration(rule: Rule, info: MediaInfo, preset: Preset) -> Finding | None:
    if info.kind == "image" or info.duration is None:
        return None
    d = float(info.duration)
    p = rule.params
    lo, hi = p.get("min"), p.get("max")
    lo_in, hi_in = p.get("min_inclusive", True), p.get("max_inclusive", True)
    # A user's preset may give only one bound.
    bounds = ([f"{'≥' if lo_in else '>'} {_seconds(lo)}"] if lo is not None else []) + (
        [f"{'≤' if hi_in else '<'} {_seconds(hi)}"] if hi is not None else []
    )
    expected = " and ".join(bounds) or "any length"
    if hi is not None and (d > hi or (d == hi and not hi_in)):
        target = int(hi) - 1 if hi == int(hi) else int(hi)
        return _finding(
            rule,
            _seconds(d),
            expected,
            f"{_seconds(d)} is longer than {_seconds(hi)}",
            f"trim it: {preset.command(display(info.path.name), '--duration', str(target))}",
            {"action": "trim", "max_seconds": hi, "max_inclusive": hi_in},
        )
    if lo is not None and (d < lo or (d == lo and not lo_in)):
        target = int(lo) + 1
        return _finding(
            rule,
            _seconds(d),
            expected,
            f"{_seconds(d)} is shorter than {_seconds(lo)}",
            f"render from a source of {target} s or more: "
            f"{preset.command('SOURCE', '--duration', str(target))}",
            {"action": "lengthen", "min_seconds": lo, "min_inclusive": lo_in},
        )
    return None


def _ratio(text: str) -> Fraction:
    w, _, h = text.partition(":")
    return Fraction(int(w), int(h))


@_check("aspect")
def _aspect(rule: Rule, info: MediaInfo, preset: Preset) -> Finding | None:
    size = info.display_size
    if not size:
        return None
    if min(size) < 1:  # the probe never gives one; a rule must not divide by it all the same
        return None
    want = _ratio(rule.params["ratio"])
    got = Fraction(size[0], size[1])
    off = abs(float(got / want) - 1.0)
    if off <= rule.params["tolerance"] or _whole_pixels_of(size, want):
        return None
    return _finding(
        rule,
        f"{size[0]}x{size[1]} ({float(got):.4f})",
        f"{rule.params['ratio']} ({float(want):.4f})",
        f"the picture is {size[0]}x{size[1]}, {off * 100:.1f} % off {rule.params['ratio']}",
        f"reframe it to {_size(preset)}: "
        f"{preset.command(display(info.path.name), '--fit', _fits(preset, info))}",
        _reframe(preset),
    )


def _whole_pixels_of(size: tuple[int, int], ratio: Fraction) -> bool:
    """Whether `size` is `ratio` to the nearest whole pixel (563x1000 is 9:16; 1080x1918 is not)."""
    w, h = size
    return abs(w - h * ratio) <= Fraction(1, 2) or abs(h - w / ratio) <= Fraction(1, 2)


def _too_small(rule: Rule, preset: Preset, observed: str, expected: str, message: str) -> Finding:
    # Upscaling makes the size pass but not the picture sharp: the fix says so, the hint asks for a source.
    return _finding(
        rule,
        observed,
        expected,
        message,
        f"use a larger source; renders for {preset.title} are {_size(preset)}",
        _reframe(preset, upscale=True),
    )


@_check("height")
def _height(rule: Rule, info: MediaInfo, preset: Preset) -> Finding | None:
    size = info.display_size
    if not size:
        return None
    h = size[1]
    lo, hi = rule.params.get("min"), rule.params.get("max")
    if lo is not None and h < lo:
        return _too_small(
            rule, preset, f"{h} px", f"≥ {lo} px", f"{h} px tall is below the minimum of {lo} px"
        )
    if hi is not None and h > hi:
        return _finding(
            rule,
            f"{h} px",
            f"≤ {hi} px",
            f"{h} px tall is larger than needed ({hi} px)",
            f"downscale it to keep the file small: {preset.command(display(info.path.name))} "
            f"renders {_size(preset)}",
            _reframe(preset),
        )
    return None


@_check("size")
def _size_check(rule: Rule, info: MediaInfo, preset: Preset) -> Finding | None:
    size = info.display_size
    if not size:
        return None
    w, h = size
    mw, mh = rule.params.get("min_width", 0), rule.params.get("min_height", 0)
    if w < mw or h < mh:
        return _too_small(rule, preset, f"{w}x{h}", f"≥ {mw}x{mh}", f"{w}x{h} is smaller than {mw}x{mh}")
    ew, eh = rule.params.get("width"), rule.params.get("height")
    if (ew is not None and w != ew) or (eh is not None and h != eh):
        want = f"{ew if ew is not None else 'any'}x{eh if eh is not None else 'any'}"
        return _finding(
            rule,
            f"{w}x{h}",
            f"exactly {want}",
            f"{w}x{h} is not {want}",
            f"re-render it at {_size(preset)}: {preset.command(display(info.path.name))}",
            _reframe(preset),
        )
    return None


@_check("orientation")
def _orientation(rule: Rule, info: MediaInfo, preset: Preset) -> Finding | None:
    size = info.display_size
    if not size:
        return None
    value = rule.params["value"]
    if size[1] > size[0] or (value == "square-or-vertical" and size[1] == size[0]):
        return None
    shape = "square" if size[0] == size[1] else "landscape"
    want = "vertical (taller than wide)" if value == "vertical" else "square or vertical"
    return _finding(
        rule,
        f"{shape} {size[0]}x{size[1]}",
        want,
        f"the video is {shape}, not {want.partition(' (')[0]}",
        f"reframe it to {_size(preset)}: "
        f"{preset.command(display(info.path.name), '--fit', _fits(preset, info))} (crop: --focus X,Y)",
        _reframe(preset),
    )


# Containers a still can be; the rest are audio/video containers.
_STILL_CONTAINERS = {"jpeg", "png", "webp", "gif", "tiff", "bmp"}


@_check("container")
def _container(rule: Rule, info: MediaInfo, preset: Preset) -> Finding | None:
    allowed = rule.params["allowed"]
    if info.container in allowed:
        return None
    names = ", ".join(a.upper() for a in allowed)
    fitting = [a for a in allowed if (a in _STILL_CONTAINERS) == (info.kind == "image")]
    target = (fitting or list(allowed))[0]
    return _finding(
        rule,
        info.container.upper(),
        names,
        f"{info.container.upper()} is not {names}",
        f"rewrap or re-render it as {target.upper()}: {preset.command(display(info.path.name))}",
        {"action": "remux", "container": target},
    )


@_check("video-codec")
def _video_codec(rule: Rule, info: MediaInfo, preset: Preset) -> Finding | None:
    v = info.primary_video
    if v is None:
        return None
    codecs, pix_fmts = rule.params["codecs"], rule.params["pix_fmts"]
    if v.codec in codecs and v.pix_fmt in pix_fmts:
        return None
    got = f"{v.codec} {v.pix_fmt}"
    want = f"{'/'.join(codecs)} {'/'.join(pix_fmts)}"
    return _finding(
        rule,
        got,
        want,
        f"the video is {got}, not {want}",
        f"re-encode it: {preset.command(display(info.path.name))} writes H.264 High, yuv420p",
        {"action": "reencode", "codec": codecs[0], "pix_fmt": pix_fmts[0]},
    )


@_check("audio")
def _audio(rule: Rule, info: MediaInfo, preset: Preset) -> Finding | None:
    if info.kind == "image":
        return None
    present = bool(info.audio)
    if present == rule.params["present"]:
        return None
    if present:
        return _finding(
            rule,
            f"{len(info.audio)} audio stream(s)",
            "no audio",
            f"the file has an audio track, which {preset.title} does not allow",
            f"drop it: {preset.command(display(info.path.name))} renders without audio",
            {"action": "drop-audio"},
        )
    return _finding(
        rule,
        "no audio stream",
        "an audio stream",
        f"the file has no audio; {preset.title} needs sound",
        f"add a track: {preset.command(display(info.path.name), '--audio', 'song.wav')}",
        {"action": "add-audio"},
    )


@_check("frame-rate")
def _frame_rate(rule: Rule, info: MediaInfo, preset: Preset) -> Finding | None:
    v = info.primary_video
    if v is None or v.avg_rate is None:
        return None
    fps = float(v.avg_rate)
    lo, hi = rule.params.get("min"), rule.params.get("max")
    # A user's preset may give one bound, or none (constant only).
    span = (
        f"{lo:g}-{hi:g} fps"
        if lo is not None and hi is not None
        else (f"≥ {lo:g} fps" if lo is not None else f"≤ {hi:g} fps" if hi is not None else "any rate")
    )
    expected = f"{span}, constant" if rule.params.get("constant") else span
    # The preset's own render rate, unless the rule's range excludes it.
    target = preset.render.fps
    if lo is not None and target < lo - 0.01:
        target = math.ceil(lo)
    if hi is not None and target > hi + 0.01:
        target = math.floor(hi)
    command = preset.command(display(info.path.name), "--fps", str(target))
    hint = f"re-render it at a constant {target} fps: {command}"
    fix = {"action": "resample", "fps": target}
    if (lo is not None and fps < lo - 0.01) or (hi is not None and fps > hi + 0.01):
        return _finding(rule, f"{fps:.3f} fps", expected, f"{fps:.2f} fps is outside {span}", hint, fix)
    if rule.params.get("constant") and v.constant_rate is False:
        return _finding(
            rule, f"variable ({fps:.2f} fps average)", expected, "the frame rate is variable", hint, fix
        )
    return None


@_check("file-size")
def _file_size(rule: Rule, info: MediaInfo, preset: Preset) -> Finding | None:
    limit = rule.params["max_bytes"]
    if info.size_bytes <= limit:
        return None
    crf = preset.render.crf + 3
    return _finding(
        rule,
        f"{info.size_bytes / 1e6:.1f} MB",
        f"≤ {limit / 1e6:.0f} MB",
        f"the file is {info.size_bytes / 1e6:.1f} MB, over {limit / 1e6:.0f} MB",
        f"re-render it smaller: {preset.command(display(info.path.name), '--crf', str(crf))} "
        "(or a shorter --duration)",
        {"action": "shrink", "max_bytes": limit},
    )


_COLOR_WORDS = {"primaries": "primaries", "transfers": "transfer", "spaces": "matrix"}
# The fix names one value per tag, as FFmpeg's -color_primaries, -color_trc and -colorspace take them.
_COLOR_FIX_KEYS = {"primaries": "primaries", "transfers": "transfer", "spaces": "space"}


@_check("color")
def _color(rule: Rule, info: MediaInfo, preset: Preset) -> Finding | None:
    v = info.primary_video
    if v is None:
        return None
    p = rule.params
    unspecified_ok = p.get("allow_unspecified", False)
    got = {"primaries": v.color_primaries, "transfers": v.color_transfer, "spaces": v.color_space}
    wrong = {
        key: value
        for key, value in got.items()
        if key in p and (value not in p[key] if value is not None else not unspecified_ok)
    }
    if not wrong:
        return None
    shown = ", ".join(f"{_COLOR_WORDS[k]} {got[k] or 'unspecified'}" for k in got if k in p)
    want = ", ".join(f"{_COLOR_WORDS[k]} {'/'.join(p[k])}" for k in got if k in p)
    # Missing tags only need writing; tags naming another colour space mean the pixels must be converted.
    untagged = all(value is None for value in wrong.values())
    tags = {_COLOR_FIX_KEYS[k]: p[k][0] for k in got if k in p}
    if untagged:
        message = f"the video's colour space is not tagged ({shown})"
        command = preset.command(display(info.path.name))
        hint = f"tag it (the pixels stay as they are), or re-render it: {command}"
        fix = {"action": "retag-color", **tags}
    else:
        message = f"the video is tagged {shown}, not {want}"
        hint = (
            f"convert it to {want} (HDR needs tone mapping), then re-render it: "
            f"{preset.command(display(info.path.name))}"
        )
        fix = {"action": "convert-color", **tags}
    return _finding(rule, shown, want, message, hint, fix)


def _integrity(info: MediaInfo) -> list[Finding]:
    return [
        Finding(
            "readable",
            "error",
            damage,
            "complete, decodable media",
            f"the file is damaged: {damage}",
            "export or download it again",
        )
        for damage in info.damage
    ]


def _kind_finding(preset: Preset, info: MediaInfo) -> Finding | None:
    if info.kind in preset.accepts:
        return None
    if info.kind == "audio":
        return Finding(
            "kind",
            "error",
            "audio only",
            " or ".join(preset.accepts),
            "the file has no video stream",
            "use a video file"
            + (
                f"; or make one from a still: {preset.command('still.png', '--audio', 'song.wav')}"
                if preset.render.audio
                else ""
            ),
        )
    return Finding(
        "kind",
        "error",
        info.kind,
        " or ".join(preset.accepts),
        f"a {preset.title} cannot be a {info.kind}",
        "use a video file",
    )


def check(info: MediaInfo, preset: Preset) -> tuple[Finding, ...]:
    """Every metadata rule of `preset` that `info` breaks (deep rules are skipped here)."""
    findings = _integrity(info)
    wrong_kind = _kind_finding(preset, info)
    if wrong_kind:
        return (*findings, wrong_kind)
    failed_checks: set[str] = set()
    for rule in sorted((r for r in preset.rules if not r.deep), key=lambda r: r.severity != "error"):
        found = _CHECKS[rule.check](rule, info, preset)
        # A stricter rule of the same check (e.g. aspect-exact after aspect) would only repeat the problem.
        if found is not None and rule.check not in failed_checks:
            findings.append(found)
            failed_checks.add(rule.check)
    return tuple(findings)


def validate_path(
    path: str | bytes | os.PathLike[str],
    profile: str | None = None,
    *,
    deep: bool = False,
    ffmpeg_bin: str | None = None,
) -> FileReport:
    """Probe one file and check it against `profile` (a preset name, alias or .toml path; None = choose).

    With `deep`, frames and audio are decoded too: flashing, cuts, loop seam, blur, loudness, black/frozen.
    Never raises for the file's sake: whatever one file does (a bug included) becomes that file's finding,
    so a folder's other files are still checked and reported.
    """
    shown = display(path)
    try:
        return _validate_path(path, shown, profile, deep, ffmpeg_bin)
    except (UsageError, FFmpegNotFound):  # a bad --as, or no ffmpeg: the command's fault, not this file's
        raise
    except Exception as exc:
        # As documented: a file that could not be read was checked against no profile (even with --as).
        return FileReport(shown, None, "", (_failure(exc, path, "readable"),))


def _failure(exc: Exception, path: str | bytes | os.PathLike[str], rule: str) -> Finding:
    """What stopped a file's check, as that file's error finding (a bug becomes an `internal` one)."""
    if isinstance(exc, MediakitError):
        # The report names the file already; the message need not repeat it.
        message = exc.message.removeprefix(display(os.path.abspath(os.fsdecode(path))) + ": ")
        return Finding(
            rule,
            "error",
            message,
            "readable media",
            message,
            exc.hint or "check that the file is a video or image",
        )
    log.debug("validating %s raised", display(path), exc_info=True)  # the traceback, with --debug
    message = f"internal error: {type(exc).__name__}: {exc}"
    hint = "please report this as a bug (`mediakit --debug validate FILE` shows the details)"
    return Finding("internal", "error", message, "no internal error", message, hint)


def _validate_path(
    path: str | bytes | os.PathLike[str], shown: str, profile: str | None, deep: bool, ffmpeg_bin: str | None
) -> FileReport:
    info = probe(path)
    if profile is None:
        name, reason = choose_profile(info)
        preset = resolve(name)
    else:
        # Keep the loaded preset: a user's .toml is found by its path, never by the name inside it.
        preset, reason = resolve(profile), "chosen with --as"
    findings = check(info, preset)
    if deep and not info.damage:
        from mediakit.deep import deep_check  # deep imports Finding from here

        try:
            findings = (*findings, *deep_check(info, preset, ffmpeg_bin))
        except (UsageError, FFmpegNotFound):
            raise
        except Exception as exc:  # the metadata findings stand; the decode's failure is added to them
            findings = (*findings, _failure(exc, path, "deep"))
    return FileReport(shown, preset.name, reason, findings, media=info)


def self_check(rendered_path: Path, shown_as: Path, preset: Preset, what: str) -> FileReport:
    """Validate a render before it replaces its output: an error finding is a bug, raised as RenderError."""
    from mediakit.errors import RenderError

    rendered = probe(rendered_path)
    findings = check(rendered, preset)
    report = FileReport(str(shown_as), preset.name, "rendered by mediakit", findings, media=rendered)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise RenderError(
            f"the rendered {what} fails its own validation: {errors[0].message}",
            "please report this as a bug, with the command you ran",
        )
    return report


def expand(paths: Iterable[str | bytes | os.PathLike[str]]) -> Iterator[Path]:
    """Files named directly, plus media files found by walking directories (sorted, hidden ones skipped)."""
    for raw in paths:
        p = Path(os.fsdecode(raw))
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith(".") and Path(name).suffix.lower() in MEDIA_SUFFIXES:
                        yield Path(root) / name
        else:
            yield p


def known_checks() -> set[str]:
    return set(_CHECKS)
