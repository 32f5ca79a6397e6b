"""Loop search end to end on generated footage with a planted periodic segment: `mediakit loops` finds the
period, `canvas --start auto` renders it, and the loop measured on the decoded output is seamless."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from mediakit import CanvasOptions, render_canvas
from mediakit.analysis.loop import SEAM_LIMIT, measure_loop
from mediakit.analysis.loopsearch import scan, search_loops
from mediakit.errors import UsageError
from mediakit.probe import probe
from tests.frames import gray_frames
from tests.media import FFMPEG, ffmpeg

pytestmark = pytest.mark.integration

FPS = 30
PERIOD = 100  # frames: 3.33 s, so 100 or 200 frames fit a 3-8 s canvas
PERIODIC = (7.0, 15.0)  # seconds
CUT = 17.0
STILL = 18.0  # to the end (20 s): a picture that does not move, which would "loop" perfectly
FAST = {"x264_preset": "ultrafast", "size": "720x1280"}


def _texture(w: int, h: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = rng.random((h * 3 // 8, w * 3 // 8)).astype(np.float32)
    t = cv2.GaussianBlur(cv2.resize(t, (w * 3, h * 3), interpolation=cv2.INTER_CUBIC), (0, 0), 2)
    return (40 + 170 * (t - t.min()) / (t.max() - t.min())).astype(np.float32)


def make_planted(path: Path, w: int = 320, h: int = 180, seconds: int = 20, seed: int = 7) -> Path:
    """20 s at 30 fps: a random walk over a texture (0-7 s), a sprite circling an ellipse over a background
    that shifts on another ellipse, both with period PERIOD (7-15 s), the random walk again, a hard cut to
    another scene and colour at 17 s, and a still from 18 s. Frames drawn here, encoded by ffmpeg."""
    rng = np.random.default_rng(seed)
    scenes = [_texture(w, h, seed), 255 - _texture(w, h, seed + 1)]
    tints = [np.array([1.0, 0.85, 0.6]), np.array([0.5, 0.8, 1.0])]
    p0, p1 = round(PERIODIC[0] * FPS), round(PERIODIC[1] * FPS)
    cut, still = round(CUT * FPS), round(STILL * FPS)
    pos, vel, centre = np.array([w * 1.0, h * 1.0]), np.zeros(2), None
    proc = subprocess.Popen(
        [FFMPEG, "-v", "error", "-nostdin", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
         "-r", str(FPS), "-i", "-", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18",
         "-pix_fmt", "yuv420p", str(path)],
        stdin=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None
    frame = None
    for i in range(seconds * FPS):
        scene = int(i >= cut)
        if i == cut:
            pos, vel = np.array([w * 1.0, h * 1.0]), np.zeros(2)
        if i < still:
            if p0 <= i < p1:
                centre = pos.copy() if centre is None else centre
                th = 2 * np.pi * (i - p0) / PERIOD
                pos = centre + np.array([30 * np.sin(th), 14 * (1 - np.cos(th))])
                sx, sy = w / 2 + 0.3 * w * np.cos(th), h / 2 + 0.3 * h * np.sin(th)
            else:
                vel = 0.9 * vel + rng.normal(0, 0.5, 2)
                pos = np.clip(pos + vel, [5, 5], [2 * w - 5, 2 * h - 5])
                sx, sy = w / 2 + 0.3 * w * np.cos(i / 13), h / 2 + 0.3 * h * np.sin(i / 7)
            grey = cv2.warpAffine(scenes[scene], np.float32([[1, 0, -pos[0]], [0, 1, -pos[1]]]), (w, h))
            centre_px = (round(sx * 16), round(sy * 16))
            cv2.circle(grey, centre_px, round(h * 0.12 * 16), 235.0, -1, cv2.LINE_AA, 4)
            frame = np.clip(grey[..., None] * tints[scene], 0, 255).astype(np.uint8)
        assert frame is not None
        proc.stdin.write(frame.tobytes())
    proc.stdin.close()
    assert proc.wait(timeout=120) == 0
    return path


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    return make_planted(tmp_path_factory.mktemp("loops") / "planted.mp4")


def _inside_period(start: float, frames: int) -> bool:
    return PERIODIC[0] - 0.05 <= start and start + frames / FPS <= PERIODIC[1] + 0.05


def test_the_search_finds_the_planted_period(planted):
    scanned = scan(probe(planted), Fraction(FPS), 1)
    assert len(scanned.frames) == 20 * FPS
    assert scanned.times[scanned.cut_before].tolist() == pytest.approx([CUT])  # found, not told
    found = search_loops(scanned, range(90, 241), top=5)
    best = found[0]
    multiple = round(best.frames / PERIOD)
    assert multiple in (1, 2) and abs(best.frames - multiple * PERIOD) <= 1, best
    assert _inside_period(best.start, best.frames), best
    for c in found:  # nothing offered across the cut or over the still
        end = c.start + c.frames / FPS
        assert end <= CUT + 0.05 or c.start >= CUT - 0.05, c
        assert end <= STILL + 0.05, c


def test_canvas_start_auto_renders_the_period_seamlessly(planted, tmp_path):
    out = tmp_path / "auto.mp4"
    result = render_canvas(planted, out, CanvasOptions(start="auto", **FAST))
    opts = result.plan.options
    assert opts.loop == "cut" and _inside_period(opts.start, result.plan.frames)
    assert abs(result.plan.frames - round(result.plan.frames / PERIOD) * PERIOD) <= 1
    note = next(w for w in result.notes if w.startswith("--start auto:"))
    assert f"start {opts.start:.2f} s" in note and "cut loop" in note
    # The loop as a player shows it, decoded independently of mediakit (PyAV, at the deep check's size).
    frames = gray_frames(out, width=270)
    assert len(frames) == result.plan.frames
    report = measure_loop(frames)
    assert report.seam <= SEAM_LIMIT and not report.stalls, (report.seam, report.stalls)


def test_an_explicit_loop_stays_authoritative(planted, tmp_path):
    result = render_canvas(planted, tmp_path / "pp.mp4", CanvasOptions(start="auto", loop="pingpong", **FAST))
    assert result.plan.options.loop == "pingpong"
    assert any("--loop pingpong as given" in w for w in result.notes)
    frames = gray_frames(tmp_path / "pp.mp4", width=270)
    report = measure_loop(frames)
    assert report.seam <= SEAM_LIMIT and not report.stalls


def test_an_explicit_duration_is_kept(planted, tmp_path):
    result = render_canvas(
        planted, tmp_path / "d.mp4", CanvasOptions(start="auto", duration=6.7, **FAST), dry_run=True
    )
    assert result.plan.frames == 201  # 6.7 s at 30 fps: the search looked only at that length
    assert result.plan.options.start != "auto"


def _mediakit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mediakit", *args], capture_output=True, text=True, timeout=300, check=False
    )


def test_loops_command_ranks_and_prints_the_command(planted):
    run = _mediakit("loops", str(planted), "--json", "--top", "3")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    best = doc["best"]
    assert best["loop"] == "cut" and best["ok"] is True and best["seam"] <= SEAM_LIMIT
    assert _inside_period(best["start"], best["frames"])
    assert len(doc["candidates"]) == 3
    assert doc["command"].endswith(
        f"--start {best['start']:.2f} --duration {round(best['seconds'], 2):g} --loop cut"
    )
    human = _mediakit("loops", str(planted))
    assert (
        human.returncode == 0 and "<- best" in human.stdout and "render it: mediakit canvas" in human.stdout
    )


def _error(run: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert lines and lines[0].startswith("mediakit: error: "), run.stderr
    assert len(lines) <= 2 and "Traceback" not in run.stderr
    return lines[0]


def test_loops_refuses_what_has_no_loop(tmp_path, planted):
    still = tmp_path / "cover.png"
    cv2.imwrite(str(still), np.full((64, 64, 3), 128, np.uint8))
    tone = tmp_path / "tone.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=d=2", str(tone))
    short = tmp_path / "short.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x180:r=30:d=1", str(short))
    frozen = tmp_path / "frozen.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=gray:s=320x180:r=30:d=10", str(frozen))
    cases = [
        (("loops", str(still)), 1, "is a still"),
        (("loops", str(tone)), 1, "has no video stream"),
        (("loops", str(short)), 1, "the shortest 3-8 s loop needs"),
        # An explicit --duration is the one length searched: the error says what that length needs.
        (
            ("canvas", str(short), "--start", "auto", "--duration", "8", "--dry-run"),
            1,
            "1.00 s of footage; a loop of 8.00 s needs 4.03 s of it (as a pingpong loop)",
        ),
        (
            ("canvas", str(short), "--start", "auto", "--duration", "4", "--loop", "cut", "--dry-run"),
            1,
            "1.00 s of footage; a loop of 4.00 s needs 4.00 s of it",
        ),
        (("loops", str(frozen)), 1, "barely moves"),
        (("loops", str(planted), "--as", "clip"), 2, "is not a looping preset"),
        (("canvas", str(planted), "--start", "auto", "--format", "jpg"), 2, "a JPEG canvas does not loop"),
        (("canvas", str(planted), "--start", "soon"), 2, "expected a number or auto"),
    ]
    for args, code, words in cases:
        run = _mediakit(*args)
        assert run.returncode == code, (args, run.stderr)
        assert words in _error(run), (args, run.stderr)


def test_a_still_with_start_auto_says_so(tmp_path):
    still = tmp_path / "cover.png"
    cv2.imwrite(str(still), np.full((1920, 1080, 3), 90, np.uint8))
    result = render_canvas(still, tmp_path / "s.mp4", CanvasOptions(start="auto", **FAST), dry_run=True)
    assert any("a still has no loop point" in w for w in result.warnings)


def test_clip_refuses_start_auto():
    from mediakit import ClipOptions
    from mediakit.options import check_fields

    with pytest.raises(UsageError, match="not a number"):
        check_fields(ClipOptions(start="auto"))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def twenty_fps(tmp_path_factory) -> Path:
    """12 s of testsrc2 at 20 fps: no whole step makes 30 fps, so the renderer blends (ffmpeg framerate)."""
    path = tmp_path_factory.mktemp("loops20") / "f20.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x180:r=20:d=12", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", str(path))  # fmt: skip
    return path


def _framerate_frames(path: Path, start: float, count: int) -> list[np.ndarray]:
    """The frames the renderer's rate conversion shows from `start` (input -ss, framerate, fps), grey at
    the deep check's size, decoded by ffmpeg itself, not by mediakit."""
    w, h = 480, 270  # 320x180 scaled to LUMA_SHORT after the blend, as the check sees a render
    raw = subprocess.run(
        [FFMPEG, "-v", "error", "-nostdin", "-ss", f"{start}", "-i", str(path), "-vf",
         "framerate=fps=30,fps=30,format=gray", "-frames:v", str(count), "-f", "rawvideo", "-"],
        capture_output=True, check=True, timeout=120,
    ).stdout  # fmt: skip
    frames = np.frombuffer(raw, np.uint8).reshape(-1, 180, 320)
    return [cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA) for f in frames]


