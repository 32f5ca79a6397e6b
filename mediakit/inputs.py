"""Opening untrusted local files: type checks and the options that keep FFmpeg on local media only."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from mediakit.errors import InputError

# Demuxers for real media. Everything else (concat scripts, HLS/DASH playlists, image sequences with
# patterns, tee, ...) can make FFmpeg open other files or connections, so it is refused before probing.
MEDIA_DEMUXERS = (
    "mov",
    "matroska",
    "avi",
    "mpegts",
    "flv",
    "ogg",
    "wav",
    "w64",
    "aiff",
    "mp3",
    "aac",
    "flac",
    "png_pipe",
    "jpeg_pipe",
    "jpegls_pipe",
    "webp_pipe",
    "tiff_pipe",
    "bmp_pipe",
    "gif",
)
FORMAT_WHITELIST = ",".join(MEDIA_DEMUXERS)
PROTOCOL_WHITELIST = "file"

# Options for every FFmpeg or PyAV input that comes from a user.
SAFE_INPUT_OPTIONS: dict[str, str] = {
    "protocol_whitelist": PROTOCOL_WHITELIST,
    "format_whitelist": FORMAT_WHITELIST,
}


def local_file(path: str | bytes | os.PathLike[str]) -> Path:
    """Return the absolute path of an existing, non-empty regular file, or raise InputError.

    A named pipe would block FFmpeg's open() forever, and a device or directory is never media,
    so the file type is checked before anything opens the path.
    """
    # fsdecode: a bytes name (e.g. b"caf\xe9.mp4", not UTF-8) becomes a str with surrogate escapes.
    p = Path(os.path.abspath(os.fsdecode(path)))
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise InputError(f"{display(p)}: no such file", "check the path") from None
    except OSError as exc:
        raise InputError(
            f"{display(p)}: cannot be read ({exc.strerror})", "check the path and its permissions"
        ) from None
    if stat.S_ISFIFO(st.st_mode):
        raise InputError(f"{display(p)}: is a named pipe, not a media file", "save the media to a file first")
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{display(p)}: is a directory", "name a media file; mediakit batch takes a folder")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{display(p)}: is not a regular file", "save the media to a file first")
    if st.st_size == 0:
        raise InputError(f"{display(p)}: is empty (0 bytes)", "the upload or copy may have failed")
    if not os.access(p, os.R_OK):
        raise InputError(f"{display(p)}: permission denied", "check the file's permissions")
    return p


def file_url(path: Path) -> str:
    """An absolute `file:` URL, so names like `-y.mp4`, `concat:x.mp4` or `tcp:…` are only ever files."""
    return "file:" + os.fspath(path)


def utf8_safe(path: Path) -> bool:
    """Whether the path's name round-trips through UTF-8 (non-UTF-8 bytes arrive as surrogates)."""
    try:
        os.fspath(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# Characters that would break a one-line message or change how a terminal shows it: C0/C1 controls
# (newline, carriage return, escape sequences), DEL, the Unicode line and paragraph separators, and
# bidirectional overrides (which can make "gpj.exe" read as "exe.jpg").
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """`text` with every control character shown as an escape (\\n, \\x1b, \\u202e), so it stays one line."""
    return _UNPRINTABLE.sub(lambda m: _NAMED.get(m[0]) or m[0].encode("unicode_escape").decode("ascii"), text)


def display(path: str | bytes | os.PathLike[str]) -> str:
    """A printable form of a path: undecodable bytes and control characters as escapes, never a crash."""
    text = os.fsdecode(path)
    try:
        # The name's real bytes, so b"caf\xe9.mp4" shows as caf\xe9.mp4 (not as its surrogate escape).
        shown = os.fsencode(text).decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        shown = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return printable(shown)
