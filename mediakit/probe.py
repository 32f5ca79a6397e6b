"""Reads media metadata once (PyAV for audio/video, Pillow for stills) into frozen dataclasses."""

from __future__ import annotations

import itertools
import logging
import os
import re
import struct
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import IO, Any, Literal

from mediakit.errors import InputError, ProbeError
from mediakit.inputs import SAFE_INPUT_OPTIONS, display, file_url, local_file, utf8_safe

log = logging.getLogger(__name__)

# Stills above this many pixels are refused before they are decoded (an image bomb guard; 8000x8000 is 64 MP).
MAX_STILL_PIXELS = 100_000_000
# Video frames above this are refused before a frame is decoded (16K x 16K).
MAX_VIDEO_PIXELS = 16384 * 16384
STILL_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP")

_PRIMARIES = {
    1: "bt709",
    4: "bt470m",
    5: "bt470bg",
    6: "smpte170m",
    7: "smpte240m",
    9: "bt2020",
    11: "smpte431",
    12: "smpte432",
}
_TRANSFERS = {
    1: "bt709",
    4: "gamma22",
    5: "gamma28",
    6: "smpte170m",
    7: "smpte240m",
    8: "linear",
    13: "iec61966-2-1",
    14: "bt2020-10",
    15: "bt2020-12",
    16: "smpte2084",
    18: "arib-std-b67",
}
_SPACES = {0: "gbr", 1: "bt709", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 9: "bt2020nc", 10: "bt2020c"}
_RANGES = {1: "tv", 2: "pc"}
_HDR_TRANSFERS = {"smpte2084": "PQ", "arib-std-b67": "HLG"}

Kind = Literal["video", "audio", "image"]
# What the caller wants the file for, so a refusal's hint names formats that fit.
Expect = Literal["media", "audio"]
AUDIO_FORMATS = "WAV, FLAC, MP3, AAC/M4A, Ogg (Vorbis, Opus) or AIFF"
_HINTS: dict[str, str] = {
    "media": "expected MP4, MOV, MKV, WebM, or an image",
    "audio": f"--audio takes {AUDIO_FORMATS} (or a video with sound)",
}
# Tracker modules are note data plus samples, not recorded audio: FFmpeg plays them only when built with
# libopenmpt, and mediakit reads recorded audio only. Told by signature, else by name (but camcorders
# also name MPEG program streams .MOD).
_TRACKER_SUFFIXES = frozenset({".mod", ".xm", ".it", ".s3m", ".mptm", ".669", ".mtm", ".stm", ".med", ".okt"})
_TRACKER_MAGIC = (
    (0, b"Extended Module:"),
    (0, b"IMPM"),
    (44, b"SCRM"),
    *((1080, tag) for tag in (b"M.K.", b"M!K!", b"FLT4", b"FLT8", b"4CHN", b"6CHN", b"8CHN")),
)
_MPEG_PS_PACK = b"\x00\x00\x01\xba"
# Still formats the probe gives a first-frame still of; animated images of the other formats are refused.
_PAGED_FORMATS = ("TIFF", "MPO")


@dataclass(frozen=True)
class VideoInfo:
    """A video stream. Sizes are in pixels; `display_*` is what a player shows (after SAR and rotation)."""

    index: int
    codec: str
    profile: str | None
    pix_fmt: str | None
    bit_depth: int | None
    chroma: str | None
    coded_width: int
    coded_height: int
    sar: Fraction
    rotation: int
    display_width: int
    display_height: int
    avg_rate: Fraction | None
    real_rate: Fraction | None
    constant_rate: bool | None
    frames: int
    declared_frames: int | None
    duration: Fraction | None
    color_primaries: str | None
    color_transfer: str | None
    color_space: str | None
    color_range: str | None
    interlaced: bool

    @property
    def hdr(self) -> str | None:
        """'PQ' or 'HLG' for HDR transfer characteristics, else None."""
        return _HDR_TRANSFERS.get(self.color_transfer or "")

    @property
    def display_aspect(self) -> Fraction:
        return Fraction(self.display_width, self.display_height)


@dataclass(frozen=True)
class AudioInfo:
    index: int
    codec: str
    channels: int
    sample_rate: int
    layout: str | None
    duration: Fraction | None


