"""Auto-reframe (--fit smart) against a fixed centre crop and per-frame tracking without smoothing.

Usage: python benchmarks/reframe_bench.py [--reps 1] [--size 1920x1080] [--json]

The footage is generated into benchmarks/results/media/ by tests/reframe_footage.py: 10 s at 30 fps,
the astronaut head (a real face) holding, moving, pausing and reversing over a texture, with a hard cut to
another background and position halfway. Each contestant renders the same 8 s cut loop at 1080x1920 as a
whole `mediakit canvas` command (start-up, analysis, encode and validation included):

- centre: `--fit crop` (today's fixed centre crop), the reference for the time ratio;
- tracking: `--fit smart` with the face looked for in every frame and the crop centred on it, no path
  (what "follow the face" does without the L1 smoothing);
- smart: `--fit smart`.

Each output is decoded and measured: the share of frames where the face (cut from the generator's own
sprite) is fully inside the frame by template matching, and the path's jerk (third difference of the crop
position, output px) from the background's frame-to-frame shift (ECC), inside shots. The analysis time of
`reframe.analyse` on the 1080p footage is printed too.
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

import av
import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mediakit.analysis import reframe  # noqa: E402
from mediakit.probe import probe  # noqa: E402
from tests import reframe_footage as rf  # noqa: E402

MEDIA = ROOT / "benchmarks" / "results" / "media"
FACE = (37, 36, 132, 131)  # the face in the 170-px head (tests/realworld/framing/README.md)
OUT_FRAMES = 240

# The tracking contestant: the same analysis, detection in every frame, the crop centred on the face.
TRACKING = (
    "import sys; import numpy as np; from mediakit.analysis import reframe as r; r.SAMPLE_FPS = 1000.0; "
    "r.solve_shot = lambda lo, hi, centre, span: (centre, False); "
    "from mediakit.cli.main import main; sys.exit(main(sys.argv[1:]))"
)


def _contestants(src: Path, out: Path) -> dict[str, list[str]]:
    common = ["canvas", str(src), "--loop", "cut", "--duration", "8", "--overwrite", "-q"]
    py = sys.executable
    return {
        "centre": [py, "-m", "mediakit", *common, "--fit", "crop", "-o", str(out / "centre.mp4")],
        "tracking": [py, "-c", TRACKING, *common, "--fit", "smart", "-o", str(out / "tracking.mp4")],
        "smart": [py, "-m", "mediakit", *common, "--fit", "smart", "-o", str(out / "smart.mp4")],
    }


def _measure(made: rf.Footage, path: Path) -> dict[str, float]:
    rgb, grey = [], []
    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            picture = cv2.resize(frame.to_ndarray(format="rgb24"), None, fx=0.5, fy=0.5,
                                 interpolation=cv2.INTER_AREA)  # fmt: skip
            rgb.append(picture)
            grey.append(cv2.cvtColor(picture, cv2.COLOR_RGB2GRAY))
    side = made.sprite.shape[0]
    face = made.sprite[round(FACE[1] * side / 170) : round(FACE[3] * side / 170),
                       round(FACE[0] * side / 170) : round(FACE[2] * side / 170)]  # fmt: skip
    scale = rgb[0].shape[0] / made.size[1]
    template = cv2.resize(face, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    inside = float(np.mean([rf.find_sprite(f, template)[0] >= 0.8 for f in rgb]))
    steps = rf.pan_steps(grey) * 2
    jerks = []
    for a, b in ((0, made.cut - 1), (made.cut, len(grey) - 1)):
        shot = steps[a:b]
        jerks.append(np.abs(np.diff(shot[~np.isnan(shot)], 2)))
    jerk = np.concatenate(jerks)
    return {"inside": inside, "jerk_mean": float(jerk.mean()), "jerk_p95": float(np.percentile(jerk, 95)),
            "frames": float(len(rgb))}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    MEDIA.mkdir(parents=True, exist_ok=True)
    src = MEDIA / f"reframe-{w}x{h}-10s-v1.mp4"
    made = rf.make(src, w, h, 10.0)  # quick (a few seconds), and its path is needed anyway
    out = MEDIA / "reframe-out"
    out.mkdir(exist_ok=True)
    info = probe(src)
    # Cold: the first call imports scipy and loads YuNet (a render pays that once); warm: the analysis.
    cold_cpu, started = time.process_time(), time.perf_counter()
    found = reframe.analyse(info, 0.0, 300, 30.0, 9 / 16)
    cold = time.perf_counter() - started
    cold_cpu = time.process_time() - cold_cpu
    warm_cpu, started = time.process_time(), time.perf_counter()
    reframe.analyse(info, 0.0, 300, 30.0, 9 / 16)
    analysis = time.perf_counter() - started
    warm_cpu = time.process_time() - warm_cpu
    times: dict[str, list[float]] = {}
    for _ in range(args.reps):
        for name, argv in _contestants(src, out).items():
            (out / f"{name}.mp4").unlink(missing_ok=True)
            t = time.perf_counter()
            subprocess.run(argv, check=True, timeout=1800, env={**os.environ, "PYTHONPATH": str(ROOT)})
            times.setdefault(name, []).append(time.perf_counter() - t)
    rows = {}
    for name in times:
        figures = _measure(made, out / f"{name}.mp4")
        assert figures["frames"] == OUT_FRAMES, figures
        wall = statistics.median(times[name])
        rows[name] = {**figures, "seconds": wall, "ratio": wall / statistics.median(times["centre"])}
    doc = {"source": f"{w}x{h} 30 fps 10 s", "cores": os.cpu_count(), "load": os.getloadavg()[0],
           "analysis_seconds_10s": analysis, "analysis_cpu_seconds_10s": warm_cpu,
           "analysis_cold_seconds_10s": cold, "analysis_cold_cpu_seconds_10s": cold_cpu,
           "analysis": found.describe(), "contestants": rows}  # fmt: skip
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    print(f"reframe: {doc['source']} -> 1080x1920, {doc['cores']} cores, load {doc['load']:.1f}")
    print(f"analysis of 10 s: {analysis:.2f} s wall, {warm_cpu:.2f} s CPU (first call, with scipy's "
          f"import and the model's load: {cold:.2f} s, {cold_cpu:.2f} s CPU); "
          f"{found.describe()}")  # fmt: skip
    print(
        f"{'contestant':<10} {'% inside':>9} {'jerk mean':>10} {'jerk p95':>9} {'render s':>9} {'ratio':>6}"
    )
    for name, r in rows.items():
        print(f"{name:<10} {r['inside']:>9.1%} {r['jerk_mean']:>10.2f} {r['jerk_p95']:>9.2f} "
              f"{r['seconds']:>9.1f} {r['ratio']:>6.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
