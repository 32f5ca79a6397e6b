"""Quality figures: wrap seam and stalls for every canvas mode, push-in jitter against ffmpeg's zoompan.

Usage: python benchmarks/quality_figures.py SAMPLES_DIR OUT_DIR   (samples from samples/make_samples.py)
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mediakit import CanvasOptions, render_canvas
from mediakit.analysis.loop import measure_loop
from mediakit.analysis.motion import estimate_windows, jitter
from tests.frames import gray_frames
from tests.media import ffmpeg

samples, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
out_dir.mkdir(parents=True, exist_ok=True)
q = {"size": "720x1280"}
for name, src, opts in [
    ("push-in", "cover.png", CanvasOptions(motion="push-in", **q)),
    ("pull-out", "cover.png", CanvasOptions(motion="pull-out", **q)),
    ("drift", "cover.png", CanvasOptions(motion="drift", **q)),
    ("pingpong", "footage.mp4", CanvasOptions(loop="pingpong", **q)),
    ("crossfade", "footage.mp4", CanvasOptions(loop="crossfade", **q)),
    ("cut", "footage.mp4", CanvasOptions(loop="cut", **q)),
]:
    out = out_dir / f"{name}.mp4"
    render_canvas(samples / src, out, opts, overwrite=True)
    r = measure_loop(gray_frames(out, 270))
    line = f"{name:10} seam={r.seam:.2f} stalls={r.stalls}"
    if name == "push-in":
        j = jitter(estimate_windows(gray_frames(out, 360)) * 2)
        line += f" jitter_mean={j.mean:.4f} max={j.max:.3f} backsteps={j.backsteps}"
    print(line, flush=True)
zp = out_dir / "zoompan.mp4"
ffmpeg(
    "-i",
    str(samples / "cover.png"),
    "-vf",
    "crop=1688:3000,zoompan=z='1+0.12*(1-cos(2*PI*on/210))/2':d=210:s=720x1280:fps=30:x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)'",
    "-frames:v",
    "210",
    "-c:v",
    "libx264",
    "-preset",
    "slow",
    "-crf",
    "20",
    "-pix_fmt",
    "yuv420p",
    str(zp),
)
j = jitter(estimate_windows(gray_frames(zp, 360)) * 2)
print(f"zoompan    jitter_mean={j.mean:.4f} max={j.max:.3f} backsteps={j.backsteps}")