@dataclass(frozen=True)
class StillInfo:
    """A still image; width and height are after EXIF orientation."""

    format: str
    width: int
    height: int
    orientation: int
    mode: str
    bit_depth: int
    has_alpha: bool
    frames: int


@dataclass(frozen=True)
class MediaInfo:
    """Everything mediakit knows about one input file."""

    path: Path
    size_bytes: int
    kind: Kind
    container: str
    demuxer: str
    duration: Fraction | None
    video: tuple[VideoInfo, ...] = ()
    audio: tuple[AudioInfo, ...] = ()
    still: StillInfo | None = None
    damage: tuple[str, ...] = field(default=())

    @property
    def primary_video(self) -> VideoInfo | None:
        return self.video[0] if self.video else None

    @property
    def display_size(self) -> tuple[int, int] | None:
        if self.still:
            return (self.still.width, self.still.height)
        v = self.primary_video
        return (v.display_width, v.display_height) if v else None


def probe(
    path: str | bytes | os.PathLike[str], *, decode: bool = True, expect: Expect = "media"
) -> MediaInfo:
    """Probe one local file. Raises InputError for anything that is not readable media.

    A still's pixels are decoded, so a truncated or damaged image is refused here, unless `decode` is
    False: renders pass that, because they decode the still themselves (`still.load_rgb`, which refuses a
    damaged one with the same error), and one decode of a 3000x3000 PNG is 0.2 s the encoder waits for.
    `expect` is what the file is for ("audio" for a --audio track): it chooses the hint of a refusal.

    What it returns always has a picture of at least 1x1 (or no picture): a file that declares a 0-pixel
    picture, an animated GIF/WebP/PNG (which a still would silently freeze) and an image variant no decoder
    here reads are refused with one line. Its cost is bounded by the file's bytes, never by what a header
    declares (durations, frame counts and picture sizes are read, not allocated for).
    """
    p = local_file(path)
    try:
        size = p.stat().st_size
        with _open_binary(p) as fh:
            head = fh.read(64)
            fh.seek(0)
            # Pillow warns (on stderr, in Python's format) of each oddity it skips in a damaged file: the
            # probe reports what matters in its own words instead.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                still = None if _video_container(head) else _probe_still(p, fh, size, head, decode)
    except OSError as exc:
        # e.g. the file vanished or lost its permissions after the type check in local_file.
        raise InputError(
            f"{display(p)}: cannot be read ({exc.strerror or exc})", "check the path and its permissions"
        ) from None
    if still is not None:
        return still
    return _probe_av(p, size, head, expect)


def _video_container(head: bytes) -> bool:
    """An MP4/MOV (ftyp box) or Matroska/WebM (EBML) header: no image format starts so, so Pillow (and its
    import, ~50 ms) can be skipped."""
    return head[4:8] == b"ftyp" or head[:4] == b"\x1a\x45\xdf\xa3"


@contextmanager
def _open_binary(p: Path) -> Iterator[IO[bytes]]:
    # O_NONBLOCK so a file swapped for a FIFO between the type check and here cannot block the open.
    fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        yield fh


# --- stills -----------------------------------------------------------------------------------------

_EXIF_SWAPS = {5, 6, 7, 8}
# What a damaged still can raise while Pillow decodes it (zlib/struct from PNG chunks, EOF from short reads,
# KeyError/TypeError from a TIFF whose later page lost a tag it needs: found by fuzzing truncated TIFFs).
PIL_DAMAGE = (
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    struct.error,
    zlib.error,
)


def _png_bit_depth(head: bytes) -> int | None:
    """Bits per sample from a PNG's IHDR: Pillow opens 16-bit RGB(A) PNGs as 8-bit RGB(A) modes."""
    if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR" and len(head) > 24:
        return head[24]
    return None


