"""Typed errors and the exit codes they map to (the one place exit codes are defined)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, documented in `mediakit --help` and the README."""

    OK = 0
    FAILED = 1  # a file failed its profile, or an input could not be used as media
    USAGE = 2  # bad command line or preset
    FFMPEG = 3  # ffmpeg is missing, failed or timed out
    OUTPUT = 4  # the output could not be written (exists without --overwrite, no permission, ...)
    INTERRUPTED = 130  # Ctrl-C / SIGTERM


EXIT_CODE_HELP = (
    "Exit codes: 0 ok (warnings allowed); 1 a file failed its profile or an input is not usable media; "
    "2 usage error; 3 ffmpeg missing or failed; 4 output not writable or already exists; 130 interrupted."
)


class MediakitError(Exception):
    """Base class: `message` is one line in the user's terms, `hint` one line on what to do."""

    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class UsageError(MediakitError):
    exit_code = ExitCode.USAGE


class PresetError(UsageError):
    """A preset file is malformed: the message names the file and the key path."""


class InputError(MediakitError):
    """An input cannot be used: missing, not a regular file, unsafe, or not media we accept."""


class ProbeError(InputError):
    """An input looked like media but could not be read (corrupt, truncated, no frames)."""


class RenderError(MediakitError):
    """A render finished but its output does not pass its own profile."""


class FFmpegError(MediakitError):
    exit_code = ExitCode.FFMPEG


class FFmpegNotFound(FFmpegError):
    pass


class FFmpegFailed(FFmpegError):
    pass


class FFmpegTimeout(FFmpegError):
    pass


class OutputError(MediakitError):
    exit_code = ExitCode.OUTPUT
