"""Deep-check speed: `deep_check` on a 30 s 1080x1920 Clip with audio, as a real-time factor.

Usage: python benchmarks/deep_bench.py [--reps 3] [--preset clip] [--json]

The clip is generated once into benchmarks/results/media/ (as benchmarks/media.py does: moving gradients
blended over testsrc2, x264 veryfast CRF 20, plus a stereo tone). Each rep runs in this process after a
warm-up; the median wall time gives the real-time factor (media seconds per second of checking; the goal is
at least 10x). The process CPU time and a decode-only pass (PyAV, same threading, no analysis) are printed
alongside, since on a shared 2-core machine the wall time depends on what else runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import imageio_ffmpeg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mediakit.deep import deep_check  # noqa: E402
from mediakit.preset import resolve  # noqa: E402
from mediakit.probe import open_container, probe  # noqa: E402

MEDIA = ROOT / "benchmarks" / "results" / "media"
CLIP = MEDIA / "deep-clip-1080x1920-30s-v1.mp4"
SECONDS = 30


def make_clip(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{path.name}")
    argv = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-nostdin", "-y",
        "-f", "lavfi", "-i", f"gradients=s=540x960:r=30:d={SECONDS}:speed=0.03:n=5:seed=3",
        "-f", "lavfi", "-i", f"testsrc2=s=540x960:r=30:d={SECONDS}",
        "-f", "lavfi", "-i", f"sine=frequency=220:sample_rate=48000:d={SECONDS}",
        "-filter_complex",
        "[0][1]blend=all_mode=softlight,scale=1080:1920,format=yuv420p[v];[2]volume=7dB[a]",
        "-map", "[v]", "-map", "[a]", "-ac", "2",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-c:a", "aac", "-b:a", "192k", str(tmp),
    ]  # fmt: skip
    subprocess.run(argv, check=True, timeout=1800)
    tmp.replace(path)


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def decode_only(path: Path) -> float:
    """Wall seconds to decode every video frame with the same threading and nothing else: the floor."""
    started = time.perf_counter()
    with open_container(path) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_type = "AUTO"
        for _ in container.decode(stream):
            pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--preset", default="clip")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    if not CLIP.exists():
        print(f"generating {CLIP.name} (once)", file=sys.stderr)
        make_clip(CLIP)
    info = probe(CLIP)
    preset = resolve(args.preset)
    findings = deep_check(info, preset)  # warm-up: imports, first-call costs, the file in the page cache
    walls, cpus = [], []
    for _ in range(args.reps):
        cpu0, wall0 = cpu_seconds(), time.perf_counter()
        deep_check(info, preset)
        walls.append(time.perf_counter() - wall0)
        cpus.append(cpu_seconds() - cpu0)
    decode = statistics.median(decode_only(CLIP) for _ in range(args.reps))
    duration = float(info.duration or SECONDS)
    wall = statistics.median(walls)
    result = {
        "file": CLIP.name,
        "preset": preset.name,
        "media_seconds": round(duration, 3),
        "reps": args.reps,
        "wall_seconds": [round(w, 3) for w in walls],
        "median_wall_seconds": round(wall, 3),
        "realtime_factor": round(duration / wall, 2),
        "median_cpu_seconds": round(statistics.median(cpus), 3),
        "decode_only_wall_seconds": round(decode, 3),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "findings": [f.rule for f in findings],
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"deep_check({CLIP.name}, {preset.name}): median {wall:.2f} s of {[f'{w:.2f}' for w in walls]} "
        f"-> {duration / wall:.1f}x real time (goal: 10x)"
    )
    print(
        f"  CPU {result['median_cpu_seconds']} s a run; decode alone {decode:.2f} s; "
        f"load average {result['load_average']}; findings: {result['findings'] or 'none'}"
    )


if __name__ == "__main__":
    main()