def _probe_still(
    p: Path, fh: IO[bytes], size: int, head: bytes = b"", decode: bool = True
) -> MediaInfo | None:
    from PIL import Image, UnidentifiedImageError

    bomb = (
        f"{display(p)}: image is too large to decode safely (an image bomb?)",
        f"the limit is {MAX_STILL_PIXELS / 1e6:.0f} MP; downscale it first",
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(fh, formats=STILL_FORMATS)
    except UnidentifiedImageError:
        named = _image_signature(head)
        if named:
            # Left to FFmpeg's image demuxers, such a file probed as a 0x0 "video" (a float TIFF, say).
            raise ProbeError(
                f"{display(p)}: a {named} image in a variant mediakit cannot decode (or damaged)",
                "save it again as an 8-bit or 16-bit PNG, JPEG or TIFF",
            ) from None
        return None
    except Image.DecompressionBombError:
        raise InputError(*bomb) from None
    except PIL_DAMAGE as exc:
        raise ProbeError(f"{display(p)}: damaged image ({exc})", "export or download it again") from None
    with im:
        width, height = im.size
        if width < 1 or height < 1:
            raise ProbeError(f"{display(p)}: declares a {width}x{height} picture", "export it again")
        if width * height > MAX_STILL_PIXELS:
            raise InputError(
                f"{display(p)}: image is {width}x{height} ({width * height / 1e6:.0f} MP); "
                f"the limit is {MAX_STILL_PIXELS / 1e6:.0f} MP",
                "downscale it first",
            )
        mode = im.mode
        fmt = "JPEG" if im.format == "MPO" else str(im.format)
        has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info
        bit_depth = 16 if mode.startswith("I;16") or mode == "I" else 1 if mode == "1" else 8
        if fmt == "PNG":
            bit_depth = _png_bit_depth(head) or bit_depth
        try:
            # n_frames walks the file's frame headers (bounded by its size; nothing is decoded).
            frames = int(getattr(im, "n_frames", 1))
            if frames > 1 and fmt not in _PAGED_FORMATS:
                raise InputError(
                    f"{display(p)}: an animated {fmt} ({frames} frames); a still would freeze it on its "
                    "first frame",
                    "for motion, export it as an MP4 video; for a still, save one frame as PNG or JPEG",
                )
            # Pillow's TIFF reader turns the picture itself: its size is already as shown, and loading drops
            # the tag. Read it first, and compare with the stored size rather than turn it twice.
            stored = _tiff_stored_size(im) if fmt == "TIFF" else None
            tiff_orientation = int(im.getexif().get(0x0112, 1) or 1) if stored else None
            if decode:
                if fmt == "JPEG":
                    # Decoding at 1/8 scale still reads every byte, so truncation is caught, at a fraction of
                    # the cost.
                    im.draft(im.mode, (max(1, im.size[0] // 8), max(1, im.size[1] // 8)))
                im.load()
            # PNG's getexif() decodes the whole image itself when no eXIf chunk came before the pixels; such
            # a late chunk is only seen by a decode (load_rgb still applies it to the pixels).
            late_exif = fmt == "PNG" and not decode and "exif" not in im.info
            if tiff_orientation is not None:
                orientation = tiff_orientation
            else:
                orientation = 1 if late_exif else int(im.getexif().get(0x0112, 1) or 1)
        except Image.DecompressionBombError:
            raise InputError(*bomb) from None
        except PIL_DAMAGE as exc:
            raise ProbeError(
                f"{display(p)}: damaged or truncated image ({exc})", "export or download it again"
            ) from None
        turned_by_pillow = stored is not None and stored != (width, height)
        if orientation in _EXIF_SWAPS and not turned_by_pillow:
            width, height = height, width
    info = StillInfo(fmt, width, height, orientation, mode, bit_depth, has_alpha, frames)
    return MediaInfo(
        path=p,
        size_bytes=size,
        kind="image",
        container=fmt.lower(),
        demuxer=fmt.lower(),
        duration=None,
        still=info,
    )


# --- audio and video ----------------------------------------------------------------------------------


def _image_signature(head: bytes) -> str | None:
    """The image format a file's first bytes announce (formats Pillow reads; None for anything else)."""
    if head[:4] in (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"):
        return "TIFF"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if head[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return None


def _tiff_stored_size(im: Any) -> tuple[int, int] | None:
    """A TIFF page's stored width and height (ImageWidth, ImageLength), before any orientation."""
    tags = getattr(im, "tag_v2", None)
    width, height = (tags.get(256), tags.get(257)) if tags is not None else (None, None)
    return (width, height) if isinstance(width, int) and isinstance(height, int) else None


def container_name(demuxer: str, head: bytes) -> str:
    """A short container name from the demuxer name and the file's first bytes (ftyp brand, EBML doctype)."""
    if demuxer.startswith("mov,"):
        brand = head[8:12] if head[4:8] == b"ftyp" else b""
        if brand == b"qt  ":
            return "mov"
        if brand.startswith(b"3g"):
            return "3gp"
        if brand in (b"M4A ", b"M4B "):
            return "m4a"
        return "mp4"
    if demuxer.startswith("matroska"):
        return "webm" if b"webm" in head else "mkv"
    return demuxer.split(",")[0]


@contextmanager
def open_container(p: Path, expect: Expect = "media") -> Iterator[Any]:
    """Open a local file with PyAV, limited to the file protocol and real media demuxers."""
    import av

    try:
        if utf8_safe(p):
            container: Any = av.open(file_url(p), options=dict(SAFE_INPUT_OPTIONS), metadata_errors="replace")
        else:
            # PyAV encodes names as UTF-8; hand it an open file instead (no protocol is involved at all).
            container = av.open(open(p, "rb"), options=dict(SAFE_INPUT_OPTIONS), metadata_errors="replace")  # noqa: SIM115
    except av.error.FFmpegError as exc:
        if isinstance(exc, av.error.EOFError):
            reason = "ends before any audio or video data (empty or cut short)"
        elif _looks_like_iso_bmff(p):
            # An MP4/MOV cut short loses its index (moov) when it is written last: name the likely cause.
            reason = "is an MP4/MOV whose index cannot be read (truncated or damaged)"
        elif exc.errno in (22, 1094995529):
            reason = "not a media format mediakit reads"
        else:
            reason = exc.strerror or "cannot be opened as media"
        hint = _HINTS[expect]
        if _is_tracker_module(p):
            suffix = p.suffix.lower()
            named = f" ({suffix})" if suffix in _TRACKER_SUFFIXES else ""
            reason = (
                f"a tracker module{named}, not a recording: mediakit reads recorded sound ({AUDIO_FORMATS})"
            )
            hint = "render it to WAV first (any tracker can export it), then pass the WAV"
        raise InputError(f"{display(p)}: {reason}", hint) from None
    try:
        yield container
    finally:
        container.close()


def _is_tracker_module(p: Path) -> bool:
    try:
        with _open_binary(p) as fh:
            head = fh.read(1084)
    except OSError:
        return False
    if any(head[at : at + len(magic)] == magic for at, magic in _TRACKER_MAGIC):
        return True
    return p.suffix.lower() in _TRACKER_SUFFIXES and not head.startswith(_MPEG_PS_PACK)


def _looks_like_iso_bmff(p: Path) -> bool:
    try:
        with _open_binary(p) as fh:
            return fh.read(8)[4:8] == b"ftyp"
    except OSError:
        return False


_TAG_DURATION = re.compile(r"^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$")


def _tagged_duration(s: Any) -> Fraction | None:
    """A stream's length from Matroska's DURATION tag (HH:MM:SS.fffffffff), which FFmpeg writes per track."""
    match = _TAG_DURATION.match(str((s.metadata or {}).get("DURATION", "")).strip())
    if not match:
        return None
    h, m, sec = match.groups()
    return _fraction(Fraction(int(h) * 3600 + int(m) * 60) + Fraction(sec))


def _fraction(value: Any) -> Fraction | None:
    if value is None:
        return None
    frac = Fraction(value)
    return frac if frac > 0 else None


def _rotation(degrees: float) -> int:
    return round(degrees / 90.0) % 4 * 90


def _probe_av(p: Path, size: int, head: bytes, expect: Expect = "media") -> MediaInfo:
    import av

    damage: list[str] = []
    with open_container(p, expect) as c:
        demuxer = c.format.name
        vstreams = [s for s in c.streams.video if s.codec_context is not None]
        astreams = [s for s in c.streams.audio if s.codec_context is not None]
        if not vstreams and not astreams:
            raise InputError(
                f"{display(p)}: has no audio or video stream", "use a video, an image or an audio file"
            )
        cut: list[str] = []
        counts, pts_by_stream, last_end = _demux_index(c, vstreams + astreams, damage, cut)
        videos = []
        for s in vstreams:
            videos.append(_video_info(p, c, s, counts[s.index], pts_by_stream[s.index], damage))
        audios = [_audio_info(s) for s in astreams]
        duration = _fraction(Fraction(c.duration, av.time_base)) if c.duration else None
        stream_ends = [e for e in last_end.values() if e]
        measured = max(stream_ends) if stream_ends else None
        if duration is None:
            duration = measured
        for s in vstreams:
            end = last_end.get(s.index)
            if end is None or damage:
                continue
            # Compare with the video's own length where the file states it: the container's duration is
            # the longest stream's, and audio may rightly run on after the picture ends.
            own = _fraction(s.duration * s.time_base) if s.duration and s.time_base else None
            # Matroska has no frame count to compare with, but FFmpeg tags each track with its exact length.
            tagged = None if own else _tagged_duration(s)
            rate = _fraction(s.average_rate)
            slack = max(Fraction(1, 20), 2 / rate) if rate else Fraction(1, 10)
            length = own or tagged or duration
            if length and end < (tagged - slack if tagged else length * Fraction(9, 10)):
                damage.append(f"video data ends at {float(end):.2f} s of {float(length):.2f} s (truncated?)")
        if cut and not damage:  # the other checks say more (how much is missing) when they see it
            damage.extend(cut)
        if measured and duration and not damage and duration > measured + max(Fraction(1), measured / 10):
            # A header claiming hours over seconds of intact packets (the streams' own lengths agree with
            # the packets, or truncation would have been found above): what plays, and what a render or a
            # deep check decodes, is the packets, so the length is theirs; nothing is sized by the claim.
            log.info("%s: declares %.2f s, its data ends at %.2f s", display(p), duration, measured)
            duration = measured
    kind: Kind = "video" if videos else "audio"
    return MediaInfo(
        path=p,
        size_bytes=size,
        kind=kind,
        container=container_name(demuxer, head),
        demuxer=demuxer,
        duration=duration,
        video=tuple(videos),
        audio=tuple(audios),
        damage=tuple(damage),
    )


def _demux_index(
    c: Any, streams: list[Any], damage: list[str], cut: list[str]
) -> tuple[dict[int, int], dict[int, list[int]], dict[int, Fraction]]:
    """Read every packet header (no decoding): counts, timestamps and where each stream's data ends.

    A file cut short with its index at the front still declares its full length; only the packets show it.
    """
    import av

    counts = {s.index: 0 for s in streams}
    pts: dict[int, list[int]] = {s.index: [] for s in streams}
    ends: dict[int, Fraction] = {}
    starts = {s.index: (s.start_time or 0) for s in streams}
    try:
        for packet in c.demux(streams):
            if packet.size == 0:
                continue
            idx = packet.stream.index
            counts[idx] += 1
            # A file cut inside its last frame still yields that frame, short and flagged corrupt.
            if packet.is_corrupt and not cut:
                at = float((packet.pts or 0) * packet.time_base) if packet.time_base else 0.0
                cut.append(
                    f"the {packet.stream.type} data is cut short or corrupt at {at:.2f} s (truncated?)"
                )
            if packet.pts is not None:
                pts[idx].append(packet.pts)
                end = (packet.pts + (packet.duration or 0) - starts[idx]) * packet.time_base
                if end > ends.get(idx, Fraction(0)):
                    ends[idx] = Fraction(end)
    except av.error.FFmpegError as exc:
        damage.append(f"the data is damaged ({exc.strerror})")
    return counts, pts, ends


def _video_info(p: Path, c: Any, s: Any, count: int, pts: list[int], damage: list[str]) -> VideoInfo:
    import av

    cc = s.codec_context
    width, height = int(cc.width or 0), int(cc.height or 0)
    if width < 1 or height < 1:
        # Every check after this divides by the picture's size; a stream without one cannot be shown either.
        raise ProbeError(
            f"{display(p)}: the video stream declares no picture size ({width}x{height})",
            "the file is damaged, or its video is in a format mediakit cannot decode",
        )
    if width * height > MAX_VIDEO_PIXELS:
        raise InputError(
            f"{display(p)}: declares a {width}x{height} video, larger than mediakit decodes",
            "scale it down first",
        )
    declared = int(s.frames) if s.frames else None
    if count == 0:
        raise ProbeError(f"{display(p)}: the video stream has no frames", "export or download it again")
    if declared and count < declared:
        damage.append(f"only {count} of {declared} video frames are present (truncated)")
    frame = None
    try:
        c.seek(0)
        frame = next(iter(c.decode(s)), None)
    except av.error.FFmpegError as exc:
        damage.append(f"the first video frame does not decode ({exc.strerror})")
    if frame is None and not damage:
        damage.append("no video frame decodes")
    rotation = _rotation(getattr(frame, "rotation", 0) or 0) if frame is not None else 0
    fmt = frame.format if frame is not None else None
    pix_fmt = fmt.name if fmt is not None else cc.pix_fmt
    bit_depth = fmt.components[0].bits if fmt is not None and fmt.components else None
    chroma = _chroma(fmt) if fmt is not None else None
    sar = _fraction(s.sample_aspect_ratio or cc.sample_aspect_ratio) or Fraction(1)
    # As players do (and ffprobe's DAR): the stored height is kept and the width stretched by the SAR.
    # At least 1 px: an absurd SAR (1:10000) must not make a 0-wide picture.
    shown_w, shown_h = max(1, round(width * sar)), height
    if rotation in (90, 270):
        shown_w, shown_h = shown_h, shown_w
    source = frame if frame is not None else cc
    primaries = _PRIMARIES.get(int(getattr(source, "color_primaries", 2) or 2))
    transfer = _TRANSFERS.get(int(getattr(source, "color_trc", 2) or 2))
    space = _SPACES.get(int(getattr(source, "colorspace", 2) or 2))
    crange = _RANGES.get(int(getattr(source, "color_range", 0) or 0))
    if pix_fmt and pix_fmt.startswith("yuvj"):
        crange = "pc"
    duration = _fraction(s.duration * s.time_base) if s.duration else None
    return VideoInfo(
        index=s.index,
        codec=_codec_name(s),
        profile=cc.profile or None,
        pix_fmt=pix_fmt,
        bit_depth=bit_depth,
        chroma=chroma,
        coded_width=width,
        coded_height=height,
        sar=sar,
        rotation=rotation,
        display_width=shown_w,
        display_height=shown_h,
        avg_rate=_fraction(s.average_rate),
        real_rate=_fraction(s.base_rate),
        constant_rate=_constant_rate(pts, s.time_base),
        frames=count,
        declared_frames=declared,
        duration=duration,
        color_primaries=primaries,
        color_transfer=transfer,
        color_space=space,
        color_range=crange,
        interlaced=bool(getattr(frame, "interlaced_frame", False)),
    )


def _codec_name(s: Any) -> str:
    # For AV1 the context names the decoder (libdav1d); the codec descriptor names the format.
    codec = getattr(s, "codec", None)
    return str(getattr(codec, "canonical_name", None) or s.codec_context.name)


def _chroma(fmt: Any) -> str | None:
    comps = list(fmt.components)
    if len(comps) < 3 or fmt.name.startswith(("rgb", "bgr", "gbr", "argb", "abgr", "rgba", "bgra")):
        return "gray" if len(comps) == 1 else "rgb"
    full_w = comps[0].width
    full_h = comps[0].height
    cw, ch = comps[1].width, comps[1].height
    if cw * 2 <= full_w + 1 and ch * 2 <= full_h + 1:
        return "4:2:0"
    if cw * 2 <= full_w + 1:
        return "4:2:2"
    return "4:4:4"


def _constant_rate(pts: list[int], time_base: Fraction) -> bool | None:
    """Constant when every frame step equals the typical one, within timestamp rounding (1 ms or 2 ticks)."""
    if len(pts) < 3:
        return None
    ordered = sorted(pts)
    steps = sorted(b - a for a, b in itertools.pairwise(ordered) if b > a)
    if not steps:
        return None
    typical = steps[len(steps) // 2]
    slack = max(2, int(Fraction(1, 1000) / Fraction(time_base)) if time_base else 2)
    return all(abs(step - typical) <= slack for step in steps)


def _audio_info(s: Any) -> AudioInfo:
    cc = s.codec_context
    layout = getattr(cc, "layout", None)
    channels = int(getattr(layout, "nb_channels", 0) or getattr(cc, "channels", 0) or 0)
    duration = _fraction(s.duration * s.time_base) if s.duration else None
    return AudioInfo(
        index=s.index,
        codec=_codec_name(s),
        channels=channels,
        sample_rate=int(cc.sample_rate or 0),
        layout=getattr(layout, "name", None),
        duration=duration,
    )
