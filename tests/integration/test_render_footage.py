"""Footage renders end to end: frame rates kept or halved (never a repeated frame), short footage, and a
file whose header claims hours rendered at a cost bounded by the frames it holds."""

from __future__ import annotations

import itertools
import json
import os
import struct
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import mediakit
from mediakit import CanvasOptions, ClipOptions, render_canvas, render_clip
from mediakit.errors import InputError
from mediakit.probe import probe
from tests.frames import gray_frames
from tests.media import ffmpeg

pytestmark = pytest.mark.integration
FAST = {"x264_preset": "ultrafast", "size": "720x1280"}


def steps(path: Path) -> np.ndarray:
    """Mean absolute luma difference between consecutive frames (0-255), on a 90 px wide copy."""
    frames = gray_frames(path, width=90)
    return np.array([float(np.abs(b - a).mean()) for a, b in itertools.pairwise(frames)])


def repeated(path: Path) -> int:
    """Frames that repeat the one before: a step under a tenth of the typical one. The sources here move
    every frame (testsrc2's sweep and counter), so an ordinary step is several levels."""
    s = steps(path)
    return int((s < 0.1 * np.median(s)).sum())


def moving(media, name: str, fps: str, seconds: float = 4.0, audio: bool = False) -> Path:
    return media.video(name, size="360x640", seconds=seconds, fps=fps, audio=audio)


@pytest.mark.parametrize(
    ("fps", "expected"),
    [
        ("25", Fraction(25)),
        ("24000/1001", Fraction(24000, 1001)),
        ("30000/1001", Fraction(30000, 1001)),
        ("24", Fraction(24)),
        ("50", Fraction(25)),
        ("60000/1001", Fraction(30000, 1001)),
        ("15", Fraction(30)),
    ],
)
@pytest.mark.parametrize("loop", ["pingpong", "cut"])
def test_footage_rate_is_kept_or_halved_with_no_repeated_frame(media, tmp_path, fps, expected, loop):
    """Cameras record 23.976/25/29.97/50/59.94: the canvas keeps the rate (or half of it), and a rate with
    no whole step (15 fps) is blended up, never repeated. Before: 25 fps repeated every 6th frame."""
    src = moving(media, "moving.mp4", fps)
    out = tmp_path / "c.mp4"
    result = render_canvas(src, out, CanvasOptions(loop=loop, duration=3, **FAST))
    v = probe(out).primary_video
    assert v is not None and v.avg_rate == expected and v.constant_rate
    assert v.frames == result.plan.frames
    assert repeated(out) == 0, steps(out).round(2).tolist()
    assert not any("frame rate" in f.rule for f in result.report.findings)  # the validator agrees


def test_fifty_fps_keeps_exactly_every_other_frame(media, tmp_path):
    src = moving(media, "moving.mp4", "50", seconds=3.0)
    out = tmp_path / "c.mp4"
    render_canvas(src, out, CanvasOptions(loop="cut", duration=3, fit="blur", **FAST))
    source = gray_frames(src, width=90)
    rendered = gray_frames(out, width=90)
    assert len(rendered) == 75
    # Where each output frame's picture comes from: the nearest source frame (blur fit shows the whole
    # picture, scaled: compare the middle band where the 9:16 source sits, resized to the source's size).
    for k in range(0, 75, 7):
        frame = rendered[k]
        band = np.asarray(frame, dtype=np.float32)
        ref = [float(np.abs(band - s).mean()) for s in source]
        assert int(np.argmin(ref)) == 2 * k, (k, int(np.argmin(ref)))


def test_explicit_fps_still_wins(media, tmp_path):
    src = moving(media, "moving.mp4", "25")
    out = tmp_path / "c.mp4"
    render_canvas(src, out, CanvasOptions(loop="cut", duration=3, fps=30, **FAST))
    assert probe(out).primary_video.avg_rate == 30
    assert repeated(out) == 0  # 25 -> 30 blended, not every 5th frame shown twice


def test_clip_keeps_the_footage_rate(media, tmp_path):
    src = moving(media, "moving-a.mp4", "25", seconds=4.0, audio=True)
    out = tmp_path / "c.mp4"
    render_clip(src, out, ClipOptions(x264_preset="ultrafast"))
    v = probe(out).primary_video
    assert v.avg_rate == 25 and v.frames == 100
    assert repeated(out) == 0


