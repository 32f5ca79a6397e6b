"""A batch run: skip what is up to date, run the rest here or on a cluster, keep state, write report.json."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediakit import __version__
from mediakit.batch.jobs import Job, default_preset, duplicate_outputs
from mediakit.batch.state import State, write_json_atomic
from mediakit.batch.worker import STATUSES, Outcome, Task
from mediakit.rendering.output import make_folder

log = logging.getLogger(__name__)

REPORT_NAME = "report.json"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Event:
    """What the engine tells its caller (always in the calling thread): `started`, `progress` or `done`."""

    kind: str
    job: Job
    fraction: float = 0.0  # progress: how far through its current step (encoding) the job is, 0-1
    outcome: Outcome | None = None


@dataclass(frozen=True)
class BatchResult:
    """Every job with its outcome, whether the run was interrupted, and the report.json document."""

    out: Path
    jobs: list[Job]
    outcomes: dict[int, Outcome]
    interrupted: bool
    document: dict[str, Any]

    def count(self, *statuses: str) -> int:
        return sum(1 for o in self.outcomes.values() if o.status in statuses)


def cores() -> int:
    """Cores this process may use (the affinity mask, not the machine's count, inside containers)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def default_workers() -> int:
    """Parallel jobs when --jobs is not given (see benchmarks/batch_bench.py for the measurements)."""
    return cores()


def run_batch(
    jobs: list[Job],
    out: Path,
    *,
    workers: int | None = None,
    cluster: str | None = None,
    force: bool = False,
    ffmpeg_bin: str | None = None,
    source: str = "",
    on_event: Callable[[Event], None] | None = None,
) -> BatchResult:
    """Run `jobs` into `out`. A KeyboardInterrupt stops the run cleanly: the result says `interrupted`."""
    started = time.monotonic()
    emit = on_event or (lambda event: None)
    make_folder(out)
    state = State.load(out)
    by_index = {job.index: job for job in jobs}
    outcomes: dict[int, Outcome] = {}
    clashes = duplicate_outputs(jobs)
    pending: list[Job] = []
    for job in jobs:
        if job.index in clashes:
            first = clashes[job.index]
            outcomes[job.index] = Outcome(job.index, "invalid", f"same output as {first.name}")
        elif not force and (entry := state.entry(job)) is not None:
            when = str(entry.get("finished", "?"))[:16].replace("T", " ")
            wrote = bool(entry.get("wrote", True))
            outcomes[job.index] = Outcome(
                job.index,
                "skipped",
                f"up to date (made {when})" if wrote else f"already passes (checked {when})",
                verdict=entry.get("verdict"),
                frames=entry.get("frames"),
                duration=entry.get("duration"),
                # a state written before warnings were kept has none: the skip then reports none
                warnings=tuple(str(w) for w in entry.get("warnings") or ()),
                notes=tuple(str(n) for n in entry.get("notes") or ()),
                wrote=wrote,
                fix=entry.get("fix"),
            )
        else:
            pending.append(job)
            continue
        emit(Event("done", job, outcome=outcomes[job.index]))
    n = max(1, workers or default_workers())
    threads = max(1, cores() // min(n, max(1, len(pending))))  # a lone job gets every core

    def done(outcome: Outcome) -> None:
        job = by_index[outcome.index]
        outcomes[outcome.index] = outcome
        if outcome.status == "ok" and outcome.key:
            try:
                state.record(job, outcome.key, outcome.fingerprints, outcome.summary(), outcome.wrote)
                state.save()  # after every job, so an interrupted batch resumes from here
            except OSError as exc:
                log.warning("could not record %s in %s: %s", job.output, state.path, exc)
        emit(Event("done", job, outcome=outcome))

    interrupted = False
    if pending:
        tasks = [Task(job, state.known(job), threads, ffmpeg_bin) for job in pending]
        pool: Any
        if cluster:
            from mediakit.batch.cluster import ClusterPool

            pool, backend = ClusterPool(cluster), f"dask {cluster}"
        else:
            from mediakit.batch.local import LocalPool

            pool, backend = (
                LocalPool(n),
                f"local: {min(n, len(tasks))} process(es) x {threads} ffmpeg thread(s)",
            )
        log.info("%d of %d jobs to run (%s)", len(tasks), len(jobs), backend)
        try:
            pool.run(
                tasks,
                started=lambda t: emit(Event("started", t.job)),
                progress=lambda t, s: emit(Event("progress", t.job, fraction=s)),
                done=done,
            )
        except KeyboardInterrupt:
            interrupted = True
    else:
        backend = "nothing to run"
    for job in jobs:
        if job.index not in outcomes:
            outcomes[job.index] = Outcome(
                job.index, "interrupted", "the batch was stopped before this job finished"
            )
    document = _document(jobs, outcomes, out, source, backend, interrupted, time.monotonic() - started)
    write_json_atomic(out / REPORT_NAME, document)
    state.save()  # also keeps the hashes computed while checking what is up to date
    return BatchResult(out, jobs, outcomes, interrupted, document)


def _document(
    jobs: list[Job],
    outcomes: dict[int, Outcome],
    out: Path,
    source: str,
    backend: str,
    interrupted: bool,
    seconds: float,
) -> dict[str, Any]:
    totals = {status: 0 for status in STATUSES}
    rows = []
    for job in jobs:
        o = outcomes[job.index]
        totals[o.status] += 1
        # A fix reports the preset it repaired for by its name (chosen per file when none was given).
        preset = (o.fix or {}).get("preset") or job.preset or default_preset(job.kind)
        row: dict[str, Any] = {
            "index": job.index,
            "name": job.name,
            "kind": job.kind,
            "preset": preset,
            "input": str(job.input),
            # a fix of a file that already passes writes nothing: there is no output to name
            "output": str(job.output) if o.wrote else None,
            "options": job.options_dict(),
            "status": o.status,
            "reason": o.reason,
            "verdict": o.verdict,
            "frames": o.frames,
            "duration": o.duration,
            "seconds": o.seconds,
            "warnings": list(o.warnings),
            "notes": list(o.notes),
        }
        if o.fix is not None:
            row["fix"] = o.fix  # what `mediakit fix --json` says of the file: class, actions, bytes
        rows.append(row)
    return {
        "schema_version": SCHEMA_VERSION,
        "mediakit_version": __version__,
        "source": source,
        "out": str(out),
        "backend": backend,
        "interrupted": interrupted,
        "seconds": round(seconds, 3),
        "totals": {"jobs": len(jobs), **totals},
        "jobs": rows,
    }
