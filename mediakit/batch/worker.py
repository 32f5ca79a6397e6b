"""One batch job run to an outcome, in whatever process or cluster worker it lands on (never raises)."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mediakit.batch import fixjob
from mediakit.batch.jobs import Job
from mediakit.batch.state import Fingerprint, fingerprint, job_key
from mediakit.errors import InputError, MediakitError, UsageError
from mediakit.inputs import local_file

log = logging.getLogger(__name__)

STATUSES = ("ok", "skipped", "failed", "invalid", "interrupted")


@dataclass(frozen=True)
class Task:
    """A job as sent to a worker: cached hashes of its files, and how many threads its ffmpeg may use."""

    job: Job
    known: dict[str, Fingerprint] = field(default_factory=dict)
    threads: int | None = None
    ffmpeg_bin: str | None = None


@dataclass(frozen=True)
class Outcome:
    """How a job ended: a status from STATUSES, a one-line reason, and what the render produced."""

    index: int
    status: str
    reason: str
    seconds: float = 0.0
    verdict: str | None = None
    frames: int | None = None
    duration: float | None = None
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what the render chose by looking at the source (framing, loop point)
    key: str | None = None
    fingerprints: dict[str, Fingerprint] = field(default_factory=dict)
    wrote: bool = True  # False: done with nothing to write (a fix of a file that already passes)
    fix: dict[str, Any] | None = None  # a fix job: what `mediakit fix --json` says of the file

    def summary(self) -> dict[str, Any]:
        """What the state keeps of a finished job, so a skipped job still reports its verdict, frames and
        the warnings its render gave (and a fix job what fix did)."""
        found: dict[str, Any] = {
            "verdict": self.verdict,
            "frames": self.frames,
            "duration": self.duration,
            "warnings": list(self.warnings),
            "notes": list(self.notes),
        }
        if self.fix is not None:
            found["fix"] = self.fix
        return found


def execute(task: Task, on_progress: Callable[[Any], None] | None = None) -> Outcome:
    # on_progress gets the pipeline's events (mediakit.pipeline.Event: step, fraction).
    """Render one job and validate it; every error becomes a `failed` or `invalid` outcome."""
    job = task.job
    started = time.monotonic()

    def ended(status: str, reason: str) -> Outcome:
        return Outcome(job.index, status, reason, seconds=round(time.monotonic() - started, 3))

    try:
        prints: dict[str, Fingerprint] = {}
        hashes: dict[str, str] = {}
        for role, path in job.files().items():
            local_file(path)  # a missing or unreadable file is the input's fault, reported as such
            prints[str(path)] = fingerprint(path, task.known.get(str(path)))
            hashes[role] = prints[str(path)].sha256
        job.output.parent.mkdir(parents=True, exist_ok=True)
        if job.kind == fixjob.NAME:
            return _fix(task, prints, hashes, started, on_progress)
        from mediakit.pipeline import render

        options = dataclasses.replace(job.options, threads=task.threads)
        result = render(
            job.kind,
            job.input,
            job.output,
            options,
            preset=job.preset,
            overwrite=True,
            ffmpeg_bin=task.ffmpeg_bin,
            on_event=on_progress,
        )
        captions = tuple(f"caption {i.rule}: {i.message}" for i in result.caption_issues)
        warnings = tuple(result.warnings) + captions
    except (InputError, UsageError) as exc:
        return ended("invalid", str(exc))
    except MediakitError as exc:
        return ended("failed", str(exc))
    except OSError as exc:
        return ended("failed", f"{exc.filename or job.output}: {exc.strerror or exc}")
    except Exception as exc:  # a bug must not stop the other jobs; the traceback goes to the debug log
        log.debug("job %d (%s) raised", job.index, job.name, exc_info=True)
        return ended("failed", f"internal error: {type(exc).__name__}: {exc}")
    report = result.report
    verdict = report.verdict() if report is not None else "pass"
    size = f", {report.media.size_bytes / 1e6:.1f} MB" if report is not None and report.media else ""
    length = f"{result.plan.frames} frames, {result.plan.seconds:g} s" if result.plan.seconds else "still"
    note = f", {len(warnings)} warning(s)" if warnings else ""
    return Outcome(
        job.index,
        "ok",
        f"{length}{size}, validation {verdict}{note}",
        seconds=round(time.monotonic() - started, 3),
        verdict=verdict,
        frames=result.plan.frames,
        duration=round(result.plan.seconds, 3),
        warnings=warnings,
        notes=tuple(result.notes),
        key=job_key(job, hashes),
        fingerprints=prints,
    )


def _fix(
    task: Task,
    prints: dict[str, Fingerprint],
    hashes: dict[str, str],
    started: float,
    on_progress: Callable[[Any], None] | None,
) -> Outcome:
    """A fix job: fixed or already passing is `ok` (and recorded, so a rerun skips it); a file that cannot
    be made to pass is `failed` with the rule and why, and leaves no output."""
    job = task.job

    def step(name: str) -> None:
        if on_progress is not None:  # fix reports steps, not fractions: the bar shows it started
            on_progress(_Step(name, 0.0))

    done = fixjob.run(job.input, job.output, job.options, job.preset, task.ffmpeg_bin, step, task.threads)
    seconds = round(time.monotonic() - started, 3)
    if done.status != "ok":
        return Outcome(job.index, done.status, done.reason, seconds=seconds, fix=done.detail)
    return Outcome(
        job.index,
        "ok",
        done.reason,
        seconds=seconds,
        verdict=done.verdict,
        duration=done.duration,
        key=job_key(job, hashes),
        fingerprints=prints,
        wrote=done.wrote,
        fix=done.detail,
    )


@dataclass(frozen=True)
class _Step:
    step: str
    fraction: float | None
