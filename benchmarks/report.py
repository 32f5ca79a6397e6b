"""Figures from the runs of one job (medians, paired ratios, peaks, targets) and the table that shows them.

Ratios are paired: in each repetition a contestant's time is divided by the reference's time from the same
repetition (they ran back to back), and the median of those ratios is reported. Slow drifts of a shared
machine then cancel out instead of landing on whichever contestant ran during the busy minute.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from jobs import Job, Target
from measure import Sample

MB = 1_000_000  # RSS is reported in MB of 10^6 bytes (the stricter reading of "600 MB")


@dataclass(frozen=True)
class Run:
    rep: int
    sample: Sample | None  # None when the set-up failed and nothing ran
    problem: str | None  # why this run does not count (failed command, wrong output), or None

    @property
    def ok(self) -> bool:
        return self.problem is None and self.sample is not None


@dataclass(frozen=True)
class Figures:
    name: str
    runs: int
    ok_runs: int
    median_s: float | None
    min_s: float | None
    max_s: float | None
    peak_mb: float | None  # the highest peak over the valid runs
    ratio: float | None  # median of paired wall-time ratios vs the reference
    cpu_s: float | None  # median CPU time (user + system) of the process tree
    cpu_ratio: float | None  # median of paired CPU-time ratios vs the reference
    rss_ratio: float | None
    problems: tuple[str, ...]


def _paired_ratio(
    a: list[Run], b: list[Run], metric: str = "seconds", minus: list[Run] | None = None
) -> float | None:
    """Median over repetitions of a's figure / b's figure in the same repetition (valid runs only); with
    `minus`, of (a - minus) / (b - minus), all three from the same repetition."""
    by_rep = {r.rep: r.sample for r in b if r.ok}
    less = {r.rep: getattr(r.sample, metric) for r in minus if r.ok} if minus is not None else None
    ratios = []
    for r in a:
        if not (r.ok and r.rep in by_rep) or (less is not None and r.rep not in less):
            continue
        base = less[r.rep] if less is not None else 0.0
        den = getattr(by_rep[r.rep], metric) - base
        if den > 0:
            ratios.append((getattr(r.sample, metric) - base) / den)
    return statistics.median(ratios) if ratios else None


def figures(job: Job, runs: dict[str, list[Run]]) -> dict[str, Figures]:
    out: dict[str, Figures] = {}
    ref_runs = runs.get(job.reference or "", [])
    ref_peak = max((r.sample.peak_bytes for r in ref_runs if r.ok and r.sample), default=None)
    for c in job.contestants:
        mine = runs.get(c.name, [])
        good = [r.sample for r in mine if r.ok and r.sample]
        times = [s.seconds for s in good]
        cpu = [s.cpu_seconds for s in good]
        peak = max((s.peak_bytes for s in good), default=None)
        out[c.name] = Figures(
            name=c.name,
            runs=len(mine),
            ok_runs=len(good),
            median_s=statistics.median(times) if times else None,
            min_s=min(times, default=None),
            max_s=max(times, default=None),
            peak_mb=peak / MB if peak is not None else None,
            ratio=_paired_ratio(mine, ref_runs) if job.reference else None,
            cpu_s=statistics.median(cpu) if cpu else None,
            cpu_ratio=_paired_ratio(mine, ref_runs, "cpu_seconds") if job.reference else None,
            rss_ratio=peak / ref_peak if job.reference and peak and ref_peak else None,
            problems=tuple(dict.fromkeys(r.problem for r in mine if r.problem)),
        )
    return out


def target_value(target: Target, figs: dict[str, Figures], cmps: list[Comparison]) -> float | None:
    if target.against is not None:
        # Paired against another contestant than the reference: the job's comparison of the two.
        pair = next(
            (c for c in cmps if (c.a, c.b, c.beyond) == (target.contestant, target.against, None)), None
        )
        return pair.wall if pair is not None and target.metric == "ratio" else None
    f = figs.get(target.contestant)
    if f is None:
        return None
    return {"ratio": f.ratio, "seconds": f.median_s, "rss_mb": f.peak_mb}[target.metric]


@dataclass(frozen=True)
class Comparison:
    a: str
    b: str
    wall: float | None  # median of paired wall-time ratios a / b
    cpu: float | None  # median of paired CPU-time ratios a / b
    pairs: int
    beyond: str | None = None  # the reference subtracted from both, if any


def comparisons(job: Job, runs: dict[str, list[Run]]) -> list[Comparison]:
    out = []
    ref = runs.get(job.reference or "", [])
    # A target paired against another contestant than the reference is reported even if not in `compare`.
    pairs = list(
        dict.fromkeys([*job.compare, *((t.contestant, t.against) for t in job.targets if t.against)])
    )
    for (a, b), minus in [
        *((p, None) for p in pairs),
        *((p, ref) for p in job.compare_beyond_reference),
    ]:
        ra, rb = runs.get(a, []), runs.get(b, [])
        reps = {r.rep for r in ra if r.ok} & {r.rep for r in rb if r.ok}
        if minus is not None:
            reps &= {r.rep for r in minus if r.ok}
        wall, cpu = _paired_ratio(ra, rb, minus=minus), _paired_ratio(ra, rb, "cpu_seconds", minus=minus)
        out.append(Comparison(a, b, wall, cpu, len(reps), job.reference if minus is not None else None))
    return out


# --- text -------------------------------------------------------------------------------------------------


def _num(value: float | None, fmt: str, suffix: str = "") -> str:
    return "—" if value is None else f"{value:{fmt}}{suffix}"


def _unit(metric: str, value: float | None) -> str:
    return {
        "ratio": _num(value, ".2f", "×"),
        "seconds": _num(value, ".2f", " s"),
        "rss_mb": _num(value, ".0f", " MB"),
    }[metric]


COLUMNS = (
    f"{'contestant':<26} {'wall s':>7} {'min–max':>13} {'× ref':>6} {'CPU s':>7} {'× ref':>6} "
    f"{'peak RSS MB':>11} {'× ref':>6}  runs"
)


def table(job: Job, figs: dict[str, Figures], runs: dict[str, list[Run]]) -> str:
    lines = [f"{job.name}: {job.summary}", "  " + COLUMNS, "  " + "-" * len(COLUMNS)]
    for c in job.contestants:
        f = figs[c.name]
        is_ref = c.name == job.reference
        spread = f"{f.min_s:.2f}–{f.max_s:.2f}" if f.min_s is not None and f.max_s is not None else "—"

        def rel(value: float | None, is_ref: bool = is_ref) -> str:
            return "ref" if is_ref else _num(value, ".2f", "×")

        lines.append(
            f"  {c.name:<26} {_num(f.median_s, '.2f'):>7} {spread:>13} {rel(f.ratio):>6} "
            f"{_num(f.cpu_s, '.1f'):>7} {rel(f.cpu_ratio):>6} {_num(f.peak_mb, '.0f'):>11} "
            f"{rel(f.rss_ratio):>6}  {f.ok_runs}/{f.runs}"
        )
        lines.extend(f"      ! {p}" for p in f.problems)
    lines.extend(f"  note: {n}" for n in job.notes)
    if job.per_item:
        lines.extend(_per_item(job, figs))
    cmps = comparisons(job, runs)
    for cmp in cmps:
        what = f"{cmp.a} / {cmp.b}" + (f", beyond {cmp.beyond}" if cmp.beyond else "")
        lines.append(
            f"  {what}: {_num(cmp.wall, '.2f', '×')} wall, {_num(cmp.cpu, '.2f', '×')} CPU "
            f"(median of {cmp.pairs} paired run(s))"
        )
    for t in job.targets:
        value = target_value(t, figs, cmps)
        verdict = "no valid runs" if value is None else "MET" if value <= t.limit else "NOT MET"
        lines.append(f"  target: {t.label}: {_unit(t.metric, value)} → {verdict}")
    return "\n".join(lines)


def _per_item(job: Job, figs: dict[str, Figures]) -> list[str]:
    main, startup = (figs[c.name] for c in job.contestants[:2])
    n = job.per_item or 1
    if main.median_s is None:
        return []
    line = f"  per file: {main.median_s / n * 1000:.1f} ms including start-up"
    if startup.median_s is not None:
        line += (
            f", {(main.median_s - startup.median_s) / n * 1000:.1f} ms without it "
            f"(start-up = {startup.name}: {startup.median_s * 1000:.0f} ms)"
        )
    return [line]


# --- JSON -------------------------------------------------------------------------------------------------


def job_document(job: Job, figs: dict[str, Figures], runs: dict[str, list[Run]]) -> dict[str, Any]:
    cmps = comparisons(job, runs)
    contestants = []
    for c in job.contestants:
        f = figs[c.name]
        contestants.append(
            {
                "name": c.name,
                "argv": list(c.argv),
                "reference": c.name == job.reference,
                "median_seconds": f.median_s,
                "min_seconds": f.min_s,
                "max_seconds": f.max_s,
                "median_cpu_seconds": f.cpu_s,
                "peak_rss_mb": f.peak_mb,
                "time_ratio_vs_reference": f.ratio,
                "cpu_ratio_vs_reference": f.cpu_ratio,
                "rss_ratio_vs_reference": f.rss_ratio,
                "ok_runs": f.ok_runs,
                "runs": [_run_document(r) for r in runs.get(c.name, [])],
            }
        )
    return {
        "name": job.name,
        "summary": job.summary,
        "reference": job.reference,
        "notes": list(job.notes),
        "contestants": contestants,
        "targets": [
            {
                "label": t.label,
                "contestant": t.contestant,
                "metric": t.metric,
                "limit": t.limit,
                "against": (t.against or job.reference) if t.metric == "ratio" else None,
                "value": (v := target_value(t, figs, cmps)),
                "met": None if v is None else v <= t.limit,
            }
            for t in job.targets
        ],
        "comparisons": [
            {
                "a": c.a,
                "b": c.b,
                "beyond": c.beyond,
                "time_ratio": c.wall,
                "cpu_ratio": c.cpu,
                "pairs": c.pairs,
            }
            for c in cmps
        ],
        "per_item": job.per_item,
    }


def _run_document(r: Run) -> dict[str, Any]:
    s = r.sample
    return {
        "rep": r.rep,
        "ok": r.ok,
        "problem": r.problem,
        "seconds": s and round(s.seconds, 4),
        "cpu_seconds": s and round(s.cpu_seconds, 3),
        "peak_rss_bytes": s and s.peak_bytes,
        "peak_tree_bytes": s and s.peak_tree_bytes,
        "peak_single_process_bytes": s and s.peak_single_bytes,
        "processes": s and s.processes,
        "returncode": s and s.returncode,
    }
