"""Loop-search speed: the search `mediakit loops` and `canvas --start auto` run, as a real-time factor.

Usage: python benchmarks/loops_bench.py [--reps 3] [--json]

The footage is generated once into benchmarks/results/media/: 20 s of 1920x1080 at 30 fps, moving
gradients blended over testsrc2, x264 veryfast CRF 20 (with B-frames, as a camera or an editor exports).
Each rep runs in this process after a warm-up; medians of wall time give media seconds per second:
- decode: every frame decoded by PyAV with the same threading, nothing else (the floor a full decode sets);
- scan: the search's one reduced pass (loop filter skipped, 64x36 grey frames, cuts, stills);
- search: the scoring of every window of 3-8 s in every loop mode (no decoding);
- verify: the exact decode and loop measure of the best candidate (from the keyframe before it);
- total: scan + search + verify, what the command costs beyond probing.
The core count and load average are printed: the machine is shared, and the decoder is most of the time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import imageio_ffmpeg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.deep_bench import decode_only  # noqa: E402
from mediakit.analysis import loopsearch  # noqa: E402
from mediakit.probe import probe  # noqa: E402

MEDIA = ROOT / "benchmarks" / "results" / "media"
CLIP = MEDIA / "loops-1920x1080-30fps-20s-v1.mp4"
SECONDS = 20
FPS = Fraction(30)
LENGTHS = range(90, 241)  # 3-8 s at 30 fps: a Spotify Canvas


def make_clip(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{path.name}")
    argv = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-nostdin", "-y",
        "-f", "lavfi", "-i", f"gradients=s=1920x1080:r=30:d={SECONDS}:speed=0.03:n=5:seed=3",
        "-f", "lavfi", "-i", f"testsrc2=s=1920x1080:r=30:d={SECONDS}",
        "-filter_complex", "[0][1]blend=all_mode=softlight,format=yuv420p[v]", "-map", "[v]",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", str(tmp),
    ]  # fmt: skip
    subprocess.run(argv, check=True, timeout=1800)
    tmp.replace(path)


CPU: dict[str, list[float]] = {}


def timed(name: str, fn):  # type: ignore[no-untyped-def]
    """Wall seconds and the value; the process's CPU seconds (every thread) go to CPU[name]."""
    cpu, started = time.process_time(), time.perf_counter()
    value = fn()
    CPU.setdefault(name, []).append(time.process_time() - cpu)
    return time.perf_counter() - started, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    if not CLIP.exists():
        print(f"generating {CLIP.name} (once)", file=sys.stderr)
        make_clip(CLIP)
    info = probe(CLIP)
    loopsearch.scan(info, FPS, 1)  # warm-up: imports, first-call costs, the file in the page cache
    rows: dict[str, list[float]] = {"decode": [], "scan": [], "search": [], "verify": [], "total": []}
    best = None
    for _ in range(args.reps):
        rows["decode"].append(timed("decode", lambda: decode_only(CLIP))[0])
        t_scan, scanned = timed("scan", lambda: loopsearch.scan(info, FPS, 1))
        t_search, found = timed("search", lambda: loopsearch.search_loops(scanned, LENGTHS))  # noqa: B023
        t_verify, checked = timed("verify", lambda: [loopsearch.verify(info, found[0], 1)])  # noqa: B023
        rows["scan"].append(t_scan)
        rows["search"].append(t_search)
        rows["verify"].append(t_verify)
        rows["total"].append(t_scan + t_search + t_verify)
        best = checked[0] if checked else None
    duration = float(info.duration or SECONDS)
    medians = {k: statistics.median(v) for k, v in rows.items()}
    result = {
        "file": CLIP.name,
        "media_seconds": round(duration, 3),
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "reps": args.reps,
        "median_seconds": {k: round(v, 3) for k, v in medians.items()},
        "median_cpu_seconds": {k: round(statistics.median(v), 3) for k, v in CPU.items()},
        "realtime_factor": {k: round(duration / v, 1) for k, v in medians.items() if v > 0},
        "best": None
        if best is None
        else {"start": best.start, "frames": best.frames, "loop": best.mode, "seam": best.seam},
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"loop search on {CLIP.name} ({duration:g} s), {os.cpu_count()} cores, load {result['load_average']}"
    )
    for k, v in medians.items():
        cpu = f"  CPU {statistics.median(CPU[k]):5.2f} s" if k in CPU else ""
        print(f"  {k:7} {v:6.2f} s  {duration / v:6.1f}x real time{cpu}")
    print(f"  best: {result['best']}")


if __name__ == "__main__":
    main()
