"""Which ffmpeg binary mediakit runs, its version, and which encoders and filters it has."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
from dataclasses import dataclass

from mediakit.errors import FFmpegNotFound

ENV_VAR = "MEDIAKIT_FFMPEG"

# What mediakit needs from ffmpeg, for `mediakit doctor`: (kind, name, used for).
REQUIREMENTS: tuple[tuple[str, str, str], ...] = (
    ("encoder", "libx264", "H.264 video for canvases and clips"),
    ("encoder", "aac", "clip audio"),
    ("encoder", "mjpeg", "JPEG canvases"),
    ("filter", "subtitles", "burned-in captions (libass)"),
    ("filter", "ass", "burned-in captions (libass)"),
    ("filter", "zscale", "HDR to SDR tone mapping (zimg)"),
    ("filter", "tonemap", "HDR to SDR tone mapping"),
    ("filter", "xfade", "crossfade loops"),
    ("filter", "loudnorm", "clip loudness normalization"),
    ("filter", "ebur128", "loudness measurement"),
    ("filter", "gblur", "blurred backgrounds"),
    ("filter", "setparams", "colour tags"),
)


@functools.cache
def _default_ffmpeg() -> str:
    try:
        import imageio_ffmpeg
    except ImportError:  # pragma: no cover - imageio-ffmpeg is a hard dependency
        raise FFmpegNotFound("imageio-ffmpeg is not installed", f"install it, or set {ENV_VAR}") from None
    # The binary in imageio-ffmpeg's wheel, found as imageio-ffmpeg finds it but without running it:
    # get_ffmpeg_exe() starts `ffmpeg -version` to vet it (about 40 ms on every mediakit command).
    # A broken binary still gives a clear error: the first run raises FFmpegNotFound or FFmpegFailed.
    with contextlib.suppress(ImportError, AttributeError, KeyError, OSError):
        from imageio_ffmpeg import _definitions, _utils

        bundled = os.path.join(
            _utils._get_bin_dir(), _definitions.FNAME_PER_PLATFORM[_definitions.get_platform()]
        )
        if os.path.isfile(bundled) and os.access(bundled, os.X_OK) and not os.getenv("IMAGEIO_FFMPEG_EXE"):
            return bundled
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError as exc:
        raise FFmpegNotFound(f"no ffmpeg binary found: {exc}", f"set {ENV_VAR} to an ffmpeg path") from None


def ffmpeg_path(override: str | None = None) -> str:
    """The ffmpeg to run: `override` (from --ffmpeg), else $MEDIAKIT_FFMPEG, else imageio-ffmpeg's."""
    chosen = override or os.environ.get(ENV_VAR) or None
    if chosen is None:
        return _default_ffmpeg()
    found = shutil.which(chosen) if os.sep not in chosen else chosen
    if not found or not os.path.isfile(found) or not os.access(found, os.X_OK):
        # The CLI's --ffmpeg option also reads $MEDIAKIT_FFMPEG, so an override may have come from either.
        source = f"--ffmpeg or ${ENV_VAR}" if override else f"${ENV_VAR}"
        raise FFmpegNotFound(f"ffmpeg from {source} is not an executable file: {chosen}")
    return os.path.abspath(found)


@dataclass(frozen=True)
class Capabilities:
    """What one ffmpeg binary reports about itself."""

    path: str
    version: str
    encoders: frozenset[str]
    filters: frozenset[str]

    def has(self, kind: str, name: str) -> bool:
        return name in (self.encoders if kind == "encoder" else self.filters)

    @property
    def major(self) -> int | None:
        match = re.search(r"(?:^|[^\d])(\d+)\.\d+", self.version)
        return int(match.group(1)) if match else None


def _names(listing: str) -> frozenset[str]:
    # Lines look like " V....D libx264   libx264 H.264 ..." or " TS gblur  V->V  Apply ...": the name is the
    # second column, after a flag field of dots and letters.
    names = set()
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) >= 2 and re.fullmatch(r"[A-Z.|]{2,6}", parts[0]):
            names.add(parts[1])
    return frozenset(names)


@functools.cache
def capabilities(path: str) -> Capabilities:
    """Ask the binary for its version, encoders and filters (cached per path)."""
    from mediakit.ffmpeg.runner import run_capture

    version_out = run_capture([path, "-hide_banner", "-version"])
    first = version_out.splitlines()[0] if version_out else ""
    match = re.match(r"ffmpeg version (\S+)", first)
    version = match.group(1) if match else first
    encoders = _names(run_capture([path, "-hide_banner", "-encoders"]))
    filters = _names(run_capture([path, "-hide_banner", "-filters"]))
    return Capabilities(path=path, version=version, encoders=encoders, filters=filters)