def test_short_footage_gets_the_longest_default_loop(media, tmp_path):
    """3.0 s of valid footage: the default 7 s ping-pong (needs 3.53 s) was refused; now 5.93 s."""
    src = moving(media, "short.mp4", "30", seconds=3.0)
    result = render_canvas(src, tmp_path / "c.mp4", CanvasOptions(**FAST))
    info = probe(result.output)
    assert info.primary_video.frames == 178 and float(info.duration) == pytest.approx(178 / 30, abs=0.01)
    assert any("instead of the default 7 s" in w for w in result.warnings)
    with pytest.raises(InputError, match="shorter --duration"):
        render_canvas(src, tmp_path / "d.mp4", CanvasOptions(duration=7, **FAST))
    assert not (tmp_path / "d.mp4").exists()


# --- A lying header -------------------------------------------------------------------------------------


def _mkv_claiming(src: Path, dst: Path, seconds: float) -> Path:
    """A Matroska copy whose Segment Duration (EBML 0x4489, an 8-byte float in ms) says `seconds`."""
    data = bytearray(src.read_bytes())
    at = data.find(b"\x44\x89\x88")
    assert at > 0, "no 8-byte Duration element"
    struct.pack_into(">d", data, at + 3, seconds * 1000.0)
    dst.write_bytes(bytes(data))
    return dst


@pytest.fixture(scope="module")
def lying(tmp_path_factory) -> dict[str, Path]:
    """180 frames (6 s at 30 fps) claiming 10 hours two ways: an MP4 whose last frame lasts 10 hours (its
    sample table says so, and ffmpeg's rate filter extended that frame through it: 23 GB of queued frames,
    measured), and a Matroska whose header Duration says 36000 s."""
    root = tmp_path_factory.mktemp("lying")
    base = root / "honest.mkv"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=6", "-f", "lavfi", "-i", "sine=d=6",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(base),
    )  # fmt: skip
    long_frame = root / "long-last-frame.mp4"
    ffmpeg(
        "-i", str(base), "-vf", "setpts='if(eq(N,179),36000/TB,PTS)'", "-fps_mode", "passthrough",
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "copy", str(long_frame),
    )  # fmt: skip
    return {"mp4": long_frame, "mkv": _mkv_claiming(base, root / "header.mkv", 36000)}


# Run in a child Python so that the children's peak RSS (RUSAGE_CHILDREN: the largest ffmpeg) is this
# render's alone; the address-space cap makes a regression fail fast instead of taking the machine's memory.
_RUNNER = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))
from mediakit.errors import MediakitError
from mediakit import CanvasOptions, render_canvas
from mediakit import ClipOptions, render_clip
kind, src, out, extra = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
try:
    if kind == "canvas":
        r = render_canvas(src, out, CanvasOptions(**extra))
    else:
        r = render_clip(src, out, ClipOptions(**extra))
    outcome = {"frames": r.plan.frames, "warnings": list(r.warnings)}
except MediakitError as exc:
    outcome = {"error": exc.message}
outcome["child_max_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps(outcome))
"""
# The figure: the largest ffmpeg child of these renders measured 120-420 MB (x264 at 1080x1920 for the
# clip); before the fix the clip's child reached 2.3 GB and an fps run of the same file 23 GB.
MAX_CHILD_MB = 800


@pytest.mark.parametrize(
    ("kind", "file", "extra"),
    [
        ("canvas", "mp4", {"loop": "cut", **FAST}),
        ("canvas", "mp4", {"loop": "crossfade", "fit": "blur", **FAST}),
        ("canvas", "mkv", {"loop": "pingpong", **FAST}),
        ("canvas", "mkv", {"loop": "cut", **FAST}),
        ("clip", "mp4", {"x264_preset": "ultrafast"}),
        ("clip", "mkv", {"x264_preset": "ultrafast"}),
    ],
)
def test_a_header_claiming_hours_costs_what_its_frames_cost(lying, tmp_path, kind, file, extra):
    out = tmp_path / "out.mp4"
    # The child imports the mediakit this test imported (not whatever its working directory holds).
    package_root = str(Path(mediakit.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([package_root, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER, kind, str(lying[file]), str(out), json.dumps(extra)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,  # before: the render neither finished nor failed in 2 minutes
        check=True,
    )
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["child_max_rss_mb"] < MAX_CHILD_MB, outcome
    assert "error" not in outcome, outcome
    info = probe(out)
    # 180 frames hold 6 s: the default length follows them (the cut loop, the clip), and no frame of the
    # output is invented past the last real one.
    assert info.primary_video.frames == outcome["frames"]
    if extra.get("loop") != "pingpong":  # a ping-pong of 6 s footage may rightly last longer
        assert outcome["frames"] <= 180 and float(info.duration) <= 6.05
    assert repeated(out) == 0
