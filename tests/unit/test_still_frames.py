"""Still canvases: the feed sends exactly the camera path's frames; the warp is accurate and steady."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from mediakit.rendering import still
from mediakit.rendering.framing import Framing

OUT = (180, 320)
CENTRE_CROP = Framing.fixed("crop", (0.5, 0.5))
FRAMES = 24


def _still(path: Path, size: tuple[int, int] = (400, 400)) -> Path:
    rng = np.random.default_rng(7)
    base = cv2.resize(rng.integers(0, 256, (size[1] // 8, size[0] // 8, 3), dtype=np.uint8), size)
    grain = rng.integers(-20, 21, (size[1], size[0], 3))
    Image.fromarray((base.astype(int) + grain).clip(0, 255).astype(np.uint8)).save(path)
    return path


def _every_frame_drawn(src: Path, motion: str, zoom: float) -> bytes:
    """The reference: every frame warped, none reused."""
    stage = still.stage_size(OUT, motion, zoom)
    staged, _ = still.fit_stage(still.load_rgb(src, stage), stage, CENTRE_CROP, (0, 0, 0))
    planes = still.rgb_to_yuv420(staged)
    draw = still.drawer(planes, OUT)
    return b"".join(bytes(draw(w)) for w in still.camera_path(motion, FRAMES, zoom, stage))


@pytest.mark.parametrize(("motion", "distinct"), [("push-in", FRAMES // 2 + 1), ("pull-out", FRAMES // 2 + 1),
                                                  ("drift", FRAMES), ("static", 1)])  # fmt: skip
def test_feed_sends_the_frames_of_the_path_drawing_each_window_once(tmp_path, motion, distinct):
    src = _still(tmp_path / "s.png")
    stage = still.stage_size(OUT, motion, 1.12)
    path = still.camera_path(motion, FRAMES, 1.12, stage)
    first = still.first_uses(path)
    assert len(set(first)) == distinct
    if motion in ("push-in", "pull-out"):
        assert all(path[i] == path[FRAMES - i] for i in range(1, FRAMES))  # the same numbers, not nearly
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    with open(tmp_path / "fed.yuv", "w+b") as sink:
        still.feed_motion(src, OUT, motion, 1.12, CENTRE_CROP, (0, 0, 0), FRAMES, spool_dir, sink)
    fed = (tmp_path / "fed.yuv").read_bytes()
    assert len(fed) == FRAMES * OUT[0] * OUT[1] * 3 // 2
    assert fed == _every_frame_drawn(src, motion, 1.12)
    assert list(spool_dir.iterdir()) == []  # the spool is an unnamed file: nothing to clean up


def _count_draws(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the frames the feed draws (the drawing itself runs unchanged)."""
    count = [0]
    real = still.drawer

    def counting(planes, out):  # type: ignore[no-untyped-def]
        draw = real(planes, out)

        def wrapped(window):  # type: ignore[no-untyped-def]
            count[0] += 1
            return draw(window)

        return wrapped

    monkeypatch.setattr(still, "drawer", counting)
    return count