def test_rate_converted_footage_is_searched_and_measured_as_the_renderer_blends_it(twenty_fps):
    from mediakit.analysis.loopsearch import loop_frames, verify

    info = probe(twenty_fps)
    scanned = scan(info, Fraction(30), 0)
    assert abs(len(scanned.frames) - 12 * 30) <= 2
    found = search_loops(scanned, range(90, 241), ("cut",), top=3)
    # Blended frames repeat nothing: a converted rate is no stall (the nearest-frame model saw one in every
    # third frame, and every window "stalled").
    assert found and not any(c.repeated for c in found), found
    for c in found[:2]:
        checked = verify(info, c, 0)
        assert checked.verified and not checked.stalls, checked
        reference = measure_loop(
            loop_frames(_framerate_frames(twenty_fps, c.start, c.frames), "cut", c.frames, 0)
        )
        assert not reference.stalls
        assert checked.seam == pytest.approx(reference.seam, abs=0.05), (checked.seam, reference.seam)


def test_the_printed_command_runs_for_a_name_starting_with_a_dash(planted, tmp_path):
    (tmp_path / "-dash.mp4").symlink_to(planted)
    run = subprocess.run(
        [sys.executable, "-m", "mediakit", "loops", "--top", "1", "--", "-dash.mp4"],
        capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    line = next(x for x in run.stdout.splitlines() if x.startswith("render it: "))
    argv = shlex.split(line.removeprefix("render it: "))
    assert argv[:2] == ["mediakit", "canvas"]
    # The printed command, as a shell would pass it, through the CLI (a dry run: the plan, no render).
    rendered = subprocess.run(
        [sys.executable, "-m", "mediakit", *argv[1:], "--dry-run", "-o", "out.mp4"],
        capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    assert "No such option" not in rendered.stderr


def test_long_footage_is_searched_up_to_the_limit_and_says_so(planted):
    from mediakit.preset import resolve
    from mediakit.rendering import canvas

    best, found, notes = canvas.search(
        probe(planted), CanvasOptions(start="auto"), resolve("spotify-canvas"), top=3, verify=1, limit=10.0
    )
    assert notes == [
        "--start auto searched the first 10 s of the footage (of 20 s): a loop of seconds is found there "
        "without reading all of it; to loop a later part, trim the footage first or give --start SECONDS"
    ]
    assert all(c.start + c.frames / FPS <= 10.05 for c in found), found
    assert best in found
    opts, preset = CanvasOptions(start="auto"), resolve("spotify-canvas")
    _, _, whole = canvas.search(probe(planted), opts, preset, verify=1)
    assert whole == []  # 20 s is under the default limit: nothing left out, nothing said
