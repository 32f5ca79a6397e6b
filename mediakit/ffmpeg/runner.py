"""The one place mediakit starts a subprocess: ffmpeg with list argv, a timeout, progress and cleanup."""

from __future__ import annotations

import contextlib
import errno
import functools
import logging
import os
import shlex
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from mediakit.errors import FFmpegFailed, FFmpegNotFound, FFmpegTimeout

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 1800.0
# A feeder (decoding and fitting frames for an encoder ffmpeg) runs this many nice levels below mediakit:
# it is several times faster than x264, so it can wait for the moments x264's threads leave a core idle
# instead of taking turns with them. Ping-pong from 1080p footage: 9.32 -> 8.97 s (median of 5, in turn).
FEEDER_NICE = 5


@dataclass(frozen=True)
class Progress:
    """One `-progress` report from ffmpeg."""

    frame: int
    out_seconds: float
    speed: float | None
    done: bool


@dataclass(frozen=True)
class RunResult:
    argv: tuple[str, ...]
    seconds: float
    stderr: str


ProgressCallback = Callable[[Progress], None]


def _encode(arg: str) -> bytes:
    # Paths with undecodable bytes arrive as surrogate escapes; os.fsencode gives back the original bytes.
    return os.fsencode(arg)


def _summary(stderr: str) -> str:
    """The most telling line of ffmpeg's stderr, for a one-line error message."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    telling = ("error", "invalid", "not ", "no such", "unable", "cannot", "failed")
    generic = ("conversion failed", "error opening output files")
    # What ffmpeg's threads log as they wind down after the real error, in an order that varies run to run.
    aftermath = ("terminating thread with return code", "task finished with error code",
                 "error sending frames to consumers", "nothing was written into output file",
                 "could not open encoder before eof")  # fmt: skip
    for line in reversed(lines):
        lowered = line.lower()
        consequence = lowered.startswith(generic) or any(phrase in lowered for phrase in aftermath)
        if any(word in lowered for word in telling) and not consequence:
            return line
    return lines[-1] if lines else "no message"


def _parse_progress(stream: Iterable[bytes], on_progress: ProgressCallback | None) -> None:
    fields: dict[str, str] = {}
    for raw in stream:
        key, _, value = raw.decode("utf-8", "replace").strip().partition("=")
        if key != "progress":
            fields[key] = value
            continue
        if on_progress is None:
            continue
        try:
            out_us = int(fields.get("out_time_us") or fields.get("out_time_ms") or 0)
        except ValueError:
            out_us = 0
        speed_text = fields.get("speed", "").rstrip("x").strip()
        try:
            speed = float(speed_text) if speed_text and speed_text != "N/A" else None
        except ValueError:
            speed = None
        frame = int(fields["frame"]) if fields.get("frame", "").isdigit() else 0
        on_progress(Progress(frame=frame, out_seconds=max(0, out_us) / 1e6, speed=speed, done=value == "end"))


def full_argv(argv: Sequence[str], *, fed: bool, progress: bool = True) -> list[str]:
    """`argv` as the runner starts it: no banner or stats, progress on stdout, stdin closed unless fed."""
    full = [argv[0], "-hide_banner", "-nostats"]
    if progress:
        full += ["-progress", "pipe:1"]
    if not fed:
        full.append("-nostdin")
    return [*full, *argv[1:]]


def run(
    argv: Sequence[str],
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    frames: Iterable[bytes] | None = None,
    feed: Callable[[Any], None] | None = None,
    on_progress: ProgressCallback | None = None,
) -> RunResult:
    """Run ffmpeg `argv` (argv[0] is the binary) to completion, or raise.

    `frames` are written to ffmpeg's stdin (for `-i pipe:0`); or `feed` is called with that stdin and
    writes to it however it likes (e.g. has another process write into it). The child is killed on
    timeout, on Ctrl-C and on any exception, so no ffmpeg outlives the call.
    """
    if feed is not None and frames is not None:
        raise ValueError("give frames or feed, not both")
    if frames is not None:
        feed = functools.partial(_write_all, frames)
    full = full_argv(argv, fed=feed is not None)
    log.debug("running: %s", shlex.join(full))
    started = time.monotonic()
    proc = _start(
        full, stdin=subprocess.PIPE if feed is not None else subprocess.DEVNULL, stdout=subprocess.PIPE
    )
    stderr_lines: list[bytes] = []
    assert proc.stdout is not None and proc.stderr is not None
    if proc.stdin is not None:
        _widen_pipe(proc.stdin)
    readers = [
        threading.Thread(target=lambda: stderr_lines.extend(proc.stderr), daemon=True),  # type: ignore[arg-type]
        threading.Thread(target=_parse_progress, args=(proc.stdout, on_progress), daemon=True),
    ]
    broken_pipe = False
    try:
        with _supervised(proc, timeout, readers) as timed_out:
            if feed is not None:
                assert proc.stdin is not None
                try:
                    feed(proc.stdin)
                    proc.stdin.close()
                except BrokenPipeError:
                    broken_pipe = True  # ffmpeg died early; its stderr says why
                except FFmpegFailed:
                    if proc.wait() == 0:
                        raise
                    broken_pipe = True  # the feeder failed because this ffmpeg died: its error says why
            proc.wait()
    finally:  # after a kill, so flushing what is left cannot block
        if proc.stdin and not proc.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.close()
    stderr = _verdict(proc, timed_out, timeout, stderr_lines, broken_pipe, "")
    seconds = time.monotonic() - started
    log.debug("ffmpeg finished in %.2f s", seconds)
    return RunResult(argv=tuple(full), seconds=seconds, stderr=stderr)


@contextlib.contextmanager
def feeder(
    argv: Sequence[str], stdin: Any, stdout: Any, *, timeout: float | None = DEFAULT_TIMEOUT
) -> Iterator[subprocess.Popen[bytes]]:
    """Start an ffmpeg that writes raw frames into file descriptors mediakit hands it; yield the process.

    `stdout` (pipe:1) and `stdin` (pipe:0, written to: ffmpeg never reads it under -nostdin) are open file
    objects or descriptors, e.g. a spool file, so frames never pass through Python. Leaving the block
    waits for it to finish and raises FFmpegFailed if it failed; an exception in the block, or the
    timeout, kills it first. It runs FEEDER_NICE levels nicer than mediakit.
    """
    full = full_argv(argv, fed=False, progress=False)
    log.debug("running (feeder): %s", shlex.join(full))
    proc = _start(full, stdin=stdin, stdout=stdout)
    _lower_priority(proc.pid, FEEDER_NICE)
    assert proc.stderr is not None
    stderr_lines: list[bytes] = []
    reader = threading.Thread(target=lambda: stderr_lines.extend(proc.stderr), daemon=True)  # type: ignore[arg-type]
    with _supervised(proc, timeout, [reader]) as timed_out:
        yield proc
        proc.wait()
    _verdict(proc, timed_out, timeout, stderr_lines, False, " (feeder)")


@contextlib.contextmanager
def _supervised(
    proc: subprocess.Popen[bytes], timeout: float | None, readers: list[threading.Thread]
) -> Iterator[threading.Event]:
    """Start `readers` and a watchdog that kills `proc` after `timeout`; yield the event it sets if it
    does. An exception in the block kills `proc`; leaving stops the watchdog and joins the readers."""
    for thread in readers:
        thread.start()
    timed_out, watchdog = _watch(proc, timeout)
    try:
        yield timed_out
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        if watchdog:
            watchdog.cancel()
        for thread in readers:
            thread.join(timeout=5)


def _verdict(
    proc: subprocess.Popen[bytes],
    timed_out: threading.Event,
    timeout: float | None,
    stderr_lines: list[bytes],
    broken_pipe: bool,
    what: str,
) -> str:
    """Raise FFmpegTimeout or FFmpegFailed (with the telling line of stderr) for a finished `proc`; else
    return its stderr."""
    stderr = b"".join(stderr_lines).decode("utf-8", "replace")
    if timed_out.is_set():
        log.debug("ffmpeg%s stderr:\n%s", what, stderr)
        raise FFmpegTimeout(f"ffmpeg did not finish within {timeout:.0f} s and was stopped")
    if proc.returncode != 0 or broken_pipe:
        log.debug("ffmpeg%s exited with %s; stderr:\n%s", what, proc.returncode, stderr)
        raise FFmpegFailed(f"ffmpeg failed: {_summary(stderr)}", "run with --debug for ffmpeg's full output")
    return stderr


def _lower_priority(pid: int, steps: int) -> None:
    """Make a child `steps` nice levels nicer than this process (POSIX; best effort).

    Set right after exec, before ffmpeg opens its input and starts its threads, which inherit it. (Linux
    keeps a nice value per thread: were a thread already running, it would keep this process's value,
    which is only what happens without this call.)
    """
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, pid, min(19, os.getpriority(os.PRIO_PROCESS, 0) + steps))


def _start(full: list[str], stdin: Any, stdout: Any) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(
            [_encode(a) for a in full], stdin=stdin, stdout=stdout, stderr=subprocess.PIPE
        )
    except FileNotFoundError:
        raise FFmpegNotFound(f"ffmpeg not found at {full[0]}") from None
    except PermissionError:
        raise FFmpegNotFound(f"ffmpeg at {full[0]} is not executable") from None


def _watch(
    proc: subprocess.Popen[bytes], timeout: float | None
) -> tuple[threading.Event, threading.Timer | None]:
    """A timer that kills `proc` after `timeout` seconds, and the event it sets when it does."""
    timed_out = threading.Event()

    def _expire() -> None:
        timed_out.set()
        proc.kill()

    watchdog = threading.Timer(timeout, _expire) if timeout else None
    if watchdog:
        watchdog.daemon = True
        watchdog.start()
    return timed_out, watchdog


def _write_all(frames: Iterable[bytes], stdin: Any) -> None:
    for chunk in frames:
        stdin.write(chunk)


def send_range(out_fd: int, in_fd: int, offset: int, count: int) -> None:
    """`count` bytes of file `in_fd` from `offset` into the pipe `out_fd`: sendfile, else pread/write."""
    end = offset + count
    try:
        while offset < end:
            sent = os.sendfile(out_fd, in_fd, offset, end - offset)
            if sent == 0:
                raise OSError("short file")
            offset += sent
        return
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSOCK, errno.EOPNOTSUPP):
            raise
    while offset < end:  # platforms whose sendfile only writes to sockets
        data = os.pread(in_fd, min(end - offset, 1 << 20), offset)
        if not data:
            raise OSError("short file")
        offset += os.write(out_fd, data)


def _widen_pipe(pipe: Any) -> None:
    """Raise a pipe's buffer to 1 MB (Linux): a 3 MB frame crosses in 3 writes instead of 48."""
    with contextlib.suppress(ImportError, OSError, AttributeError, ValueError):
        import fcntl  # POSIX only

        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)


def run_capture(argv: Sequence[str], timeout: float = 30.0) -> str:
    """Run a short informational command (e.g. `ffmpeg -version`) and return its stdout."""
    log.debug("running: %s", shlex.join(argv))
    try:
        done = subprocess.run(
            [_encode(a) for a in argv],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise FFmpegNotFound(f"ffmpeg not found at {argv[0]}") from None
    except subprocess.TimeoutExpired:
        raise FFmpegTimeout(f"{argv[0]} did not answer within {timeout:.0f} s") from None
    if done.returncode != 0:
        raise FFmpegFailed(f"ffmpeg failed: {_summary(done.stderr.decode('utf-8', 'replace'))}")
    return done.stdout.decode("utf-8", "replace")
