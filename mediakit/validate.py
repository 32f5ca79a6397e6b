"""Checks media against a preset's rules and reports every violation with a one-line fix."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction
from pathlib import Path

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


def _finding(rule: Rule, observed: str, expected: str, message: str, hint: str) -> Finding:
    return Finding(rule.id, rule.severity, observed, expected, message, hint, rule.source)


def _seconds(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") + " s"


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
            f"trim it: mediakit {preset.kind} {display(info.path.name)} --duration {target}",
        )
    if lo is not None and (d < lo or (d == lo and not lo_in)):
        target = int(lo) + 1
        return _finding(
            rule,
            _seconds(d),
            expected,
            f"{_seconds(d)} is shorter than {_seconds(lo)}",
            f"render from a source of {target} s or more: mediakit {preset.kind} SOURCE --duration {target}",
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
        "re-render it: mediakit crops or pads to 1080x1920 (--fit crop|blur|pad)",
    )


def _whole_pixels_of(size: tuple[int, int], ratio: Fraction) -> bool:
    """Whether `size` is `ratio` to the nearest whole pixel (563x1000 is 9:16; 1080x1918 is not)."""
    w, h = size
    return abs(w - h * ratio) <= Fraction(1, 2) or abs(h - w / ratio) <= Fraction(1, 2)


@_check("height")
def _height(rule: Rule, info: MediaInfo, preset: Preset) -> Finding | None:
    size = info.display_size
    if not size:
        return None
    h = size[1]
    lo, hi = rule.params.get("min"), rule.params.get("max")
    if lo is not None and h < lo:
        return _finding(
            rule,
            f"{h} px",
            f"≥ {lo} px",
            f"{h} px tall is below the minimum of {lo} px",
            "use a larger source; mediakit renders 1080x1920",
        )
    if hi is not None and h > hi:
        return _finding(
            rule,
            f"{h} px",
            f"≤ {hi} px",
            f"{h} px tall is larger than needed ({hi} px)",
            "downscale to 1080x1920 to keep the file small",
        )
    return None


@_check("size")
def _size(rule: Rule, info: MediaInfo, preset: Preset) -> Finding | None:
    size = info.display_size
    if not size:
        return None
    w, h = size
    mw, mh = rule.params.get("min_width", 0), rule.params.get("min_height", 0)
    if w < mw or h < mh:
        return _finding(
            rule,
            f"{w}x{h}",
            f"≥ {mw}x{mh}",
            f"{w}x{h} is smaller than {mw}x{mh}",
            "use a larger source; mediakit renders 1080x1920",
        )
    ew, eh = rule.params.get("width"), rule.params.get("height")
    if (ew is not None and w != ew) or (eh is not None and h != eh):
        want = f"{ew if ew is not None else 'any'}x{eh if eh is not None else 'any'}"
        return _finding(
            rule,
            f"{w}x{h}",
            f"exactly {want}",
            f"{w}x{h} is not {want}",
            "use a larger source; mediakit renders 1080x1920",
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
        "reframe it to 9:16 with --fit crop --focus X,Y or --fit blur",
    )


@_check("container")
def _container(rule: Rule, info: MediaInfo, preset: Preset) -> Finding | None:
    allowed = rule.params["allowed"]
    if info.container in allowed:
        return None
    names = ", ".join(a.upper() for a in allowed)
    return _finding(
        rule,
        info.container.upper(),
        names,
        f"{info.container.upper()} is not {names}",
        "re-render it with mediakit, which writes MP4",
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
        rule, got, want, f"the video is {got}, not {want}", "re-encode it with mediakit (H.264 High, yuv420p)"
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
            "the file has audio, which Spotify ignores for a Canvas",
            "drop it: mediakit canvas re-renders without audio",
        )
    return _finding(
        rule,
        "no audio stream",
        "an audio stream",
        "the file has no audio; Clips need sound",
        "add a track: mediakit clip SOURCE --audio song.wav",
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
    hint = "re-render it with mediakit (constant 30 fps; --fps 24|25|30)"
    if (lo is not None and fps < lo - 0.01) or (hi is not None and fps > hi + 0.01):
        return _finding(rule, f"{fps:.3f} fps", expected, f"{fps:.2f} fps is outside {span}", hint)
    if rule.params.get("constant") and v.constant_rate is False:
        return _finding(
            rule, f"variable ({fps:.2f} fps average)", expected, "the frame rate is variable", hint
        )
    return None


@_check("file-size")
def _file_size(rule: Rule, info: MediaInfo, preset: Preset) -> Finding | None:
    limit = rule.params["max_bytes"]
    if info.size_bytes <= limit:
        return None
    return _finding(
        rule,
        f"{info.size_bytes / 1e6:.1f} MB",
        f"≤ {limit / 1e6:.0f} MB",
        f"the file is {info.size_bytes / 1e6:.1f} MB, over {limit / 1e6:.0f} MB",
        "re-render it with a higher --crf (e.g. 23) or a shorter --duration",
    )


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
    untagged = all(value is None for value in wrong.values())
    message = (
        f"the video's colour space is not tagged ({shown})"
        if untagged
        else f"the video is tagged {shown}, not {want}"
    )
    return _finding(rule, shown, want, message, "re-render it with mediakit, which tags BT.709")


_COLOR_WORDS = {"primaries": "primaries", "transfers": "transfer", "spaces": "matrix"}


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
            "use a video file; for a clip from a still: mediakit clip still.png --audio song.wav",
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