@pytest.mark.parametrize(
    ("motion", "budget_frames", "draws"),
    [("push-in", 999, FRAMES // 2 + 1), ("push-in", 3, FRAMES - 3), ("push-in", 0, FRAMES),
     ("static", 999, 1), ("drift", 999, FRAMES)],
)  # fmt: skip
def test_the_spool_budget_decides_what_is_drawn_again(tmp_path, monkeypatch, motion, budget_frames, draws):
    src = _still(tmp_path / "s.png")
    monkeypatch.setattr(still, "SPOOL_BYTES", budget_frames * OUT[0] * OUT[1] * 3 // 2)
    count = _count_draws(monkeypatch)
    with open(tmp_path / "fed.yuv", "w+b") as sink:
        still.feed_motion(src, OUT, motion, 1.12, CENTRE_CROP, (0, 0, 0), FRAMES, tmp_path, sink)
    assert count[0] == draws
    monkeypatch.undo()
    assert (tmp_path / "fed.yuv").read_bytes() == _every_frame_drawn(src, motion, 1.12)


def test_a_spool_that_cannot_be_written_falls_back_to_drawing(tmp_path):
    # A real write failure, not a mock: the child's file size limit (RLIMIT_FSIZE) stops the spool after
    # three frames with EFBIG, as a full disk would with ENOSPC. Frames go out through a pipe (no limit).
    src = _still(tmp_path / "s.png")
    frame = OUT[0] * OUT[1] * 3 // 2
    child = f"""
import hashlib, logging, os, resource, signal, sys, threading
from pathlib import Path
logging.basicConfig(level=logging.DEBUG)
from mediakit.rendering import still
from mediakit.rendering.framing import Framing
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, ({3 * frame + 100}, {3 * frame + 100}))
r, w = os.pipe()
got = []
reader = threading.Thread(target=lambda: got.extend(iter(lambda: os.read(r, 1 << 16), b"")))
reader.start()
with os.fdopen(w, "wb") as sink:
    still.feed_motion(Path({str(src)!r}), {OUT!r}, "push-in", 1.12, Framing("crop"), (0, 0, 0), {FRAMES},
                      Path({str(tmp_path)!r}), sink)
reader.join()
print(hashlib.sha256(b"".join(got)).hexdigest())
"""
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "spool of drawn frames abandoned" in done.stderr  # the write did fail
    assert done.stdout.strip() == hashlib.sha256(_every_frame_drawn(src, "push-in", 1.12)).hexdigest()
    assert [p.name for p in tmp_path.iterdir()] == ["s.png"]


def test_feed_into_a_pipe_whose_reader_stops_raises_broken_pipe(tmp_path):
    import os

    src = _still(tmp_path / "s.png")
    read_end, write_end = os.pipe()
    os.close(read_end)
    with os.fdopen(write_end, "wb") as sink, pytest.raises(BrokenPipeError):
        still.feed_motion(src, OUT, "push-in", 1.12, CENTRE_CROP, (0, 0, 0), FRAMES, tmp_path, sink)
    assert [p.name for p in tmp_path.iterdir()] == ["s.png"]


def test_warp_is_close_to_lanczos_and_equally_close_in_every_frame(tmp_path):
    # The luma warp (bilinear from a 3x bicubic plane) against a Lanczos warp of the stage in floats: a
    # sharpness that changed with the subpixel phase would show as a PSNR that changes from frame to frame.
    out = (540, 960)
    src = _still(tmp_path / "s.png", (1200, 1200))
    stage = still.stage_size(out, "push-in", 1.12)
    staged, _ = still.fit_stage(still.load_rgb(src, stage), stage, CENTRE_CROP, (0, 0, 0))
    planes = still.rgb_to_yuv420(staged)
    path = still.camera_path("push-in", 60, 1.12, stage)[:31]
    inverse = cv2.INTER_LANCZOS4 | cv2.WARP_INVERSE_MAP
    psnr = []
    draw = still.drawer(planes, out)
    for window in path:
        frame = draw(window)
        y = np.frombuffer(frame, np.uint8, out[0] * out[1]).reshape(out[1], out[0]).astype(np.float32)
        m = still._affine(window, out[0], out[1], 1, 1)
        ref = cv2.warpAffine(
            planes[0].astype(np.float32), m, out, flags=inverse, borderMode=cv2.BORDER_REPLICATE
        )
        inner = (slice(8, -8), slice(8, -8))
        mse = float(np.mean((y[inner] - ref[inner]) ** 2))
        psnr.append(10 * np.log10(255**2 / mse))
    # Measured here: 50.1-50.6 dB (bicubic warp of the stage: 50.8-51.3; bilinear from a 2x plane: 48.3-48.5;
    # bilinear: 44.1-44.7; nearest: 36-37).
    assert min(psnr) >= 49, psnr
    assert max(psnr) - min(psnr) <= 1.0, psnr


def test_bt709_codes_of_primaries():
    for rgb, ycc in [
        ((255, 0, 0), (63, 102, 240)),
        ((0, 255, 0), (173, 42, 26)),
        ((0, 0, 255), (32, 240, 118)),
        ((255, 255, 255), (235, 128, 128)),
        ((0, 0, 0), (16, 128, 128)),
    ]:
        y, u, v = still.rgb_to_yuv420(np.full((4, 4, 3), rgb, np.uint8))
        assert (int(y[0, 0]), int(u[0, 0]), int(v[0, 0])) == ycc
        assert y.shape == (4, 4) and u.shape == v.shape == (2, 2)
