"""mediakit benchmarks: validate and render jobs against hand-written ffmpeg commands and moviepy 2.

Usage: python benchmarks/run.py [--reps N | --quick] [--only JOB ...] [--all-reps]

Every contestant of a job runs in turn, N times (A, B, C, A, B, C, ...), as its own process (interpreter
start-up included). The table shows the median wall and CPU times, the medians of paired ratios against the
job's reference, and the peak RSS of the whole process tree; results/latest.json keeps every run. See
README.md.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

# Run as a script, so benchmarks/ is on sys.path and its modules import each other by name.
import measure
import media
from jobs import JOBS, Contestant, Env, Job
from report import MB, Run, figures, job_document, table

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
RUN_TIMEOUT = 900.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def run_once(job: Job, c: Contestant, rep: int, logs: Path) -> Run:
    if c.output is not None:
        c.output.unlink(missing_ok=True)
    try:
        if c.setup:
            c.setup()
    except (OSError, subprocess.SubprocessError) as exc:
        return Run(rep, None, f"set-up failed: {exc}")
    stem = logs / f"{job.name}.{_slug(c.name)}.{rep}"
    # Not with_suffix: it would replace the ".N" of the repetition, so every rep overwrote the last.
    out, err = stem.with_name(f"{stem.name}.out"), stem.with_name(f"{stem.name}.err")
    sample = measure.run(c.argv, stdout=out, stderr=err, timeout=RUN_TIMEOUT, cwd=ROOT)
    if sample.timed_out:
        problem: str | None = f"timed out after {RUN_TIMEOUT:.0f} s"
    elif sample.returncode not in c.exit_codes:
        tail = [line for line in err.read_text(errors="replace").splitlines() if line.strip()][-1:]
        problem = f"exit code {sample.returncode}: {tail[0] if tail else 'no stderr'} (log: {err})"
    else:
        problem = c.check(out)
    return Run(rep, sample, problem)


def run_job(job: Job, reps: int, logs: Path, all_reps: bool) -> dict[str, list[Run]]:
    runs: dict[str, list[Run]] = {c.name: [] for c in job.contestants}
    for rep in range(reps):
        for c in job.contestants:
            if c.once and rep > 0 and not all_reps:
                continue
            r = run_once(job, c, rep, logs)
            runs[c.name].append(r)
            s = r.sample
            figures_text = (
                f"{s.seconds:7.2f} s wall {s.cpu_seconds:7.2f} s CPU {s.peak_bytes / MB:6.0f} MB"
                if s
                else "not run"
            )
            log(f"  [{job.name} {rep + 1}/{reps}] {c.name:<22} {figures_text}  {r.problem or 'ok'}")
    return runs


def details(job: Job, runs: dict[str, list[Run]], logs: Path) -> dict[str, object] | None:
    """The job's figures from the stdout of its described contestant's last valid run."""
    assert job.details is not None
    name, describe = job.details
    good = [r for r in runs.get(name, []) if r.ok]
    if not good:
        return None
    return describe(logs / f"{job.name}.{_slug(name)}.{good[-1].rep}.out")


def _ffmpeg_version() -> str:
    out = subprocess.run(
        [media.FFMPEG, "-hide_banner", "-version"], capture_output=True, text=True, check=False
    )
    return out.stdout.splitlines()[0].split(" Copyright")[0] if out.stdout else "unknown"


def _git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False)
    return done.stdout.strip()


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 1e9, 1),
        "load_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    how_many = parser.add_mutually_exclusive_group()
    how_many.add_argument("--reps", type=int, default=3, help="repetitions of each contestant (default 3)")
    how_many.add_argument("--quick", action="store_true", help="smoke run: one repetition")
    parser.add_argument(
        "--all-reps",
        action="store_true",
        help="run the informational contestants (moviepy, zoompan) every repetition too, not only the first",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=list(JOBS),
        metavar="JOB",
        help=f"run only this job (repeatable): {', '.join(JOBS)}",
    )
    args = parser.parse_args()
    reps = 1 if args.quick else args.reps
    if reps < 1:
        parser.error("--reps must be at least 1")
    tool = Path(sys.executable).with_name("mediakit")
    if not tool.exists():
        parser.error(f"{tool} not found: install mediakit in this venv first (make bench does)")

    started = time.monotonic()
    info = machine()
    log(
        f"mediakit benchmarks: {reps} repetition(s), {info['cpus']} CPUs, load {info['load_at_start'][0]:.2f}"
    )
    if info["load_at_start"][0] > 0.5 * (os.cpu_count() or 1):
        log("  note: the machine is busy; absolute times will be noisy, the paired ratios much less so")
    # This script's scratch only (outputs, raw frames, logs): other benchmarks keep theirs beside it.
    work = RESULTS / "work" / "run"
    shutil.rmtree(work, ignore_errors=True)
    logs = work / "logs"
    logs.mkdir(parents=True)
    env = Env(
        python=sys.executable,
        mediakit=(str(tool),),
        work=work,
        inputs=media.prepare(RESULTS / "media", log=lambda m: log(f"  {m}")),
    )

    documents: list[dict[str, Any]] = []
    tables: list[str] = []
    for name in args.only or list(JOBS):
        try:
            job = JOBS[name](env)  # plans from mediakit's --dry-run: a broken mediakit fails here
        except (RuntimeError, OSError, ValueError, subprocess.SubprocessError) as exc:
            log(f"{name}: could not be set up: {exc}")
            tables.append(f"{name}: could not be set up: {exc}")
            documents.append({"name": name, "error": str(exc), "contestants": [], "targets": []})
            continue
        log(f"{job.name}: {job.summary}")
        runs = run_job(job, reps, logs, args.all_reps)
        figs = figures(job, runs)
        text, document = table(job, figs, runs), job_document(job, figs, runs)
        if job.details is not None:
            found = details(job, runs, logs)
            if found is not None:
                text += "\n" + "\n".join(f"  {line}" for line in found["lines"])  # type: ignore[union-attr]
                document["details"] = found
        tables.append(text)
        documents.append(document)

    for raw in work.rglob("*.yuv"):
        raw.unlink()  # raw frames of the still reference: 650 MB, needed only during the run
    total = time.monotonic() - started
    cpu_total = sum(r["cpu_seconds"] or 0 for d in documents for c in d["contestants"] for r in c["runs"])
    print(
        f"\nmediakit {importlib.metadata.version('mediakit')} · {_ffmpeg_version()} · "
        f"{info['cpus']} × {info['cpu']} · {reps} interleaved repetition(s), medians\n"
        f"total {total / 60:.1f} min wall, {cpu_total / 60:.1f} min CPU in the measured runs · "
        f"load average {info['load_at_start'][0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end\n"
    )
    print("\n\n".join(tables))
    print("\nCommands (exact argv, shell-quoted):")
    for doc in documents:
        for c in doc["contestants"]:
            print(f"  [{doc['name']}] {c['name']}:\n    {shlex.join(c['argv'])}")
    document = {
        "schema_version": 1,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "mediakit": {
            "version": importlib.metadata.version("mediakit"),
            "commit": _git("rev-parse", "HEAD"),
            "uncommitted_changes": bool(_git("status", "--porcelain")),
        },
        "ffmpeg": {"path": media.FFMPEG, "version": _ffmpeg_version()},
        "machine": info,
        "settings": {
            "reps": reps,
            "all_reps": args.all_reps,
            "only": args.only,
            "poll_seconds": measure.POLL_SECONDS,
            "rss_unit": "MB=1e6",
        },
        "total_seconds": round(total, 1),
        "total_cpu_seconds_measured": round(cpu_total, 1),
        "load_at_end": os.getloadavg(),
        "jobs": documents,
    }
    out = RESULTS / "latest.json"
    out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwrote {out.relative_to(ROOT)}")
    # Unmet targets are findings, shown in the table; a run that failed or made a wrong output is an error.
    broken = [d for d in documents if "error" in d]
    broken += [r for d in documents for c in d["contestants"] for r in c["runs"] if not r["ok"]]
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
