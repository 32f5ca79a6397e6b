"""Running batch tasks on this machine: a small pool of worker processes that can be stopped cleanly.

Processes, not threads: a stop must reach the running renders, and only a process can be told to stop.
Each worker turns SIGTERM/SIGINT into KeyboardInterrupt, so mediakit's runner kills its ffmpeg child and
the atomic output removes its temp file, exactly as for an interrupted `mediakit canvas`.
"""

from __future__ import annotations

import collections
import contextlib
import glob
import logging
import multiprocessing
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, cast

from mediakit.batch.worker import Outcome, Task, execute

log = logging.getLogger(__name__)

STOP_GRACE = 20.0  # seconds a worker gets to kill its ffmpeg and remove its temp file before it is killed
_PROGRESS_EVERY = 0.25  # seconds between progress messages from one worker


def _stop_once(signum: int, frame: Any) -> None:
    # A second signal during cleanup (Ctrl-C reaches the whole process group, then the pool sends SIGTERM)
    # must not interrupt the cleanup itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def _serve(conn: Connection, log_level: int) -> None:
    """Worker process: run tasks from `conn` until told to stop; send progress and outcomes back."""
    # A batch started with SIGINT ignored (`mediakit batch ... &` from a script, nohup) keeps ignoring it
    # in its workers too, as the main process does: only a real Ctrl-C stops the work.
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, _stop_once)
    signal.signal(signal.SIGTERM, _stop_once)
    if log_level < logging.WARNING:
        # A spawned process starts with no logging set up: mirror `mediakit -v/--debug` of the parent.
        logging.basicConfig(level=log_level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    lock = threading.Lock()  # progress comes from the runner's reader thread
    try:
        while (task := conn.recv()) is not None:
            last = 0.0

            def progress(event: Any, index: int = task.job.index) -> None:
                nonlocal last
                now = time.monotonic()
                if event.fraction is not None and (event.fraction >= 1.0 or now - last >= _PROGRESS_EVERY):
                    last = now
                    with lock:
                        conn.send(("progress", index, event.fraction))

            outcome = execute(task, progress)
            with lock:
                conn.send(("done", outcome))
    except (KeyboardInterrupt, EOFError, BrokenPipeError):
        pass


class _Worker:
    def __init__(self, ctx: Any) -> None:
        self.conn, child = ctx.Pipe()
        level = logging.getLogger().getEffectiveLevel()
        self.process = ctx.Process(
            target=_serve, args=(child, level), daemon=True, name="mediakit-batch-worker"
        )
        self.process.start()
        child.close()
        self.task: Task | None = None


def remove_temp_files(output: Path, since: float) -> None:
    """Remove temp files an interrupted render of `output` may have left (see render.output.atomic_output)."""
    pattern = f".{glob.escape(output.stem[:40])}.*.part{glob.escape(output.suffix)}"
    for leftover in output.parent.glob(pattern):
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime >= since - 1:
                leftover.unlink()
                log.info("removed %s", leftover)


class LocalPool:
    """`workers` processes (started with spawn: clean, portable, and safe whatever threads the parent has)."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self.ctx = multiprocessing.get_context("spawn")

    def run(
        self,
        tasks: list[Task],
        started: Callable[[Task], None],
        progress: Callable[[Task, float], None],
        done: Callable[[Outcome], None],
    ) -> None:
        """Run every task, calling back in this thread; on KeyboardInterrupt stop it all, then re-raise."""
        todo = collections.deque(tasks)
        pool = [_Worker(self.ctx) for _ in range(min(self.workers, len(tasks)))]
        began = time.time()
        try:
            while todo or any(w.task for w in pool):
                for worker in pool:
                    if worker.task is None and todo:
                        worker.task = todo.popleft()
                        worker.conn.send(worker.task)
                        started(worker.task)
                busy = {w.conn: w for w in pool if w.task is not None}
                for conn in wait(list(busy), timeout=1.0):
                    self._receive(busy[cast(Connection, conn)], pool, progress, done)
            for worker in pool:
                with contextlib.suppress(OSError):
                    worker.conn.send(None)
            for worker in pool:
                worker.process.join(timeout=STOP_GRACE)
        except KeyboardInterrupt:
            self._stop(pool, done, began)
            raise

    def _receive(
        self,
        worker: _Worker,
        pool: list[_Worker],
        progress: Callable[[Task, float], None],
        done: Callable[[Outcome], None],
    ) -> None:
        task = worker.task
        assert task is not None
        try:
            message = worker.conn.recv()
        except (EOFError, OSError):
            # The worker died under the job (killed by the OOM killer, a crash in a native library, ...).
            worker.process.join(timeout=5)
            code = worker.process.exitcode
            worker.task = None
            remove_temp_files(task.job.output, 0)
            pool[pool.index(worker)] = _Worker(self.ctx)
            done(Outcome(task.job.index, "failed", f"the worker process died (exit code {code})"))
            return
        if message[0] == "progress":
            progress(task, message[2])
        else:
            worker.task = None
            done(message[1])

    def _stop(self, pool: list[_Worker], done: Callable[[Outcome], None], began: float) -> None:
        """Tell every worker to stop, keep outcomes that still finished `ok`, and leave no temp files."""
        running = [w.task for w in pool if w.task is not None]
        for worker in pool:
            if worker.process.is_alive():
                worker.process.terminate()  # SIGTERM: the worker kills its ffmpeg and cleans up
        deadline = time.monotonic() + STOP_GRACE
        try:
            while any(w.process.is_alive() for w in pool) and time.monotonic() < deadline:
                # Keep reading, so a worker blocked on a full pipe can exit.
                open_conns = [w.conn for w in pool if not w.conn.closed]
                for ready in wait(open_conns, timeout=0.2):
                    conn = cast(Connection, ready)
                    try:
                        message = conn.recv()
                    except Exception:  # closed, or a message cut short by the stop: nothing to keep
                        conn.close()
                        continue
                    if message[0] == "done" and message[1].status == "ok":
                        done(message[1])  # finished before the stop reached it: the output is complete
        except KeyboardInterrupt:
            log.info("second interrupt: killing the workers")
        finally:
            for worker in pool:
                if worker.process.is_alive():
                    worker.process.kill()
                worker.process.join(timeout=5)
                worker.conn.close()
            for task in running:
                remove_temp_files(task.job.output, began)
