"""Run one command and measure it: wall time, and peak RSS summed over its whole process tree.

The command runs in a new session. A sampler thread reads /proc every 50 ms and sums the resident set of
every process in that session (python plus its ffmpeg child, at the same instant). It also keeps each
process's own high-water mark (VmHWM), which catches a spike shorter than one poll; the reported peak is the
larger of the two. The main thread blocks in wait4(), so the wall time ends when the process does, not at
the next poll. wait4 also gives the CPU time (user + system) of the tree, which a busy machine disturbs
much less than the wall time.

wait4's ru_maxrss is not used: Linux carries the parent's high-water mark through fork and exec, so a child
of a harness that once held 900 MB would report 900 MB.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

POLL_SECONDS = 0.05
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Sample:
    """One measured run."""

    seconds: float
    cpu_seconds: float  # user + system time of the process and every descendant it waited for
    peak_tree_bytes: int  # max over time of the summed RSS of the session (python + ffmpeg together)
    peak_single_bytes: int  # the largest VmHWM of any one process in the session
    processes: int  # how many distinct processes the sampler saw
    returncode: int
    timed_out: bool

    @property
    def peak_bytes(self) -> int:
        return max(self.peak_tree_bytes, self.peak_single_bytes)


def _hwm(pid: str) -> int:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status", "rb") as fh:
        for line in fh:
            if line.startswith(b"VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def _session(session: int, hwm: dict[str, int]) -> int:
    """Summed RSS (bytes) of every live process in `session`; updates each one's high-water mark."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue  # exited between the listing and the read
        # "pid (comm) state ppid pgrp session ... rss": comm may hold spaces and parentheses.
        fields = stat[stat.rfind(b")") + 2 :].split()
        if int(fields[3]) == session:
            total += int(fields[21]) * PAGE
            hwm[entry.name] = max(hwm.get(entry.name, 0), _hwm(entry.name))
    return total


def run(
    argv: Sequence[str | os.PathLike[str]],
    *,
    stdout: Path,
    stderr: Path,
    timeout: float,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> Sample:
    """Run `argv` (no shell) to completion, stdout and stderr to files; kill its session on timeout."""
    peak = 0
    hwm: dict[str, int] = {}
    stop = threading.Event()
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [os.fspath(a) for a in argv],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, _session(proc.pid, hwm))
                stop.wait(POLL_SECONDS)

        def expire() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timed_out = threading.Event()
        sampler = threading.Thread(target=sample, daemon=True)
        watchdog = threading.Timer(timeout, expire)
        sampler.start()
        watchdog.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - started
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            raise
        finally:
            watchdog.cancel()
            stop.set()
            sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
        # Children left behind by a crashed parent would skew the next run: end the session.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    return Sample(
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_tree_bytes=peak,
        peak_single_bytes=max(hwm.values(), default=0),
        processes=len(hwm),
        returncode=proc.returncode,
        timed_out=timed_out.is_set(),
    )


def self_test() -> None:
    """Two processes of ~100 MB each read as ~200 MB, though the parent holds 300 MB when it starts them."""
    code = (
        "import subprocess, sys, time; b = bytearray(100 << 20); b[::4096] = b'x' * len(b[::4096]); "
        "c = subprocess.Popen([sys.executable, '-c', \"import time; b = bytearray(100 << 20); "
        "b[::4096] = b'x' * len(b[::4096]); time.sleep(0.6)\"]); time.sleep(0.6); c.wait()"
    )
    ballast = bytearray(300 << 20)
    ballast[::PAGE] = b"x" * len(ballast[::PAGE])
    with tempfile.TemporaryDirectory() as tmp:
        s = run([sys.executable, "-c", code], stdout=Path(tmp, "o"), stderr=Path(tmp, "e"), timeout=30)
    print(
        f"tree {s.peak_tree_bytes / 2**20:.0f} MiB, single {s.peak_single_bytes / 2**20:.0f} MiB, "
        f"{s.processes} processes, {s.seconds:.2f} s, rc {s.returncode}"
    )
    assert s.returncode == 0 and s.processes >= 2
    assert s.peak_tree_bytes > 190 * 2**20 > s.peak_single_bytes > 95 * 2**20, s


if __name__ == "__main__":
    self_test()
